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
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

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


def append_file(db: Path, record: dict[str, Any]) -> Path:
    path = Path(db).with_name(Path(db).name + ".runlog.jsonl")
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    return path


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
        }
    )
    append_table(con, "runs", row)
