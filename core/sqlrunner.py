"""The one place Python hands values to SQL.

A SQL file names its inputs as tables and its values as DuckDB parameters (`$as_of`).
`run_sql` registers any polars frames the caller passes under the names the SQL uses,
binds only the parameters the file actually references (DuckDB refuses unused ones),
and returns the result as a polars frame. No value is ever pasted into SQL text.

Two things every file gets without the caller passing them:
- the status words (`$status_automatic`, `$listed_statuses`, ...: `cohort.core.statuses`);
- a criterion file, `rules/<programme>/<criterion>.sql`, holds only its items; `load_sql`
  returns it inside the one shape every criterion shares (`rules/criterion_shape.sql`:
  families, evidence and the met flag).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import duckdb
import polars as pl

from cohort.core.agencies import GENERATED
from cohort.core.statuses import status_params
from cohort.core.warehouse import fetch_one, query

# The SQL files are package data of `cohort.sql` (the `sql/` folder of a checkout).
SQL_DIR = Path(str(resources.files("cohort.sql")))

_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT_RE = re.compile(r"--[^\n]*")
_CRITERION_RE = re.compile(r"^rules/[a-z0-9_]+/(?P<criterion>[a-z][a-z0-9_]*)\.sql$")
CRITERION_SHAPE = "rules/criterion_shape.sql"
# `{{ name }}` in a SQL file: text generated from a registry (cohort.core.agencies.GENERATED),
# or `{{ evidence_list }}` below.
_GENERATED_RE = re.compile(r"\{\{ ([a-z_]+) \}\}")
# The evidence every criterion and result carries, aggregated over rows that have source,
# record_id, person_id, event_date and value (from one table, so the names need no alias):
# the input rows behind it, oldest first.
EVIDENCE_LIST = """list(
            {
                'source': source,
                'record_id': record_id,
                'person_id': person_id,
                'event_date': event_date,
                'value': value
            }
            order by event_date, source, record_id, value
        )"""
_TEXTS = {**GENERATED, "evidence_list": lambda: EVIDENCE_LIST}


def sql_path(relpath: str | Path) -> Path:
    p = Path(relpath)
    return p if p.is_absolute() else SQL_DIR / p


def load_sql(relpath: str | Path) -> str:
    """A SQL file's text, with what it asks to be generated filled in; a criterion file
    comes inside the criterion shape."""
    path = sql_path(relpath)
    text = _GENERATED_RE.sub(lambda m: _TEXTS[m[1]](), path.read_text(encoding="utf-8"))
    try:
        rel = path.relative_to(SQL_DIR).as_posix()
    except ValueError:
        return text
    match = _CRITERION_RE.match(rel)
    return criterion_sql(text, match["criterion"]) if match else text


def criterion_sql(items_sql: str, criterion: str) -> str:
    """A criterion's items inside the shared shape. The name comes from the file name (a
    lowercase identifier, checked by _CRITERION_RE), never from data."""
    shape = load_sql(CRITERION_SHAPE).strip().rstrip(";")
    items = items_sql.strip().rstrip(";")
    return (
        f"with criterion_items as (\n{items}\n),\n"
        f"criterion_name as (\n    select '{criterion}' as criterion\n)\n"
        f"select * from (\n{shape}\n) as criterion_shape"
    )


def referenced_params(sql: str) -> set[str]:
    return set(_PARAM_RE.findall(_COMMENT_RE.sub("", sql)))


def bind(sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    wanted = referenced_params(sql)
    params = {**status_params(), **(params or {})}
    missing = wanted - params.keys()
    if missing:
        raise KeyError(f"SQL needs parameter(s) not supplied: {', '.join(sorted(missing))}")
    return {k: params[k] for k in wanted}


def run_sql(
    con: duckdb.DuckDBPyConnection,
    relpath: str | Path,
    params: Mapping[str, Any] | None = None,
    frames: Mapping[str, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """Run one SQL file and return its result as a polars frame."""
    sql = load_sql(relpath)
    for name, frame in (frames or {}).items():
        con.register(name, frame)
    try:
        return query(con, sql, bind(sql, params))
    finally:
        for name in frames or {}:
            con.unregister(name)


def materialise(
    con: duckdb.DuckDBPyConnection,
    table: str,
    relpath: str | Path,
    params: Mapping[str, Any] | None = None,
) -> int:
    """Run one SQL file into a warehouse table (replacing it); return its row count."""
    sql = load_sql(relpath).strip().rstrip(";")
    con.execute(f'create or replace table "{table}" as {sql}', bind(sql, params))
    return fetch_one(con.execute(f'select count(*) from "{table}"'))[0]
