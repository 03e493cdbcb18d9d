"""Evidence from a third record, for the chance a pair's state is wrong (the review's
questions and the estimate read it alike).

Transitivity bounds what two records' own probability says: if a~c and c~b then a~b, so
a link is wrong only if one of the two is (at most 1 - p(a,c) p(c,b)), and only if every
such path is broken (taken as independent, as the model takes its comparisons); a pair kept
apart is one person only if b~c too for every c of a's person, so P(a~b) is at most
p(b,c) + 1 - p(a,c).
"""

from __future__ import annotations

import polars as pl

PAIRS_SQL = """
select mp.source_l, mp.record_id_l, mp.source_r, mp.record_id_r, mp.probability, mp.match_weight,
       cast(mp.guard as varchar) as guard,
       a.person_id as person_l, b.person_id as person_r,
       a.match_confidence as conf_l, b.match_confidence as conf_r
from match_pairs as mp
inner join person_links as a on a.source = mp.source_l and a.record_id = mp.record_id_l
inner join person_links as b on b.source = mp.source_r and b.record_id = mp.record_id_r
"""


CORROBORATE_BELOW = 0.999  # pairs this sure need no third record


def corroboration(pairs: pl.DataFrame) -> pl.DataFrame:
    """source_l, record_id_l, source_r, record_id_r, vouched: for pairs inside one person,
    the best p(a,c) p(c,b) over third records c of the same person."""
    key_l = pl.concat_str(["source_l", "record_id_l"], separator=":")
    key_r = pl.concat_str(["source_r", "record_id_r"], separator=":")
    linked = pairs.filter(pl.col("person_l") == pl.col("person_r")).with_columns(key_l.alias("a"), key_r.alias("b"))
    edges = pl.concat([linked.select(pl.col("a").alias("x"), pl.col("b").alias("y"), "probability"),
                       linked.select(pl.col("b").alias("x"), pl.col("a").alias("y"), "probability")])
    doubtful = linked.filter(pl.col("probability") < CORROBORATE_BELOW).select(
        "source_l", "record_id_l", "source_r", "record_id_r", "a", "b")
    paths = (
        doubtful.join(edges.rename({"x": "a", "y": "c", "probability": "p_ac"}), on="a")
        .join(edges.rename({"x": "b", "y": "c", "probability": "p_bc"}), on=["b", "c"])
    )
    # Every path must be broken for the link to be wrong: independent paths multiply.
    return paths.group_by("source_l", "record_id_l", "source_r", "record_id_r").agg(
        (1.0 - (1.0 - pl.col("p_ac") * pl.col("p_bc")).product()).alias("vouched"))


def contradiction(pairs: pl.DataFrame) -> pl.DataFrame:
    """source_l, record_id_l, source_r, record_id_r, bound: for pairs kept apart, the best
    p(b,c) + 1 - p(a,c) over records c in the person of a (or of b) scored against the other."""
    keys = ["source_l", "record_id_l", "source_r", "record_id_r"]
    keyed = pairs.with_columns(pl.concat_str(["source_l", "record_id_l"], separator=":").alias("a"),
                               pl.concat_str(["source_r", "record_id_r"], separator=":").alias("b"))
    both = pl.concat([keyed.select(pl.col("a").alias("x"), pl.col("b").alias("y"), "probability",
                                   (pl.col("person_l") == pl.col("person_r")).alias("inside")),
                      keyed.select(pl.col("b").alias("x"), pl.col("a").alias("y"), "probability",
                                   (pl.col("person_l") == pl.col("person_r")).alias("inside"))])
    inside = both.filter("inside").select("x", "y", "probability")
    scored = both.select("x", "y", "probability")
    doubtful = pl.col("probability") >= 0.01
    apart = keyed.filter((pl.col("person_l") != pl.col("person_r")) & doubtful).select(
        *keys, "a", "b")
    bounds = []
    for near, far in (("a", "b"), ("b", "a")):
        paths = (apart.join(inside.rename({"x": near, "y": "c", "probability": "p_near"}), on=near)
                 .join(scored.rename({"x": "c", "y": far, "probability": "p_far"}), on=["c", far]))
        bounds.append(paths.select(*keys, (pl.col("p_far") + 1.0 - pl.col("p_near")).alias("bound")))
    return pl.concat(bounds).group_by(keys).agg(pl.col("bound").min())
