"""Person linking and households on a generated drop, scored against its ground truth.

    python benchmarks/matching_generator.py --households 20000 [--seed 11] [--drop DIR]

The drop is ingested and unioned into `records` by the project's own code, once; then
`link_persons` and `form_households` run on it, as the match and households stages do.
Printed: pairwise precision/recall/F1 of persons (over records) and households (over
true persons, each placed in the family most of its records were given), and the
guards' figures from `truth/persons.csv`'s `kind` column: how many pairs of twins and
how many same-name parent/child pairs share a predicted person (the target is 0), and the
time of each step. `--drop` reuses a drop generated earlier (its `extracts/` and
`truth/`), so the model can be tried again on the same data.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from cohort.programme.rules import build_records  # noqa: E402
from cohort.core.warehouse import read_table, write_table  # noqa: E402
from cohort.data_samples.evaluate import pairwise  # noqa: E402
from cohort.data_samples.generator import generate  # noqa: E402
from cohort.matching.households import form_households  # noqa: E402
from cohort.matching.pipeline import link_persons  # noqa: E402
from cohort.schemas.ingest import load_drop  # noqa: E402

AS_OF = date(2014, 3, 31)


def build_records_frame(extracts: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records, stg_housing): the drop ingested and unioned by the project's SQL, in memory."""
    drop = load_drop(extracts)
    con = duckdb.connect()
    try:
        for name, frame in drop.clean.items():
            write_table(con, f"stg_{name}", frame)
        build_records(con, AS_OF)
        return read_table(con, "records"), drop.clean["housing"]
    finally:
        con.close()


def guard_pairs(truth_dir: Path) -> dict[str, pl.DataFrame]:
    """The true-person pairs that must never share a person: twins (both `twin`, one
    family, one date of birth) and same-name parent/child (`same_name_parent` and
    `same_name_child` in one family with one forename). Frames of (a, b)."""
    persons = pl.read_csv(truth_dir / "persons.csv", infer_schema=False).with_columns(
        pl.col("kind").fill_null(""))

    def pairs(left: pl.DataFrame, right: pl.DataFrame, on: list[str]) -> pl.DataFrame:
        return (
            left.join(right, on=on, suffix="_r")
            .filter(pl.col("true_person_id") != pl.col("true_person_id_r"))
            .select(pl.min_horizontal("true_person_id", "true_person_id_r").alias("a"),
                    pl.max_horizontal("true_person_id", "true_person_id_r").alias("b"))
            .unique()
        )

    twins = persons.filter(pl.col("kind").str.contains("twin"))
    parents = persons.filter(pl.col("kind").str.contains("same_name_parent"))
    children = persons.filter(pl.col("kind").str.contains("same_name_child"))
    return {
        "twins": pairs(twins, twins, ["true_family_id", "dob"]),
        "same-name parent/child": pairs(parents, children, ["true_family_id", "forename"]),
    }


def merged(pairs: pl.DataFrame, labelled: pl.DataFrame, pred: str = "person_id") -> int:
    """How many of the true-person pairs (a, b) have records sharing a predicted person."""
    own = labelled.drop_nulls(pred).select("true_person_id", pred).unique()
    return (
        pairs.join(own.rename({"true_person_id": "a"}), on="a")
        .join(own.rename({"true_person_id": "b"}), on=["b", pred])
        .select("a", "b").unique().height
    )


CALIBRATION_BINS = (0.01, 0.1, 0.5, 0.9, 0.99, 0.999)


def _band(p: pl.Expr) -> pl.Expr:
    edges = (0.0, *CALIBRATION_BINS, 1.0)
    out = pl.when(p <= edges[1]).then(pl.lit(f"[0, {edges[1]}]"))
    for lo, hi in zip(edges[1:-1], edges[2:]):
        out = out.when(p <= hi).then(pl.lit(f"({lo}, {hi}]"))
    return out


def calibration(pairs: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Unguarded scored pairs by predicted probability: how many, their mean probability
    and the share that are one true person (each pair shown by one record per side)."""
    person = truth.select("source", "record_id", "true_person_id")
    side = {s: person.rename({"source": f"source_{s}", "record_id": f"record_id_{s}",
                              "true_person_id": f"t_{s}"}) for s in ("l", "r")}
    return (
        pairs.filter(pl.col("guard").is_null())
        .join(side["l"], on=["source_l", "record_id_l"]).join(side["r"], on=["source_r", "record_id_r"])
        .with_columns(_band(pl.col("probability")).alias("probability band"))
        .group_by("probability band")
        .agg(pl.len().alias("pairs"), pl.col("probability").mean().alias("mean probability"),
             (pl.col("t_l") == pl.col("t_r")).mean().alias("share true"))
        .sort("mean probability")
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--drop", type=Path, default=None, help="a drop generated earlier (reused as is)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(machine())
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}")
    drop = args.drop
    if drop is None:
        drop = Path(tempfile.mkdtemp(prefix="cohort-matching-"))
        atexit.register(shutil.rmtree, drop, ignore_errors=True)
        generate(drop, households=args.households, seed=args.seed, as_of=AS_OF)
        print(f"generated {args.households} households (seed {args.seed})")
    n_households = json.loads((drop / "manifest.json").read_text())["households"]
    records, housing = build_records_frame(drop / "extracts")
    truth = pl.read_csv(drop / "truth" / "records.csv", infer_schema=False)

    t = time.perf_counter()
    result = link_persons(records)
    t_link = time.perf_counter() - t
    t = time.perf_counter()
    hh = form_households(records, result.links, housing, AS_OF)
    t_households = time.perf_counter() - t

    labelled = truth.join(result.links.select("source", "record_id", "person_id"),
                          on=["source", "record_id"], how="left")
    with_family = labelled.join(hh.members.select("person_id", "family_id"), on="person_id", how="left")
    per_person = with_family.group_by("true_person_id", "true_family_id").agg(
        pl.col("family_id").drop_nulls().mode().sort().first())
    print(f"{records.height} records, {truth['true_person_id'].n_unique()} true persons; "
          f"link_persons {t_link:.1f}s, form_households {t_households:.1f}s")
    print(f"candidate pairs: {int(result.blocking_counts['candidate_pairs'].sum())} summed over rules")
    persons = pairwise(labelled, "person_id", "true_person_id")
    households = pairwise(per_person, "family_id", "true_family_id")
    print("persons (pairwise over records):   ", persons)
    print("households (pairwise over persons):", households)
    guards = {name: (merged(p, labelled), p.height) for name, p in guard_pairs(drop / "truth").items()}
    for name, (bad, total) in guards.items():
        print(f"{name} merged: {bad} of {total} pairs")
    with pl.Config(tbl_rows=20, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print("calibration (unguarded scored pairs):")
        print(calibration(result.pairs, truth))
    print(f"SUMMARY generator-{n_households} persons F1 {persons.f1:.4f} households F1 {households.f1:.4f} "
          + " ".join(f"{name.replace(' ', '_')}_merged {bad}" for name, (bad, _) in guards.items())
          + f" link {t_link:.1f}s households {t_households:.1f}s")
    print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
