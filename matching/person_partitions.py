"""The two rounds of person-linking work done per partition (`partition.py`): compare a
partition's candidate pairs, then, once the whole model is estimated and the pairs
scored, cluster them. Work items are small frozen dataclasses, so a Dask worker can take
them as well as a thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from cohort.matching import cluster as clustering
from cohort.matching.pairs import compare_pairs
from cohort.matching.standardise import ID_AUTHORITY

CLUSTER_COLUMNS = ("pid_l", "pid_r", "probability", "match_weight", "guard", "identity_override", "dob_override",
                   "twins_override")


@dataclass(frozen=True)
class CompareWork:
    pairs: pl.DataFrame       # pid_l, pid_r: candidate pairs of this partition
    self_pairs: pl.DataFrame  # pid_l = pid_r: profiles of this partition with several records
    profiles: pl.DataFrame    # the profiles these pairs name

    @property
    def size(self) -> int:
        return self.pairs.height + self.self_pairs.height


def compare_partition(work: CompareWork) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Comparison levels of one partition's candidate pairs, and of its profiles with themselves."""
    return compare_pairs(work.pairs, work.profiles), compare_pairs(work.self_pairs, work.profiles)


def profiles_of(profiles: pl.DataFrame, *pairs: pl.DataFrame) -> pl.DataFrame:
    pids = pl.concat([p.select(pl.col(c).alias("pid")) for p in pairs for c in ("pid_l", "pid_r")]).unique()
    return profiles.join(pids, on="pid", how="semi")


@dataclass(frozen=True)
class ClusterWork:
    pairs: pl.DataFrame      # CLUSTER_COLUMNS of this partition's scored pairs (global pids)
    profiles: pl.DataFrame   # pid, dob, ids, names of this partition's profiles, by pid
    threshold: float
    must: list[tuple[int, int]]
    cannot: list[tuple[int, int]]

    @property
    def size(self) -> int:
        return self.profiles.height  # the profiles its pairs and reviewers' answers name


def cluster_profiles(profiles: pl.DataFrame, pairs: pl.DataFrame, i: int, part: np.ndarray,
                      review: np.ndarray) -> pl.DataFrame:
    """What clustering needs to know of each profile in partition i that any pair names."""
    mark = np.zeros(len(part), dtype=bool)
    for named in (pairs["pid_l"].to_numpy(), pairs["pid_r"].to_numpy(), review.ravel()):
        mark[named] = True
    named = np.nonzero(mark & (part == i))[0]
    # Lazily, so that only the columns selected below are joined and sorted, not all of
    # the profiles' (a copy of most of them at county, beside the scored pairs: the peak).
    return (
        profiles.lazy().join(pl.LazyFrame({"pid": named}, schema={"pid": pl.UInt32}), on="pid", how="semi")
        .sort("pid")
        .select(
            "pid",
            pl.col("dob").dt.strftime("%Y%m%d").alias("dob"),
            *(pl.when(pl.col(f"{c}_firm")).then(pl.col(c)).alias(c) for c in ID_AUTHORITY),
            pl.concat_list(
                pl.col("fn_middle").str.split(" ").fill_null([]),
                pl.concat_list("fn_first").list.drop_nulls(),
                pl.col("fn_groups").fill_null([]),
            ).list.unique(maintain_order=True).alias("names"),
            pl.concat_list(pl.when(~pl.col("fn_known")).then(pl.col("fn_first"))).list.drop_nulls().alias("rare"),
        )
        .collect()
    )


def cluster_partition(work: ClusterWork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pids, cluster label per pid, ambiguous pids) for one partition, in global pids.

    Pids are renumbered 0..n-1 in their own order, which keeps clustering's processing
    order, so the labels are those one pass over everything would give.
    """
    prof = work.profiles
    pids = prof["pid"].to_numpy().astype(np.int64)
    if len(pids) == 0:
        return pids, pids.copy(), pids.copy()

    lookup = np.full(int(pids.max()) + 1, -1, dtype=np.int64)
    lookup[pids] = np.arange(len(pids))  # pids are sorted, so a pid's place is its local number

    def local(values) -> np.ndarray:
        return lookup[np.asarray(values, dtype=np.int64)]

    pairs = work.pairs.with_columns(pl.Series(c, local(work.pairs[c])) for c in ("pid_l", "pid_r"))
    dobs = prof["dob"].to_list()
    ambiguous = clustering.ambiguous_profiles(pairs, dobs)
    clear = pairs.select("pid_l", "pid_r", "probability", "guard", "identity_override", "dob_override",
                         "twins_override")
    if len(ambiguous):
        clear = clear.filter(~pl.col("pid_l").is_in(ambiguous) & ~pl.col("pid_r").is_in(ambiguous))
    labels = clustering.cluster(
        len(pids), clear, work.threshold,
        dobs=dobs, ids={c: prof[c].to_list() for c in ID_AUTHORITY}, names=prof["names"], rare=prof["rare"],
        must_link=local(work.must).reshape(-1, 2).tolist(),
        cannot_link=local(work.cannot).reshape(-1, 2).tolist(),
    )
    return pids, pids[np.asarray(labels, dtype=np.int64)], pids[ambiguous]
