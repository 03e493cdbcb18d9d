"""Comparisons: each turns a candidate pair into one ordered level with a human label.

Levels run best first; a missing value on either side is null (no evidence either way).
The level keys are a polars Enum per comparison, and `levels_frame()` is the one table
of (comparison, level, label) that scoring, the reasons and the review spreadsheet share.

A pair frame holds the two profiles' standardised fields side by side (`*_l`, `*_r`);
string similarities are computed for all pairs at once with rapidfuzz's `cpdist`, then
levels are plain polars expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import polars as pl
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.process import cpdist

from cohort.matching.standardise import PERSON_IDS

JW_HIGH = 0.92
JW_LOW = 0.85
STREET_JW = 0.90
CHUNK = 500_000  # pairs compared at once


@dataclass(frozen=True)
class Comparison:
    name: str
    levels: tuple[tuple[str, str], ...]  # (key, label), best first
    rule: Callable[[], pl.Expr]          # builds the level expression (key or null)

    @property
    def dtype(self) -> pl.Enum:
        return pl.Enum([k for k, _ in self.levels])

    def expr(self) -> pl.Expr:
        return self.rule().cast(self.dtype).alias(self.name)

    def label(self, key: str) -> str:
        return dict(self.levels)[key]


def _l(c: str) -> pl.Expr:
    return pl.col(f"{c}_l")


def _r(c: str) -> pl.Expr:
    return pl.col(f"{c}_r")


def _both(c: str) -> pl.Expr:
    return _l(c).is_not_null() & _r(c).is_not_null()


def _chain(null_when: pl.Expr, cases: list[tuple[pl.Expr, str]], otherwise: str) -> pl.Expr:
    """First matching case wins; null when `null_when` holds."""
    out = pl.when(null_when).then(pl.lit(None, pl.Utf8))
    for cond, key in cases:
        out = out.when(cond.fill_null(False)).then(pl.lit(key))
    return out.otherwise(pl.lit(otherwise))


def _names_swapped() -> pl.Expr:
    """Forename keyed as surname and surname as forename ("SMITH JOHN" / "JOHN SMITH"),
    allowing a typo in each."""
    return (
        (_l("fn_first") != _r("fn_first")) & (_l("sn_compact") != _r("sn_compact"))
        & (pl.col("fn_sn_jw") >= JW_HIGH) & (pl.col("sn_fn_jw") >= JW_HIGH)
    ).fill_null(False)


def _forename() -> pl.Expr:
    first_l, first_r = _l("fn_first"), _r("fn_first")
    return _chain(
        ~_both("fn_first"),
        [
            (first_l == first_r, "exact"),
            ((_l("fn_canon") == _r("fn_canon")) | (_l("fn_canon") == _r("fn_canon2"))
             | (_l("fn_canon2") == _r("fn_canon")) | (_l("fn_canon2") == _r("fn_canon2")),
             "nickname"),
            ((first_l == _r("fn_middle_first")) | (_l("fn_middle_first") == first_r), "swapped"),
            (_names_swapped(), "name_swap"),
            (pl.col("fn_jw") >= JW_HIGH, "jw_high"),
            (pl.col("fn_jw") >= JW_LOW, "jw_low"),
            (((first_l.str.len_chars() == 1) | (first_r.str.len_chars() == 1))
             & (_l("fn_initial") == _r("fn_initial")), "initial"),
        ],
        "different",
    )


def _surname() -> pl.Expr:
    # With the names swapped the forename level holds the evidence of both names: counted
    # again here it would be counted twice.
    return _chain(
        ~_both("sn_compact") | _names_swapped(),
        [
            (_l("sn_compact") == _r("sn_compact"), "exact"),
            ((_l("sn_first_part") == _r("sn_first_part")) | (_l("sn_first_part") == _r("sn_last_part"))
             | (_l("sn_last_part") == _r("sn_first_part")) | (_l("sn_last_part") == _r("sn_last_part")),
             "part"),
            (pl.col("sn_jw") >= JW_HIGH, "jw_high"),
            (pl.col("sn_jw") >= JW_LOW, "jw_low"),
        ],
        "different",
    )


def _dob() -> pl.Expr:
    return _chain(
        ~_both("dob"),
        [
            (_l("dob") == _r("dob"), "exact"),
            ((_l("dob_y") == _r("dob_y")) & (_l("dob_d") == _r("dob_m"))
             & (_l("dob_m") == _r("dob_d")), "transposed"),
            (pl.col("dob_osa") <= 1, "typo"),
            (_l("dob_y") == _r("dob_y"), "same_year"),
        ],
        "different",
    )


def _gender() -> pl.Expr:
    return _chain(~_both("sex"), [(_l("sex") == _r("sex"), "exact")], "different")


def street_agrees(type_l: pl.Expr, type_r: pl.Expr, street_jw: pl.Expr, name_jw: pl.Expr) -> pl.Expr:
    """One street, allowing a typo: with both street types known ("ROAD"), the types must
    be equal and the names close ("HOP LANE" is not "HOP PLACE"); otherwise the whole
    street text must be close."""
    typed = type_l.is_not_null() & type_r.is_not_null()
    return (
        pl.when(typed).then((type_l == type_r) & (name_jw >= STREET_JW))
        .otherwise(street_jw >= STREET_JW)
        .fill_null(False)
    )


def _address() -> pl.Expr:
    pc_ok = (
        _l("pc").is_null() | _r("pc").is_null() | (_l("pc") == _r("pc")) | (pl.col("pc_osa") <= 1)
    ).fill_null(False)
    same_street = street_agrees(_l("street_type"), _r("street_type"), pl.col("street_jw"), pl.col("street_name_jw"))
    building = _both("premise") & (_l("premise") == _r("premise")) & same_street & pc_ok
    flats_equal = (_l("flat") == _r("flat")) | (_l("flat").is_null() & _r("flat").is_null())
    one_flat = _l("flat").is_null() != _r("flat").is_null()
    comparable = _both("uprn") | _both("addr") | _both("pc")
    return _chain(
        ~comparable,
        [
            (_both("uprn") & (_l("uprn") == _r("uprn")), "uprn"),
            (building & flats_equal, "dwelling"),
            (building & one_flat, "flat_missing"),
            (building, "other_flat"),
            ((_l("pc") == _r("pc")) & ~(_both("premise") & _both("street")), "postcode"),
            ((same_street & pc_ok) | (_l("pc") == _r("pc")), "street"),
            (_l("pc_sector") == _r("pc_sector"), "sector"),
            (_l("pc_district") == _r("pc_district"), "district"),
        ],
        "different",
    )


ID_CLOSE_MIN_LENGTH = 6  # a one-character slip in a shorter identifier says little


def _identifier(c: str) -> Callable[[], pl.Expr]:
    def rule() -> pl.Expr:
        return _chain(
            ~_both(c),
            [
                (_l(c) == _r(c), "same"),
                (_l(f"{c}_firm") & _r(f"{c}_firm"), "different_issuer"),
                ((pl.col(f"{c}_osa") <= 1)
                 & (pl.min_horizontal(_l(c).str.len_chars(), _r(c).str.len_chars()) >= ID_CLOSE_MIN_LENGTH),
                 "close"),
            ],
            "different",
        )

    return rule


_ID_TITLES = {"nino": "NINO", "upn": "UPN", "pnc_id": "PNC id"}

COMPARISONS: tuple[Comparison, ...] = (
    *(
        Comparison(c, (
            ("same", f"same {_ID_TITLES[c]}"),
            ("close", f"{_ID_TITLES[c]} one character apart"),
            ("different_issuer", f"different {_ID_TITLES[c]}, each confirmed by the issuing agency"),
            ("different", f"different {_ID_TITLES[c]}"),
        ), _identifier(c))
        for c in PERSON_IDS
    ),
    Comparison("forename", (
        ("exact", "same forename"),
        ("nickname", "forename a nickname of the other"),
        ("swapped", "first and middle names swapped"),
        ("name_swap", "forename and surname swapped"),
        ("jw_high", f"forename Jaro-Winkler >= {JW_HIGH}"),
        ("jw_low", f"forename Jaro-Winkler >= {JW_LOW}"),
        ("initial", "forename initial only"),
        ("different", "different forename"),
    ), _forename),
    Comparison("surname", (
        ("exact", "same surname"),
        ("part", "surname shares a part (double-barrelled)"),
        ("jw_high", f"surname Jaro-Winkler >= {JW_HIGH}"),
        ("jw_low", f"surname Jaro-Winkler >= {JW_LOW}"),
        ("different", "different surname"),
    ), _surname),
    Comparison("dob", (
        ("exact", "same date of birth"),
        ("transposed", "date of birth day/month swapped"),
        ("typo", "date of birth one digit off"),
        ("same_year", "date of birth same year only"),
        ("different", "different date of birth"),
    ), _dob),
    Comparison("address", (
        ("uprn", "same UPRN"),
        ("dwelling", "same address"),
        ("flat_missing", "same building, flat missing on one side"),
        ("other_flat", "same building, different flat"),
        ("postcode", "same postcode"),
        ("street", "same street or postcode, different house"),
        ("sector", "same postcode sector"),
        ("district", "same postcode district"),
        ("different", "different address"),
    ), _address),
    Comparison("gender", (
        ("exact", "same gender"),
        ("different", "different gender"),
    ), _gender),
)

BY_NAME = {c.name: c for c in COMPARISONS}


def level_index(comparison: str, level: str) -> int:
    return [k for k, _ in BY_NAME[comparison].levels].index(level)


def level_is(comparison: str, *levels: str) -> pl.Expr:
    """Whether a comparison's level (an Enum column) is one of `levels`; False when null.
    Compared on the Enum's codes: a hundred times faster than as text on millions of pairs."""
    codes = [level_index(comparison, k) for k in levels]
    return pl.col(comparison).to_physical().is_in(codes).fill_null(False)

# The profile fields a comparison reads; compare_pairs joins exactly these per side.
PAIR_FIELDS = (
    "fn_first", "fn_middle_first", "fn_canon", "fn_canon2", "fn_initial",
    "sn_compact", "sn_first_part", "sn_last_part",
    "dob", "dob_y", "dob_m", "dob_d", "dob_s", "sex", "pc", "pc_sector", "pc_district",
    "addr", "flat", "premise", "street", "street_name", "street_type", "uprn",
    *PERSON_IDS, *(f"{c}_firm" for c in PERSON_IDS),
)


# Levels weighed by how common the agreed value is (term frequency): two "JACK SMITH"s
# agree on less than two "ZEBEDEE QUAYLE"s, and a home of six people says less than a
# home of one. comparison -> levels; the frequencies are add_term_frequencies's.
TF: dict[str, tuple[str, ...]] = {
    "forename": ("exact",),
    "surname": ("exact",),
    "dob": ("exact",),
    "address": ("uprn", "dwelling"),
}


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


def levels_frame() -> pl.DataFrame:
    """Every (comparison, level, label), best level first within each comparison."""
    return pl.DataFrame(
        [
            {"comparison": c.name, "level": k, "rank": i, "label": label}
            for c in COMPARISONS
            for i, (k, label) in enumerate(c.levels)
        ],
        schema={"comparison": pl.Utf8, "level": pl.Utf8, "rank": pl.Int32, "label": pl.Utf8},
    )


def _sim(wide: pl.DataFrame, field_l: str, field_r: str, scorer, where: pl.Expr | None = None) -> pl.Series:
    """Score of `field_l` on the left against `field_r` on the right for every pair (null
    when either is null, or where `where` does not hold).

    Computed once per distinct pair of values: many pairs repeat one street or one name.
    """
    a, b = pl.col(f"{field_l}_l"), pl.col(f"{field_r}_r")
    if where is not None:
        a, b = pl.when(where).then(a), pl.when(where).then(b)
    pairs = wide.select(a.alias("a"), b.alias("b"))
    distinct = pairs.drop_nulls().unique()
    scores = cpdist(distinct["a"].to_list(), distinct["b"].to_list(), scorer=scorer, workers=-1) \
        if distinct.height else np.empty(0)
    distinct = distinct.with_columns(pl.Series("v", np.asarray(scores, dtype=np.float64)))
    return pairs.join(distinct, on=["a", "b"], how="left", maintain_order="left")["v"]


# The dates of birth a profile's sources allow (standardise.birth_window), when known.
WINDOW_FIELDS = ("born_by", "born_after")


def attach_profiles(pairs: pl.DataFrame, profiles: pl.DataFrame) -> pl.DataFrame:
    """Put both profiles' fields beside each (pid_l, pid_r) pair."""
    tf = [f"tf_{c}" for c in TF if f"tf_{c}" in profiles.columns]
    window = [c for c in WINDOW_FIELDS if c in profiles.columns]
    side = profiles.select("pid", *PAIR_FIELDS, *tf, *window)
    return (
        pairs.join(side.rename({c: f"{c}_l" for c in side.columns}), on="pid_l", how="left")
        .join(side.rename({c: f"{c}_r" for c in side.columns}), on="pid_r", how="left")
    )


def compare_pairs(pairs: pl.DataFrame, profiles: pl.DataFrame) -> pl.DataFrame:
    """Levels of every comparison for each candidate pair (pid_l, pid_r).

    Returns pid_l, pid_r, one Enum column per comparison, fn_jw and sn_jw (the
    Jaro-Winkler similarity a forename or surname Jaro-Winkler level rests on, rounded
    down to two places; null at other levels) and, when the profiles carry term
    frequencies, tf_<comparison> on the levels TF weighs by frequency. Pairs are
    compared in chunks so the wide frame of both sides' fields never holds millions of
    rows at once.
    """
    if pairs.height <= CHUNK:
        return _compare_chunk(pairs, profiles)
    return pl.concat(
        [_compare_chunk(pairs.slice(i, CHUNK), profiles) for i in range(0, pairs.height, CHUNK)]
    )


def _head_or_tail(field: str, head: int, tail: int) -> pl.Expr:
    return (_l(field).str.head(head) == _r(field).str.head(head)) | (
        _l(field).str.tail(tail) == _r(field).str.tail(tail))


# A postcode one character off another keeps its first two or its last three characters;
# a date (YYYYMMDD) one digit off keeps its first three or its last four. Elsewhere the
# distance is not worth computing: no level reads it.
_PC_NEAR = _head_or_tail("pc", 2, 3)
_PC_MAY_AGREE = _PC_NEAR | _l("pc").is_null() | _r("pc").is_null()

# String similarities: (column, left field, right field, scorer, where to compute it).
SIMILARITIES = (
    ("fn_jw", "fn_first", "fn_first", JaroWinkler.normalized_similarity, None),
    ("sn_jw", "sn_compact", "sn_compact", JaroWinkler.normalized_similarity, None),
    # A street only counts with postcodes that agree or are blank (see _address).
    ("street_jw", "street", "street", JaroWinkler.normalized_similarity, _PC_MAY_AGREE),
    ("street_name_jw", "street_name", "street_name", JaroWinkler.normalized_similarity, _PC_MAY_AGREE),
    ("dob_osa", "dob_s", "dob_s", OSA.distance, _head_or_tail("dob_s", 3, 4)),
    ("pc_osa", "pc", "pc", OSA.distance, _PC_NEAR),
    *((f"{c}_osa", c, c, OSA.distance, None) for c in PERSON_IDS),
)
# Forename against surname, for swapped names: only where the names are not close as keyed.
CROSS_SIMILARITIES = (
    ("fn_sn_jw", "fn_first", "sn_compact"),
    ("sn_fn_jw", "sn_compact", "fn_first"),
)

# The similarity a reason quotes ("surname Jaro-Winkler 0.93"), for the levels it decides,
# rounded down to two places so that the reason never reads below the level's threshold
# (rapidfuzz's float32 0.95 is 0.9499999..., hence the small allowance).
QUOTED = {"forename": ("fn_jw", ("jw_high", "jw_low")), "surname": ("sn_jw", ("jw_high", "jw_low"))}


def _compare_chunk(pairs: pl.DataFrame, profiles: pl.DataFrame) -> pl.DataFrame:
    wide = attach_profiles(pairs.select("pid_l", "pid_r"), profiles)
    wide = wide.with_columns(
        _sim(wide, fl, fr, scorer, where).alias(name) for name, fl, fr, scorer, where in SIMILARITIES)
    not_close = (pl.col("fn_jw") < JW_HIGH) & (pl.col("sn_jw") < JW_HIGH)
    wide = wide.with_columns(
        _sim(wide, fl, fr, JaroWinkler.normalized_similarity, not_close).alias(name)
        for name, fl, fr in CROSS_SIMILARITIES
    )
    tf = [
        pl.when(level_is(c, *tf_levels)).then(pl.col(f"tf_{c}_l")).alias(f"tf_{c}")
        for c, tf_levels in TF.items() if f"tf_{c}_l" in wide.columns
    ]
    quoted = [
        pl.when(level_is(c, *levels)).then((pl.col(sim) * 100 + 1e-4).floor() / 100).alias(sim)
        for c, (sim, levels) in QUOTED.items()
    ]
    age = [_age_conflict().alias("age_conflict")] if "born_by_l" in wide.columns else []
    return (
        wide.with_columns(c.expr() for c in COMPARISONS)
        .select("pid_l", "pid_r", *(c.name for c in COMPARISONS), *quoted, *tf, *age)
    )


def _age_conflict() -> pl.Expr:
    """An undated side whose sources rule out the other side's date of birth: an undated
    police record cannot be the five-year-old son of the same name."""
    def outside(dob: pl.Expr, side: Callable[[str], pl.Expr]) -> pl.Expr:
        return dob.is_not_null() & (
            (dob > side("born_by")).fill_null(False) | (dob <= side("born_after")).fill_null(False))

    return (_l("dob").is_null() & outside(_r("dob"), _l)) | (_r("dob").is_null() & outside(_l("dob"), _r))
