"""Every comparison level end to end: raw records -> standardise -> compare -> score.

One example pair per level of every comparison (the coverage test fails when a level is
added without one), and the tables derived from the level objects checked against what
the pipeline produces, so a level cannot be half-declared.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from support.matching import PAIR_BASE, records, scored_pair

from cohort.matching import score
from cohort.matching.compare import BY_NAME, COMPARISONS, DEFAULT_MU, PAIR_FIELDS, QUOTED, TF, levels_frame
from cohort.matching.levels import AGREES, BOTH_NAMES, CLOSE, CONFLICT, Comparison, Level
from cohort.matching.pairs import add_term_frequencies
from cohort.matching.standardise import corroborate_ids, standardise

DWP, SCHOOL, POLICE = {"source": "dwp_benefits"}, {"source": "school_census"}, {"source": "police"}

# (comparison, level, record a, record b, description)
EXAMPLES = [
    ("nino", "same", {"nino": "AB123456C"}, {"nino": "AB 12 34 56 C"}, "one NINO, spaced"),
    ("nino", "close", {"nino": "AB123456C"}, {"nino": "AB123457C"}, "quoted by another agency, one digit off"),
    ("nino", "different_issuer", {**DWP, "nino": "AB123456C"}, {**DWP, "nino": "CD654321A"}, "two DWP NINOs"),
    ("nino", "different", {"nino": "AB123456C"}, {"nino": "CD654321A"}, "quoted, far apart"),
    ("upn", "same", {"upn": "A123456789012"}, {"upn": "A123456789012"}, "one UPN"),
    ("upn", "close", {"upn": "A123456789012"}, {"upn": "A123456789013"}, "one character off"),
    ("upn", "different_issuer", {**SCHOOL, "upn": "A123456789012"}, {**SCHOOL, "upn": "B999999999999"},
     "two schools' UPNs"),
    ("upn", "different", {"upn": "A123456789012"}, {"upn": "B999999999999"}, "quoted, far apart"),
    ("pnc_id", "same", {"pnc_id": "12/345678A"}, {"pnc_id": "12345678A"}, "one PNC id, punctuation"),
    ("pnc_id", "close", {"pnc_id": "12/345678A"}, {"pnc_id": "12/345679A"}, "one digit off"),
    ("pnc_id", "different_issuer", {**POLICE, "pnc_id": "12/345678A"}, {**POLICE, "pnc_id": "98/765432Z"},
     "two police ids"),
    ("pnc_id", "different", {"pnc_id": "12/345678A"}, {"pnc_id": "98/765432Z"}, "quoted, far apart"),
    ("forename", "exact", {}, {}, "same forename"),
    ("forename", "nickname", {"forename": "William"}, {"forename": "Bill"}, "a nickname"),
    ("forename", "swapped", {"forename": "Paul John"}, {"forename": "John Paul"}, "first and middle swapped"),
    ("forename", "name_swap", {"forename": "Smith", "surname": "John"}, {}, "forename and surname swapped"),
    ("forename", "jw_high", {"forename": "Jonathan"}, {"forename": "Jonathon"}, "a spelling variant"),
    ("forename", "jw_low", {"forename": "John"}, {"forename": "Johm"}, "a typo in a short name"),
    ("forename", "keyed", {"forename": "Rric"}, {"forename": "Eric"}, "a keying slip on the first letter"),
    ("forename", "initial", {"forename": "J"}, {}, "an initial"),
    ("forename", "different", {"forename": "Oliver"}, {}, "another name"),
    ("surname", "exact", {}, {}, "same surname"),
    ("surname", "part", {"surname": "Smith-Jones"}, {}, "one part of a double-barrelled name"),
    ("surname", "jw_high", {"surname": "Thompson"}, {"surname": "Thomson"}, "a spelling variant"),
    ("surname", "jw_low", {"surname": "Smith"}, {"surname": "Smyth"}, "one letter"),
    ("surname", "different", {"surname": "Khan"}, {}, "another surname"),
    ("dob", "exact", {}, {}, "same date"),
    ("dob", "transposed", {"dob": date(1980, 12, 3)}, {}, "day and month swapped"),
    ("dob", "typo", {"dob": date(1980, 3, 13)}, {}, "one digit off"),
    ("dob", "same_year", {"dob": date(1980, 7, 25)}, {}, "same year only"),
    ("dob", "different", {"dob": date(2005, 6, 1)}, {}, "another date"),
    ("address", "uprn", {"uprn": "100023"}, {"uprn": "100023", "address": "Flat 9, 1 Elsewhere Road"}, "one UPRN"),
    ("address", "dwelling", {"address": "12 High St"}, {}, "one address written two ways"),
    ("address", "flat_missing", {"address": "Flat 3, 12 High Street"}, {}, "flat left off one side"),
    ("address", "other_flat", {"address": "Flat 3, 12 High Street"}, {"address": "Flat 4, 12 High Street"},
     "another flat of the building"),
    ("address", "postcode", {"address": None}, {}, "only the postcode"),
    ("address", "street", {"address": "14 High Street"}, {}, "another house in the street"),
    ("address", "sector", {"address": "5 Mill Lane", "postcode": "CT11 9ZZ"}, {}, "the postcode sector"),
    ("address", "district", {"address": "5 Mill Lane", "postcode": "CT11 8ZZ"}, {}, "the postcode district"),
    ("address", "different", {"address": "5 Mill Lane", "postcode": "CT9 1AA"}, {}, "another town"),
    ("gender", "exact", {}, {}, "same gender"),
    ("gender", "different", {"gender": "F"}, {}, "another gender"),
]


def test_every_level_has_an_example():
    declared = {(c.name, lv.key) for c in COMPARISONS for lv in c.levels}
    assert {(c, k) for c, k, *_ in EXAMPLES} == declared


@pytest.mark.parametrize("comparison, level, a, b, description", EXAMPLES, ids=[f"{e[0]}-{e[1]}" for e in EXAMPLES])
def test_each_level_end_to_end(comparison, level, a, b, description):
    row = scored_pair(a, b)
    assert row[comparison] == level, description
    label = BY_NAME[comparison].label(level)
    quoted = QUOTED.get(comparison)
    if quoted and level in quoted[1]:
        label = f"{quoted[2]} {row[quoted[0]]:.2f}"
    assert label in str(row["reason"]).split("; "), "the reason names the level"
    assert row["match_weight"] == pytest.approx(row["match_weight"])  # finite, not NaN
    assert 0.0 <= row["probability"] <= 1.0


def test_derived_tables_agree_with_the_levels():
    frame = levels_frame()
    assert frame.height == sum(len(c.levels) for c in COMPARISONS)
    assert {c: set(levels) for c, levels in DEFAULT_MU.items()} == {c.name: set(c.keys) for c in COMPARISONS}
    # Every field a level reads is one the standardiser writes (or corroborate adds).
    std = corroborate_ids(standardise(records(PAIR_BASE)))
    assert set(PAIR_FIELDS) <= set(std.columns)
    # Every comparison weighed by frequency gets its frequency column.
    tf = add_term_frequencies(std)
    assert {f"tf_{c}" for c in TF} <= set(tf.columns)
    # The guards find the roles they read.
    for comparison, role in [("address", AGREES), ("dob", AGREES), ("dob", CONFLICT), ("forename", CONFLICT),
                             ("forename", AGREES), ("forename", CLOSE), ("forename", BOTH_NAMES),
                             ("surname", AGREES), ("surname", CLOSE), ("nino", AGREES), ("nino", CONFLICT)]:
        assert BY_NAME[comparison].with_role(role), (comparison, role)
    assert {c.comparison for c in score.DEFAULT_CONDITIONALS} == {"surname", "forename", "nino", "upn", "pnc_id"}


BAD_LEVELS = [
    ("a level with two verdicts", lambda: Level("x", "x", 0.5, 0.5, roles=(AGREES, CONFLICT))),
    ("an unknown role", lambda: Level("x", "x", 0.5, 0.5, roles=("twins",))),
    ("a probability of 0", lambda: Level("x", "x", 0.0, 0.5)),
    ("an else level in the middle", lambda: Comparison("c", (Level("a", "a", 0.5, 0.5),
                                                             Level("b", "b", 0.5, 0.5)), null_when=lambda: pl.lit(False))),
    ("two levels with one key", lambda: Comparison("c", (Level("a", "a", 0.5, 0.5, when=lambda: pl.lit(True)),
                                                         Level("a", "a", 0.5, 0.5)), null_when=lambda: pl.lit(False))),
]


@pytest.mark.parametrize("description, build", BAD_LEVELS, ids=[b[0] for b in BAD_LEVELS])
def test_a_badly_declared_level_is_refused_when_declared(description, build):
    with pytest.raises(ValueError):
        build()
