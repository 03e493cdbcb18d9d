"""Accuracy of a whole `cohort run` against the generator's ground truth.

    python benchmarks/accuracy.py --households 5000 [--seed 11] [--programme phase1]

Printed: person and household pairwise precision/recall/F1, precision/recall of the
families in the programme (automatic + discretionary), status agreement over the true
families (each matched to the predicted family most of its records were given), and
each phase 1 criterion's recall over the true families that meet it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from cohort.cli import main as cohort_main  # noqa: E402
from cohort.data_samples.evaluate import (  # noqa: E402
    criterion_recall, household_accuracy, identified_accuracy, person_accuracy, status_agreement,
)
from cohort.data_samples.generator import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--programme", default="phase1")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cohort-accuracy-"))
    print(machine())
    generate(work / "drop", households=args.households, seed=args.seed)
    t = time.perf_counter()
    rc = cohort_main(["run", "--input", str(work / "drop" / "extracts"), "--as-of", "2014-03-31",
                      "--db", str(work / "w.duckdb"), "--out", str(work / "out"),
                      "--programme", args.programme])
    assert rc == 0
    print(f"run took {time.perf_counter() - t:.1f}s")
    out, truth = work / "out", work / "drop" / "truth"
    print(f"households generated: {args.households} (seed {args.seed})")
    print("person links (pairwise, records):  ", person_accuracy(out, truth))
    print("households (pairwise, true persons):", household_accuracy(out, truth))
    col = "status" if args.programme == "phase1" else "p2_status"
    print("automatic+discretionary families:  ", identified_accuracy(out, truth, col))
    print(f"status agreement (true families):    {status_agreement(out, truth, col):.4f}")
    if args.programme == "phase1":
        for crit in ("crime_asb", "education", "work"):
            c = criterion_recall(out, truth, crit)
            print(f"{crit} recall (true families):{'':<{14 - len(crit)}}{c.recall:.4f} ({c.tp} of {c.actual})")


if __name__ == "__main__":
    main()
