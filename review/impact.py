"""What flips if the current state of a question is wrong: a family's status, membership
of a listed family, a claim.

For each question the families it touches are re-judged as they would be were the
answer the opposite of what the run did:
- two persons kept apart, if they are one: each family takes in the other person's
  evidence (both ways are tried; the person's current address decides which in fact);
- a link inside one person, if wrong: the records on side B leave for a family of their own;
- a member of a listed family on weak address evidence, if wrong: the member leaves;
- two families kept apart, if one household: each family takes in all the other's
  evidence, so each is judged as the merged family would be.
A family's criteria are its met criteria less those whose every evidence item leaves,
plus those the evidence that arrives supports (an approximation: a criterion needing
several events is taken to follow its evidence). The status is then read by the very
SQL the run uses (`sql/marts/family_status.sql`), run over these frames in a scratch
database, so no rule is written twice.

Weight of a question: 3 if a family would join or leave a list, 2 if a listed family's
status would change, 1 if a listed family's membership would change; 1 more if a family
with a claim line is touched. Rank = chance × (1 + weight): a question that is probably
wrong now comes before a doubtful one that would matter more, and among equals the more
doubtful come first.
"""

from __future__ import annotations

from typing import Any, Mapping

import duckdb
import polars as pl

from cohort.core.sqlrunner import run_sql
from cohort.core.statuses import LISTED_STATUSES as LISTED
from cohort.core.warehouse import query, read_table, table_exists
from cohort.review.decisions import FAMILIES, HOUSEHOLD

ENTERS_OR_LEAVES, STATUS, MEMBERSHIP, CLAIM = 3, 2, 1, 1
STATUS_TABLES = ("programme_criteria", "extract_feeds", "extract_status")


def _items(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """family_id, criterion, source, record_id, person_id: every evidence item of a met criterion."""
    return query(con, "select f.family_id, f.criterion, e.source, e.record_id, e.person_id "
                      "from flags as f, unnest(f.evidence) as t(e) where f.met")


def _groups(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """q, source, record_id from a group column ("source:record_id:fingerprint;...")."""
    entries = frame.select("q", pl.col(column).str.split(";").alias("_e")).explode("_e").drop_nulls("_e")
    parts = pl.col("_e").str.split(":")
    return entries.select("q", parts.list.first().alias("source"),
                          parts.list.slice(1, parts.list.len() - 2).list.join(":").alias("record_id"))


def _moves(questions: pl.DataFrame, members: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """q, scenario, family_id (the family as it would be), from_family, the items leaving
    or arriving (sign -1 / +1), one row per item moved."""
    fam = members.select("person_id", "family_id")
    qs = questions.join(fam.rename({"person_id": "person_a", "family_id": "fam_a"}), on="person_a", how="left").join(
        fam.rename({"person_id": "person_b", "family_id": "fam_b"}), on="person_b", how="left")
    rows = []
    # Two persons apart, one in truth: each side's evidence goes to the other's family.
    apart = qs.filter((pl.col("state") == "apart") & (pl.col("kind") != FAMILIES)
                      & pl.col("fam_a").is_not_null() & pl.col("fam_b").is_not_null()
                      & (pl.col("fam_a") != pl.col("fam_b")))
    for s, o in (("a", "b"), ("b", "a")):
        moving = apart.join(items.rename({"person_id": f"person_{o}"}).drop("family_id"), on=f"person_{o}")
        rows.append(moving.select("q", pl.lit(f"to_{s}").alias("scenario"), pl.col(f"fam_{s}").alias("to"),
                                  pl.col(f"fam_{o}").alias("from"), "criterion", "source", "record_id"))
        # a scenario with nothing moving still changes membership: keep a marker row
        rows.append(apart.select("q", pl.lit(f"to_{s}").alias("scenario"), pl.col(f"fam_{s}").alias("to"),
                                 pl.col(f"fam_{o}").alias("from"), pl.lit(None, pl.Utf8).alias("criterion"),
                                 pl.lit(None, pl.Utf8).alias("source"), pl.lit(None, pl.Utf8).alias("record_id")))
    # A link inside one person, wrong: side B's records leave for a family of their own.
    inside = qs.filter((pl.col("state") == "linked") & pl.col("fam_a").is_not_null())
    if inside.height:
        leaving = _groups(inside, "group_b").join(inside.select("q", "fam_a"), on="q")
        moved = leaving.join(items, left_on=["fam_a", "source", "record_id"],
                             right_on=["family_id", "source", "record_id"])
        rows.append(moved.select("q", pl.lit("split").alias("scenario"), pl.lit(None, pl.Utf8).alias("to"),
                                 pl.col("fam_a").alias("from"), "criterion", "source", "record_id"))
        rows.append(inside.select("q", pl.lit("split").alias("scenario"), pl.lit(None, pl.Utf8).alias("to"),
                                  pl.col("fam_a").alias("from"), *[pl.lit(None, pl.Utf8).alias(c) for c in
                                                                   ("criterion", "source", "record_id")]))
    # A member on weak address evidence, wrong: the member leaves the family.
    hh = qs.filter(pl.col("kind") == HOUSEHOLD)
    if hh.height:
        moved = hh.join(items.rename({"person_id": "person_a"}), left_on=["person_a", "fam_a"],
                        right_on=["person_a", "family_id"])
        rows.append(moved.select("q", pl.lit("leave").alias("scenario"), pl.lit(None, pl.Utf8).alias("to"),
                                 pl.col("fam_a").alias("from"), "criterion", "source", "record_id"))
        rows.append(hh.select("q", pl.lit("leave").alias("scenario"), pl.lit(None, pl.Utf8).alias("to"),
                              pl.col("fam_a").alias("from"), *[pl.lit(None, pl.Utf8).alias(c) for c in
                                                               ("criterion", "source", "record_id")]))
    # Two families apart, one in truth: each takes in all of the other's evidence.
    merge = qs.filter((pl.col("kind") == FAMILIES) & pl.col("fam_a").is_not_null() & pl.col("fam_b").is_not_null()
                      & (pl.col("fam_a") != pl.col("fam_b")))
    for s, o in (("a", "b"), ("b", "a")):
        moving = merge.join(items.rename({"family_id": f"fam_{o}"}).drop("person_id"), on=f"fam_{o}")
        for frame in (moving, merge.with_columns(*[pl.lit(None, pl.Utf8).alias(c) for c in
                                                   ("criterion", "source", "record_id")])):
            rows.append(frame.select("q", pl.lit(f"merge_{s}").alias("scenario"), pl.col(f"fam_{s}").alias("to"),
                                     pl.lit(None, pl.Utf8).alias("from"), "criterion", "source", "record_id"))
    schema = {"q": pl.Int64, "scenario": pl.Utf8, "to": pl.Utf8, "from": pl.Utf8, "criterion": pl.Utf8,
              "source": pl.Utf8, "record_id": pl.Utf8}
    rows = [r.cast(schema) for r in rows if r.height]
    return pl.concat(rows) if rows else pl.DataFrame(schema=schema)


def _scenario_families(moves: pl.DataFrame, items: pl.DataFrame, families: pl.DataFrame) -> pl.DataFrame:
    """sid, q, family_id (the real family, or null for a family of its own), criterion, met:
    the criteria of every family a scenario touches, as they would be."""
    count = items.group_by("family_id", "criterion").len("n")
    leaving = moves.drop_nulls("criterion").group_by("q", "scenario", "from", "criterion").agg(
        pl.struct("source", "record_id").n_unique().alias("out"))
    arriving = moves.drop_nulls("criterion").group_by("q", "scenario", "to", "criterion").len("in")
    scen = moves.select("q", "scenario", "from", "to").unique()
    sources = (
        scen.select("q", "scenario", pl.col("from").alias("family_id"), pl.lit("from").alias("role"))
        .vstack(scen.select("q", "scenario", pl.col("to").alias("family_id"), pl.lit("to").alias("role")))
        .unique()
    )
    current = sources.drop_nulls("family_id").join(count, on="family_id", how="left")
    out_rows = current.join(leaving.rename({"from": "family_id"}), on=["q", "scenario", "family_id", "criterion"],
                            how="left").join(arriving.rename({"to": "family_id"}),
                                             on=["q", "scenario", "family_id", "criterion"], how="left")
    kept = out_rows.with_columns(
        ((pl.col("n").fill_null(0) - pl.col("out").fill_null(0) + pl.col("in").fill_null(0)) > 0).alias("met"))
    # criteria arriving in a family that has none of its own for that criterion
    new_in = arriving.rename({"to": "family_id"}).drop_nulls("family_id").join(
        count, on=["family_id", "criterion"], how="anti").with_columns(pl.lit(True).alias("met"))
    # the family of its own the leavers would form
    own = leaving.filter(pl.col("scenario").is_in(["split", "leave"])).select(
        "q", "scenario", pl.lit(None, pl.Utf8).alias("family_id"), "criterion", pl.lit(True).alias("met"))
    parts = [
        kept.select("q", "scenario", "family_id", "criterion", "met"),
        new_in.select("q", "scenario", "family_id", "criterion", "met"),
        own,
        # every touched family, even with no criterion, gets judged
        sources.select("q", "scenario", "family_id", pl.lit(None, pl.Utf8).alias("criterion"),
                       pl.lit(False).alias("met")),
    ]
    return pl.concat([p.cast({"q": pl.Int64, "met": pl.Boolean}) for p in parts]).filter(
        pl.col("family_id").is_not_null() | pl.col("criterion").is_not_null() | (pl.col("family_id").is_null()))


def _judge(frames: Mapping[str, pl.DataFrame], params: Mapping[str, Any]) -> pl.DataFrame:
    """family_id, status by `marts/family_status.sql` over the given frames."""
    scratch = duckdb.connect()
    try:
        return run_sql(scratch, "marts/family_status.sql", params, frames=frames).select("family_id", "status")
    finally:
        scratch.close()


def impact(con: duckdb.DuckDBPyConnection, questions: pl.DataFrame, programme: str,
           params: Mapping[str, Any]) -> pl.DataFrame:
    """q, weight, matters, family_a, family_b, district: what each question's opposite
    answer would change (module docstring). `questions` has q, kind, state, person_a,
    person_b, group_b; `params` the rule set's SQL parameters and the programme's
    automatic_min and candidate_min."""
    members = read_table(con, "household_members").select("person_id", "family_id")
    families = read_table(con, "families").select("family_id", "district", "members", "status")
    items = _items(con)
    claims = (query(con, "select distinct family_id from claim_lines") if table_exists(con, "claim_lines")
              else pl.DataFrame(schema={"family_id": pl.Utf8}))
    moves = _moves(questions, members, items)
    scen = _scenario_families(moves, items, families)
    # One scratch family id per (question, scenario, family).
    scen = scen.with_columns(pl.format("{}|{}|{}", pl.col("q"), pl.col("scenario"),
                                       pl.col("family_id").fill_null("own")).alias("sid"))
    base = scen.select("sid", "q", "scenario", "family_id").unique().join(
        families.select("family_id", "district", "members"), on="family_id", how="left").with_columns(
        pl.col("district").fill_null("out_of_area"), pl.col("members").fill_null(1))
    flags = scen.drop_nulls("criterion").group_by("sid", "criterion").agg(pl.col("met").any()).select(
        pl.lit(programme).alias("programme"), pl.col("sid").alias("family_id"), "criterion", "met",
        pl.lit(None, pl.List(pl.Struct({"source": pl.Utf8, "record_id": pl.Utf8, "person_id": pl.Utf8,
                                        "event_date": pl.Date, "value": pl.Utf8}))).alias("evidence"))
    frames = {
        "flags": flags,
        "families_base": base.select(pl.col("sid").alias("family_id"), "district", "members"),
        "int_families__as_of": base.select(pl.col("sid").alias("family_id"), pl.lit(params["as_of"]).alias("as_of")),
        "family_evidence": pl.DataFrame(schema={"family_id": pl.Utf8, "criterion": pl.Utf8, "detail": pl.Utf8,
                                                "event_date": pl.Date, "source": pl.Utf8, "record_id": pl.Utf8}),
        **{t: read_table(con, t) for t in STATUS_TABLES},
    }
    judged = _judge(frames, params).rename({"family_id": "sid", "status": "would_be"})
    listed = list(LISTED)
    effects = (
        base.join(judged, on="sid", how="left")
        .join(families.select("family_id", pl.col("status").alias("is_now")), on="family_id", how="left")
        .join(claims.with_columns(pl.lit(True).alias("claim")), on="family_id", how="left")
        .with_columns(
            pl.col("is_now").is_in(listed).fill_null(False).alias("_listed_now"),
            pl.col("would_be").is_in(listed).fill_null(False).alias("_listed_then"),
        )
        .with_columns(
            pl.when(pl.col("_listed_now") != pl.col("_listed_then")).then(ENTERS_OR_LEAVES)
            .when(pl.col("_listed_now") & (pl.col("is_now") != pl.col("would_be"))).then(STATUS)
            .when(pl.col("_listed_now") & pl.col("family_id").is_not_null()).then(MEMBERSHIP)
            .otherwise(0).alias("_w"),
            pl.col("claim").fill_null(False).alias("claim"),
        )
    )
    words = (
        pl.when(pl.col("family_id").is_null()).then(pl.format("a new family would be {}", pl.col("would_be")))
        .when(pl.col("_w") >= STATUS).then(pl.format("family {} would go from {} to {}", pl.col("family_id"),
                                                     pl.col("is_now"), pl.col("would_be")))
        .when(pl.col("_w") == MEMBERSHIP).then(pl.format("listed family {} ({}) would change members",
                                                        pl.col("family_id"), pl.col("is_now")))
    )
    per_q = (
        effects.with_columns(words.alias("_words"))
        .sort(["q", "_w", "sid"], descending=[False, True, False])
        .group_by("q", maintain_order=True)
        .agg(pl.col("_w").max().alias("_w"), pl.col("claim").any().alias("claim"),
             pl.col("_words").filter(pl.col("_w") > 0).unique(maintain_order=True).head(2).alias("_words"))
        .with_columns(
            (pl.col("_w") + pl.when(pl.col("claim")).then(CLAIM).otherwise(0)).alias("weight"),
            pl.concat_str([pl.col("_words").list.join("; "),
                           pl.when(pl.col("claim")).then(pl.lit("a family with a claim line is involved"))],
                          separator="; ", ignore_nulls=True).alias("matters"),
        )
    )
    fam = members.join(families.select("family_id", "district", "status"), on="family_id", how="left")
    out = questions.select("q", "person_a", "person_b").join(
        fam.select(pl.col("person_id").alias("person_a"), pl.col("family_id").alias("family_a"),
                   pl.col("district").alias("_da")), on="person_a", how="left").join(
        fam.select(pl.col("person_id").alias("person_b"), pl.col("family_id").alias("family_b"),
                   pl.col("district").alias("_db")), on="person_b", how="left")
    district = pl.when(pl.col("_da").is_not_null() & pl.col("_db").is_not_null() & (pl.col("_da") != pl.col("_db"))
                       ).then(pl.concat_str(["_da", "_db"], separator=" / ")).otherwise(pl.coalesce("_da", "_db"))
    return (
        out.with_columns(district.alias("district")).drop("_da", "_db")
        .join(per_q.select("q", "weight", "matters"), on="q", how="left")
        .with_columns(pl.col("weight").fill_null(0),
                      pl.when(pl.col("matters").is_null() | (pl.col("matters") == ""))
                      .then(pl.lit("no listed family would change")).otherwise(pl.col("matters")).alias("matters"))
        .sort("q")
    )


def rank(questions: pl.DataFrame) -> pl.DataFrame:
    """Most useful first: chance × (1 + weight), then chance, then the keys."""
    return questions.with_columns((pl.col("chance") * (pl.col("weight") + 1)).alias("value")).sort(
        ["value", "chance", "kind", "source_a", "record_id_a", "source_b", "record_id_b"],
        descending=[True, True, False, False, False, False, False], nulls_last=True)
