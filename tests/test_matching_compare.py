"""Comparison levels: table-driven cases per comparison, symmetry as a property."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest
from rapidfuzz.distance import JaroWinkler
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.matching.compare import COMPARISONS, levels_frame
from cohort.matching.pairs import compare_pairs
from cohort.matching.score import Weights, score_pairs
from cohort.matching.standardise import corroborate_ids, standardise

BASE = {
    "source": "police", "record_id": "a", "record_date": date(2014, 1, 1),
    "forename": "John", "surname": "Smith", "dob": date(1980, 3, 12), "gender": "M",
    "address": "12 High Street, Ramsgate", "postcode": "CT11 9AA",
    "upn": None, "nino": None, "pnc_id": None, "uprn": None, "tenancy_ref": None,
}
SCHEMA = {
    "source": pl.Utf8, "record_id": pl.Utf8, "record_date": pl.Date, "forename": pl.Utf8,
    "surname": pl.Utf8, "dob": pl.Date, "gender": pl.Utf8, "address": pl.Utf8,
    "postcode": pl.Utf8, "upn": pl.Utf8, "nino": pl.Utf8, "pnc_id": pl.Utf8, "uprn": pl.Utf8,
    "tenancy_ref": pl.Utf8,
}


def compare(a: dict, b: dict, *, swap: bool = False) -> dict:
    rows = [{**BASE, **a, "record_id": "a"}, {**BASE, **b, "record_id": "b"}]
    prof = corroborate_ids(standardise(pl.DataFrame(rows, schema=SCHEMA)), min_records=1).with_row_index("pid")
    l, r = (1, 0) if swap else (0, 1)
    pairs = pl.DataFrame({"pid_l": [l], "pid_r": [r]}, schema={"pid_l": pl.UInt32, "pid_r": pl.UInt32})
    out = compare_pairs(pairs, prof)
    return {k: (None if v is None else str(v)) for k, v in out.row(0, named=True).items()}


CASES = [
    # (comparison, a, b, expected level, description)
    ("forename", {}, {}, "exact", "same forename"),
    ("forename", {"forename": "william"}, {"forename": "Bill"}, "nickname", "William / Bill"),
    ("forename", {"forename": "Elizabeth"}, {"forename": "Lizzie"}, "nickname", "Elizabeth / Lizzie"),
    ("forename", {"forename": "Liam"}, {"forename": "Billy"}, "nickname", "two nicknames of William"),
    ("forename", {"forename": "John Paul"}, {"forename": "Paul"}, "swapped", "goes by the middle name"),
    ("forename", {"forename": "Paul John"}, {"forename": "John Paul"}, "swapped", "first/middle swapped"),
    ("forename", {"forename": "Jonathan"}, {"forename": "Jonathon"}, "jw_high", "spelling variant"),
    ("forename", {"forename": "John"}, {"forename": "Johm"}, "jw_low", "one-letter typo in a short name"),
    ("forename", {"forename": "J"}, {"forename": "John"}, "initial", "initial only"),
    ("forename", {"forename": "Jack"}, {"forename": "Oliver"}, "different", "different names"),
    ("forename", {"forename": None}, {}, None, "blank forename is no evidence"),
    ("forename", {"forename": "Will"}, {"forename": "William"}, "nickname", "Will / William"),
    ("forename", {"forename": "Beth"}, {"forename": "Liz"}, "nickname", "two short forms of Elizabeth"),
    ("forename", {"forename": "Maggie"}, {"forename": "Margaret"}, "nickname", "Maggie / Margaret"),
    ("forename", {"forename": "Mick"}, {"forename": "Michael"}, "nickname", "Mick / Michael"),
    ("forename", {"forename": "Smith", "surname": "John"}, {}, "name_swap", "forename and surname swapped"),
    ("surname", {"forename": "Smith", "surname": "John"}, {}, None,
     "with the names swapped, the surname is not counted a second time"),
    ("forename", {"forename": "Smiht", "surname": "Jhon"}, {}, "name_swap", "swapped, with a typo in each"),
    ("forename", {"forename": "Mary-Jane"}, {"forename": "Mary Jane"}, "exact", "hyphenated forename"),
    ("surname", {"surname": "Smith-Jones"}, {"surname": "Jones"}, "part", "double-barrelled, second part"),
    ("surname", {"surname": "Smith Jones"}, {"surname": "SMITH"}, "part", "double-barrelled, first part"),
    ("surname", {"surname": "O'Brien"}, {"surname": "OBRIEN"}, "exact", "punctuation ignored"),
    ("surname", {"surname": "Mc Donald"}, {"surname": "McDonald"}, "exact", "space inside a surname"),
    ("surname", {"surname": "Thompson"}, {"surname": "Thomson"}, "jw_high", "spelling variant"),
    ("surname", {"surname": "Smith"}, {"surname": "Smyth"}, "jw_low", "one-letter variant"),
    ("surname", {"surname": "Smith"}, {"surname": "Khan"}, "different", "changed surname"),
    ("surname", {"surname": "Lloyd-Webber"}, {"surname": "Lloyd Webber"}, "exact", "hyphen or space"),
    ("surname", {"surname": "Bowes-Lyon"}, {"surname": "Lyon-Bowes"}, "part", "double-barrelled, parts swapped"),
    ("dob", {}, {}, "exact", "same date"),
    ("dob", {"dob": date(1980, 3, 12)}, {"dob": date(1980, 12, 3)}, "transposed", "day/month swapped"),
    ("dob", {"dob": date(1980, 3, 12)}, {"dob": date(1980, 3, 13)}, "typo", "one digit off (day)"),
    ("dob", {"dob": date(1980, 3, 12)}, {"dob": date(1990, 3, 12)}, "typo", "one digit off (year)"),
    ("dob", {"dob": date(1980, 3, 12)}, {"dob": date(1980, 3, 21)}, "typo", "adjacent digits swapped"),
    ("dob", {"dob": date(1980, 3, 12)}, {"dob": date(1980, 7, 25)}, "same_year", "same year only"),
    ("dob", {"dob": date(1980, 3, 12)}, {"dob": date(2005, 6, 1)}, "different", "father and son"),
    ("dob", {"dob": None}, {}, None, "blank date of birth"),
    ("dob", {"dob": date(1980, 3, 12)}, {"dob": date(1981, 3, 12)}, "typo", "one digit off (year's last)"),
    ("dob", {"dob": date(1980, 3, 12)}, {"dob": date(1908, 3, 12)}, "typo", "year digits swapped"),
    ("dob", {"dob": date(1980, 3, 12)}, {"dob": date(1980, 4, 12)}, "typo", "one digit off (month)"),
    ("dob", {"dob": date(1980, 3, 12)}, {"dob": date(1979, 3, 12)}, "different",
     "a year earlier is two digits off"),
    ("address", {"address": "Flat 3, 12 High St"}, {"address": "3/12 High Street"}, "dwelling",
     "flat 3/12 written two ways"),
    ("address", {"address": "12 High Street Flat 3"}, {"address": "Flat 3, 12 High St"}, "dwelling",
     "flat after the street"),
    ("address", {"address": "Flat 3, 12 High St"}, {"address": "Flat 4, 12 High St"}, "other_flat",
     "same building, another flat: a different dwelling"),
    ("address", {"address": "12 High St"}, {"address": "Flat 3, 12 High St"}, "flat_missing",
     "flat left off one record"),
    ("address", {"address": "12 High St"}, {"address": "12A High St"}, "flat_missing",
     "12A is flat A of 12 (issue 11), so 12 is the building with its flat left off"),
    ("address", {"address": "Flat B, 18 Foxglove St"}, {"address": "18B Foxglove Street"}, "dwelling",
     "18B and Flat B, 18 are one dwelling"),
    ("address", {"address": "2, 35 Coronation Crescent"}, {"address": "Flat 2, 35 Coronation Cres"}, "dwelling",
     "a number pair is flat and number"),
    ("address", {"address": "2 35 Coronation Crescent"}, {"address": "2 Coronation Crescent"}, "street",
     "flat 2 of 35 is not house 2"),
    ("address", {"address": "NFA", "postcode": None}, {"address": "No Fixed Abode", "postcode": None}, None,
     "no fixed abode is no address"),
    ("address", {"address": "12 High St", "postcode": "CT11 9AA"}, {"address": "12 High St", "postcode": "CT11 9AB"},
     "dwelling", "postcode mistyped, same house"),
    ("address", {"address": "12 High St", "postcode": None}, {"address": "12 High Street"}, "dwelling",
     "postcode blank"),
    ("address", {"address": None}, {}, "postcode", "only the postcode to go on"),
    ("address", {"uprn": "100023"}, {"uprn": "100023", "address": "somewhere else"}, "uprn", "same UPRN"),
    ("address", {"address": "5 Mill Lane", "postcode": "CT11 9ZZ"}, {"postcode": "CT11 9AA"}, "sector",
     "moved within the sector"),
    ("address", {"address": "5 Mill Lane", "postcode": "CT9 1AA"}, {}, "different", "moved town"),
    ("address", {"address": None, "postcode": None}, {}, None, "nothing to compare"),
    ("address", {"address": "12 Hop Lane"}, {"address": "12 Hop Place"}, "street",
     "close street names of different types are different streets"),
    ("address", {"address": "12 High Stret"}, {"address": "12 High Street"}, "dwelling",
     "a typo in the street"),
    ("address", {"address": "Rose Cottage, Mill Lane"}, {"address": "ROSE COTTAGE MILL LN"}, "dwelling",
     "a house name with or without commas"),
    ("address", {"address": "12 Station Rd"}, {"address": "12, Station Road, Margate"}, "dwelling",
     "Rd / Road, a comma and the town"),
    ("address", {"address": "12 St Peter's Street"}, {"address": "12 Saint Peters St"}, "dwelling",
     "St as Saint before a name, Street after it"),
    ("address", {"address": "Flat 3, 12 High St"}, {"address": "Flat 3, 14 High St"}, "street",
     "same flat number in another house"),
    ("address", {"address": "12a High St"}, {"address": "12A High Street"}, "dwelling", "12a is 12A"),
    ("address", {"address": "5 Mill Lane", "postcode": "CT11 9AA"}, {"postcode": "CT11 8ZZ"}, "district",
     "moved within the postcode district"),
    ("address", {"address": "5 Mill Lane", "postcode": "CT11 9AA"}, {"address": "7 Park Rd"}, "street",
     "another house in the same postcode unit"),
    ("address", {"address": None, "postcode": "CT11 9AA"}, {"address": "7 Park Rd"}, "postcode",
     "the same postcode unit, no house to compare"),
    ("nino", {"nino": "AB123456C"}, {"nino": "ab 12 34 56 c"}, "same", "NINO spacing and case"),
    ("nino", {"nino": "AB123456C"}, {"nino": "AB123457C"}, "close", "NINO with one digit mistyped"),
    ("nino", {"nino": "AB123456C"}, {"nino": "AB124356C"}, "close", "NINO with two digits swapped"),
    ("nino", {"nino": "AB123456C"}, {"nino": "AB12345C"}, "close", "NINO with a digit dropped"),
    ("nino", {"nino": "AB123456C"}, {"nino": "AB654321C"}, "different", "NINO far apart"),
    ("pnc_id", {"pnc_id": "A1", "source": "health"}, {"pnc_id": "A2", "source": "health"}, "different",
     "too short to call a typo"),
    ("nino", {"nino": "AB123456C", "source": "dwp_benefits"}, {"nino": "AB123457C", "source": "dwp_employment"},
     "different_issuer", "two issued NINOs one digit apart are still two NINOs"),
    ("nino", {"nino": "AB123456C", "source": "dwp_benefits"}, {"nino": "ZZ999999Z", "source": "dwp_employment"},
     "different_issuer", "two DWP NINOs differ"),
    ("nino", {"nino": "AB123456C", "source": "dwp_benefits"}, {"nino": "ZZ999999Z", "source": "housing"},
     "different", "housing quoting a different NINO is weaker"),
    ("upn", {"upn": None}, {"upn": "U1"}, None, "missing on one side"),
    ("gender", {"gender": "M"}, {"gender": "F"}, "different", "gender differs"),
    ("gender", {"gender": "U"}, {"gender": "F"}, None, "unknown gender"),
]


@pytest.mark.parametrize("comparison, a, b, expected, description", CASES, ids=[c[-1] for c in CASES])
def test_comparison_level(comparison, a, b, expected, description):
    assert compare(a, b)[comparison] == expected, description
    assert compare(a, b, swap=True)[comparison] == expected, f"{description} (sides swapped)"


def test_every_level_has_a_label_and_a_weight():
    table = levels_frame()
    weights = Weights().table()
    assert table.height == weights.height == sum(len(c.levels) for c in COMPARISONS)
    assert table["label"].null_count() == 0
    # Levels are ordered best first: the first level weighs most and the last least,
    # except identifier "different" levels which are all strong negatives, and a
    # forename/surname swap, which carries the evidence of both names.
    for comp in ("forename", "surname", "dob", "address"):
        w = weights.filter((pl.col("comparison") == comp) & (pl.col("level") != "name_swap"))["weight"].to_list()
        assert w[0] == max(w), comp
        assert w[-1] == min(w), comp


def test_reason_reads_the_levels():
    a = {"nino": "AB123456C", "source": "dwp_benefits", "surname": "Thompson", "dob": date(1980, 3, 12)}
    b = {"nino": "AB123456C", "source": "housing", "surname": "Thomson", "dob": date(1980, 12, 3)}
    rows = [{**BASE, **a, "record_id": "a"}, {**BASE, **b, "record_id": "b"}]
    prof = corroborate_ids(standardise(pl.DataFrame(rows, schema=SCHEMA)), min_records=1).with_row_index("pid")
    pairs = pl.DataFrame({"pid_l": [0], "pid_r": [1]}, schema={"pid_l": pl.UInt32, "pid_r": pl.UInt32})
    reason = score_pairs(compare_pairs(pairs, prof))["reason"][0]
    similarity = JaroWinkler.normalized_similarity("THOMPSON", "THOMSON")
    assert reason == (
        f"same NINO; same forename; surname Jaro-Winkler {math.floor(similarity * 100 + 1e-4) / 100:.2f}; "
        "date of birth day/month swapped; same address; same gender"
    )


def test_the_reason_quotes_the_similarity_rounded_down():
    a = {"forename": "Jonathan"}
    b = {"forename": "Jonathon"}
    rows = [{**BASE, **a, "record_id": "a"}, {**BASE, **b, "record_id": "b"}]
    prof = corroborate_ids(standardise(pl.DataFrame(rows, schema=SCHEMA)), min_records=1).with_row_index("pid")
    pairs = pl.DataFrame({"pid_l": [0], "pid_r": [1]}, schema={"pid_l": pl.UInt32, "pid_r": pl.UInt32})
    out = score_pairs(compare_pairs(pairs, prof)).row(0, named=True)
    exact = JaroWinkler.normalized_similarity("JONATHAN", "JONATHON")
    assert out["fn_jw"] - 1e-4 <= exact < out["fn_jw"] + 0.01
    assert f"forename Jaro-Winkler {out['fn_jw']:.2f}" in out["reason"]
    assert out["sn_jw"] is None, "an exact surname quotes no similarity"


names = st.sampled_from(["John", "Jon", "Jonathan", "J", "Bill", "William", "Liam", "Mary Jane",
                         "Jane", "Smith-Jones", "Jones", "Smith", None])
dobs = st.one_of(st.none(), st.dates(min_value=date(1950, 1, 1), max_value=date(2012, 12, 31)),
                 st.sampled_from([date(1980, 3, 12), date(1980, 12, 3), date(1980, 3, 13)]))
addresses = st.sampled_from(["Flat 3, 12 High St", "3/12 High Street", "12 High St", "12A High St",
                             "Flat 4, 12 High St", "5 Mill Lane", None])
postcodes = st.sampled_from(["CT11 9AA", "CT11 9AB", "CT9 1AA", None])
ids = st.sampled_from(["X1", "X2", None])
sources = st.sampled_from(["police", "dwp_benefits", "school_census", "housing"])
person = st.fixed_dictionaries({
    "forename": names, "surname": names, "dob": dobs, "address": addresses, "postcode": postcodes,
    "nino": ids, "upn": ids, "pnc_id": ids, "uprn": ids, "source": sources,
    "gender": st.sampled_from(["M", "F", None]),
})


@settings(max_examples=120, deadline=None)
@given(person, person)
def test_comparisons_and_scores_are_symmetric(a, b):
    rows = [{**BASE, **a, "record_id": "a"}, {**BASE, **b, "record_id": "b"}]
    prof = corroborate_ids(standardise(pl.DataFrame(rows, schema=SCHEMA)), min_records=1).with_row_index("pid")
    pairs = pl.DataFrame({"pid_l": [0, 1], "pid_r": [1, 0]}, schema={"pid_l": pl.UInt32, "pid_r": pl.UInt32})
    scored = score_pairs(compare_pairs(pairs, prof))
    there, back = scored.row(0, named=True), scored.row(1, named=True)
    for c in COMPARISONS:
        assert there[c.name] == back[c.name], c.name
    assert there["probability"] == pytest.approx(back["probability"])
    assert there["guard"] == back["guard"]


def test_a_lone_conflicting_identifier_is_not_a_confirmed_conflict():
    """A NINO keyed against the wrong row is seen once; a person's own is seen again."""
    rows = [
        {**BASE, "source": "dwp_benefits", "record_id": "a1", "nino": "AA111111A"},
        {**BASE, "source": "dwp_benefits", "record_id": "a2", "nino": "AA111111A"},
        {**BASE, "source": "dwp_benefits", "record_id": "b1", "nino": "BB222222B"},
        {**BASE, "source": "dwp_benefits", "record_id": "c1", "nino": "CC333333C", "dob": date(1970, 1, 1)},
        {**BASE, "source": "dwp_benefits", "record_id": "c2", "nino": "CC333333C", "dob": date(1970, 1, 1)},
    ]
    prof = corroborate_ids(standardise(pl.DataFrame(rows, schema=SCHEMA))).with_row_index("pid")
    assert prof["nino_firm"].to_list() == [True, True, False, True, True]
    pairs = pl.DataFrame({"pid_l": [0, 0], "pid_r": [2, 3]}, schema={"pid_l": pl.UInt32, "pid_r": pl.UInt32})
    levels = compare_pairs(pairs, prof)["nino"].cast(pl.Utf8).to_list()
    assert levels == ["different", "different_issuer"]
