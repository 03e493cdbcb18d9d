"""A tiny hand-built world for the rule tests.

`World` builds the tables `cohort.programme.rules.evaluate` reads (stg_*, person_links, persons,
household_members, families_base, extract_status) directly in an in-memory DuckDB, so
the rules are tested without ingest or matching. The rules, results and programme tests
build on it.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date
from typing import Any

import duckdb
import polars as pl


from cohort.programme.rules import evaluate
from cohort.core.ruleset import RuleSet, load_ruleset
from cohort.schemas.registry import EXTRACTS
from cohort.core.sqlrunner import run_sql

def stg_schema(extract: str) -> dict[str, Any]:
    """The stg_<extract> columns of architecture.md: the model's contract columns plus
    row_number, so a new agency's extract is in every world without a test-side copy."""
    model = EXTRACTS[extract].schema.columns
    return {**{c: model[c].dtype.type for c in EXTRACTS[extract].columns}, "row_number": pl.Int64}


# The person-level extracts a world holds (engagements are ResultsWorld's), by their columns.
EXTRACT_COLUMNS: dict[str, dict[str, Any]] = {
    n: stg_schema(n) for n, e in EXTRACTS.items() if e.person_level
}


def query(con: duckdb.DuckDBPyConnection, relpath: str, params: dict[str, Any]) -> pl.DataFrame:
    """One SQL file's result as a frame."""
    return run_sql(con, relpath, params)


def ruleset_changed(section: str, **settings: Any) -> RuleSet:
    """The default rule set with some settings of one section (`identification`, `results`)
    changed; lists become the tuples the rule set holds."""
    rs = load_ruleset()
    fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}
    return dataclasses.replace(rs, **{section: dataclasses.replace(getattr(rs, section), **fixed)})


def ruleset_with(**identification: Any) -> RuleSet:
    """The default rule set with some identification settings changed."""
    return ruleset_changed("identification", **identification)


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

    def assert_met_by(self, criterion: str, record_id: str, met: bool) -> None:
        """The one-row case: met exactly when expected, with that row as its only evidence."""
        assert self.met(criterion) is met
        assert self.evidence(criterion) == ([record_id] if met else [])

    def family(self, family: str = "F1") -> dict[str, Any]:
        return self.families.filter(pl.col("family_id") == family).row(0, named=True)


T = date(2014, 3, 31)
ADULT = date(1980, 5, 5)
CHILD = date(2003, 5, 5)  # 10 at T: of compulsory school age


def d(text: str) -> date:
    return date.fromisoformat(text)
