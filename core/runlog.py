"""The run log: what every run was given, what it did and how it ended.

Successful runs are rows of the warehouse's `runs` table, committed with the rest of the
run. A failed run must leave the warehouse untouched, so every attempt (success or
failure) is also appended to a JSON-lines file beside the warehouse
(`<warehouse>.runlog.jsonl`). Neither holds names, dates of birth or addresses: only
file names, checksums, settings, counts and the plain-language error.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import tempfile
import traceback
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from cohort.core.private import FILE_MODE, make_private
from cohort.core.warehouse import append_table

EXTRACT_SUFFIXES = {".csv", ".xlsx"}


def input_checksums(input_dir: Path) -> dict[str, str]:
    """sha256 of each extract file in the drop, by lower-cased file name."""
    return {
        p.name.lower(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(input_dir).iterdir())
        if p.is_file() and p.suffix.lower() in EXTRACT_SUFFIXES
    }


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The package version, plus the git commit when run from a checkout (asked once)."""
    try:
        version = metadata.version("cohort")
    except metadata.PackageNotFoundError:
        version = "unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{version}+{commit}" if commit else version


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def entry(*, run_id: str, as_of, programme: str, started_at: datetime, outcome: str,
          checksums: dict[str, str], settings_json: str, summary: dict[str, Any],
          error: str | None = None) -> dict[str, Any]:
    finished = now()
    return {
        "run_id": run_id,
        "as_of": str(as_of),
        "programme": programme,
        "started_at": started_at.isoformat(),
        "finished_at": finished.isoformat(),
        "seconds": round((finished - started_at).total_seconds(), 1),
        "outcome": outcome,
        "error": error,
        "code_version": code_version(),
        "input_checksums": checksums,
        "settings": json.loads(settings_json),
        "counts": {k: v for k, v in summary.items() if k not in {"run_id", "as_of", "programme"}},
    }


def log_path(db: Path) -> Path:
    return Path(db).with_name(Path(db).name + ".runlog.jsonl")


def append_file(db: Path, record: dict[str, Any]) -> Path:
    """Append one record (one line) to the run log, which is owner-only (600)."""
    path = log_path(db)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    make_private(path)
    return path


def has_attempt(db: Path, attempt: str) -> bool:
    """Whether the run log already has a record of this attempt (see cohort.core.commit)."""
    path = log_path(db)
    if not path.exists():
        return False
    needle = f'"attempt": "{attempt}"'
    with path.open(encoding="utf-8", errors="replace") as f:
        return any(needle in line for line in f)


def append_failure(db: Path | None, command: str, exc: BaseException) -> Path:
    """Record a failure nobody foresaw, with what a developer needs and no personal data:
    the kind of error, where it happened (file, line, function of each frame) and, for an
    operating-system error, its number and file. Messages are left out: a library's message
    can quote the row it choked on. Beside the warehouse, or in the temp folder without one.
    """
    frames = [f"{Path(f.filename).name}:{f.lineno} in {f.name}"
              for e in _chain(exc) for f in traceback.extract_tb(e.__traceback__)]
    record = {
        "outcome": "failed unexpectedly",
        "command": command,
        "at": now().isoformat(),
        "code_version": code_version(),
        "error": " <- ".join(type(e).__module__ + "." + type(e).__qualname__ for e in _chain(exc)),
        "os_error": [{"errno": e.errno, "file": str(e.filename) if e.filename else None}
                     for e in _chain(exc) if isinstance(e, OSError)],
        "traceback": frames,
    }
    target = Path(db) if db is not None else Path(tempfile.gettempdir()) / "cohort"
    try:
        return append_file(target, record)
    except OSError:
        return append_file(Path(tempfile.gettempdir()) / "cohort", record)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def append_warehouse(con: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> None:
    row = pl.DataFrame(
        {
            "run_id": [record["run_id"]],
            "as_of": [datetime.fromisoformat(record["as_of"]).date()],
            "programme": [record["programme"]],
            "started_at": [datetime.fromisoformat(record["started_at"])],
            "finished_at": [datetime.fromisoformat(record["finished_at"])],
            "seconds": [float(record["seconds"])],
            "outcome": [record["outcome"]],
            "code_version": [record["code_version"]],
            "input_checksums": [json.dumps(record["input_checksums"], sort_keys=True)],
            "settings": [json.dumps(record["settings"], sort_keys=True)],
            "counts": [json.dumps(record["counts"], sort_keys=True, default=str)],
            "output_folder": [record.get("output_folder")],
        },
        schema_overrides={"output_folder": pl.Utf8},
    )
    append_table(con, "runs", row)
