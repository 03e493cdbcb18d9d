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

from matching.standardise import PERSON_IDS

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
            (pl.col("fn_jw") >= JW_HIGH, "jw_high"),
            (pl.col("fn_jw") >= JW_LOW, "jw_low"),
            (((first_l.str.len_chars() == 1) | (first_r.str.len_chars() == 1))
             & (_l("fn_initial") == _r("fn_initial")), "initial"),
        ],
        "different",
    )


def _surname() -> pl.Expr:
    return _chain(
        ~_both("sn_compact"),
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


def _identifier(c: str) -> Callable[[], pl.Expr]:
    def rule() -> pl.Expr:
        return _chain(
            ~_both(c),
            [
                (_l(c) == _r(c), "same"),
                (_l(f"{c}_firm") & _r(f"{c}_firm"), "different_issuer"),
            ],
            "different",
        )

    return rule


_ID_TITLES = {"nino": "NINO", "upn": "UPN", "pnc_id": "PNC id"}

COMPARISONS: tuple[Comparison, ...] = (
    *(
        Comparison(c, (
            ("same", f"same {_ID_TITLES[c]}"),
            ("different_issuer", f"different {_ID_TITLES[c]}, each confirmed by the issuing agency"),
            ("different", f"different {_ID_TITLES[c]}"),
        ), _identifier(c))
        for c in PERSON_IDS
    ),
    Comparison("forename", (
        ("exact", "forename exact"),
        ("nickname", "forename nickname"),
        ("swapped", "first/middle names swapped"),
        ("jw_high", f"forename Jaro-Winkler >= {JW_HIGH}"),
        ("jw_low", f"forename Jaro-Winkler >= {JW_LOW}"),
        ("initial", "forename initial only"),
        ("different", "forename different"),
    ), _forename),
    Comparison("surname", (
        ("exact", "surname exact"),
        ("part", "surname shares a part (double-barrelled)"),
        ("jw_high", f"surname Jaro-Winkler >= {JW_HIGH}"),
        ("jw_low", f"surname Jaro-Winkler >= {JW_LOW}"),
        ("different", "surname different"),
    ), _surname),
    Comparison("dob", (
        ("exact", "date of birth exact"),
        ("transposed", "date of birth day/month swapped"),
        ("typo", "date of birth one digit off"),
        ("same_year", "date of birth same year only"),
        ("different", "date of birth different"),
    ), _dob),
    Comparison("address", (
        ("uprn", "same UPRN"),
        ("dwelling", "same dwelling"),
        ("flat_missing", "same building, flat missing on one side"),
        ("other_flat", "same building, different flat"),
        ("postcode", "same postcode"),
        ("street", "same street or postcode, different house"),
        ("sector", "same postcode sector"),
        ("district", "same postcode district"),
        ("different", "address different"),
    ), _address),
    Comparison("gender", (
        ("exact", "gender same"),
        ("different", "gender different"),
    ), _gender),
)

BY_NAME = {c.name: c for c in COMPARISONS}

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


def _sim(wide: pl.DataFrame, field: str, scorer) -> pl.Series:
    """Score of `field` between the two sides of every pair (null when either is null).

    Computed once per distinct pair of values: many pairs repeat one street or one name.
    """
    pairs = wide.select(pl.col(f"{field}_l").alias("a"), pl.col(f"{field}_r").alias("b"))
    distinct = pairs.drop_nulls().unique()
    scores = cpdist(distinct["a"].to_list(), distinct["b"].to_list(), scorer=scorer, workers=-1) \
        if distinct.height else np.empty(0)
    distinct = distinct.with_columns(pl.Series("v", np.asarray(scores, dtype=np.float64)))
    return pairs.join(distinct, on=["a", "b"], how="left", maintain_order="left")["v"]


def attach_profiles(pairs: pl.DataFrame, profiles: pl.DataFrame) -> pl.DataFrame:
    """Put both profiles' fields beside each (pid_l, pid_r) pair."""
    tf = [f"tf_{c}" for c in TF if f"tf_{c}" in profiles.columns]
    side = profiles.select("pid", *PAIR_FIELDS, *tf)
    return (
        pairs.join(side.rename({c: f"{c}_l" for c in side.columns}), on="pid_l", how="left")
        .join(side.rename({c: f"{c}_r" for c in side.columns}), on="pid_r", how="left")
    )


def compare_pairs(pairs: pl.DataFrame, profiles: pl.DataFrame) -> pl.DataFrame:
    """Levels of every comparison for each candidate pair (pid_l, pid_r).

    Returns pid_l, pid_r, one Enum column per comparison and, when the profiles carry
    term frequencies, tf_<comparison> on the levels TF weighs by frequency. Pairs are
    compared in chunks so the wide frame of both sides' fields never holds millions of
    rows at once.
    """
    if pairs.height <= CHUNK:
        return _compare_chunk(pairs, profiles)
    return pl.concat(
        [_compare_chunk(pairs.slice(i, CHUNK), profiles) for i in range(0, pairs.height, CHUNK)]
    )


# String similarities computed for every pair: (column, profile field, scorer).
SIMILARITIES = (
    ("fn_jw", "fn_first", JaroWinkler.normalized_similarity),
    ("sn_jw", "sn_compact", JaroWinkler.normalized_similarity),
    ("street_jw", "street", JaroWinkler.normalized_similarity),
    ("street_name_jw", "street_name", JaroWinkler.normalized_similarity),
    ("dob_osa", "dob_s", OSA.distance),
    ("pc_osa", "pc", OSA.distance),
)


def _compare_chunk(pairs: pl.DataFrame, profiles: pl.DataFrame) -> pl.DataFrame:
    wide = attach_profiles(pairs.select("pid_l", "pid_r"), profiles)
    wide = wide.with_columns(_sim(wide, field, scorer).alias(name) for name, field, scorer in SIMILARITIES)
    tf = [
        pl.when(pl.col(c).cast(pl.Utf8).is_in(list(tf_levels))).then(pl.col(f"tf_{c}_l")).alias(f"tf_{c}")
        for c, tf_levels in TF.items() if f"tf_{c}_l" in wide.columns
    ]
    return (
        wide.with_columns(c.expr() for c in COMPARISONS)
        .select("pid_l", "pid_r", *(c.name for c in COMPARISONS), *tf)
    )
