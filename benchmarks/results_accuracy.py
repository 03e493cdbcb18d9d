"""Accuracy of a run's payment-by-results output against the generator's results truth.

    python benchmarks/results_accuracy.py --households 20000 --attach-months 9

Generates a drop (with its engagements extract and truth/results.csv; `--attach-months 9`:
families engaged nine months before T, judged by the oracle on that day, issue 10's new-county
case; empty for the generator's default engagements), runs it once on an empty warehouse,
and compares results.csv with the truth:
- (family, result) pairs: each run family stands for the true family most of its records
  belong to (as data_samples.evaluate does for identification); precision and recall of
  the set of (true family, result) pairs;
- on the pairs found in both: achieved_on and payment_gbp agreement;
- total payment against the expected total;
- each engagements row's state (admitted or not) and status on its attachment date against
  truth/engagements.csv.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from cohort.cli import main as cohort_main  # noqa: E402
from cohort.data_samples.generator import generate  # noqa: E402


@dataclass(frozen=True)
class ResultsAccuracy:
    precision: float
    recall: float
    tp: int
    predicted: int
    actual: int
    same_date: int
    same_payment: int
    paid_gbp: float
    expected_gbp: float

    def __str__(self) -> str:
        return (
            f"(family, result) pairs: precision {self.precision:.4f} recall {self.recall:.4f} "
            f"(tp {self.tp}, predicted {self.predicted}, actual {self.actual})\n"
            f"  of the {self.tp} found: same achieved_on {self.same_date}, same payment {self.same_payment}\n"
            f"  total payment £{self.paid_gbp:,.2f} against £{self.expected_gbp:,.2f} expected "
            f"({self.paid_gbp / self.expected_gbp:.1%})" if self.expected_gbp else "  no payment expected"
        )


def results_accuracy(out_dir: Path, truth_dir: Path) -> ResultsAccuracy:
    links = pl.read_csv(out_dir / "person_links.csv", infer_schema=False)
    records = pl.read_csv(truth_dir / "records.csv", infer_schema=False)
    stands_for = (
        records.join(links, on=["source", "record_id"], how="inner")
        .drop_nulls(["family_id", "true_family_id"])
        .group_by("family_id")
        .agg(pl.col("true_family_id").mode().sort().first())
    )
    got = (
        pl.read_csv(out_dir / "results.csv", infer_schema=False)
        .join(stands_for, on="family_id", how="left")
        .with_columns(pl.col("payment_gbp").cast(pl.Float64))
    )
    want = pl.read_csv(truth_dir / "results.csv", infer_schema=False).with_columns(
        pl.col("payment_gbp").cast(pl.Float64))
    pairs = got.drop_nulls("true_family_id").unique(["true_family_id", "result"], keep="first")
    both = pairs.join(want, on=["true_family_id", "result"], how="inner", suffix="_true")
    tp = both.height
    return ResultsAccuracy(
        precision=tp / got.height if got.height else 1.0,
        recall=tp / want.height if want.height else 1.0,
        tp=tp,
        predicted=got.height,
        actual=want.height,
        same_date=int((both["achieved_on"] == both["achieved_on_true"]).sum()),
        same_payment=int(((both["payment_gbp"] - both["payment_gbp_true"]).abs() < 0.005).sum()),
        paid_gbp=float(got["payment_gbp"].sum() or 0),
        expected_gbp=float(want["payment_gbp"].sum() or 0),
    )


def engagement_accuracy(work: Path) -> str:
    """The run's engagement states against the oracle's status on each attachment date."""
    import duckdb

    truth = pl.read_csv(work / "drop" / "truth" / "engagements.csv", infer_schema=False)
    with duckdb.connect(str(work / "w.duckdb"), read_only=True) as con:
        judged = con.sql("select published_family_id as family_id, state, status_on_attachment"
                         " from int_engagements__judged").pl()
    both = truth.join(judged, on="family_id", how="left")
    admitted = both["state"].is_in(["admitted", "redirected"])
    states = dict(judged.group_by("state").len().iter_rows())
    return (f"engagements: {truth.height} rows; run states {states}; admitted as the truth says "
            f"{int((admitted == (both['admitted'] == '1')).sum())} of {truth.height}; same status on the "
            f"attachment date {int((both['status_on_attachment'] == both['status_on_attachment_right']).sum())}"
            f" of {truth.height}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--work", type=Path, default=None, help="keep the drop and outputs here")
    ap.add_argument("--attach-months", default="9",
                    help="comma-separated months before T engaged families are attached on ('' for the default)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="cohort-results-"))
    months = tuple(int(m) for m in args.attach_months.split(",") if m.strip())
    print(machine())
    counts = generate(work / "drop", households=args.households, seed=args.seed, attach_months=months)
    print(f"households generated: {args.households} (seed {args.seed}); engagements {counts['engagements']}; "
          f"(attached {', '.join(map(str, months)) or 'by default'} months before T, "
          f"{counts['engagements_admitted']} in the programme that day); expected results {counts['results']}")
    t = time.perf_counter()
    rc = cohort_main(["run", "--input", str(work / "drop" / "extracts"), "--as-of", "2014-03-31",
                      "--db", str(work / "w.duckdb"), "--out", str(work / "out")])
    assert rc == 0
    print(f"run took {time.perf_counter() - t:.1f}s")
    print(results_accuracy(work / "out", work / "drop" / "truth"))
    print(engagement_accuracy(work))


if __name__ == "__main__":
    main()
