"""What every benchmark prints first: the machine, so figures are read in context."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = "?"
    return (f"machine: {os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB RAM, "
            f"Python {sys.version.split()[0]}, {platform.system()} {platform.release()}, commit {commit}")


# The stages of `flows.stages.STAGES` called in order on a Workspace, as the flow calls
# them but without Prefect; argv: the extracts folder, a work folder (warehouse, outputs,
# and stage_seconds.json with each stage's time).
DIRECT = """
import json, sys, time
from datetime import date
from pathlib import Path
from cohort.core.ruleset import load_ruleset
from cohort.core.commit import Workspace
from cohort.flows.stages import STAGES, RunSettings
drop, work = Path(sys.argv[1]), Path(sys.argv[2])
ws = Workspace.open(work / "w.duckdb", work / "out")
s = RunSettings(run_id="direct", input_dir=drop, as_of=date(2014, 3, 31), programme="phase1",
                ruleset=load_ruleset(), work_db=ws.work_db, staging=ws.staging)
seconds = {}
for name, fn in STAGES:
    t = time.perf_counter()
    fn(s)
    seconds[name] = round(time.perf_counter() - t, 2)
ws.commit()
(work / "stage_seconds.json").write_text(json.dumps(seconds))
"""


def timed_run(extracts: Path, as_of: str, db: Path, out: Path) -> float:
    """`cohort run` in its own process, as a council runs it; its wall seconds. A failed run
    prints the ends of its output and stops the benchmark."""
    cmd = [sys.executable, "-m", "cohort.cli", "run", "--input", str(extracts), "--as-of", as_of,
           "--db", str(db), "--out", str(out)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit("run failed")
    return wall
