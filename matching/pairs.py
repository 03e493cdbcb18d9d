"""Comparing candidate pairs: both profiles' fields side by side, string similarities,
then every comparison's level (`compare.COMPARISONS`), and how common agreed values are.

String similarities are computed for all pairs at once with rapidfuzz's `cpdist`, once
per distinct pair of values; levels are then plain polars expressions.
"""

from __future__ import annotations

import copy
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
import polars as pl
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from cohort.matching.compare import (
    COMPARISONS,
    CROSS_SIMILARITIES,
    JW_HIGH,
    PAIR_FIELDS,
    PERSON_IDS,
    QUOTED,
    SIMILARITIES,
    TF,
    level_is,
)
from cohort.matching.levels import left as _l
from cohort.matching.levels import right as _r

CHUNK = 500_000  # pairs compared at once
# Chunks compared at once, on threads: sorting codes, scoring strings and polars release
# the GIL for much of a chunk. Two, for the 2-core machine a county runs on; each chunk in
# flight holds its own wide frame (a few hundred MB at CHUNK pairs).
THREADS = min(2, os.cpu_count() or 1)


MIN_POPULATION = 10_000
# A person shows up with about two distinct profiles (written differently by different
# agencies), so profiles / 2 estimates the number of people.
PROFILES_PER_PERSON = 2.0


def add_term_frequencies(profiles: pl.DataFrame) -> pl.DataFrame:
    """Add tf_<comparison>: how common the profile's value is (null when missing).

    - forename: its share among profiles born the same year (names follow fashions, so
      "JACK" is common among 2005 births and rare among 1950 ones), else overall;
    - surname, date of birth: their share among all profiles;
    - address (flat, premise, street, postcode): the people living there (distinct
      canonical forenames) over the estimated number of people, so that a home agrees
      on as much whether its three residents have three records or thirty.
    Counts are taken over at least MIN_POPULATION profiles, so a small batch (a test,
    one district) does not make every value look common.
    """
    n = max(profiles.height, MIN_POPULATION)
    people = n / PROFILES_PER_PERSON
    keyed = profiles.with_columns(
        pl.when(pl.col("premise").is_not_null())
        .then(pl.concat_str([pl.col("flat").fill_null(""), "premise", "street", pl.col("pc").fill_null("")],
                            separator="|"))
        .alias("addr_key")
    )
    year_size = pl.max_horizontal(pl.len().over("dob_y"), pl.lit(n / 100))
    forename = (
        pl.when(pl.col("fn_first").is_null()).then(None)
        .when(pl.col("dob_y").is_not_null()).then(pl.len().over("fn_first", "dob_y") / year_size)
        .otherwise(pl.len().over("fn_first") / n)
    )
    return keyed.with_columns(
        forename.alias("tf_forename"),
        pl.when(pl.col("sn_compact").is_not_null()).then(pl.len().over("sn_compact") / n).alias("tf_surname"),
        pl.when(pl.col("dob").is_not_null()).then(pl.len().over("dob") / n).alias("tf_dob"),
        pl.when(pl.col("addr_key").is_not_null())
        .then(pl.col("fn_canon").n_unique().over("addr_key").clip(lower_bound=1) / people)
        .alias("tf_address"),
    ).drop("addr_key")



class _Sides:
    """The profiles' fields by pid, and a pair's rows into them: both sides of a pair are
    gathered by position (no join), and a field's values are coded once per profile, so
    that a similarity is computed once per distinct pair of values (many pairs repeat one
    street or one name) by sorting integer codes, not hashing strings."""

    def __init__(self, profiles: pl.DataFrame):
        tf = [f"tf_{c}" for c in TF if f"tf_{c}" in profiles.columns]
        window = [c for c in WINDOW_FIELDS if c in profiles.columns]
        side = profiles.select("pid", *PAIR_FIELDS, *tf, *window)
        self.side = side if side["pid"].is_sorted() else side.sort("pid")
        pids = self.side["pid"].to_numpy().astype(np.int64)
        if len(pids) and pids[0] < 0:
            raise ValueError("compare_pairs: profile numbers are row numbers, never negative")
        # Each pid's row, looked up by the pid itself (profiles are numbered 0..n-1).
        self.row = np.full(int(pids[-1]) + 1 if len(pids) else 0, -1, dtype=np.int64)
        self.row[pids] = np.arange(len(pids))
        self.pos: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # What `wide` gathers per side: only the fields the levels read, text that is only
        # tested for equality as a categorical (four bytes a pair, not a string).
        self.fields = {
            s: self.side.select(_gathered(f, self.side.schema[f]) for f in self.side.columns if f"{f}_{s}" in _READ)
            for s in ("l", "r")
        }

    def at(self, pairs: pl.DataFrame) -> _Sides:
        """These sides pointed at `pairs` (pid_l, pid_r): the rows of their two profiles.
        A copy, so that chunks compared at once each point at their own pairs."""
        view = copy.copy(self)
        view.pos = {}
        for s in ("l", "r"):
            wanted = pairs[f"pid_{s}"].to_numpy().astype(np.int64)
            if len(wanted) and (wanted.min() < 0 or wanted.max() >= len(self.row)):
                raise KeyError("compare_pairs: a pair names a profile that is not given")
            at = self.row[wanted]
            if len(at) and at.min() < 0:
                raise KeyError("compare_pairs: a pair names a profile that is not given")
            view.pos[s] = at
        return view

    def wide(self, pairs: pl.DataFrame) -> pl.DataFrame:
        """The pairs with both profiles' fields beside them (`<field>_l`, `<field>_r`)."""
        return pl.concat([
            pairs,
            *(self.fields[s].select(pl.all().gather(pl.Series(self.pos[s])).name.suffix(f"_{s}")) for s in ("l", "r")),
        ], how="horizontal")

    def codes(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """(distinct values, each profile's value as an index into them, -1 for null)."""
        if field not in self._codes:
            col = self.side[field]
            values = col.drop_nulls().unique().sort()
            index = pl.DataFrame({field: values}).with_row_index("_code")
            coded = self.side.select(field).join(index, on=field, how="left", maintain_order="left")["_code"]
            self._codes[field] = (np.asarray(values.to_list(), dtype=object),
                                  coded.fill_null(-1).cast(pl.Int64).to_numpy())
        return self._codes[field]


def _sim(sides: _Sides, where: np.ndarray | None, field_l: str, field_r: str, scorer) -> pl.Series:
    """Score of `field_l` on the left against `field_r` on the right for every pair (null
    when either is null, or where `where` does not hold), computed once per distinct pair
    of values."""
    values_l, codes_l = sides.codes(field_l)
    values_r, codes_r = sides.codes(field_r)
    left, right = codes_l[sides.pos["l"]], codes_r[sides.pos["r"]]
    keep = (left >= 0) & (right >= 0)
    if where is not None:
        keep &= where
    out = np.full(len(left), np.nan)
    if keep.any():
        key = (left[keep].astype(np.uint64) << np.uint64(32)) | right[keep].astype(np.uint64)
        distinct, inverse = np.unique(key, return_inverse=True)
        a = values_l[(distinct >> np.uint64(32)).astype(np.int64)]
        b = values_r[(distinct & np.uint64(0xFFFFFFFF)).astype(np.int64)]
        scores = np.asarray(cpdist(a.tolist(), b.tolist(), scorer=scorer, workers=-1), dtype=np.float64)
        out[keep] = scores[inverse.ravel()]
    return pl.Series(out).fill_nan(None)


# The dates of birth a profile's sources allow (standardise.birth_window), when known.
WINDOW_FIELDS = ("born_by", "born_after")


def compare_pairs(pairs: pl.DataFrame, profiles: pl.DataFrame) -> pl.DataFrame:
    """Levels of every comparison for each candidate pair (pid_l, pid_r).

    Returns pid_l, pid_r, one Enum column per comparison, the similarity each quoting
    level rests on (compare.QUOTED: fn_jw, sn_jw, rounded down to two places; null at
    other levels), age_conflict when the profiles carry their birth windows and, when
    they carry term frequencies, tf_<comparison> on the levels TF weighs by frequency.
    Pairs are compared in chunks so the wide frame of both sides' fields never holds
    millions of rows at once.
    """
    sides = _Sides(profiles)
    if pairs.height <= CHUNK:
        return _compare_chunk(pairs, sides)
    for _, field_l, field_r, *_ in (*SIMILARITIES, *CROSS_SIMILARITIES):  # coded once, before the threads
        sides.codes(field_l), sides.codes(field_r)
    chunks = [pairs.slice(i, CHUNK) for i in range(0, pairs.height, CHUNK)]
    with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="compare") as pool:
        return pl.concat(list(pool.map(lambda chunk: _compare_chunk(chunk, sides), chunks)))


def _compare_chunk(pairs: pl.DataFrame, sides: _Sides) -> pl.DataFrame:
    pairs = pairs.select("pid_l", "pid_r")
    sides = sides.at(pairs)
    wide = sides.wide(pairs)

    # Where each similarity is computed: every condition once (two similarities share
    # one), all in one pass over the pairs.
    conditions = {id(w): w for *_, w in SIMILARITIES if w is not None}
    held = wide.select(w.fill_null(False).alias(str(i)) for i, w in conditions.items())

    def mask(where: pl.Expr | None) -> np.ndarray | None:
        return None if where is None else held[str(id(where))].to_numpy()

    wide = wide.with_columns(
        _sim(sides, mask(where), fl, fr, scorer).alias(name) for name, fl, fr, scorer, where in SIMILARITIES)
    close = (pl.col("fn_jw") < JW_HIGH) & (pl.col("sn_jw") < JW_HIGH)
    not_close = wide.select(close.fill_null(False)).to_series().to_numpy()
    wide = wide.with_columns(
        _sim(sides, not_close, fl, fr, JaroWinkler.normalized_similarity).alias(name)
        for name, fl, fr in CROSS_SIMILARITIES
    )
    tf = [
        pl.when(level_is(c, *tf_levels)).then(pl.col(f"tf_{c}_l")).alias(f"tf_{c}")
        for c, tf_levels in TF.items() if f"tf_{c}_l" in wide.columns
    ]
    # Rounded down, so that the reason never reads below the level's threshold
    # (rapidfuzz's float32 0.95 is 0.9499999..., hence the small allowance).
    quoted = [
        pl.when(level_is(c, *levels)).then((pl.col(sim) * 100 + 1e-4).floor() / 100).alias(sim)
        for c, (sim, levels, _) in QUOTED.items()
    ]
    age = [_age_conflict().alias("age_conflict")] if "born_by_l" in wide.columns else []
    # Lazily, so that a condition two levels share (the names swapped) is evaluated once.
    return (
        wide.lazy().with_columns(c.expr() for c in COMPARISONS)
        .select("pid_l", "pid_r", *(c.name for c in COMPARISONS), *quoted, *tf, *age)
        .collect()
    )


def _age_conflict() -> pl.Expr:
    """An undated side whose sources rule out the other side's date of birth: an undated
    police record cannot be the five-year-old son of the same name."""
    def outside(dob: pl.Expr, side: Callable[[str], pl.Expr]) -> pl.Expr:
        return dob.is_not_null() & (
            (dob > side("born_by")).fill_null(False) | (dob <= side("born_after")).fill_null(False))

    return (_l("dob").is_null() & outside(_r("dob"), _l)) | (_r("dob").is_null() & outside(_l("dob"), _r))


# Fields the levels read as text (lengths, first and last characters), and the middle
# name, compared with the forename; the rest of the text they only test for equality or
# nulls, which a categorical answers alike (a SchemaError, not a wrong level, if a level
# comes to read one of them as text).
TEXT_FIELDS = ("fn_first", "fn_middle_first", *PERSON_IDS, "pc", "dob_s")


def _gathered(field: str, dtype: pl.DataType) -> pl.Expr:
    """A profile field as `wide` gathers it: text not read as text as a categorical."""
    if field in TEXT_FIELDS:
        return pl.col(field)
    if dtype == pl.String:
        return pl.col(field).cast(pl.Categorical)
    if dtype == pl.List(pl.String):
        return pl.col(field).cast(pl.List(pl.Categorical))
    return pl.col(field)


# The pair columns (`<field>_l`, `<field>_r`) that the levels, the similarities' conditions,
# the term frequencies and the age conflict read: `wide` gathers only these.
_READ = frozenset(
    name
    for e in (*(c.expr() for c in COMPARISONS), *(w for *_, w in SIMILARITIES if w is not None), _age_conflict())
    for name in e.meta.root_names()
) | {f"tf_{c}_l" for c in TF}
