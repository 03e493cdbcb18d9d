"""Wall time and peak memory of one `cohort run` on a generated drop.

    python benchmarks/scale.py --households 20000

The run is a child process so its peak resident memory (max RSS) is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, timed_run  # noqa: E402

from cohort.data_samples.generator import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cohort-scale-"))
    print(machine())
    t = time.perf_counter()
    counts = generate(work / "drop", households=args.households, seed=args.seed)
    print(f"generated {args.households} households in {time.perf_counter() - t:.1f}s")
    rows = sum(1 for f in (work / "drop" / "extracts").glob("*.csv")
               for _ in f.open()) - len(list((work / "drop" / "extracts").glob("*.csv")))
    print(f"input rows: {rows}")
    wall = timed_run(work / "drop" / "extracts", "2014-03-31", work / "w.duckdb", work / "out")
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    summary = json.loads((work / "out" / "run_summary.json").read_text())
    import duckdb

    from cohort.core.warehouse import fetch_one

    con = duckdb.connect(str(work / "w.duckdb"), read_only=True)
    counts = json.loads(fetch_one(con.execute("select counts from runs order by finished_at desc limit 1"))[0])
    print(f"cohort run: wall {wall:.1f}s, peak memory {peak_mib:.0f} MiB, {rows} input rows, "
          f"{summary['match']['persons']} persons, {summary['households']['households']} households")
    print("seconds per stage:", counts["seconds"])
    _ = counts


if __name__ == "__main__":
    main()
