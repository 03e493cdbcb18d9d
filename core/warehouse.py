"""The DuckDB warehouse: connecting, reading and writing tables.

How a writer's work reaches the warehouse file all or nothing (a working copy, a journal,
one rename) is `cohort.core.commit`; whether a file is a warehouse we can use, and the
snapshot readers work on, is `cohort.core.integrity`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import duckdb
import polars as pl


@contextmanager
def connect(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def write_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Replace warehouse table `name` with the contents of a polars frame."""
    con.register("_frame", frame)
    try:
        con.execute(f'create or replace table "{name}" as select * from _frame')
    finally:
        con.unregister("_frame")


def write_tables(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame]) -> None:
    """`write_table` for each of a stage's tables, two at a time on cursors of their own:
    DuckDB writes one table from a frame mostly on one core, and the tables are
    independent (the validate stage's dozen took half the time at county scale)."""
    def write(item: tuple[str, pl.DataFrame]) -> None:
        cursor = con.cursor()
        try:
            write_table(cursor, *item)
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="write") as pool:
        list(pool.map(write, frames.items()))


def query(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> pl.DataFrame:
    """A read-only query's rows as a polars frame."""
    return con.sql(sql, params=params).pl()


def fetch_one(cursor: duckdb.DuckDBPyConnection) -> tuple | None:
    """The first row of `con.execute(...)`, finishing the result: DuckDB 2 refuses other
    work on a connection while a result is only partly fetched."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def read_table(con: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
    return query(con, f'select * from "{name}"')


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        fetch_one(con.execute(
            "select count(*) from information_schema.tables where table_name = $name",
            {"name": name},
        ))[0]
    )


def append_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Append rows to a history table, creating it from the frame's shape the first time."""
    con.register("_frame", frame)
    try:
        if not table_exists(con, name):
            con.execute(f'create table "{name}" as select * from _frame limit 0')
        con.execute(f'insert into "{name}" by name select * from _frame')
    finally:
        con.unregister("_frame")
