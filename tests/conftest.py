"""Shared test setup: Prefect stays local and offline, with its home in a temp folder."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="cohort-test-prefect-")
atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], ignore_errors=True)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"

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
