"""Run the programme rules in DuckDB: records, intermediates, one SQL file per criterion, marts.

The rules themselves are SQL (`sql/rules/<programme>/<criterion>.sql`, wording and cases in
the sibling `.yml`); each returns only its items and `cohort.core.sqlrunner` puts it in the
shape every criterion shares. This module decides the order, binds the rule-set parameters
and collects every rule's output into one `flags` table. The programmes and their criteria
are registered in `cohort.core.programmes`: adding a criterion is its SQL file, its `.yml`
and one line there.

Every family is judged as of a date read from `int_families__as_of`: T in a monthly run
(`evaluate`); `cohort.programme.as_at` fills it with other dates and runs the same `judge`.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Mapping

import duckdb
import polars as pl

from cohort.core.programmes import PROGRAMME_CRITERIA, criteria_rows, feed_rows, programme as get_programme
from cohort.core.ruleset import RuleSet
from cohort.core.sqlrunner import bind, load_sql, materialise
from cohort.core.warehouse import fetch_one, write_table
from cohort.schemas.registry import EXTRACTS

log = logging.getLogger(__name__)

# The families judged and the date each is judged on (every family at T in a monthly run).
SCOPE = "int_families__as_of"
# The last terms before a date: run once per date judged (its only input is $as_of).
TERMS = "int_school_terms__recent"
# Intermediates that do not depend on the date judged: built once per run.
LINKED: tuple[str, ...] = (
    "int_person_links__members",
    "int_member_events__linked",
    "int_member_events__benefit_spells",
    "int_family_events__offences_housing_asb",
)
# Intermediates that read the date each family is judged on, in build order.
DATED: tuple[str, ...] = (
    "int_household_members__aged",
    "int_family_events__crime_asb",
    "int_family_events__education",
    "int_family_events__out_of_work",
)
# Built in this order, each into a table of its own name, before any rule runs.
INTERMEDIATES: tuple[str, ...] = (SCOPE, TERMS, *LINKED, *DATED)

# The criteria of each programme, in families.csv column order.
PROGRAMMES = PROGRAMME_CRITERIA

# The evidence every criterion and result carries: the input rows behind it, oldest first.
EVIDENCE_TYPE = "struct(source varchar, record_id varchar, person_id varchar, event_date date, value varchar)[]"

FLAGS_DDL = f"""
create or replace table flags (
    programme varchar,
    family_id varchar,
    criterion varchar,
    met boolean,
    evidence {EVIDENCE_TYPE}
)
"""


def build_records(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """Materialise `records` from the `stg_*` tables; return its row count."""
    n = materialise(con, "records", "intermediate/int_records__unioned.sql", {"as_of": as_of})
    log.info("records: %d rows", n)
    return n


def build_intermediates(con: duckdb.DuckDBPyConnection, params: Mapping[str, Any]) -> None:
    """Materialise the int_* tables the rules and marts read, every family as of $as_of."""
    for name in INTERMEDIATES:
        materialise(con, name, f"intermediate/{name}.sql", params)


def build_dated(con: duckdb.DuckDBPyConnection, params: Mapping[str, Any]) -> None:
    """Rebuild the intermediates that depend on the date judged, for the families and dates
    already in `int_families__as_of` (the linked ones are reused as they are)."""
    if fetch_one(con.execute(f"select count(*) from {SCOPE}"))[0] == 0:
        raise ValueError(f"{SCOPE} is empty: there is no family to judge")
    for name in (TERMS, *DATED):
        materialise(con, name, f"intermediate/{name}.sql", params)


def write_registry_tables(con: duckdb.DuckDBPyConnection, programme: str) -> None:
    """`programme_criteria` (the programme's criteria in column order, headline or not) and
    `extract_feeds` (which extracts each reads, and whether the extract is optional), the
    data the families marts pivot and report missing extracts from."""
    criteria = pl.DataFrame(criteria_rows(programme), schema={
        "programme": pl.Utf8, "criterion": pl.Utf8, "position": pl.Int32, "headline": pl.Boolean})
    feeds = pl.DataFrame(feed_rows(programme), schema={
        "criterion": pl.Utf8, "indicator": pl.Utf8, "extract": pl.Utf8})
    unknown = sorted(set(feeds["extract"]) - set(EXTRACTS))
    if unknown:
        raise ValueError(f"a {programme} criterion's .yml names unknown extract(s): {', '.join(unknown)}")
    feeds = feeds.with_columns(
        pl.col("extract").replace_strict({n: not e.required for n, e in EXTRACTS.items()}).alias("optional"))
    write_table(con, "programme_criteria", criteria)
    write_table(con, "extract_feeds", feeds)


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
    return fetch_one(con.execute("select count(*) from flags"))[0]


def judge(con: duckdb.DuckDBPyConnection, programme: str, params: Mapping[str, Any]) -> None:
    """The rules and marts for the families in `int_families__as_of`, each as of its date:
    `flags`, `family_evidence`, `family_status`, `families`."""
    p = get_programme(programme)
    run_rules(con, programme, params)
    materialise(con, "family_evidence", "marts/family_evidence.sql", params)
    counts = {**params, "automatic_min": p.automatic_min, "candidate_min": p.candidate_min}
    materialise(con, "family_status", "marts/family_status.sql", counts)
    materialise(con, "families", "marts/families.sql", params)


def evaluate(
    con: duckdb.DuckDBPyConnection, programme: str, ruleset: RuleSet, as_of: date
) -> pl.DataFrame:
    """Run one programme's rules at `as_of` and return the families mart.

    Materialises the intermediates, `flags`, `family_evidence`, `families` and
    `family_members` in the connection; every family in `families_base` gets a row.
    """
    get_programme(programme)  # an unknown programme is refused before anything is built
    params = ruleset.sql_params(as_of)
    write_registry_tables(con, programme)
    build_intermediates(con, params)
    judge(con, programme, params)
    materialise(con, "family_members", "marts/family_members.sql", params)
    families = con.table("families").pl()
    counts = dict(families.group_by("status").len().iter_rows())
    log.info("%s at %s: %d families, by status %s", programme, as_of, families.height, counts)
    return families
