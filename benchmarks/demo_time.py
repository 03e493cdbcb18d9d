"""Where a small run's time goes: `cohort demo` (600 households) timed as a user meets it.

    python benchmarks/demo_time.py [--repeat 3] [--cohort /path/to/venv/bin/cohort]

Three cases, each in a new process with no Prefect settings of its own:
  first      a new warehouse on a machine that has never run cohort (Prefect's database
             is created and migrated);
  new        a new warehouse once this Prefect version's migrated database is cached;
  again      the same warehouse run again (its Prefect home already exists).
For each: wall seconds, CPU seconds (the run and its Prefect server together), when the
first line appeared, when Prefect's local API was ready, and the stages' own seconds
(run_summary.json). Best of --repeat; the machine line says what it ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def demo(cohort: list[str], workdir: Path, cache: Path) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_HOME", "PREFECT_API_URL")}
    env["XDG_CACHE_HOME"] = str(cache)
    cpu, started = _cpu(), time.perf_counter()
    proc = subprocess.Popen([*cohort, "demo", "--workdir", str(workdir)], env=env, cwd=workdir.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first, prefect = None, float("nan")
    for line in proc.stderr:
        first = first or time.perf_counter() - started
        if line.strip().startswith("prefect "):
            prefect = float(re.search(r"([\d.]+) s\s*$", line).group(1))
    if proc.wait():
        raise SystemExit("cohort demo failed")
    wall = time.perf_counter() - started
    seconds = json.loads((workdir / "outputs" / "run_summary.json").read_text()).get("seconds")
    stages = sum(seconds.values()) if seconds else float("nan")  # older versions kept no timings there
    return {"wall": wall, "cpu": _cpu() - cpu, "first line": first, "prefect ready": prefect, "stages": stages}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cohort", default=None, help="the cohort command to time (default: this Python's)")
    args = ap.parse_args()
    cohort = [args.cohort] if args.cohort else [sys.executable, "-m", "cohort"]
    print(machine())
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        root = Path(tempfile.mkdtemp(prefix="cohort-demo-time-"))
        cache = root / "cache"
        runs = {"first": demo(cohort, root / "a", cache), "new": demo(cohort, root / "b", cache),
                "again": demo(cohort, root / "b", cache)}
        for case, figures in runs.items():
            if case not in best or figures["wall"] < best[case]["wall"]:
                best[case] = figures
        shutil.rmtree(root, ignore_errors=True)
    print(f"{'case':<8}" + "".join(f"{k:>15}" for k in best["first"]))
    for case, figures in best.items():
        print(f"{case:<8}" + "".join(f"{v:>14.1f}s" for v in figures.values()))
    print(f"best of {args.repeat}; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
