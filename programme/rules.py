"""Run the programme rules in DuckDB: records, intermediates, one SQL file per criterion, marts.

The rules themselves are SQL (`sql/rules/<programme>/<criterion>.sql`, wording and cases in
the sibling `.yml`); this module only decides the order, binds the rule-set parameters and
collects every rule's output into one `flags` table, so adding a criterion is adding a
file and a name below.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Mapping

import duckdb
import polars as pl

from cohort.core.reference import PROGRAMME_CRITERIA
from cohort.core.ruleset import RuleSet
from cohort.core.sqlrunner import bind, load_sql, materialise

log = logging.getLogger(__name__)

# Built in this order, each into a table of its own name, before any rule runs.
INTERMEDIATES: tuple[str, ...] = (
    "int_household_members__aged",
    "int_person_links__members",
    "int_school_terms__recent",
    "int_member_events__linked",
    "int_family_events__crime_asb",
    "int_family_events__education",
    "int_family_events__out_of_work",
)

# The criteria of each programme, in families.csv column order.
PROGRAMMES = PROGRAMME_CRITERIA

FLAGS_DDL = """
create or replace table flags (
    programme varchar,
    family_id varchar,
    criterion varchar,
    met boolean,
    evidence struct(
        source varchar,
        record_id varchar,
        person_id varchar,
        event_date date,
        value varchar
    )[]
)
"""


def build_records(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """Materialise `records` from the `stg_*` tables; return its row count."""
    n = materialise(con, "records", "intermediate/int_records__unioned.sql", {"as_of": as_of})
    log.info("records: %d rows", n)
    return n


def build_intermediates(con: duckdb.DuckDBPyConnection, params: Mapping[str, Any]) -> None:
    """Materialise the int_* tables the rules and marts read."""
    for name in INTERMEDIATES:
        materialise(con, name, f"intermediate/{name}.sql", params)


def run_rules(
    con: duckdb.DuckDBPyConnection, programme: str, params: Mapping[str, Any]
) -> int:
    """Replace `flags` with every criterion of the programme; return its row count."""
    con.execute(FLAGS_DDL)
    for criterion in PROGRAMMES[programme]:
        sql = load_sql(f"rules/{programme}/{criterion}.sql").strip().rstrip(";")
        con.execute(
            f"insert into flags by name select $programme as programme, r.* from ({sql}) as r",
            {**bind(sql, params), "programme": programme},
        )
    return con.execute("select count(*) from flags").fetchall()[0][0]


def evaluate(
    con: duckdb.DuckDBPyConnection, programme: str, ruleset: RuleSet, as_of: date
) -> pl.DataFrame:
    """Run one programme's rules at `as_of` and return the families mart.

    Materialises the intermediates, `flags`, `family_evidence`, `families` and
    `family_members` in the connection; every family in `families_base` gets a row.
    """
    if programme not in PROGRAMMES:
        raise ValueError(f"unknown programme {programme!r}; expected one of {sorted(PROGRAMMES)}")
    params = ruleset.sql_params(as_of)
    build_intermediates(con, params)
    run_rules(con, programme, params)
    materialise(con, "family_evidence", "marts/family_evidence.sql", params)
    materialise(con, "families", f"marts/families_{programme}.sql", params)
    materialise(con, "family_members", "marts/family_members.sql", params)
    families = con.table("families").pl()
    counts = dict(families.group_by("status").len().iter_rows())
    log.info("%s at %s: %d families, by status %s", programme, as_of, families.height, counts)
    return families
