"""Side by side on one generated drop: our matcher and the Splink anchor model, persons and
households, accuracy and wall time.

    python benchmarks/generator_splink.py --households 20000 [--drop DIR] [--splink-python PATH]

Splink runs in its own virtualenv (it need not agree with the project's DuckDB pin):

    python3.11 -m venv .venv-splink && .venv-splink/bin/pip install -r benchmarks/requirements.txt

The drop is generated (or reused with --drop), ingested and unioned into the `records`
frame by the project's own code, once, and written to parquet. Then, on that frame:

- ours: `link_persons`, then `form_households` on our persons;
- Splink: `splink_generator_model.py` in the Splink virtualenv (set-up, training,
  prediction, clustering at each threshold; its own clock), then our `form_households`
  on Splink's persons, so the household figures differ only by the persons.

Scored against the drop's truth with `data_samples.evaluate.pairwise`: persons pairwise
over records, households pairwise over true persons (each placed in the family most of
its records were given), and the guards' pairs (twins, same-name parent/child) that share
a person. Times: linking, and linking plus household formation; ratios are ours /
Splink's (below 1: ours is faster, or better where it is an error rate).
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402
from matching_generator import AS_OF, build_records_frame, guard_pairs, merged  # noqa: E402

from cohort.core.ruleset import Matching  # noqa: E402
from cohort.data_samples.evaluate import PR, pairwise  # noqa: E402
from cohort.data_samples.generator import generate  # noqa: E402
from cohort.matching.households import form_households  # noqa: E402
from cohort.matching.pipeline import LINK_SCHEMA, link_persons  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPLINK_CHILD = Path(__file__).resolve().parent / "splink_generator_model.py"
EXTRA_THRESHOLD = 0.99  # Splink's FEBRL4 example clusters here; shown beside ours


def scores(truth: pl.DataFrame, links: pl.DataFrame, members: pl.DataFrame,
           guards: dict[str, pl.DataFrame]) -> dict:
    """Person and household pairwise scores and the guards' merged pairs of one system."""
    labelled = truth.join(links.select("source", "record_id", "person_id"), on=["source", "record_id"], how="left")
    with_family = labelled.join(members.select("person_id", "family_id"), on="person_id", how="left")
    per_person = with_family.group_by("true_person_id", "true_family_id").agg(
        pl.col("family_id").drop_nulls().mode().sort().first())
    return {"persons": pairwise(labelled, "person_id", "true_person_id"),
            "households": pairwise(per_person, "family_id", "true_family_id"),
            "merged": {name: merged(p, labelled) for name, p in guards.items()}}


def splink_links(clusters: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Splink's clusters as our `person_links` shape, for form_households."""
    keyed = records.select("source", "record_id").with_columns(
        (pl.col("source") + ":" + pl.col("record_id")).alias("unique_id"))
    return (
        keyed.join(clusters.with_columns(pl.col("cluster_id").cast(pl.Utf8)), on="unique_id", how="left")
        .select("source", "record_id", pl.coalesce("cluster_id", "unique_id").alias("person_id"),
                pl.lit(1.0).alias("match_confidence"), pl.lit("splink").alias("match_reason"))
        .cast(LINK_SCHEMA)
    )


def run_splink(python: Path, records_path: Path, out: Path, thresholds: list[float]) -> dict:
    cmd = [str(python), str(SPLINK_CHILD), str(records_path), str(out), *map(str, thresholds)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit(f"the Splink model failed (run with {python})")
    return json.loads((out / "timing.json").read_text())


def line(system: str, s: dict, link_s: float, total_s: float) -> str:
    p, h = s["persons"], s["households"]
    merged_text = ", ".join(f"{k} {v}" for k, v in s["merged"].items())
    return (f"{system:<14} persons P {p.precision:.4f} R {p.recall:.4f} F1 {p.f1:.4f} | households P "
            f"{h.precision:.4f} R {h.recall:.4f} F1 {h.f1:.4f} | link {link_s:7.1f}s, with households "
            f"{total_s:7.1f}s | merged: {merged_text}")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def error_ratio(ours: PR, theirs: PR) -> str:
    return ratio(1 - ours.f1, 1 - theirs.f1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--drop", type=Path, default=None, help="a drop generated earlier (reused as is)")
    ap.add_argument("--splink-python", type=Path,
                    default=Path(os.environ.get("SPLINK_PYTHON", ROOT / ".venv-splink" / "bin" / "python")))
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(machine())
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="cohort-splink-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    drop = args.drop
    if drop is None:
        drop = work / "drop"
        generate(drop, households=args.households, seed=args.seed, as_of=AS_OF)
    records, housing = build_records_frame(drop / "extracts")
    records.write_parquet(work / "records.parquet")
    truth = pl.read_csv(drop / "truth" / "records.csv", infer_schema=False)
    guards = guard_pairs(drop / "truth")
    print(f"drop {drop if args.drop else f'{args.households} households (seed {args.seed})'}: "
          f"{records.height} records, {truth['true_person_id'].n_unique()} true persons")

    threshold = Matching().link_threshold
    t = time.perf_counter()
    ours = link_persons(records, threshold=threshold)
    ours_link = time.perf_counter() - t
    t = time.perf_counter()
    ours_hh = form_households(records, ours.links, housing, AS_OF)
    ours_total = ours_link + time.perf_counter() - t
    ours_s = scores(truth, ours.links, ours_hh.members, guards)

    timing = run_splink(args.splink_python, work / "records.parquet", work / "splink", [threshold, EXTRA_THRESHOLD])
    print(f"Splink {timing['splink']} with DuckDB {timing['duckdb']} (its own virtualenv)")
    rows = [line("ours", ours_s, ours_link, ours_total)]
    splink_at = {}
    for th in (threshold, EXTRA_THRESHOLD):
        links = splink_links(pl.read_parquet(work / "splink" / f"clusters_{th}.parquet"), records)
        t = time.perf_counter()
        hh = form_households(records, links, housing, AS_OF)
        hh_s = time.perf_counter() - t
        splink_at[th] = (scores(truth, links, hh.members, guards), timing["seconds"], timing["seconds"] + hh_s)
        rows.append(line(f"splink @{th}", *splink_at[th]))
    print("\n" + "\n".join(rows))
    theirs, s_link, s_total = splink_at[threshold]
    print(f"\nratios ours / Splink @{threshold}: person F1 {ratio(ours_s['persons'].f1, theirs['persons'].f1)} "
          f"(errors 1-F1 {error_ratio(ours_s['persons'], theirs['persons'])}), household F1 "
          f"{ratio(ours_s['households'].f1, theirs['households'].f1)} (errors "
          f"{error_ratio(ours_s['households'], theirs['households'])}), link time {ratio(ours_link, s_link)}, "
          f"link + households time {ratio(ours_total, s_total)}")
    print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}; above the core count, the timings shared the CPUs")
    print(f"SUMMARY generator-{records.height} ours persons F1 {ours_s['persons'].f1:.4f} households F1 "
          f"{ours_s['households'].f1:.4f} link {ours_link:.1f}s; splink@{threshold} persons F1 "
          f"{theirs['persons'].f1:.4f} households F1 {theirs['households'].f1:.4f} link {s_link:.1f}s")


if __name__ == "__main__":
    main()
