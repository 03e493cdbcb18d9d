"""What judging engaged families as at their attachment dates adds to a run (issue 10).

    python benchmarks/attachment_timing.py --households 140000 --attach-months 1,2,3,4,5,6,7,8,9,10,11,12

Generates a drop whose engaged families are attached the given numbers of months before T
(one distinct date each), runs `cohort run` once as a child process on a new warehouse
(wall time, and the results stage's seconds from the warehouse `runs` table), then times the
engagement judging alone (`programme.engagements.judge_engagements`: resolving the rows,
the point-in-time batch over every attachment date, the states) on a copy of the finished
warehouse, `--repeat` times, and reports the median against the run's wall time. Taken on a
shared machine the figures are noisy: say so when quoting them, and re-run on a quiet one.
`--drop DIR` reuses a generated drop (its manifest says which months).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, timed_run  # noqa: E402

import duckdb  # noqa: E402

from cohort.core.ruleset import load_ruleset  # noqa: E402
from cohort.core.warehouse import fetch_one  # noqa: E402
from cohort.data_samples.generator import generate  # noqa: E402
from cohort.programme.engagements import judge_engagements  # noqa: E402

T = date(2014, 3, 31)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=140000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--attach-months", default="1,2,3,4,5,6,7,8,9,10,11,12")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--drop", type=Path, default=None, help="a drop generated before (DIR with extracts/)")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cohort-attach-"))
    work.mkdir(parents=True, exist_ok=True)
    print(machine())
    drop = args.drop
    if drop is None:
        months = tuple(int(m) for m in args.attach_months.split(",") if m.strip())
        drop = work / "drop"
        t = time.perf_counter()
        generate(drop, households=args.households, seed=args.seed, attach_months=months)
        print(f"generated {args.households} households in {time.perf_counter() - t:.1f}s")
    manifest = json.loads((drop / "manifest.json").read_text())
    rows = sum(1 for f in (drop / "extracts").glob("*.csv") for _ in f.open()) - len(list((drop / "extracts").glob("*.csv")))
    print(f"input rows: {rows}; households {manifest['households']}; engagements {manifest['counts']['engagements']} "
          f"attached {manifest.get('attach_months')} months before T")

    db, out = work / "w.duckdb", work / "out"
    for stale in (db, out):
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    wall = timed_run(drop / "extracts", T.isoformat(), db, out)
    with duckdb.connect(str(db), read_only=True) as con:
        counts = json.loads(fetch_one(con.execute("select counts from runs order by finished_at desc limit 1"))[0])
        dates = fetch_one(con.execute("select count(distinct judged_on) from int_engagements__judged"))[0]
        families = fetch_one(con.execute("select count(*) from attachment_status"))[0]
    print(f"cohort run: wall {wall:.1f}s; seconds per stage {counts['stage_seconds']}")
    print(f"engagements {counts['results']['engagements']}; {families} families judged as at {dates} dates")

    seconds = []
    for i in range(args.repeat):
        copy = work / f"copy{i}.duckdb"
        shutil.copy(db, copy)
        with duckdb.connect(str(copy)) as con:
            t = time.perf_counter()
            judge_engagements(con, "phase1", load_ruleset(), T)
            seconds.append(time.perf_counter() - t)
        copy.unlink()
    pit = statistics.median(seconds)
    print(f"judging the engaged families as at their attachment dates: median {pit:.2f}s of {args.repeat} "
          f"({', '.join(f'{s:.2f}' for s in seconds)}), {pit / wall:.1%} of the run's wall time (bar: under 10 %)")


if __name__ == "__main__":
    main()
