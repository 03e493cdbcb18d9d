"""Comparisons: each turns a candidate pair into one ordered level with a human label.

Levels run best first; a missing value on either side is null (no evidence either way).
Each level is one `levels.Level`: its condition, label, default m and u, term-frequency
and guard roles together. Everything else is derived from `COMPARISONS`: the polars Enum
of each comparison's keys, `levels_frame()` (the one table of comparison, level, label
that scoring, the reasons and the review spreadsheet share), the profile fields a pair
needs (`PAIR_FIELDS`), the default m/u table and the levels weighed by frequency.

A pair frame holds the two profiles' standardised fields side by side (`*_l`, `*_r`)
and the string similarities of SIMILARITIES, computed by `pairs.compare_pairs`.
"""

from __future__ import annotations

from typing import Callable

import polars as pl
from rapidfuzz.distance import OSA, JaroWinkler

from cohort.matching.levels import ALIAS, AGREES, BOTH_NAMES, CLOSE, CONFLICT, Comparison, Level, pair_fields
from cohort.matching.levels import both as _both
from cohort.matching.levels import chain as _chain
from cohort.matching.levels import left as _l
from cohort.matching.levels import right as _r
from cohort.matching.standardise import PERSON_IDS

JW_HIGH = 0.92
JW_LOW = 0.85
STREET_JW = 0.90


def _shared_group(a: str, b: str) -> pl.Expr:
    return _l(a).list.set_intersection(_r(b)).list.len() > 0


def _names_swapped() -> pl.Expr:
    """Forename keyed as surname and surname as forename ("SMITH JOHN" / "JOHN SMITH"),
    allowing a typo or a nickname in each ("WELTON JESS" / "JESSICA WELTON"). Only where
    the names are not close as keyed (where compare_pairs computes fn_sn_jw)."""
    left_forename_is_right_surname = (pl.col("fn_sn_jw") >= JW_HIGH) | _shared_group("fn_groups", "sn_groups")
    left_surname_is_right_forename = (pl.col("sn_fn_jw") >= JW_HIGH) | _shared_group("sn_groups", "fn_groups")
    return (
        pl.col("fn_sn_jw").is_not_null()
        & (_l("fn_first") != _r("fn_first")) & (_l("sn_compact") != _r("sn_compact"))
        & left_forename_is_right_surname & left_surname_is_right_forename
    ).fill_null(False)


def _any_equal(a: str, b: str) -> Callable[[], pl.Expr]:
    """Either of two fields on the left equals either on the right."""
    return lambda: (_l(a) == _r(a)) | (_l(a) == _r(b)) | (_l(b) == _r(a)) | (_l(b) == _r(b))


def _equal(field: str) -> Callable[[], pl.Expr]:
    return lambda: _l(field) == _r(field)


def _at_least(similarity: str, value: float) -> Callable[[], pl.Expr]:
    return lambda: pl.col(similarity) >= value


def _forename_jw(value: float) -> Callable[[], pl.Expr]:
    """Jaro-Winkler at least `value`, and within SLIP_EDITS edits: forenames further apart
    are two names however alike they look (Isobel and Isabella; Oluwafemi and Oluwatobi),
    which is the twins guard's evidence of two people."""
    return lambda: (pl.col("fn_jw") >= value) & (pl.col("fn_osa") <= SLIP_EDITS)


def _nickname() -> pl.Expr:
    """The two names may stand for one formal name (both in one group of nicknames.csv)."""
    return _shared_group("fn_groups", "fn_groups")


SLIP_EDITS = 2  # keying slips (edits) one name may be from the other and still be it


def _keying_slip() -> pl.Expr:
    """Within SLIP_EDITS edits ("Rric" for "Eric", "Sraat" for "Sarah"), at least three
    letters each, and not two names both in use: a keying slip makes a name nobody is
    called, while two known names this close (Leo, Leon) are two names. Siblings are
    almost never named within two edits of each other, so this is no twins' evidence."""
    long_enough = pl.min_horizontal(_l("fn_first").str.len_chars(), _r("fn_first").str.len_chars()) >= 3
    return (pl.col("fn_osa") <= SLIP_EDITS) & long_enough & ~(_l("fn_known") & _r("fn_known"))


def _initial_only() -> pl.Expr:
    one_letter = (_l("fn_first").str.len_chars() == 1) | (_r("fn_first").str.len_chars() == 1)
    return one_letter & (_l("fn_initial") == _r("fn_initial"))


_FN_QUOTE = ("fn_jw", "forename Jaro-Winkler")
_SN_QUOTE = ("sn_jw", "surname Jaro-Winkler")

FORENAME = Comparison("forename", (
    Level("exact", "same forename", m=0.78, u=0.01, when=_equal("fn_first"), roles=(AGREES,),
          tf=True, u_at_home=0.01),
    Level("nickname", "forename a nickname of the other", m=0.07, u=0.002, when=_nickname, roles=(AGREES, ALIAS)),
    Level("swapped", "first and middle names swapped", m=0.05, u=0.001,
          when=lambda: (_l("fn_first") == _r("fn_middle_first")) | (_l("fn_middle_first") == _r("fn_first"))),
    Level("name_swap", "forename and surname swapped", m=0.005, u=2e-6, when=_names_swapped,
          roles=(BOTH_NAMES,)),
    Level("jw_high", f"forename Jaro-Winkler >= {JW_HIGH}", m=0.04, u=0.003, when=_forename_jw(JW_HIGH),
          roles=(AGREES,), quote=_FN_QUOTE),
    Level("jw_low", f"forename Jaro-Winkler >= {JW_LOW}", m=0.02, u=0.01, when=_forename_jw(JW_LOW),
          roles=(CLOSE,), quote=_FN_QUOTE),
    Level("keyed", "forename two keying slips or fewer from the other", m=0.02, u=0.002, when=_keying_slip,
          roles=(CLOSE,)),
    Level("initial", "forename initial only", m=0.01, u=0.005, when=_initial_only),
    Level("different", "different forename", m=0.015, u=0.97, roles=(CONFLICT,)),
), null_when=lambda: ~_both("fn_first"))

# Among different people at one home a shared surname is the rule (u_at_home about 0.6),
# not the half-percent it is among strangers; without this, surname + home alone outweigh
# the prior and siblings with similar names link. (People living together are named
# apart: two residents share a forename about 1 % of the time, a son named after his
# father.) With the names swapped the forename level holds the evidence of both names:
# counted again here it would be counted twice, so the surname is null then.
SURNAME = Comparison("surname", (
    Level("exact", "same surname", m=0.88, u=0.005, when=_equal("sn_compact"), roles=(AGREES,),
          tf=True, u_at_home=0.6),
    Level("part", "surname shares a part (double-barrelled)", m=0.02, u=0.0005,
          when=_any_equal("sn_first_part", "sn_last_part"), roles=(AGREES,), u_at_home=0.05),
    Level("jw_high", f"surname Jaro-Winkler >= {JW_HIGH}", m=0.04, u=0.002, when=_at_least("sn_jw", JW_HIGH),
          roles=(AGREES,), u_at_home=0.05, quote=_SN_QUOTE),
    Level("jw_low", f"surname Jaro-Winkler >= {JW_LOW}", m=0.02, u=0.005, when=_at_least("sn_jw", JW_LOW),
          roles=(CLOSE,), u_at_home=0.05, quote=_SN_QUOTE),
    Level("different", "different surname", m=0.04, u=0.988),
), null_when=lambda: ~_both("sn_compact") | _names_swapped())

DOB = Comparison("dob", (
    Level("exact", "same date of birth", m=0.90, u=5e-5, when=_equal("dob"), roles=(AGREES,), tf=True),
    Level("transposed", "date of birth day/month swapped", m=0.02, u=5e-5, roles=(AGREES,),
          when=lambda: (_l("dob_y") == _r("dob_y")) & (_l("dob_d") == _r("dob_m")) & (_l("dob_m") == _r("dob_d"))),
    Level("typo", "date of birth one digit off", m=0.06, u=8e-4, when=lambda: pl.col("dob_osa") <= 1,
          roles=(CLOSE,)),
    Level("same_year", "date of birth same year only", m=0.01, u=0.012, when=_equal("dob_y"), roles=(CONFLICT,)),
    Level("different", "different date of birth", m=0.01, u=0.988, roles=(CONFLICT,)),
), null_when=lambda: ~_both("dob"))

GENDER = Comparison("gender", (
    Level("exact", "same gender", m=0.97, u=0.5, when=_equal("sex")),
    Level("different", "different gender", m=0.03, u=0.5),
), null_when=lambda: ~_both("sex"))


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



# The address levels share most of their logic, so `_address` returns the level itself;
# the levels here carry the rest. The same home: one UPRN, or one address.
ADDRESS = Comparison("address", (
    Level("uprn", "same UPRN", m=0.10, u=2e-6, roles=(AGREES,), tf=True),
    Level("dwelling", "same address", m=0.75, u=2e-5, roles=(AGREES,), tf=True),
    Level("flat_missing", "same building, flat missing on one side", m=0.02, u=5e-6, roles=(AGREES,)),
    Level("other_flat", "same building, different flat", m=0.002, u=2e-5),
    Level("postcode", "same postcode", m=0.04, u=3e-4),
    Level("street", "same street or postcode, different house", m=0.01, u=1e-3),
    Level("sector", "same postcode sector", m=0.01, u=5e-3),
    Level("district", "same postcode district", m=0.02, u=0.05),
    Level("different", "different address", m=0.048, u=0.944),
), rule=_address)


ID_CLOSE_MIN_LENGTH = 6  # a one-character slip in a shorter identifier says little
_ID_TITLES = {"nino": "NINO", "upn": "UPN", "pnc_id": "PNC id"}


def _identifier(c: str) -> Comparison:
    """Two identifiers issued by their agency and different are two identifiers, however
    close. Identifiers issued together (twins' school numbers, a family's NINOs) can be
    one character apart: at one home that is no sign of one person."""
    title = _ID_TITLES[c]
    issued = _l(f"{c}_firm") & _r(f"{c}_firm")
    close = (
        (pl.col(f"{c}_osa") <= 1)
        & (pl.min_horizontal(_l(c).str.len_chars(), _r(c).str.len_chars()) >= ID_CLOSE_MIN_LENGTH)
        & ~issued.fill_null(False)
    )
    return Comparison(c, (
        Level("same", f"same {title}", m=0.95, u=1e-6, when=_equal(c), roles=(AGREES,)),
        Level("close", f"{title} one character apart", m=0.01, u=1e-5, when=lambda: close, u_at_home=0.05),
        Level("different_issuer", f"different {title}, each confirmed by the issuing agency", m=0.01, u=0.999,
              when=lambda: issued, roles=(CONFLICT,)),
        Level("different", f"different {title}", m=0.03, u=0.999),
    ), null_when=lambda: ~_both(c))


COMPARISONS: tuple[Comparison, ...] = (*(_identifier(c) for c in PERSON_IDS), FORENAME, SURNAME, DOB, ADDRESS, GENDER)
BY_NAME = {c.name: c for c in COMPARISONS}


def level_index(comparison: str, level: str) -> int:
    return BY_NAME[comparison].index(level)


def level_is(comparison: str, *levels: str) -> pl.Expr:
    """Whether a comparison's level (an Enum column) is one of `levels`; False when null.
    Compared on the Enum's codes: a hundred times faster than as text on millions of pairs."""
    codes = [level_index(comparison, k) for k in levels]
    return pl.col(comparison).to_physical().is_in(codes).fill_null(False)


def role_is(comparison: str, role: str) -> pl.Expr:
    """Whether the comparison's level has `role` (levels.AGREES...); False when null."""
    return level_is(comparison, *BY_NAME[comparison].with_role(role))


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
    ("fn_osa", "fn_first", "fn_first", OSA.distance, _l("fn_first") != _r("fn_first")),
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

# Derived from the levels.
# The profile fields a comparison reads; compare_pairs joins exactly these per side.
PAIR_FIELDS = pair_fields(COMPARISONS, SIMILARITIES)
# comparison -> levels weighed by how common the agreed value is (term frequency): two
# "JACK SMITH"s agree on less than two "ZEBEDEE QUAYLE"s, and a home of six people says
# less than a home of one. The frequencies are pairs.add_term_frequencies's.
TF: dict[str, tuple[str, ...]] = {c.name: c.tf_levels for c in COMPARISONS if c.tf_levels}
# comparison -> (similarity column, levels quoting it, words before it) for a reason
# that quotes the similarity ("surname Jaro-Winkler 0.93").
QUOTED = {c.name: c.quoted for c in COMPARISONS if c.quoted}
# comparison -> level -> (m, u): the shipped model.
DEFAULT_MU: dict[str, dict[str, tuple[float, float]]] = {
    c.name: {lv.key: (lv.m, lv.u) for lv in c.levels} for c in COMPARISONS
}


def levels_frame() -> pl.DataFrame:
    """Every (comparison, level, label), best level first within each comparison."""
    return pl.DataFrame(
        [
            {"comparison": c.name, "level": lv.key, "rank": i, "label": lv.label}
            for c in COMPARISONS
            for i, lv in enumerate(c.levels)
        ],
        schema={"comparison": pl.Utf8, "level": pl.Utf8, "rank": pl.Int32, "label": pl.Utf8},
    )
