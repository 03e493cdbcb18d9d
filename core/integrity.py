"""Is this a warehouse we can use? And a private snapshot of it for readers.

`check_warehouse` turns everything that can be wrong with `--db` into one plain sentence
(WarehouseError) before any work starts: a folder, a file that is not DuckDB, a damaged
(truncated) file, a warehouse from a newer version of cohort, one open in another program.

Readers (`explain`, `review export`) work on `snapshot(db)`: a private copy, so they never
hold a lock a writer would meet. Writers never change the warehouse file in place (they
work on a copy and rename it into place, `cohort.core.commit`), so a byte copy taken at
any moment is a whole, committed warehouse.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from cohort.core import migrations
from cohort.core.errors import WarehouseError
from cohort.core.private import make_private, owner_only
from cohort.core.warehouse import connect, fetch_one

HEADER_BYTES = 3 * 4096  # DuckDB's file header; data blocks follow
MAGIC = b"DUCK"  # at bytes 8-11 of every DuckDB file


def wal_of(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + ".wal")


def _damaged(db: Path, why: str) -> WarehouseError:
    return WarehouseError(
        f"the warehouse {db} is damaged ({why}) and cannot be used; nothing was changed: restore it "
        f"from a backup copy (cohort keeps {db.name}.schema-*.backup before upgrades; your own "
        "backups otherwise) and run again")


def check_file(db: Path) -> None:
    """Refuse a folder, a file that is not DuckDB, or a truncated one (WarehouseError)."""
    db = Path(db)
    if db.is_dir():
        raise WarehouseError(f"--db {db} is a folder; give the warehouse file inside it, "
                             f"for example {db / 'warehouse.duckdb'}")
    size = db.stat().st_size
    with db.open("rb") as f:
        head = f.read(16)
    if size == 0 or head[8:12] != MAGIC:
        if size < HEADER_BYTES and head[8:12] == MAGIC:
            raise _damaged(db, f"only {size} bytes")
        raise WarehouseError(f"--db {db} is not a cohort warehouse (not a DuckDB file); "
                             "check the path, or give a new file name to start a new warehouse")


def probe(db: Path) -> int | None:
    """Open the real file read-only for a moment: its schema version, after refusing a file
    that is damaged, newer than this code, or open for writing in another program."""
    db = Path(db)
    try:
        with connect(db, read_only=True) as con:
            version = migrations.version_of(con)
            block_size, blocks, free = fetch_one(con.execute(
                "select block_size, total_blocks, free_blocks from pragma_database_size()"))
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            holder = text.split("Conflicting lock is held in", 1)[-1].split(". See also")[0].strip()
            raise WarehouseError(
                f"the warehouse {db} is open in another program ({holder}); nothing was changed: "
                "close it there and run this again") from None
        raise _damaged(db, "DuckDB cannot read it") from None
    except duckdb.Error:
        raise _damaged(db, "DuckDB cannot read it") from None
    # DuckDB writes whole blocks after its header and may drop free blocks at the end.
    size, least = db.stat().st_size, HEADER_BYTES + (blocks - free) * block_size
    if size < least or (blocks and (size - HEADER_BYTES) % block_size):
        raise _damaged(db, f"{size} bytes, where its own header needs whole blocks of {block_size} "
                           f"and at least {least}")
    if version is not None and version > migrations.SCHEMA_VERSION:
        raise WarehouseError(
            f"the warehouse {db} was written by a newer version of cohort (schema {version}; this one "
            f"knows up to {migrations.SCHEMA_VERSION}); nothing was changed: upgrade cohort to use it")
    return version


def check_warehouse(db: Path) -> int | None:
    """Every check on an existing warehouse file; its schema version (None when empty)."""
    check_file(db)
    return probe(db)


def copy_warehouse(db: Path, target: Path) -> None:
    """Copy the warehouse (and a WAL another program left) to `target`, owner-only."""
    with owner_only():
        shutil.copyfile(db, target)
        if wal_of(db).exists():
            shutil.copyfile(wal_of(db), wal_of(target))
    make_private(target)


SNAPSHOT_PREFIX = "snapshot"


def snapshot_folders(db: Path) -> list[Path]:
    """Snapshot folders beside the warehouse; the process id is the name's third part."""
    return sorted(Path(db).parent.glob(f".{Path(db).name}.{SNAPSHOT_PREFIX}-*"))


def _snapshot_folder(db: Path) -> Path:
    """A private folder for the copy: beside the warehouse (its disk has room for one),
    or in the temp folder when the reader may not write there."""
    with owner_only():
        try:
            return Path(tempfile.mkdtemp(prefix=f".{db.name}.{SNAPSHOT_PREFIX}-{os.getpid()}-", dir=db.parent))
        except OSError:
            return Path(tempfile.mkdtemp(prefix="cohort-snapshot-"))


@contextmanager
def snapshot(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a private copy of the warehouse, brought up to the current
    schema in the copy (the warehouse itself is never touched)."""
    db = Path(db)
    if not db.exists():
        raise WarehouseError(f"there is no warehouse at {db}; check --db")
    check_file(db)
    folder = _snapshot_folder(db)
    try:
        copy = folder / db.name
        copy_warehouse(db, copy)
        check_file(copy)
        try:
            probe(copy)
        except WarehouseError as exc:
            raise WarehouseError(str(exc).replace(str(copy), str(db))) from None
        try:
            with connect(copy) as con:
                migrations.upgrade(con)
        except duckdb.Error:
            raise _damaged(db, "DuckDB cannot read it") from None
        with connect(copy, read_only=True) as con:
            yield con
    finally:
        shutil.rmtree(folder, ignore_errors=True)
