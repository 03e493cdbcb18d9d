"""Clustering scored pairs into persons without chaining strangers together.

Plain connected components let one bad link join two people and everyone linked to
either. Instead pairs are merged greedily from the most probable down, and a merge is
refused when the two clusters already hold contrary evidence against each other:
- a cannot-link pair, or a pair guarded for conflicting identifiers, between them;
- a twins-guarded pair between them, unless the two clusters share a forename or middle
  name, give or take a typo (one child written once as "Joseph", once by the middle
  name alone as "Thomas", and elsewhere as "Joseph Thomas" is one child, not twins), or
  the merging pair itself agrees on the forename (or has the names swapped) and scores
  at least TWINS_OVERRIDE (`twins_override`): its own evidence outweighs a pair elsewhere;
- dates of birth that clearly differ (no date on one side is equal to, a day/month swap
  of, or one digit off a date on the other: a cluster may hold a date and its typos,
  which is why a pair guarded for its DOBs alone is not, by itself, a bar), unless the
  merging pair's own dates were forgiven because an identifier and the names agree
  (`dob_override`: one date was keyed wrongly);
- disjoint firm identifiers of one kind (two DWP NINOs, each seen on several records),
  unless the merging pair's own identifier conflict was forgiven because name and
  date of birth agree (`identity_override`: one of the two was keyed wrongly).
Must-link pairs are merged first, unconditionally. Processing order is (probability
desc, pid_l, pid_r), so raising the threshold processes a prefix of the same list and
can only remove links.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
import polars as pl
from rapidfuzz.distance import OSA, JaroWinkler

from cohort.matching.compare import SLIP_EDITS

NAME_JW = 0.85
# Guards enforced by the cluster-level checks instead of a pair-level bar.
SOFT_GUARDS = ("dob_conflict",)


@lru_cache(maxsize=200_000)
def dob_conflict(a: str, b: str) -> bool:
    """Two 'YYYYMMDD' dates that cannot be one person's date keyed twice."""
    if a == b:
        return False
    if a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]:
        return False
    return OSA.distance(a, b) > 1


def names_overlap(a: set[str], b: set[str], rare: set[str] | None = None) -> bool:
    """Whether two sets of forenames share a name, allowing a keying slip, read as the
    forename comparison reads two names (compare.py): within SLIP_EDITS edits and either
    Jaro-Winkler >= 0.85 or one of them a `rare` name (not one in use: "Rric" for Eric).
    Names further apart are two names. With `rare` None every name counts as rare."""
    if not a.isdisjoint(b):
        return True

    def close(x: str, y: str) -> bool:
        if OSA.distance(x, y) > SLIP_EDITS:
            return False
        if JaroWinkler.normalized_similarity(x, y) >= NAME_JW:
            return True
        return min(len(x), len(y)) >= 3 and (rare is None or x in rare or y in rare)

    return any(close(x, y) for x in a for y in b)


def find_root(parent, x: int) -> int:
    """Root of x in a union-find parent array, compressing the path on the way."""
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return int(root)


@dataclass
class _Cluster:
    size: int
    dobs: set[str]
    ids: dict[str, set[str]]
    names: set[str]
    rare: set[str] | None   # names not in use (keying slips); None: not known, all count as rare
    enemies: set[int]
    twins: set[int]


class Clusterer:
    """Union-find over profiles carrying what each cluster knows about itself."""

    def __init__(self, dobs: Sequence[str | None], ids: dict[str, Sequence[str | None]],
                 names: Sequence[Sequence[str] | None] | None = None,
                 rare: Sequence[Sequence[str] | None] | None = None):
        n = len(dobs)
        self.parent = np.arange(n, dtype=np.int64)
        self.info: dict[int, _Cluster] = {}
        self._dobs = dobs
        self._ids = ids
        self._names = names
        self._rare = rare

    def _get(self, root: int) -> _Cluster:
        c = self.info.get(root)
        if c is None:
            d = self._dobs[root]
            c = _Cluster(
                size=1,
                dobs={d} if d else set(),
                ids={k: ({v[root]} if v[root] else set()) for k, v in self._ids.items()},
                names=set(self._names[root] or ()) if self._names is not None else set(),
                rare=set(self._rare[root] or ()) if self._rare is not None else None,
                enemies=set(),
                twins=set(),
            )
            self.info[root] = c
        return c

    def find(self, x: int) -> int:
        return find_root(self.parent, x)

    def add_enemy(self, a: int, b: int) -> None:
        self._get(self.find(a)).enemies.add(b)
        self._get(self.find(b)).enemies.add(a)

    def add_twins(self, a: int, b: int) -> None:
        self._get(self.find(a)).twins.add(b)
        self._get(self.find(b)).twins.add(a)

    def _between(self, a: _Cluster, b: _Cluster, rb: int, ra: int, attr: str) -> bool:
        """Whether a pair of kind `attr` links the two clusters."""
        small, other = (a, rb) if len(getattr(a, attr)) <= len(getattr(b, attr)) else (b, ra)
        return any(self.find(e) == other for e in getattr(small, attr))

    def conflict(self, ra: int, rb: int, override: bool = False, dob_override: bool = False,
                 twins_override: bool = False) -> bool:
        a, b = self._get(ra), self._get(rb)
        if self._between(a, b, rb, ra, "enemies"):
            return True
        rare = None if a.rare is None or b.rare is None else a.rare | b.rare
        if (not twins_override and not names_overlap(a.names, b.names, rare)
                and self._between(a, b, rb, ra, "twins")):
            return True
        if (not dob_override and a.dobs and b.dobs
                and all(dob_conflict(x, y) for x in a.dobs for y in b.dobs)):
            return True
        if not override:
            for kind, values in a.ids.items():
                if values and b.ids[kind] and values.isdisjoint(b.ids[kind]):
                    return True
        return False

    def union(self, ra: int, rb: int) -> int:
        a, b = self._get(ra), self._get(rb)
        if a.size < b.size:
            ra, rb, a, b = rb, ra, b, a
        self.parent[rb] = ra
        a.size += b.size
        a.dobs |= b.dobs
        for kind in a.ids:
            a.ids[kind] |= b.ids[kind]
        a.names |= b.names
        if a.rare is not None and b.rare is not None:
            a.rare |= b.rare
        a.enemies |= b.enemies
        a.twins |= b.twins
        del self.info[rb]
        return ra


# An undated profile is ambiguous when it links (at least AMBIGUOUS_MIN) to two profiles
# whose dates of birth clearly differ, the weaker within AMBIGUOUS_MARGIN bits of the
# stronger: "John Smith, 12 High Street", no date, is the father or the son.
AMBIGUOUS_MIN = 0.5
AMBIGUOUS_MARGIN = 4.0


def ambiguous_profiles(pairs: pl.DataFrame, dobs: Sequence[str | None]) -> np.ndarray:
    """Profiles without a date of birth that match two people with clearly different
    dates of birth about equally well (`pairs`: pid_l, pid_r, probability, match_weight
    and optionally guard). Two profiles are two people here when their dates of birth
    clearly differ and they do not match each other (a wrong date of birth forgiven by
    a shared identifier is one person). Such a profile is left on its own, for a
    reviewer, rather than given to whichever of the two scores a little higher.

    Decided from the scores alone, whatever the link threshold, so that raising the
    threshold still only removes links.
    """
    dob = pl.DataFrame({"pid": np.arange(len(dobs), dtype=np.int64), "dob": pl.Series(list(dobs), dtype=pl.Utf8)})
    strong = pairs.filter(pl.col("probability") >= AMBIGUOUS_MIN)
    if "guard" in strong.columns:
        strong = strong.filter(pl.col("guard").is_null())
    ends = strong.select(pl.col("pid_l").cast(pl.Int64), pl.col("pid_r").cast(pl.Int64), "match_weight")
    both = pl.concat([
        ends.select(pl.col("pid_l").alias("pid"), pl.col("pid_r").alias("other"), "match_weight"),
        ends.select(pl.col("pid_r").alias("pid"), pl.col("pid_l").alias("other"), "match_weight"),
    ])
    near = (
        both.join(dob.filter(pl.col("dob").is_null()).select("pid"), on="pid")
        .join(dob.rename({"pid": "other"}).drop_nulls("dob"), on="other")
        .filter(pl.col("match_weight") >= pl.col("match_weight").max().over("pid") - AMBIGUOUS_MARGIN)
        .filter(pl.col("dob").n_unique().over("pid") > 1)
        .group_by("pid").agg("other", "dob")
    )
    if near.height == 0:
        return np.empty(0, dtype=np.int64)
    together = set(ends.select("pid_l", "pid_r").iter_rows())

    def two_people(others: list[int], ds: list[str]) -> bool:
        return any(
            dob_conflict(ds[i], ds[j]) and (min(others[i], others[j]), max(others[i], others[j])) not in together
            for i in range(len(ds)) for j in range(i + 1, len(ds))
        )

    out = [pid for pid, others, ds in near.iter_rows() if two_people(others, ds)]
    return np.array(sorted(out), dtype=np.int64)


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components (label = smallest member) by min-label propagation with
    pointer jumping, in numpy: fast for the short chains person clusters have."""
    label = np.arange(n, dtype=np.int64)
    if len(left) == 0:
        return label
    while True:
        m = np.minimum(label[left], label[right])
        new = label.copy()
        np.minimum.at(new, left, m)
        np.minimum.at(new, right, m)
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, label):
            return label
        label = new


def _dirty_components(comp: np.ndarray, enemies: np.ndarray, dobs, ids) -> np.ndarray:
    """Components where a merge could be refused: an enemy pair inside, more than one
    date of birth, or more than one issued value of an identifier."""
    dirty = set()
    if len(enemies):
        inside = comp[enemies[:, 0]] == comp[enemies[:, 1]]
        dirty.update(comp[enemies[inside, 0]].tolist())
    frame = pl.DataFrame({"comp": comp, "dob": pl.Series(list(dobs), dtype=pl.Utf8),
                          **{k: pl.Series(list(v), dtype=pl.Utf8) for k, v in ids.items()}})
    counts = frame.group_by("comp").agg(
        pl.col("dob").drop_nulls().n_unique(), *(pl.col(k).drop_nulls().n_unique() for k in ids)
    )
    many = pl.any_horizontal(pl.col(c) > 1 for c in ["dob", *ids])
    dirty.update(counts.filter(many)["comp"].to_list())
    return np.array(sorted(dirty), dtype=np.int64)


def _rows(values, keep: np.ndarray):
    """`values` as a list; from a polars Series only the rows in `keep` are converted (the
    rest None): the guarded merge reads no other, and converting lists of names for
    every profile is most of the cost."""
    if not isinstance(values, pl.Series):
        return values
    out = [None] * len(values)
    idx = np.nonzero(keep)[0]
    for i, v in zip(idx.tolist(), values.gather(idx).to_list()):
        out[i] = v
    return out


def cluster(
    n: int,
    pairs: pl.DataFrame,
    threshold: float,
    *,
    dobs: Sequence[str | None] | None = None,
    ids: dict[str, Sequence[str | None]] | None = None,
    names: Sequence[Sequence[str] | None] | pl.Series | None = None,
    rare: Sequence[Sequence[str] | None] | pl.Series | None = None,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
) -> np.ndarray:
    """Cluster label (a member pid) for each of n profiles.

    `pairs`: pid_l, pid_r, probability, and optionally guard (non-null = contrary
    evidence; "twins" = contrary unless the clusters share a name), identity_override,
    dob_override and twins_override. `dobs`/`ids`/`names`/`rare`: per profile,
    'YYYYMMDD', issued identifier values (None when absent or not from the issuing
    agency), forename tokens, and those of its names that are not in use (keying slips).

    Components of the links above the threshold in which no merge could be refused are
    final as they are; the greedy, guarded merge runs only inside the others. The result
    is the same as running it everywhere, only faster.
    """
    dobs = list(dobs) if dobs is not None else [None] * n
    ids = ids or {}
    must = np.array(list(must_link), dtype=np.int64).reshape(-1, 2)
    if "guard" not in pairs.columns:
        pairs = pairs.with_columns(pl.lit(None, pl.Utf8).alias("guard"))
    for flag in ("identity_override", "dob_override", "twins_override"):
        if flag not in pairs.columns:
            pairs = pairs.with_columns(pl.lit(False).alias(flag))
    guarded = pairs.filter(pl.col("guard").is_not_null() & ~pl.col("guard").is_in(["twins", *SOFT_GUARDS]))
    twins = pairs.filter(pl.col("guard") == "twins").select("pid_l", "pid_r").to_numpy()
    twins = twins.reshape(-1, 2).astype(np.int64)
    enemies = np.vstack([guarded.select("pid_l", "pid_r").to_numpy().reshape(-1, 2).astype(np.int64),
                         np.array(list(cannot_link), dtype=np.int64).reshape(-1, 2)])
    edges = (
        pairs.filter(pl.col("guard").is_null() & (pl.col("probability") >= threshold))
        .sort(["probability", "pid_l", "pid_r"], descending=[True, False, False])
        .select("pid_l", "pid_r", "identity_override", "dob_override", "twins_override")
    )
    left = np.concatenate([edges["pid_l"].to_numpy().astype(np.int64), must[:, 0]])
    right = np.concatenate([edges["pid_r"].to_numpy().astype(np.int64), must[:, 1]])
    comp = components(n, left, right)
    dirty = _dirty_components(comp, np.vstack([enemies, twins]), dobs, ids)
    if len(must):
        dirty = np.union1d(dirty, comp[must[:, 0]])
    if len(dirty) == 0:
        return comp

    in_dirty = np.isin(comp, dirty)
    uf = Clusterer(dobs, ids, _rows(names, in_dirty), _rows(rare, in_dirty))
    for a, b in must.tolist():
        ra, rb = uf.find(a), uf.find(b)
        if ra != rb:
            uf.union(ra, rb)
    for a, b in enemies.tolist():
        if in_dirty[a] and in_dirty[b]:
            uf.add_enemy(a, b)
    for a, b in twins.tolist():
        if in_dirty[a] and in_dirty[b]:
            uf.add_twins(a, b)
    keep = in_dirty[edges["pid_l"].to_numpy().astype(np.int64)]
    for a, b, override, dob_override, twins_override in edges.filter(pl.Series(keep)).iter_rows():
        ra, rb = uf.find(a), uf.find(b)
        if ra != rb and not uf.conflict(ra, rb, bool(override), bool(dob_override), bool(twins_override)):
            uf.union(ra, rb)
    out = comp.copy()
    for i in np.nonzero(in_dirty)[0].tolist():
        out[i] = uf.find(i)
    return out
