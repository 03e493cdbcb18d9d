"""The warehouse's schema version, and the steps that bring an older warehouse up to date.

`cohort_schema` holds one row per version the warehouse has been at (version, when, by
which code). A warehouse made before versions were kept has no such table and is version
1. `SCHEMA_VERSION` is what this code writes; `MIGRATIONS[n]` takes a warehouse from
version n to n + 1. Migrations run on a working copy inside one transaction (see
`cohort.core.commit`), after a backup copy of the original is kept beside it, so an
upgrade is all or nothing. A warehouse from a newer version of cohort is refused.

To change the schema: add a step to MIGRATIONS and raise SCHEMA_VERSION by one.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import duckdb

from cohort.core.warehouse import fetch_one, table_exists

SCHEMA_VERSION = 3
LEGACY_VERSION = 1  # a warehouse written before versions were kept
VERSION_DDL = ("create table if not exists cohort_schema "
               "(version integer not null, upgraded_at timestamp not null, code_version varchar)")


def _v1_runs_output_folder(con: duckdb.DuckDBPyConnection) -> None:
    """Version 2: every run's outputs have a folder of their own (`--out/runs/...`);
    `runs.output_folder` says which."""
    if table_exists(con, "runs"):
        con.execute("alter table runs add column if not exists output_folder varchar")


def _v2_grouped_review_decisions(con: duckdb.DuckDBPyConnection) -> None:
    """Version 3: a person decision binds every record pair between two groups of records,
    and keeps the run's state, the model's chance it was wrong and the question's category."""
    if table_exists(con, "review_decisions"):
        for name, kind in (("group_l", "varchar"), ("group_r", "varchar"), ("state", "varchar"),
                           ("chance", "double"), ("category", "varchar")):
            con.execute(f"alter table review_decisions add column if not exists {name} {kind}")


MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: _v1_runs_output_folder,
    2: _v2_grouped_review_decisions,
}


def version_of(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version of an open warehouse; None for an empty (brand-new) one."""
    if table_exists(con, "cohort_schema"):
        return fetch_one(con.execute("select max(version) from cohort_schema"))[0]
    tables = fetch_one(con.execute("select count(*) from information_schema.tables"))[0]
    return LEGACY_VERSION if tables else None


def upgrade(con: duckdb.DuckDBPyConnection, code_version: str = "") -> list[int]:
    """Bring the warehouse to SCHEMA_VERSION in one transaction; return the versions it
    passed through (empty when it was current). A brand-new warehouse is stamped."""
    found = version_of(con)
    if found is not None and found > SCHEMA_VERSION:
        raise ValueError(f"schema version {found} is newer than {SCHEMA_VERSION}")
    start = SCHEMA_VERSION if found is None else found
    if found == SCHEMA_VERSION:
        return []
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    con.execute("begin transaction")
    try:
        con.execute(VERSION_DDL)
        for version in range(start, SCHEMA_VERSION):
            MIGRATIONS[version](con)
        con.execute("insert into cohort_schema values ($v, $at, $code)",
                    {"v": SCHEMA_VERSION, "at": now, "code": code_version})
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return list(range(start, SCHEMA_VERSION + 1)) if found is not None else []
