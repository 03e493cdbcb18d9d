"""Addresses and postcodes as UK agencies write them (issue 11): golden cases per form,
and idempotence over the new forms."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.matching.address import (
    STREET_TYPE_ABBREVIATIONS,
    STREET_TYPES,
    add_address_parts,
    no_fixed_abode,
    normalise_address,
    normalise_postcode,
    postcode_parts,
    postcodes_agree,
)
from cohort.matching.fold import ascii_upper


def parts(raw: str) -> dict:
    frame = pl.DataFrame({"x": [raw]}).with_columns(normalise_address(pl.col("x")).alias("addr"))
    return add_address_parts(frame).row(0, named=True)


@pytest.mark.parametrize(
    "raw, flat, house, street, locality, why",
    [
        ("Flat 2, 35 Coronation Crescent", "2", "35", "CORONATION CRESCENT", None, "flat and number"),
        ("2, 35 Coronation Crescent", "2", "35", "CORONATION CRESCENT", None, "number pair with a comma"),
        ("2 35 Coronation Crescent", "2", "35", "CORONATION CRESCENT", None, "number pair without"),
        ("2/35 Coronation Cres", "2", "35", "CORONATION CRESCENT", None, "number pair with a slash"),
        ("2 35 CORONATION CRES, HERNE BAY", "2", "35", "CORONATION CRESCENT", "HERNE BAY", "number pair and town"),
        ("18B Foxglove Street", "B", "18", "FOXGLOVE STREET", None, "18B is flat B of 18"),
        ("Flat B, 18 Foxglove St", "B", "18", "FOXGLOVE STREET", None, "as Flat B, 18 is"),
        ("18b foxglove st., Margate", "B", "18", "FOXGLOVE STREET", "MARGATE", "lower-case letter"),
        ("Flat 1, 12a High Street", "1", "12A", "HIGH STREET", None, "a flat of 12a keeps 12A as its number"),
        ("16, Manor Way, Sturry, Canterbury, Kent", None, "16", "MANOR WAY", "STURRY CANTERBURY",
         "a number and a comma, then the street"),
        ("35 Coronation Crescent Kings Hill", None, "35", "CORONATION CRESCENT", "KINGS HILL",
         "a locality ending in a type word, glued on"),
        ("35 CORONATION CRES KINGS HILL WEST MALLING", None, "35", "CORONATION CRESCENT", "KINGS HILL WEST MALLING",
         "locality and town glued on"),
        ("5 Beach Road Park Farm", None, "5", "BEACH ROAD", "PARK FARM", "a locality starting with a type word"),
        ("12 Mill Hill", None, "12", "MILL HILL", None, "a street named like a locality stays a street"),
        ("12 Church Rd St Margarets", None, "12", "CHURCH ROAD", "SAINT MARGARETS", "ST before a Saint place"),
        ("12 High St Margate", None, "12", "HIGH STREET", "MARGATE", "ST before a town is STREET"),
        ("12 High St St Peters Broadstairs", None, "12", "HIGH STREET", "SAINT PETERS BROADSTAIRS", "both at once"),
        ("Flat A 6 Little St Johns Lane Gravesend", "A", "6", "LITTLE SAINT JOHNS LANE", "GRAVESEND",
         "ST inside a street name before its type"),
        ("Rose Cottage St Johns Road", None, None, "ROSE COTTAGE SAINT JOHNS ROAD", None, "after a house name"),
        ("4 Mill La", None, "4", "MILL LANE", None, "La"),
        ("9 Ash Gr.", None, "9", "ASH GROVE", None, "Gr"),
        ("3 Ivy Wk", None, "3", "IVY WALK", None, "Wk"),
        ("7 Swale Hts", None, "7", "SWALE HEIGHTS", None, "Hts"),
        ("1 Crown Pk", None, "1", "CROWN PARK", None, "Pk"),
        ("2 Market Sq", None, "2", "MARKET SQUARE", None, "Sq"),
        ("8 Bell Tce", None, "8", "BELL TERRACE", None, "Tce"),
        ("3 Łąkowa Straße", None, "3", "LAKOWA STRASSE", None, "letters folded to ASCII"),
    ],
)
def test_address_forms(raw, flat, house, street, locality, why):
    p = parts(raw)
    assert (p["flat"], p["house"], p["street"], p["locality"]) == (flat, house, street, locality), why


@pytest.mark.parametrize("raw, nfa", [
    ("NFA", True), ("N.F.A.", True), ("No Fixed Abode", True), ("no fixed abode", True), ("N F A", True),
    ("NFA, Margate", True), ("No fixed address", True), ("nfa.", True),
    ("4 Nfa Road", False), ("Flat 1, 4 Mill Lane", False), ("", False), (None, False),
])
def test_no_fixed_abode_in_every_spelling(raw, nfa):
    frame = pl.DataFrame({"x": [raw]}, schema={"x": pl.Utf8})
    out = frame.select(no_fixed_abode(pl.col("x")).alias("nfa"), normalise_address(pl.col("x")).alias("addr"))
    assert out["nfa"][0] is nfa
    if nfa:
        assert out["addr"][0] is None


@pytest.mark.parametrize(
    "raw, pc, valid, sector, why",
    [
        ("CT9 6PR", "CT9 6PR", True, "CT9 6", "as written"),
        ("ct96p", "CT9 6P", False, "CT9 6", "last character lost: its shape and sector kept"),
        ("ME106P", "ME10 6P", False, "ME10 6", "... in a two-digit district"),
        ("CT1O 9AA", "CT10 9AA", True, "CT10 9", "O keyed for 0 in the district"),
        ("CTI1 9AA", "CT11 9AA", True, "CT11 9", "I keyed for 1 in the district's digit"),
        ("CT9 OPR", "CT9 0PR", True, "CT9 0", "O keyed for 0 in the inward code"),
        ("CT11 IAB", "CT11 1AB", True, "CT11 1", "I keyed for 1 in the inward code"),
        ("CO4 1AB", "CO4 1AB", True, "CO4 1", "a real O (Colchester) is left alone"),
        ("SW1A 1AA", "SW1A 1AA", True, "SW1A 1", "a district letter is left alone"),
        ("CT96", "CT96", False, None, "too short to read"),
    ],
)
def test_postcode_forms(raw, pc, valid, sector, why):
    out = pl.DataFrame({"x": [raw]}).select(normalise_postcode(pl.col("x")).alias("pc")).with_columns(
        postcode_parts(pl.col("pc")))
    assert (out["pc"][0], out["pc_valid"][0], out["pc_sector"][0]) == (pc, valid, sector), why


@pytest.mark.parametrize("a, b, agree", [
    ("CT9 6PR", "CT9 6PR", True), ("CT9 6P", "CT9 6PR", True), ("CT9 6PR", "CT9 6P", True),
    ("CT9 6P", "CT9 6P", True), ("CT9 6PR", "CT9 6PB", False), ("CT9 6", "CT9 6PR", False),
    ("CT9 6PR", None, False),
])
def test_postcodes_agree_allows_only_a_lost_last_character(a, b, agree):
    out = pl.DataFrame({"a": [a], "b": [b]}, schema={"a": pl.Utf8, "b": pl.Utf8}).select(
        postcodes_agree(pl.col("a"), pl.col("b")))
    assert out.item() is agree


def test_every_abbreviation_expands_to_a_street_type():
    assert set(STREET_TYPE_ABBREVIATIONS.values()) <= set(STREET_TYPES)


def test_one_fold_for_letters_unicode_does_not_decompose():
    out = pl.DataFrame({"x": ["Łódź", "Øster", "Straße", "Æbelø", "Wiśniewski"]}).select(ascii_upper(pl.col("x")))
    assert out["x"].to_list() == ["LODZ", "OSTER", "STRASSE", "AEBELO", "WISNIEWSKI"]


new_forms = st.builds(
    lambda a, b, c, d: " ".join(x for x in (a, b, c, d) if x),
    st.sampled_from(["", "2,", "2", "Flat B,", "3/", "NFA", "N.F.A."]),
    st.sampled_from(["35", "18B", "18b", "12a", ""]),
    st.sampled_from(["Coronation Cres", "Mill La", "Ash Gr.", "St Johns Wk", "Church Rd St Margarets", "High St"]),
    st.sampled_from(["", "Kings Hill", "Kings Hill West Malling", ", Margate", "St Peters", "Park Farm CT9 6PR"]),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(new_forms, min_size=1, max_size=5))
def test_new_forms_normalise_idempotently(values):
    once = pl.DataFrame({"x": values}, schema={"x": pl.Utf8}).select(normalise_address(pl.col("x")).alias("a"))
    twice = once.select(normalise_address(pl.col("a")).alias("a"))
    assert once["a"].to_list() == twice["a"].to_list()


pc_text = st.text(alphabet=st.sampled_from(list("CTMEOI0123456789PRAB ")), max_size=9)


@settings(max_examples=60, deadline=None)
@given(st.lists(pc_text, min_size=1, max_size=5))
def test_postcode_repair_is_idempotent(values):
    once = pl.DataFrame({"x": values}, schema={"x": pl.Utf8}).select(normalise_postcode(pl.col("x")))
    twice = once.select(normalise_postcode(pl.col("x")))
    assert once["x"].to_list() == twice["x"].to_list()
