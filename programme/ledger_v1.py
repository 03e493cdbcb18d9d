"""The claims ledger as written before withdrawals existed (decision 33), brought forward.

Then a window, and a (family, result), could be recorded once, ever: `claim_submissions`
had the primary key (window_end) and `claims` (family_id, result). A withdrawn window must
be submittable again, so the keys now include `submitted_at`; DuckDB cannot change a
primary key in place, so the two tables are rebuilt, in one transaction, rows unchanged.
"""

from __future__ import annotations

import duckdb

from cohort.core.warehouse import fetch_one

V1_KEYS = {"claim_submissions": ["window_end"], "claims": ["family_id", "result"]}


def _primary_key(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    row = fetch_one(con.execute(
        "select constraint_column_names from duckdb_constraints()"
        " where table_name = $t and constraint_type = 'PRIMARY KEY' and schema_name = 'main'", {"t": table}))
    return list(row[0]) if row else None


def bring_forward(con: duckdb.DuckDBPyConnection, ddl: tuple[str, str]) -> None:
    """Rebuild a ledger from before withdrawals with today's tables (`ddl`: claim_submissions,
    claims), its rows unchanged; a ledger already current, or none, is left alone."""
    if _primary_key(con, "claim_submissions") != V1_KEYS["claim_submissions"]:
        return
    con.begin()
    try:
        for table in V1_KEYS:
            con.execute(f"alter table {table} rename to {table}_v1")
        for statement in ddl:
            con.execute(statement)
        for table in V1_KEYS:
            con.execute(f"insert into {table} by name select * from {table}_v1")
            con.execute(f"drop table {table}_v1")
        con.commit()
    except BaseException:
        con.rollback()
        raise
