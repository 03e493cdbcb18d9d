"""A tiny hand-built world for the rule tests, and the tests of `records` and the marts.

`World` builds the tables `cohort.programme.rules.evaluate` reads (stg_*, person_links, persons,
household_members, families_base, extract_status) directly in an in-memory DuckDB, so
the rules are tested without ingest or matching. Other `test_rules_*` files import it.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from cohort.core.warehouse import fetch_one

from cohort.programme.rules import PROGRAMMES, build_intermediates, build_records, evaluate
from cohort.core.ruleset import RuleSet, load_ruleset
from cohort.core.sqlrunner import SQL_DIR, bind, load_sql, run_sql
from cohort.schemas.registry import EXTRACTS

PERSON_COLUMNS: dict[str, Any] = {
    "record_id": pl.Utf8,
    "forename": pl.Utf8,
    "surname": pl.Utf8,
    "dob": pl.Date,
    "gender": pl.Utf8,
    "address": pl.Utf8,
    "postcode": pl.Utf8,
}

EXTRACT_COLUMNS: dict[str, dict[str, Any]] = {
    "police": {"pnc_id": pl.Utf8, "event_date": pl.Date, "event_type": pl.Utf8},
    "youth_offending": {
        "pnc_id": pl.Utf8,
        "offence_date": pl.Date,
        "outcome_date": pl.Date,
        "outcome": pl.Utf8,
    },
    "school_census": {
        "upn": pl.Utf8,
        "school_urn": pl.Utf8,
        "academic_year": pl.Utf8,
        "term": pl.Utf8,
        "provision": pl.Utf8,
        "sessions_possible": pl.Int64,
        "sessions_unauthorised": pl.Int64,
    },
    "school_exclusions": {
        "upn": pl.Utf8,
        "exclusion_date": pl.Date,
        "exclusion_type": pl.Utf8,
        "sessions": pl.Int64,
    },
    "dwp_benefits": {
        "nino": pl.Utf8,
        "benefit": pl.Utf8,
        "spell_start": pl.Date,
        "spell_end": pl.Date,
    },
    "dwp_employment": {"nino": pl.Utf8, "event": pl.Utf8, "event_date": pl.Date},
    "housing": {
        "tenancy_ref": pl.Utf8,
        "uprn": pl.Utf8,
        "nino": pl.Utf8,
        "role": pl.Utf8,
        "tenancy_start": pl.Date,
        "tenancy_end": pl.Date,
    },
    "social_care": {"status": pl.Utf8, "start_date": pl.Date, "end_date": pl.Date},
    "health": {"issue": pl.Utf8, "recorded_date": pl.Date},
}

HOUSING_ASB_COLUMNS: dict[str, Any] = {
    "record_id": pl.Utf8,
    "tenancy_ref": pl.Utf8,
    "intervention": pl.Utf8,
    "intervention_date": pl.Date,
}


def stg_schema(extract: str) -> dict[str, Any]:
    """The stg_<extract> columns of architecture.md: contract columns plus row_number."""
    if extract == "housing_asb":
        return {**HOUSING_ASB_COLUMNS, "row_number": pl.Int64}
    return {**PERSON_COLUMNS, **EXTRACT_COLUMNS[extract], "row_number": pl.Int64}


def query(con: duckdb.DuckDBPyConnection, relpath: str, params: dict[str, Any]) -> pl.DataFrame:
    """One SQL file's result as a frame."""
    return run_sql(con, relpath, params)


def ruleset_with(**identification: Any) -> RuleSet:
    """The default rule set with some identification settings changed."""
    rs = load_ruleset()
    fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in identification.items()}
    return dataclasses.replace(rs, identification=dataclasses.replace(rs.identification, **fixed))


class World:
    """Families, people and input rows for one test, loaded into a fresh DuckDB."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {x: [] for x in (*EXTRACT_COLUMNS, "housing_asb")}
        self.links: list[dict[str, Any]] = []
        self.people: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self.families: dict[str, None] = {}
        self.absent: set[str] = set()
        self._ids = itertools.count(1)

    def family(self, family_id: str) -> "World":
        self.families.setdefault(family_id)
        return self

    def person(
        self, person_id: str, dob: date | None, family: str | None = "F1", role: str | None = None
    ) -> "World":
        self.people.append(
            {"person_id": person_id, "forename": "Test", "surname": "Person", "dob": dob, "gender": "U"}
        )
        if family is not None:
            self.family(family)
            self.members.append({"person_id": person_id, "family_id": family, "role": role or "member"})
        return self

    def add(self, extract: str, person: str | None = None, record_id: str | None = None, **values: Any) -> str:
        """Add one stg row (linked to `person` when given); return its record_id."""
        record_id = record_id or f"{extract}-{next(self._ids)}"
        unknown = set(values) - set(stg_schema(extract))
        if unknown:
            raise KeyError(f"{extract} has no column(s) {sorted(unknown)}")
        row_number = len(self.rows[extract]) + 2
        self.rows[extract].append({"record_id": record_id, **values, "row_number": row_number})
        if person is not None:
            self.links.append({"source": extract, "record_id": record_id, "person_id": person})
        return record_id

    def connect(self) -> duckdb.DuckDBPyConnection:
        tables = {f"stg_{x}": pl.DataFrame(rows, schema=stg_schema(x)) for x, rows in self.rows.items()}
        tables["person_links"] = pl.DataFrame(
            [{**r, "match_confidence": 1.0, "match_reason": "test"} for r in self.links],
            schema={"source": pl.Utf8, "record_id": pl.Utf8, "person_id": pl.Utf8,
                    "match_confidence": pl.Float64, "match_reason": pl.Utf8},
        )
        tables["persons"] = pl.DataFrame(
            self.people,
            schema={"person_id": pl.Utf8, "forename": pl.Utf8, "surname": pl.Utf8,
                    "dob": pl.Date, "gender": pl.Utf8},
        )
        members = pl.DataFrame(self.members, schema={"person_id": pl.Utf8, "family_id": pl.Utf8, "role": pl.Utf8})
        tables["household_members"] = members
        sizes = dict(members.group_by("family_id").len().iter_rows())
        tables["families_base"] = pl.DataFrame(
            [{"family_id": f, "district": "Dartford", "members": sizes.get(f, 0),
              "address": None, "postcode": None, "uprn": None} for f in self.families],
            schema={"family_id": pl.Utf8, "district": pl.Utf8, "members": pl.Int64,
                    "address": pl.Utf8, "postcode": pl.Utf8, "uprn": pl.Utf8},
        )
        tables["extract_status"] = pl.DataFrame(
            [{"extract": x, "present": x not in self.absent} for x in self.rows],
            schema={"extract": pl.Utf8, "present": pl.Boolean},
        )
        con = duckdb.connect()
        for name, frame in tables.items():
            con.from_arrow(frame.to_arrow()).create(name)
        return con

    def evaluate(self, programme: str, as_of: date, ruleset: RuleSet | None = None) -> "Run":
        con = self.connect()
        families = evaluate(con, programme, ruleset or load_ruleset(), as_of)
        return Run(con, families)


@dataclasses.dataclass
class Run:
    """One evaluated world: the families mart plus the flags left in the connection."""

    con: duckdb.DuckDBPyConnection
    families: pl.DataFrame

    def met(self, criterion: str, family: str = "F1") -> bool:
        row = self.con.execute(
            "select met from flags where family_id = $f and criterion = $c", {"f": family, "c": criterion}
        ).fetchall()
        assert len(row) == 1, f"expected one flag for {family}/{criterion}, got {len(row)}"
        return row[0][0]

    def evidence(self, criterion: str, family: str = "F1") -> list[str]:
        rows = self.con.execute(
            "select e.record_id from (select unnest(evidence) as e from flags"
            " where family_id = $f and criterion = $c) order by e.record_id",
            {"f": family, "c": criterion},
        ).fetchall()
        return [r[0] for r in rows]

    def family(self, family: str = "F1") -> dict[str, Any]:
        return self.families.filter(pl.col("family_id") == family).row(0, named=True)


T = date(2014, 3, 31)


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
    terms = query(con, "intermediate/int_school_terms__recent.sql", params)
    assert list(zip(terms["term"], terms["academic_year"])) == expected


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
