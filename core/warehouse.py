"""The DuckDB warehouse and the all-or-nothing swap of a run's results.

A run never touches the real warehouse or output folder while it works. It works on a
copy of the warehouse file and writes its exports to a staging folder beside `--out`.
Only after every stage has succeeded does `commit` replace the warehouse (one atomic
rename) and move each export into place. A failed run deletes its copy and staging
folder, so the previous warehouse and outputs are exactly as they were.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Workspace:
    """Where one run works before it is committed."""

    db: Path  # the real warehouse
    out: Path  # the real output folder
    work_db: Path  # the copy the run writes
    staging: Path  # the folder the run exports into

    @classmethod
    def open(cls, db: Path, out: Path) -> "Workspace":
        db, out = Path(db).resolve(), Path(out).resolve()
        db.parent.mkdir(parents=True, exist_ok=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:8]
        work_db = db.with_name(f".{db.name}.run-{token}")
        staging = out.with_name(f".{out.name}.run-{token}")
        if db.exists():
            shutil.copy2(db, work_db)
        staging.mkdir()
        return cls(db=db, out=out, work_db=work_db, staging=staging)

    def commit(self) -> list[Path]:
        """Swap the warehouse, then move each export into `out`; return what was placed.

        Only the names this run produced are replaced in `out`, so a folder the user
        shares with other files keeps them.
        """
        wal = self.work_db.with_name(self.work_db.name + ".wal")
        if wal.exists():  # a cleanly closed DuckDB has no WAL; never leave one behind
            raise RuntimeError("warehouse copy was not closed cleanly; not committing")
        os.replace(self.work_db, self.db)
        self.out.mkdir(parents=True, exist_ok=True)
        placed = []
        for item in sorted(self.staging.iterdir()):
            target = self.out / item.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
            placed.append(target)
        shutil.rmtree(self.staging, ignore_errors=True)
        return placed

    def abandon(self) -> None:
        for p in (self.work_db, self.work_db.with_name(self.work_db.name + ".wal")):
            p.unlink(missing_ok=True)
        shutil.rmtree(self.staging, ignore_errors=True)


def append_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Append rows to a history table, creating it from the frame's shape the first time."""
    con.register("_frame", frame)
    try:
        if not table_exists(con, name):
            con.execute(f'create table "{name}" as select * from _frame limit 0')
        con.execute(f'insert into "{name}" select * from _frame')
    finally:
        con.unregister("_frame")
