"""Each agency's entry (cohort.core.agencies) agrees with its schema: what the generated SQL
and matching read from an entry names columns its extract really has."""

from __future__ import annotations

import re

import duckdb
import pytest

from cohort.core.agencies import AGENCIES, IDENTIFIERS, PERSON_COLUMNS, child_sources, id_authority
from cohort.core.sqlrunner import load_sql
from cohort.schemas.registry import EXTRACTS

SQL_WORDS = {"case", "when", "then", "else", "end", "greatest", "cast", "left", "as", "integer", "make_date",
             "as_of"}


def test_every_agency_has_one_extract_in_the_same_order():
    assert list(EXTRACTS) == list(AGENCIES)
    assert all(e.agency is AGENCIES[name] for name, e in EXTRACTS.items())


@pytest.mark.parametrize("name", [n for n, a in AGENCIES.items() if a.person_level])
def test_what_an_entry_names_is_in_its_schema(name):
    agency, columns = AGENCIES[name], set(EXTRACTS[name].columns) | {"row_number"}
    assert set(PERSON_COLUMNS) <= columns
    assert set(agency.carries) <= columns
    assert agency.issues is None or agency.issues in agency.carries
    assert agency.record_date, "a person-level agency needs a record date"
    named = set(re.findall(r"[a-z_]+", re.sub(r"'[^']*'", "", agency.record_date))) - SQL_WORDS
    assert named <= columns, named - columns
    if agency.event:
        e = agency.event
        assert {c for c in (e.event_type, e.event_date, e.end_date, e.age_date) if c} <= columns


def test_every_identifier_has_an_issuing_agency():
    assert all(id_authority()[i] for i in IDENTIFIERS)
    assert set(child_sources()) <= set(AGENCIES)


def test_the_generated_unions_run_on_empty_extracts():
    con = duckdb.connect()
    for name, e in EXTRACTS.items():
        cols = ", ".join(f"{c} {'date' if c in e.schema.columns and 'Date' in str(e.schema.columns[c].dtype) else 'varchar'}"
                         for c in [*e.columns, "row_number"])
        con.execute(f"create table stg_{name} ({cols})")
    sql = load_sql("intermediate/int_records__unioned.sql")
    assert "{{" not in sql
    got = con.execute(sql.replace("$as_of", "date '2014-03-31'")).description
    assert [d[0] for d in got] == ["source", *PERSON_COLUMNS, "upn", "nino", "pnc_id", "uprn", "tenancy_ref",
                                   "record_date", "role"]
