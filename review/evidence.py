"""Evidence from a third record, for the chance a pair's state is wrong (the review's
questions and the estimate read it alike, from one `pair_evidence` per run).

Transitivity bounds what two records' own probability says: if a~c and c~b then a~b, so
a link is wrong only if one of the two is (at most 1 - p(a,c) p(c,b)), and only if every
such path is broken (taken as independent, as the model takes its comparisons); a pair kept
apart is one person only if b~c too for every c of a's person, so P(a~b) is at most
p(b,c) + 1 - p(a,c).

Records are keyed by their row in `person_links` in (source, record_id) order (`key_l`,
`key_r`, kept with each pair by the match stage) while paths are followed: reading and
joining millions of pairs on integers rather than on source and record id is what keeps
this a few seconds at county scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from cohort.core.sqlrunner import run_sql
from cohort.core.warehouse import query


KEYS = ["source_l", "record_id_l", "source_r", "record_id_r"]
CORROBORATE_BELOW = 0.999  # pairs this sure need no third record
CONTRADICT_FROM = 0.01  # pairs kept apart below this are not worth a third record


@dataclass(frozen=True)
class Evidence:
    """`pairs`: every scored pair, its records by key; sources and persons are Enums whose
    order is their text's, so equality, min and max read as on the text at a fraction of
    the cost of millions of strings. `records`: source and record_id by key, for the few
    rows that are shown or joined on text (`named`)."""

    pairs: pl.DataFrame
    records: pl.DataFrame

    def named(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` (rows of `pairs`) with KEYS and its persons as text."""
        sides = [self.records.select(pl.col(c).gather(frame[f"key_{s}"]).alias(f"{c}_{s}")
                                     for c in ("source", "record_id")) for s in ("l", "r")]
        text = [pl.col(c).cast(pl.Utf8) for c in ("person_l", "person_r") if c in frame.columns]
        frame = frame.drop("source_l", "source_r", strict=False)
        return pl.concat([frame, *sides], how="horizontal").with_columns(text)


def pair_evidence(con: duckdb.DuckDBPyConnection) -> Evidence:
    """Every scored pair (`_scored_pairs`) with `vouched` (corroboration) and `bound`
    (contradiction), null where no third record speaks."""
    pairs, records = _scored_pairs(con)
    keys = pairs.select("key_l", "key_r")
    # Only the two new columns are joined: a join of the whole frame would copy millions of rows.
    # One join: the pairs vouched for are in one person, the pairs bounded apart.
    said = pl.concat([corroboration(pairs), contradiction(pairs)], how="diagonal")
    speak = keys.join(said, on=["key_l", "key_r"], how="left", maintain_order="left")
    return Evidence(pairs.with_columns(speak["vouched"], speak["bound"]), records.select("source", "record_id"))


def _scored_pairs(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """pair_row, key_l, key_r, probability, match_weight, guard, source_l, source_r,
    person_l, person_r, conf_l, conf_r: every scored pair with its records' persons; and
    the records in key order. The records' details are joined here, on integers, not in
    DuckDB."""
    stored = "key_l" in query(con, "select * from match_pairs limit 0").columns
    pairs = run_sql(con, "review/scored_pairs.sql" if stored else "review/scored_pairs__joined.sql")
    # A record's key (scored_pairs.sql) is its row here.
    records = query(con, "select source, record_id, person_id, match_confidence from person_links "
                         "order by source, record_id")
    if stored:
        _check_keys(con, records)
    coded = records.select(
        *[pl.col(c).cast(pl.Enum(records[c].drop_nulls().unique().sort())) for c in ("source", "person_id")],
        "match_confidence")
    names = {"source": "source", "person_id": "person", "match_confidence": "conf"}
    sides = [coded.select(pl.col(col).gather(pairs[f"key_{s}"]).alias(f"{name}_{s}") for col, name in names.items())
             for s in ("l", "r")]
    return pl.concat([pairs, *sides], how="horizontal").select(
        "pair_row", "key_l", "key_r", "probability", "match_weight", "guard", "source_l", "source_r", "person_l",
        "person_r", "conf_l", "conf_r"), records


def _check_keys(con: duckdb.DuckDBPyConnection, records: pl.DataFrame, n: int = 1000) -> None:
    """The stored keys of the first `n` pairs name the same records as their strings: a
    `person_links` not written from this run's match would otherwise be read silently wrong."""
    head = query(con, f"select key_l, source_l, record_id_l, key_r, source_r, record_id_r from match_pairs limit {n}")
    if head.height == 0:
        return
    for s in ("l", "r"):
        keys = head[f"key_{s}"]
        fits = keys.max() < records.height and records.select("source", "record_id").gather(keys).equals(
            head.select(pl.col(f"source_{s}").alias("source"), pl.col(f"record_id_{s}").alias("record_id")))
        if not fits:
            raise RuntimeError("match_pairs and person_links are not of one run: run the month again")


def _edges(pairs: pl.DataFrame) -> pl.DataFrame:
    """Both directions of every pair: x, y, probability."""
    return pl.concat([pairs.select(pl.col("key_l").alias("x"), pl.col("key_r").alias("y"), "probability"),
                      pairs.select(pl.col("key_r").alias("x"), pl.col("key_l").alias("y"), "probability")])


def corroboration(pairs: pl.DataFrame) -> pl.DataFrame:
    """key_l, key_r, vouched: for pairs inside one person, the best p(a,c) p(c,b) over
    third records c of the same person."""
    linked = pairs.filter(pl.col("person_l") == pl.col("person_r"))
    edges = _edges(linked)
    doubtful = linked.filter(pl.col("probability") < CORROBORATE_BELOW).select("key_l", "key_r")
    paths = (
        doubtful.join(edges.rename({"x": "key_l", "y": "c", "probability": "p_ac"}), on="key_l")
        .join(edges.rename({"x": "key_r", "y": "c", "probability": "p_bc"}), on=["key_r", "c"])
    )
    # Every path must be broken for the link to be wrong: independent paths multiply.
    return paths.sort("key_l", "key_r", "c").group_by("key_l", "key_r", maintain_order=True).agg(
        (1.0 - (1.0 - pl.col("p_ac") * pl.col("p_bc")).product()).alias("vouched"))


def contradiction(pairs: pl.DataFrame) -> pl.DataFrame:
    """key_l, key_r, bound: for pairs kept apart, the best p(b,c) + 1 - p(a,c) over records
    c in the person of a (or of b) scored against the other."""
    apart = pairs.filter((pl.col("person_l") != pl.col("person_r"))
                         & (pl.col("probability") >= CONTRADICT_FROM)).select("key_l", "key_r")
    if apart.height == 0:
        return pl.DataFrame(schema={"key_l": pl.Int64, "key_r": pl.Int64, "bound": pl.Float64})
    ends = pl.concat([apart["key_l"], apart["key_r"]]).unique().to_frame("end")
    inside = _edges(pairs.filter(pl.col("person_l") == pl.col("person_r"))).join(
        ends, left_on="x", right_on="end", how="semi")
    # Only edges that end at one of the apart pairs' records can close a path.
    scored = pl.concat([
        pairs.join(ends, left_on="key_r", right_on="end", how="semi").select(
            pl.col("key_l").alias("x"), pl.col("key_r").alias("y"), "probability"),
        pairs.join(ends, left_on="key_l", right_on="end", how="semi").select(
            pl.col("key_r").alias("x"), pl.col("key_l").alias("y"), "probability")])
    bounds = []
    for near, far in (("key_l", "key_r"), ("key_r", "key_l")):
        paths = (apart.join(inside.rename({"x": near, "y": "c", "probability": "p_near"}), on=near)
                 .join(scored.rename({"x": "c", "y": far, "probability": "p_far"}), on=["c", far]))
        bounds.append(paths.select("key_l", "key_r", (pl.col("p_far") + 1.0 - pl.col("p_near")).alias("bound")))
    return pl.concat(bounds).group_by("key_l", "key_r").agg(pl.col("bound").min())
