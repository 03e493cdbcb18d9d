"""Shared test setup: Prefect stays local and offline, with its home (and our cache) in temp folders."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="cohort-test-prefect-")
atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], ignore_errors=True)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
# The migrated-database template (flows/prefect_server.py) goes to a cache of this session's own.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="cohort-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], ignore_errors=True)

import pytest  # noqa: E402

from cohort.flows.prefect_env import configure  # noqa: E402

configure()


@pytest.fixture(scope="session")
def small_drop(tmp_path_factory) -> Path:
    """A generated drop of 300 households with its ground truth (extracts/ and truth/)."""
    from cohort.data_samples.generator import generate

    root = tmp_path_factory.mktemp("drop300")
    generate(root, households=300, seed=8)
    return root


@pytest.fixture(scope="session")
def first_run(small_drop, tmp_path_factory) -> Path:
    """One `cohort run` of the small drop as of 2014-03-31: its folder holds w.duckdb and out/."""
    from cohort.cli import main

    work = tmp_path_factory.mktemp("run1")
    started = datetime.now(timezone.utc)
    rc = main(["run", "--input", str(small_drop / "extracts"), "--as-of", "2014-03-31",
               "--db", str(work / "w.duckdb"), "--out", str(work / "out")])
    assert rc == 0
    # Other tests run the same drop and month, so the same run id; this tells this run's
    # Prefect artifacts from theirs.
    (work / "ran_between.txt").write_text(f"{started.isoformat()} {datetime.now(timezone.utc).isoformat()}")
    return work
