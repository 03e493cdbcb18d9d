"""Tests of the rule tests' world itself: the tables it builds, `records`, the marts' shapes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
import polars as pl
import pytest
from cohort.core.warehouse import fetch_one
from cohort.programme.rules import PROGRAMMES, build_intermediates, build_records, evaluate
from cohort.core.ruleset import load_ruleset
from cohort.core.sqlrunner import SQL_DIR
from cohort.schemas.registry import EXTRACTS
from support.rules_world import EXTRACT_COLUMNS, T, World, query, stg_schema


@pytest.mark.parametrize("extract", [*EXTRACT_COLUMNS, "housing_asb"])
def test_world_tables_match_the_stg_models(extract: str) -> None:
    """The hand-built stg tables must keep the shape ingest produces, or these tests drift."""
    model = EXTRACTS[extract].schema.columns
    assert {c: str(model[c].dtype) for c in model} == {c: str(t) for c, t in stg_schema(extract).items()}


def test_records_one_row_per_person_level_row_with_record_dates() -> None:
    w = World()
    w.add("police", record_id="POL", event_date=date(2014, 1, 5), event_type="asbo", pnc_id="PNC1")
    w.add("school_census", record_id="AUT", academic_year="2013/14", term="autumn", upn="U1")
    w.add("school_census", record_id="SPR", academic_year="2013/14", term="spring")
    w.add("school_census", record_id="SUM", academic_year="2013/14", term="summer")
    w.add("dwp_benefits", record_id="OPEN", spell_start=date(2013, 5, 1), nino="AB1")
    w.add("dwp_benefits", record_id="ENDED", spell_start=date(2013, 5, 1), spell_end=date(2014, 3, 31))
    w.add("dwp_benefits", record_id="ENDS_LATER", spell_start=date(2013, 5, 1), spell_end=date(2014, 4, 1))
    w.add("housing", record_id="TEN", tenancy_ref="T1", uprn="100", tenancy_start=date(2010, 1, 1), role="lead_tenant")
    w.add("social_care", record_id="SC", start_date=date(2012, 1, 1), end_date=date(2013, 1, 1))
    w.add("youth_offending", record_id="YOS", offence_date=date(2013, 1, 1), outcome_date=date(2013, 2, 1))
    w.add("housing_asb", record_id="ASB", tenancy_ref="T1", intervention="nosp_asb", intervention_date=date(2014, 1, 1))
    con = w.connect()

    assert build_records(con, T) == 10
    records = con.table("records").pl()
    assert records.columns == [
        "source", "record_id", "row_number", "forename", "surname", "dob", "gender", "address",
        "postcode", "upn", "nino", "pnc_id", "uprn", "tenancy_ref", "record_date", "role",
    ]
    roles = dict(zip(records["record_id"], records["role"]))
    assert roles["TEN"] == "lead_tenant" and roles["POL"] is None and roles["SC"] is None
    dates = dict(zip(records["record_id"], records["record_date"]))
    assert dates == {
        "POL": date(2014, 1, 5),
        "AUT": date(2013, 12, 31),
        "SPR": date(2014, 3, 31),
        "SUM": date(2014, 8, 31),
        "OPEN": date(2013, 5, 1),
        "ENDED": date(2014, 3, 31),
        "ENDS_LATER": date(2013, 5, 1),
        "TEN": date(2010, 1, 1),
        "SC": date(2013, 1, 1),
        "YOS": date(2013, 2, 1),
    }
    ids = records.filter(pl.col("record_id").is_in(["POL", "AUT", "OPEN", "TEN"])).sort("record_id")
    assert ids.select("record_id", "upn", "nino", "pnc_id", "uprn", "tenancy_ref").rows() == [
        ("AUT", "U1", None, None, None, None),
        ("OPEN", None, "AB1", None, None, None),
        ("POL", None, None, "PNC1", None, None),
        ("TEN", None, None, None, "100", "T1"),
    ]


@pytest.mark.parametrize(
    "as_of, expected",
    [
        ("2014-03-31", [("spring", "2013/14"), ("autumn", "2013/14"), ("summer", "2012/13")]),
        ("2014-03-30", [("autumn", "2013/14"), ("summer", "2012/13"), ("spring", "2012/13")]),
        ("2014-08-31", [("summer", "2013/14"), ("spring", "2013/14"), ("autumn", "2013/14")]),
        ("2014-01-01", [("autumn", "2013/14"), ("summer", "2012/13"), ("spring", "2012/13")]),
    ],
    ids=["term ends on T", "term ends the day after T", "summer ends on T", "first day of spring"],
)
def test_last_three_terms(as_of: str, expected: list[tuple[str, str]]) -> None:
    con = World().connect()
    params = load_ruleset().sql_params(date.fromisoformat(as_of))
    # The terms are found for every date families are judged on (int_families__as_of).
    con.execute("create or replace table int_families__as_of as select 'F1' as family_id, $d::date as as_of",
                {"d": as_of})
    terms = query(con, "intermediate/int_school_terms__recent.sql", params)
    assert list(zip(terms["term"], terms["academic_year"])) == expected
    assert set(terms["as_of"]) == {date.fromisoformat(as_of)}


def test_terms_for_several_dates_at_once() -> None:
    """A point-in-time evaluation judges families on many dates in one query: each date
    gets its own last three terms, the same as when it is judged alone."""
    con = World().connect()
    params = load_ruleset().sql_params(date(2014, 3, 31))
    days = ["2014-03-31", "2014-03-30", "2014-08-31"]
    con.execute("create or replace table int_families__as_of as "
                "select 'F' || i as family_id, d::date as as_of from unnest($days) with ordinality as t(d, i)",
                {"days": days})
    terms = query(con, "intermediate/int_school_terms__recent.sql", params).sort("as_of", "term_rank")
    by_day = {d: [(t, y) for a, t, y in zip(terms["as_of"], terms["term"], terms["academic_year"])
                  if a == date.fromisoformat(d)] for d in days}
    assert by_day == {
        "2014-03-31": [("spring", "2013/14"), ("autumn", "2013/14"), ("summer", "2012/13")],
        "2014-03-30": [("autumn", "2013/14"), ("summer", "2012/13"), ("spring", "2012/13")],
        "2014-08-31": [("summer", "2013/14"), ("spring", "2013/14"), ("autumn", "2013/14")],
    }


@pytest.mark.parametrize(
    "dob, as_of, age, age_31aug, school_age",
    [
        ("2000-03-31", "2014-03-31", 14, 13, True),
        ("2000-04-01", "2014-03-31", 13, 13, True),
        ("1996-02-29", "2014-02-28", 17, 17, False),
        ("1996-02-29", "2014-03-01", 18, 17, False),
        ("2009-03-31", "2014-03-31", 5, 4, True),
        ("2009-04-01", "2014-03-31", 4, 4, False),
        ("1997-09-01", "2014-03-31", 16, 15, True),
        ("1997-08-31", "2014-03-31", 16, 16, False),
        ("1997-09-01", "2014-08-31", 16, 15, True),
        ("1998-09-01", "2014-09-01", 16, 15, True),
        ("1998-08-31", "2014-09-01", 16, 16, False),
    ],
    ids=[
        "birthday on T", "birthday the day after T", "leap-day baby on 28 Feb",
        "leap-day baby on 1 Mar", "5 at T", "4 at T", "15 on 31 Aug before T",
        "16 on 31 Aug before T", "T is 31 Aug: the 31 Aug before is a year back",
        "T is 1 Sep: 31 Aug the day before", "T is 1 Sep: 16 on the day before",
    ],
)
def test_member_ages(dob: str, as_of: str, age: int, age_31aug: int, school_age: bool) -> None:
    w = World().person("P1", date.fromisoformat(dob))
    con = w.connect()
    build_intermediates(con, load_ruleset().sql_params(date.fromisoformat(as_of)))
    row = fetch_one(con.execute(
        "select age_at_as_of, age_on_last_31_aug, is_school_age from int_household_members__aged"
    ))
    assert row == (age, age_31aug, school_age)


def test_every_rule_returns_one_row_per_family_in_the_rule_shape() -> None:
    w = World().person("P1", date(2000, 1, 1), "F1").person("P2", date(1980, 1, 1), "F2")
    w.family("F3")
    w.add("police", "P1", event_date=date(2014, 1, 1), event_type="asbo")
    con = w.connect()
    params = load_ruleset().sql_params(T)
    build_intermediates(con, params)
    for programme, criteria in PROGRAMMES.items():
        for criterion in criteria:
            out = query(con, f"rules/{programme}/{criterion}.sql", params)
            assert out.columns == ["family_id", "criterion", "met", "evidence"], criterion
            assert sorted(out["family_id"]) == ["F1", "F2", "F3"], criterion
            assert set(out["criterion"]) == {criterion}
            assert out.schema["evidence"] == pl.List(
                pl.Struct({"source": pl.Utf8, "record_id": pl.Utf8, "person_id": pl.Utf8,
                           "event_date": pl.Date, "value": pl.Utf8})
            ), criterion


def test_marts_shapes_and_evidence_lines() -> None:
    w = World().person("P1", date(2000, 6, 1), "F1", "child").person("P2", date(1980, 1, 1), "F1", "lead_tenant")
    w.family("F2")
    w.add("police", "P1", record_id="POL1", event_date=date(2014, 1, 5), event_type="asbo")
    w.add("dwp_benefits", "P2", record_id="JSA1", benefit="JSA", spell_start=date(2013, 1, 1))
    run = w.evaluate("phase1", T)

    assert run.families.columns == [
        "family_id", "district", "members", "crime_asb", "education", "work", "local_discretion",
        "criteria_met", "status", "evidence_summary", "missing_extracts",
    ]
    assert run.families["family_id"].to_list() == ["F1", "F2"]
    assert run.family("F1")["evidence_summary"] == (
        "crime_asb: police 2014-01-05: asbo | work: dwp_benefits 2013-01-01: JSA spell open"
    )
    assert run.family("F2")["evidence_summary"] is None

    members = run.con.table("family_members").pl()
    assert members.columns == ["family_id", "person_id", "forename", "surname", "dob", "age", "role"]
    assert members.select("person_id", "age", "role").rows() == [("P2", 34, "lead_tenant"), ("P1", 13, "child")]

    evidence = run.con.table("family_evidence").pl()
    assert evidence.columns == [
        "family_id", "criterion", "source", "record_id", "person_id", "event_date", "value", "detail",
    ]
    assert evidence.select("family_id", "criterion", "record_id", "person_id").rows() == [
        ("F1", "crime_asb", "POL1", "P1"),
        ("F1", "work", "JSA1", "P2"),
    ]


def test_evidence_summary_shows_two_items_and_counts_the_rest() -> None:
    w = World().person("P1", date(1980, 1, 1))
    for day in (1, 2, 3, 4):
        w.add("police", "P1", event_date=date(2014, 1, day), event_type="asbo")
    run = w.evaluate("phase1", T)
    assert run.family()["evidence_summary"] == (
        "crime_asb: police 2014-01-01: asbo, police 2014-01-02: asbo (+2 more)"
    )


def test_every_sql_file_ends_in_final() -> None:
    mine = [*SQL_DIR.glob("rules/*/*.sql"), *SQL_DIR.glob("marts/*.sql"),
            *(p for p in SQL_DIR.glob("intermediate/int_*.sql") if p.name != "int_person__current_address.sql")]
    assert len(mine) >= 20
    for path in mine:
        text = Path(path).read_text(encoding="utf-8")
        assert text.rstrip().endswith("select * from final"), path.name
        assert "SELECT" not in text and " FROM " not in text, path.name


def test_unknown_programme_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown programme"):
        evaluate(World().connect(), "phase3", load_ruleset(), T)
