"""Person linking: standardise -> profiles -> block -> compare -> estimate -> score -> cluster.

Many records repeat one person's details exactly (every police event, every census
term), so records are first collapsed into *profiles*: identical standardised details,
including whether each identifier is firm (issued by its agency and corroborated).
Profiles are matched and the result is mapped back to records. A profile too thin to
vouch for its records (no date of birth and no identifier) is not collapsed: two
"J SMITH"s with nothing else may be two people. Records named in a reviewer's
must/cannot-link list get a profile of their own.

The model (m, u, prior) is estimated from the month's own profiles (`em`), scored pairs
carry their levels and a readable reason, and an undated profile that fits two people
with different dates of birth equally well is left apart for a reviewer.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from cohort.core.ruleset import Matching
from cohort.matching import block, em, partition
from cohort.matching.compare import COMPARISONS, QUOTED
from cohort.matching.pairs import MIN_POPULATION, PROFILES_PER_PERSON, add_term_frequencies
from cohort.matching.person_partitions import (
    CLUSTER_COLUMNS,
    ClusterWork,
    CompareWork,
    cluster_partition,
    cluster_profiles,
    compare_partition,
    profiles_of,
)
from cohort.matching.score import Weights, score_pairs
from cohort.matching.standardise import PERSON_IDS, clean_id, corroborate_ids, standardise

log = logging.getLogger(__name__)

# What a comparison can see: the address as flat, premise and street (the town and the
# way it is written do not matter), so "12 High St" and "12, High Street, Ramsgate" are
# one profile.
PROFILE_KEYS = (
    "fn_first", "fn_middle", "sn", "dob", "sex", "pc", "flat", "premise", "street", "uprn",
    *PERSON_IDS, *(f"{c}_firm" for c in PERSON_IDS),
)

REASON_IDENTICAL = "identical details to another record"
REASON_MUST_LINK = "reviewer: must link"
REASON_NO_CANDIDATE = "no candidate pairs"
REASON_BELOW = "no link above the threshold"
REASON_AMBIGUOUS = "left apart: no date of birth, and matches two people with different dates of birth alike"

LINK_SCHEMA = {
    "source": pl.Utf8, "record_id": pl.Utf8, "person_id": pl.Utf8,
    "match_confidence": pl.Float64, "match_reason": pl.Utf8,
}
PAIR_KEYS = {"source_l": pl.Utf8, "record_id_l": pl.Utf8, "source_r": pl.Utf8, "record_id_r": pl.Utf8}


@dataclass(frozen=True)
class LinkResult:
    links: pl.DataFrame            # source, record_id, person_id, match_confidence, match_reason
    persons: pl.DataFrame          # person_id, forename, surname, dob, gender
    pairs: pl.DataFrame            # source_l, record_id_l, source_r, record_id_r, probability, reason,
                                   # match_weight, guard, one level per comparison, fn_jw, sn_jw
    blocking_counts: pl.DataFrame  # rule, candidate_pairs, skipped_blocks, new_pairs, description
    # The model the pairs were scored with, one row per level (em.TABLE_SCHEMA: comparison,
    # level, label, m, u, weight, defaults and counts), for the run's record.
    weights: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=em.TABLE_SCHEMA))
    # Expected matches among the pairs blocking never compared (em.unseen_matches).
    unseen_matches: float = 0.0


def hashed_id(prefix: str, key: pl.Expr) -> pl.Expr:
    """prefix + first 10 hex of sha1(key): the architecture's deterministic ids."""
    return pl.lit(prefix) + key.map_elements(
        lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest()[:10], return_dtype=pl.Utf8
    )


def _record_key() -> pl.Expr:
    return pl.concat_str([pl.col("source"), pl.lit(":"), pl.col("record_id")])


def _review_records(*frames: pl.DataFrame | None) -> pl.DataFrame:
    keys = [
        f.select(pl.col(f"source_{s}").alias("source"), pl.col(f"record_id_{s}").alias("record_id"))
        for f in frames if f is not None and f.height
        for s in ("l", "r")
    ]
    if not keys:
        return pl.DataFrame(schema={"source": pl.Utf8, "record_id": pl.Utf8})
    return pl.concat(keys).unique()


def build_profiles(std: pl.DataFrame, solo: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(record -> pid, profiles): profiles carry every standardised field once."""
    thin = pl.col("dob").is_null() & pl.all_horizontal([pl.col(c).is_null() for c in PERSON_IDS])
    flagged = std.join(solo.with_columns(pl.lit(True).alias("_review")),
                       on=["source", "record_id"], how="left")
    keyed = flagged.with_columns(
        pl.when(thin | pl.col("_review").fill_null(False)).then(_record_key()).alias("_solo")
    )
    keys = [*PROFILE_KEYS, "_solo"]
    # Profiles numbered in record-key order, so results do not depend on input row order.
    profiles = (
        keyed.sort("source", "record_id")
        .unique(subset=keys, keep="first", maintain_order=True)
        .with_row_index("pid")
        .drop("source", "record_id", "record_date", "_review")
    )
    rec = keyed.select("source", "record_id", *keys).join(
        profiles.select("pid", *keys), on=keys, how="left", nulls_equal=True
    ).select("source", "record_id", "pid")
    # The dates of birth all of a profile's records' sources allow.
    window = (
        rec.join(keyed.select("source", "record_id", "born_by", "born_after"), on=["source", "record_id"])
        .group_by("pid").agg(pl.col("born_by").min(), pl.col("born_after").max())
    )
    profiles = profiles.drop("born_by", "born_after").join(window, on="pid", how="left").sort("pid")
    return rec, profiles.drop("_solo")


def _review_pairs(frame: pl.DataFrame | None, rec: pl.DataFrame) -> list[tuple[int, int]]:
    if frame is None or frame.height == 0:
        return []
    side = rec.select("source", "record_id", "pid")
    joined = (
        frame.select(*PAIR_KEYS).cast(PAIR_KEYS)
        .join(side.rename({"source": "source_l", "record_id": "record_id_l", "pid": "a"}),
              on=["source_l", "record_id_l"], how="inner")
        .join(side.rename({"source": "source_r", "record_id": "record_id_r", "pid": "b"}),
              on=["source_r", "record_id_r"], how="inner")
    )
    return [(int(a), int(b)) for a, b in joined.select("a", "b").iter_rows()]


def _tenancy_pairs(records: pl.DataFrame, rec: pl.DataFrame) -> list[tuple[int, int]]:
    """Profiles never one person: two rows of one tenancy, one of them undated. A tenancy
    lists each member once, so an undated "Stephen Medstone" on the tenancy of the
    dated Stephen Medstone, aged five, is his father, not him."""
    if "tenancy_ref" not in records.columns:
        return []
    rows = (
        records.filter(pl.col("source") == "housing")
        .select("source", "record_id", clean_id(pl.col("tenancy_ref")).alias("t"), pl.col("dob").is_null().alias("undated"))
        .drop_nulls("t")
        .join(rec, on=["source", "record_id"])
    )
    pairs = (
        rows.join(rows, on="t", suffix="_r")
        .filter((pl.col("pid") < pl.col("pid_r")) & (pl.col("undated") | pl.col("undated_r")))
        .select("pid", "pid_r").unique().sort("pid", "pid_r")
    )
    if pairs.height:
        log.info("matching: %d pairs of rows on one tenancy, one undated, kept apart", pairs.height)
    return [(int(a), int(b)) for a, b in pairs.iter_rows()]


def representative_values(records: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Most frequent non-null value per person and column, ties to the most recent record."""
    base = records.select("source", "record_id", "record_date", "forename", "surname", "dob", "gender")
    base = base.join(links.select("source", "record_id", "person_id"), on=["source", "record_id"])
    out = links.select("person_id").unique()
    for col in ("forename", "surname", "dob", "gender"):
        best = (
            base.drop_nulls(col)
            .group_by("person_id", col)
            .agg(pl.len().alias("_n"), pl.col("record_date").max().alias("_latest"))
            .sort(["person_id", "_n", "_latest", col], descending=[False, True, True, False],
                  nulls_last=True)
            .unique("person_id", keep="first")
            .select("person_id", col)
        )
        out = out.join(best, on="person_id", how="left")
    return out.select("person_id", "forename", "surname", "dob", "gender").sort("person_id")


def link_persons(
    records: pl.DataFrame,
    *,
    threshold: float | None = None,
    cannot_link: pl.DataFrame | None = None,
    must_link: pl.DataFrame | None = None,
    weights: Weights | None = None,
    estimate: bool = True,
    max_block: int = block.MAX_BLOCK,
    mapper: partition.Mapper = partition.serial_map,
    partitions: int | None = None,
) -> LinkResult:
    """Link person records across agencies into persons (architecture.md shapes).

    `threshold`: the link probability; None takes the rule set's default
    (`[matching] link_threshold`). The model is estimated from the records themselves
    (`em.estimate`) unless `weights` are given, or `estimate` is False (then the shipped
    defaults are used as they are).

    Comparing and clustering run per partition of the candidate pairs (`partition`),
    through `mapper`: in this process by default, or on the flow's task runner. The
    result does not depend on the mapper or on the number of partitions.
    """
    if threshold is None:
        threshold = Matching().link_threshold
    std = corroborate_ids(standardise(records))
    rec, profiles = build_profiles(std, _review_records(cannot_link, must_link))
    del std  # a wide copy of every record: the largest frame, and not needed again
    log.info("matching: %d records collapsed to %d profiles", rec.height, profiles.height)

    cand, counts = block.candidate_pairs(profiles, max_block=max_block)
    profiles = add_term_frequencies(profiles)
    must = _review_pairs(must_link, rec)
    decided_apart = _review_pairs(cannot_link, rec)
    cannot = decided_apart + _tenancy_pairs(records, rec)
    labelled = pl.DataFrame(
        [(min(a, b), max(a, b), True) for a, b in must] + [(min(a, b), max(a, b), False) for a, b in decided_apart],
        schema={"pid_l": pl.Int64, "pid_r": pl.Int64, "same": pl.Boolean}, orient="row",
    ).filter(pl.col("pid_l") != pl.col("pid_r"))
    k = partition.partition_count(cand.height, partitions)
    review = np.array(must + cannot, dtype=np.int64).reshape(-1, 2)
    part = partition.assign(profiles.height,
                            np.concatenate([cand["pid_l"].to_numpy(), review[:, 0]]),
                            np.concatenate([cand["pid_r"].to_numpy(), review[:, 1]]), k)
    log.info("matching: %d candidate pairs in %d partition(s)", cand.height, k)
    compared, self_compared = _compare(profiles, rec, cand, part, k, mapper)
    del cand
    weights, table, unseen = _model(profiles, compared, weights, estimate, labelled)
    # What only scoring reads (the term frequencies, the age check) is let go with the
    # compared pairs: 5.3M pairs' worth at county, held through clustering otherwise.
    scoring_only = [c for c in compared.columns if c.startswith("tf_")] + ["age_conflict"]
    scored = score_pairs(compared, weights).drop(scoring_only, strict=False)
    self_scored = score_pairs(self_compared, weights).drop(scoring_only, strict=False)
    del compared, self_compared

    shown = scored.select(*CLUSTER_COLUMNS)
    work = [
        ClusterWork(pairs, cluster_profiles(profiles, pairs, i, part, review), threshold,
                    [p for p in must if part[p[0]] == i], [p for p in cannot if part[p[0]] == i])
        for i, pairs in enumerate(partition.split(shown, part, "pid_l", k))
    ]
    del shown
    n_profiles = profiles.height
    del profiles
    labels, ambiguous = _cluster(n_profiles, work, mapper)
    del work
    links = _links(rec, scored, self_scored, must, labels, ambiguous)
    log.info("matching: %d persons from %d records", links["person_id"].n_unique(), links.height)
    return LinkResult(
        links=links,
        persons=representative_values(records, links),
        pairs=_pair_output(scored, rec),
        blocking_counts=counts,
        weights=table,
        unseen_matches=unseen,
    )


def _compare(profiles: pl.DataFrame, rec: pl.DataFrame, cand: pl.DataFrame, part: np.ndarray, k: int,
             mapper: partition.Mapper) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(candidate pairs compared, profiles of several records compared with themselves:
    the probability that two records of one profile are one person)."""
    sizes = rec.group_by("pid").len()
    multi = sizes.filter(pl.col("len") > 1).select(pl.col("pid").alias("pid_l"), pl.col("pid").alias("pid_r"))
    work = [
        CompareWork(pairs, self_pairs, profiles_of(profiles, pairs, self_pairs))
        for pairs, self_pairs in zip(partition.split(cand, part, "pid_l", k),
                                     partition.split(multi, part, "pid_l", k))
    ]
    done = mapper(compare_partition, work)
    del work
    return pl.concat([c for c, _ in done]), pl.concat([s for _, s in done])


def _model(profiles: pl.DataFrame, compared: pl.DataFrame, weights: Weights | None,
           estimate: bool, labelled: pl.DataFrame | None = None) -> tuple[Weights, pl.DataFrame, float]:
    """The weights to score with, their table for the run's record, and the expected
    matches blocking never compared. Reviewers' answers (`labelled`) inform the estimate."""
    if weights is None and estimate:
        estimated = em.estimate(profiles, compared, labelled=labelled)
        return estimated.weights, estimated.table, estimated.unseen
    weights = weights or Weights()
    if weights.prior is None:
        # About one same-person partner per profile among all the others.
        weights = replace(weights, prior=PROFILES_PER_PERSON / max(profiles.height, MIN_POPULATION))
    return weights, em.weights_table(weights), 0.0


def _cluster(n: int, work: list[ClusterWork], mapper: partition.Mapper) -> tuple[np.ndarray, np.ndarray]:
    """(cluster label per profile, undated profiles left apart as ambiguous)."""
    labels = np.arange(n, dtype=np.int64)
    ambiguous = []
    for pids, part_labels, part_ambiguous in mapper(cluster_partition, work):
        labels[pids] = part_labels
        ambiguous.append(part_ambiguous)
    ambiguous = np.sort(np.concatenate([np.empty(0, dtype=np.int64), *ambiguous]))
    log.info("matching: %d undated profiles match two people with different dates of birth alike; left apart",
             len(ambiguous))
    return labels, ambiguous


def _links(rec: pl.DataFrame, scored: pl.DataFrame, self_scored: pl.DataFrame,
           must: list[tuple[int, int]], labels, ambiguous) -> pl.DataFrame:
    cl = pl.DataFrame({"pid": pl.Series(range(len(labels)), dtype=pl.UInt32),
                       "cluster": pl.Series(labels, dtype=pl.Int64)})
    rec = rec.join(cl, on="pid", how="left")
    person = (
        rec.group_by("cluster")
        .agg(_record_key().min().alias("_key"), pl.len().alias("_records"))
        .with_columns(hashed_id("P", pl.col("_key")).alias("person_id"))
        .drop("_key")
    )
    # Per profile: the best probability of any of its pairs, and of its pairs inside its
    # cluster (with that pair's reason). In numpy over the pair columns: millions of pairs.
    labels = np.asarray(labels, dtype=np.int64)
    left, right = scored["pid_l"].to_numpy().astype(np.int64), scored["pid_r"].to_numpy().astype(np.int64)
    probability = scored["probability"].to_numpy()
    best = np.full(len(labels), -1.0)
    np.maximum.at(best, left, probability)
    np.maximum.at(best, right, probability)
    best_any = pl.DataFrame({"pid": np.arange(len(labels), dtype=np.uint32), "_best_any": best}).filter(
        pl.col("_best_any") >= 0)
    within = scored.filter(pl.Series(labels[left] == labels[right])).select(
        "pid_l", "pid_r", "probability", pl.col("reason").cast(pl.Utf8))
    inside = pl.concat([
        within.select(pl.col("pid_l").cast(pl.UInt32).alias("pid"), "probability", "reason"),
        within.select(pl.col("pid_r").cast(pl.UInt32).alias("pid"), "probability", "reason"),
    ])
    extra = [self_scored.select(
        pl.col("pid_l").cast(pl.UInt32).alias("pid"), "probability",
        (pl.lit(REASON_IDENTICAL + "; ") + pl.col("reason").cast(pl.Utf8)).alias("reason"))]
    if must:
        extra.append(pl.DataFrame(
            {"pid": [p for pair in must for p in pair],
             "probability": [1.0] * (2 * len(must)),
             "reason": [REASON_MUST_LINK] * (2 * len(must))},
            schema={"pid": pl.UInt32, "probability": pl.Float64, "reason": pl.Utf8}))
    best_inside = (
        pl.concat([inside, *extra])
        .sort(["pid", "probability", "reason"], descending=[False, True, False])
        .unique("pid", keep="first")
    )
    out = (
        rec.join(person, on="cluster")
        .join(best_inside, on="pid", how="left")
        .join(best_any, on="pid", how="left")
        .with_columns(
            pl.when(pl.col("_records") > 1)
            .then(pl.col("probability"))
            .otherwise(1.0 - pl.col("_best_any").fill_null(0.0))
            .alias("match_confidence"),
            pl.when(pl.col("_records") > 1).then(pl.col("reason"))
            .when(pl.col("pid").is_in(ambiguous)).then(pl.lit(REASON_AMBIGUOUS))
            .when(pl.col("_best_any").is_null()).then(pl.lit(REASON_NO_CANDIDATE))
            .otherwise(pl.lit(REASON_BELOW))
            .alias("match_reason"),
        )
    )
    return out.select(list(LINK_SCHEMA)).cast(LINK_SCHEMA).sort("source", "record_id")


def _pair_output(scored: pl.DataFrame, rec: pl.DataFrame) -> pl.DataFrame:
    """Scored profile pairs shown by one representative record per side (the smallest
    key), most probable first. Profiles are numbered in the order of their smallest
    record key, so ordering by number orders by key, and numbers sort much faster.

    `key_l`, `key_r`: the representative record's row in the links (in source, record_id
    order, as `person_links` is written), so that the review reads millions of pairs
    with their persons by position, not by joining on strings (review/evidence.py)."""
    rep = (rec.sort("source", "record_id").with_row_index("key").unique("pid", keep="first", maintain_order=True)
           .sort("pid"))
    if not rep["pid"].equals(pl.Series("pid", np.arange(rep.height), dtype=rep["pid"].dtype)):
        raise ValueError("profiles are not numbered 0..n-1")
    levels = [c.name for c in COMPARISONS]
    shown = ["probability", "reason", "match_weight", "guard", *levels, *(sim for sim, _, _ in QUOTED.values())]
    ordered = (
        scored.select("pid_l", "pid_r", *shown)
        .sort(["probability", "pid_l", "pid_r"], descending=[True, False, False])
    )
    # Each side's representative record by position (profile numbers are 0..n-1): no join.
    return ordered.with_columns(
        rep["source"].gather(ordered["pid_l"]).alias("source_l"),
        rep["record_id"].gather(ordered["pid_l"]).alias("record_id_l"),
        rep["source"].gather(ordered["pid_r"]).alias("source_r"),
        rep["record_id"].gather(ordered["pid_r"]).alias("record_id_r"),
        rep["key"].gather(ordered["pid_l"]).cast(pl.Int64).alias("key_l"),
        rep["key"].gather(ordered["pid_r"]).cast(pl.Int64).alias("key_r"),
    ).select(*PAIR_KEYS, *shown, "key_l", "key_r")
