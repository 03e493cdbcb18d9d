"""What two runs' outputs are compared by: file digests, and run summaries without timings."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cohort.flows.stages import STAGES


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def summary_without_seconds(out: Path) -> dict:
    """run_summary.json as a re-run must reproduce it: everything but the stage timings."""
    summary = json.loads((out / "run_summary.json").read_text())
    assert set(summary.pop("seconds")) == {name for name, _ in STAGES}, "every stage's seconds"
    return summary
