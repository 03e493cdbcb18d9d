"""Blocking: each named rule proposes what it says, is counted before scoring, and the
rules together never propose all pairs."""

from __future__ import annotations

import logging
from datetime import date

import polars as pl
import pytest

from cohort.matching.block import RULES, BlockingRule, candidate_pairs
from cohort.matching.standardise import corroborate_ids, standardise

SCHEMA = {
    "source": pl.Utf8, "record_id": pl.Utf8, "record_date": pl.Date, "forename": pl.Utf8,
    "surname": pl.Utf8, "dob": pl.Date, "gender": pl.Utf8, "address": pl.Utf8,
    "postcode": pl.Utf8, "upn": pl.Utf8, "nino": pl.Utf8, "pnc_id": pl.Utf8, "uprn": pl.Utf8,
    "tenancy_ref": pl.Utf8,
}


def profiles(*rows: dict) -> pl.DataFrame:
    full = [{**{k: None for k in SCHEMA}, "source": "health", "record_id": str(i), **r} for i, r in enumerate(rows)]
    return corroborate_ids(standardise(pl.DataFrame(full, schema=SCHEMA))).with_row_index("pid")


def proposed(frame: pl.DataFrame, rule_name: str) -> set[tuple[int, int]]:
    rule = next(r for r in RULES if r.name == rule_name)
    pairs, _ = candidate_pairs(frame, rules=(rule,))
    return set(pairs.iter_rows())


@pytest.mark.parametrize(
    "a, b, found, why",
    [
        ("AB123456C", "AB123457C", True, "one character changed"),
        ("AB123456C", "AB124356C", True, "two neighbours swapped"),
        ("AB123456C", "AB12345C", True, "one character dropped"),
        ("AB123456C", "AB123456C", False, "the same value is the exact rule's"),
        ("AB123456C", "AB654321C", False, "far apart"),
        ("AB123456C", "AB923457C", False, "two characters changed, apart"),
    ],
)
def test_the_identifier_typo_rule(a, b, found, why):
    frame = profiles({"nino": a, "surname": "X"}, {"nino": b, "surname": "Y"})
    assert (proposed(frame, "nino_typo") == {(0, 1)}) is found, why


def test_the_swapped_names_rule_pairs_forename_with_surname():
    frame = profiles(
        {"forename": "Darren", "surname": "Whitlock"},
        {"forename": "Whitlock", "surname": "Darren"},
        {"forename": "Darren", "surname": "Whitlock"},
        {"forename": "Whitlock", "surname": "Smith"},
    )
    assert proposed(frame, "names_swapped") == {(0, 1), (1, 2)}


def test_counts_per_rule_are_logged_before_scoring_and_add_up(caplog):
    frame = profiles(
        {"forename": "Amy", "surname": "Brown", "dob": date(2001, 2, 3), "postcode": "CT11 9AA", "nino": "AA1234567"},
        {"forename": "Amy", "surname": "Brown", "dob": date(2001, 2, 3), "postcode": "CT11 9AA"},
        {"forename": "Amy", "surname": "Browne", "dob": date(2001, 3, 2), "nino": "AA1234568"},
        {"forename": "Zed", "surname": "Other", "dob": date(1950, 1, 1), "postcode": "TN1 1AA"},
    )
    with caplog.at_level(logging.INFO, logger="cohort.matching.block"):
        pairs, counts = candidate_pairs(frame)
    assert counts["rule"].to_list() == [r.name for r in RULES]
    assert counts["new_pairs"].sum() == pairs.height, "each distinct pair is new to exactly one rule"
    assert (counts["new_pairs"] <= counts["candidate_pairs"]).all()
    assert pairs.is_unique().all() and (pairs["pid_l"] < pairs["pid_r"]).all()
    assert (3, 3) not in set(pairs.iter_rows()) and not pairs.filter(pl.col("pid_r") == 3).height
    logged = [r.getMessage() for r in caplog.records]
    assert sum(m.startswith("blocking rule ") for m in logged) == len(RULES)
    assert any(m.startswith(f"blocking: {pairs.height} distinct candidate pairs") for m in logged)


def test_never_all_pairs():
    frame = profiles(*(
        {"forename": f"N{i % 7}", "surname": f"S{i % 11}", "dob": date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
         "postcode": f"CT{i % 9} 1AA", "address": f"{i} Long Road"}
        for i in range(300)
    ))
    pairs, _ = candidate_pairs(frame)
    assert 0 < pairs.height < 300 * 299 // 2 // 4


def test_a_custom_rule_with_several_keys():
    rule = BlockingRule("surname_initial", ("sn_compact", "fn_initial"), "test")
    frame = profiles({"forename": "Amy", "surname": "Lee"}, {"forename": "Anna", "surname": "Lee"},
                     {"forename": "Bea", "surname": "Lee"})
    pairs, counts = candidate_pairs(frame, rules=(rule,))
    assert set(pairs.iter_rows()) == {(0, 1)}
    assert counts.row(0, named=True)["candidate_pairs"] == 1
