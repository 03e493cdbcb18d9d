"""Scoring a run's outputs against the generator's ground truth.

Used by the end-to-end tests and the accuracy benchmark, so both measure the same way:
- persons: pairwise precision/recall over input records (two records are a true pair
  when they share `true_person_id`, a predicted pair when they share `person_id`);
- households: pairwise over true persons, each placed in the family that most of its
  records were given (so a person-link error is not counted twice);
- identified families: each predicted family stands for the true family most of its
  records belong to; precision and recall of the set with status automatic or
  discretionary (the families that must or may be worked with).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

IDENTIFIED = ("automatic", "discretionary")


@dataclass(frozen=True)
class PR:
    precision: float
    recall: float
    tp: int
    predicted: int
    actual: int

    @property
    def f1(self) -> float:
        s = self.precision + self.recall
        return 0.0 if s == 0 else 2 * self.precision * self.recall / s

    def __str__(self) -> str:
        return (f"precision {self.precision:.4f} recall {self.recall:.4f} F1 {self.f1:.4f} "
                f"(tp {self.tp}, predicted {self.predicted}, actual {self.actual})")


def _pairs(n: pl.Expr) -> pl.Expr:
    return (n * (n - 1) // 2).sum()


def pairwise(frame: pl.DataFrame, pred: str, true: str) -> PR:
    """Pairwise precision/recall of clusterings given as two label columns (nulls: no pairs)."""
    pred_pairs = frame.drop_nulls(pred).group_by(pred).len().select(_pairs(pl.col("len"))).item()
    true_pairs = frame.drop_nulls(true).group_by(true).len().select(_pairs(pl.col("len"))).item()
    tp = frame.drop_nulls([pred, true]).group_by(pred, true).len().select(_pairs(pl.col("len"))).item()
    return PR(
        precision=tp / pred_pairs if pred_pairs else 1.0,
        recall=tp / true_pairs if true_pairs else 1.0,
        tp=int(tp), predicted=int(pred_pairs), actual=int(true_pairs),
    )


def _joined(out_dir: Path, truth_dir: Path) -> pl.DataFrame:
    links = pl.read_csv(out_dir / "person_links.csv", infer_schema=False)
    truth = pl.read_csv(truth_dir / "records.csv", infer_schema=False)
    return truth.join(links, on=["source", "record_id"], how="left")


def person_accuracy(out_dir: Path, truth_dir: Path) -> PR:
    return pairwise(_joined(out_dir, truth_dir), "person_id", "true_person_id")


def household_accuracy(out_dir: Path, truth_dir: Path) -> PR:
    j = _joined(out_dir, truth_dir)
    per_person = (
        j.group_by("true_person_id", "true_family_id")
        .agg(pl.col("family_id").drop_nulls().mode().sort().first().alias("family_id"))
    )
    return pairwise(per_person, "family_id", "true_family_id")


def _families(out_dir: Path, truth_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """families.csv as the run wrote it and as the generator's truth holds it."""
    return (pl.read_csv(out_dir / "families.csv", infer_schema=False),
            pl.read_csv(truth_dir / "families.csv", infer_schema=False))


def _most_often(joined: pl.DataFrame, key: str, value: str) -> pl.DataFrame:
    """Each `key` with the `value` most of its records have (ties to the smallest), over
    the records that have both."""
    return (
        joined.drop_nulls(["family_id", "true_family_id"])
        .group_by(key)
        .agg(pl.col(value).mode().sort().first())
    )


def identified_accuracy(out_dir: Path, truth_dir: Path, status_col: str = "status") -> PR:
    fam, true_fam = _families(out_dir, truth_dir)
    stands_for = _most_often(_joined(out_dir, truth_dir), "family_id", "true_family_id")
    predicted = (
        fam.filter(pl.col("status").is_in(IDENTIFIED))
        .join(stands_for, on="family_id", how="left")
    )
    actual = set(true_fam.filter(pl.col(status_col).is_in(IDENTIFIED))["true_family_id"])
    seen: set[str] = set()
    tp = 0
    for t in predicted.sort("family_id")["true_family_id"]:
        if t in actual and t not in seen:
            tp += 1
            seen.add(t)
    return PR(
        precision=tp / predicted.height if predicted.height else 1.0,
        recall=tp / len(actual) if actual else 1.0,
        tp=tp, predicted=predicted.height, actual=len(actual),
    )


def _family_for_truth(out_dir: Path, truth_dir: Path) -> pl.DataFrame:
    """Each true family with the predicted family most of its records were given, and both
    rows of families.csv side by side (predicted columns suffixed `_pred`)."""
    fam, true_fam = _families(out_dir, truth_dir)
    given = _most_often(_joined(out_dir, truth_dir), "true_family_id", "family_id")
    pred = fam.rename({c: f"{c}_pred" for c in fam.columns if c != "family_id"})
    return true_fam.join(given, on="true_family_id", how="left").join(pred, on="family_id", how="left")


def status_agreement(out_dir: Path, truth_dir: Path, status_col: str = "status") -> float:
    """Share of true families whose predicted family has the true status (none: disagrees)."""
    f = _family_for_truth(out_dir, truth_dir)
    return f.select((pl.col(status_col) == pl.col("status_pred")).fill_null(False).mean()).item()


def criterion_recall(out_dir: Path, truth_dir: Path, criterion: str) -> PR:
    """Of the true families meeting `criterion`, how many have a predicted family meeting it."""
    f = _family_for_truth(out_dir, truth_dir).filter(pl.col(criterion) == "1")
    tp = f.filter(pl.col(f"{criterion}_pred") == "1").height
    return PR(precision=float("nan"), recall=tp / f.height if f.height else 1.0, tp=tp, predicted=0, actual=f.height)


def with_true_persons(pairs: pl.DataFrame, truth_dir: Path) -> pl.DataFrame:
    """Scored record pairs (`source_l, record_id_l, source_r, record_id_r`) with each side's
    true person (`t_l`, `t_r`) from the truth's records.csv."""
    t = pl.read_csv(truth_dir / "records.csv", infer_schema=False).select("source", "record_id", "true_person_id")
    for s in ("l", "r"):
        pairs = pairs.join(t.rename({"source": f"source_{s}", "record_id": f"record_id_{s}",
                                     "true_person_id": f"t_{s}"}), on=[f"source_{s}", f"record_id_{s}"])
    return pairs

