"""Hand-built person records, and one pair of them compared and scored end to end."""

from __future__ import annotations

from datetime import date

import polars as pl

from cohort.matching import score
from cohort.matching.pairs import add_term_frequencies, compare_pairs
from cohort.matching.standardise import corroborate_ids, standardise

SCHEMA = {
    "source": pl.Utf8, "record_id": pl.Utf8, "row_number": pl.Int64, "forename": pl.Utf8,
    "surname": pl.Utf8, "dob": pl.Date, "gender": pl.Utf8, "address": pl.Utf8, "postcode": pl.Utf8,
    "upn": pl.Utf8, "nino": pl.Utf8, "pnc_id": pl.Utf8, "uprn": pl.Utf8, "tenancy_ref": pl.Utf8,
    "record_date": pl.Date,
}
HOME = {"address": "12 High Street, Ramsgate", "postcode": "CT11 9AA"}


def records(*rows: dict) -> pl.DataFrame:
    """A `records` frame: every column of SCHEMA, unnamed ones null, rows numbered from 2."""
    full = []
    for i, r in enumerate(rows):
        row = {k: None for k in SCHEMA}
        row.update({"row_number": i + 2, "record_date": date(2014, 1, 1), "gender": None})
        row.update(r)
        full.append(row)
    return pl.DataFrame(full, schema=SCHEMA)


def rec(source: str, rid: str, forename: str, surname: str, dob: date | None, **kw) -> dict:
    return {"source": source, "record_id": rid, "forename": forename, "surname": surname, "dob": dob, **kw}


def persons_of(result) -> set[frozenset[str]]:
    """The record ids of each person link_persons found."""
    groups = result.links.group_by("person_id").agg(pl.col("record_id"))
    return {frozenset(g) for g in groups["record_id"]}


PAIR_BASE = {
    "source": "health", "record_id": "a", "record_date": date(2014, 1, 1),
    "forename": "John", "surname": "Smith", "dob": date(1980, 3, 12), "gender": "M",
    "address": "12 High Street, Ramsgate", "postcode": "CT11 9AA",
}


def scored_pair(a: dict, b: dict) -> dict:
    """Two records (PAIR_BASE with `a`, with `b`) standardised, compared and scored: the
    pair's levels, guard, probability and reason."""
    std = corroborate_ids(standardise(records({**PAIR_BASE, **a, "record_id": "a"},
                                              {**PAIR_BASE, **b, "record_id": "b"})), min_records=1)
    profiles = add_term_frequencies(std.with_row_index("pid"))
    pairs = pl.DataFrame({"pid_l": [0], "pid_r": [1]}, schema={"pid_l": pl.UInt32, "pid_r": pl.UInt32})
    out = score.score_pairs(compare_pairs(pairs, profiles), score.Weights(prior=1e-4))
    return out.row(0, named=True)
