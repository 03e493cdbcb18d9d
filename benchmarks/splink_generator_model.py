"""Our person matcher against a Splink model on a generated drop, same records, same truth.

    python benchmarks/generator_splink.py --households 20000

The drop is generated, ingested with `schemas.ingest.load_drop` and unioned into the
`records` frame by the project's own SQL (`cohort.programme.rules.build_records`), once. Both
systems then link that frame:

- ours: `matching.pipeline.link_persons` with its defaults;
- Splink (DuckDB): light cleaning in SQL (upper case, punctuation out, postcode with its
  space), comparisons on forename, surname, date of birth, postcode, address and gender
  (ours reads gender too) plus exact-match comparisons of the person identifiers (nino,
  upn, pnc_id); blocking rules mirroring ours (identifiers; postcode, UPRN or address
  with the forename initial; date of birth with surname or forename; forename with
  surname; birthday with surname start);
  parameters estimated as Splink's docs do it (prior from deterministic rules, u by
  random sampling, m by EM in two sessions), clustered by connected components.
  UPRN is used for blocking but not compared: it names a dwelling, not a person, so an
  exact-match UPRN comparison would be a third vote (after postcode and address) for
  "same address", and family members would link more often (measured at 2,000
  households: pairwise F1 at 0.9 fell from 0.930 to 0.925 with it).

Pairwise precision/recall over records against `truth/records.csv`. Wall time is the
linking only (ours: `link_persons`; Splink: set-up, training, prediction, clustering).
"""

from __future__ import annotations

import argparse
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
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402
from febrl_splink import SPLINK_THRESHOLDS, Outcome, print_table, splink_clusters, summary  # noqa: E402
from matching_generator import guard_pairs, merged  # noqa: E402

from cohort.programme.rules import build_records  # noqa: E402
from cohort.core.warehouse import read_table, write_table  # noqa: E402
from cohort.data_samples.evaluate import pairwise  # noqa: E402
from cohort.data_samples.generator import generate  # noqa: E402
from cohort.matching.pipeline import link_persons  # noqa: E402
from cohort.schemas.ingest import load_drop  # noqa: E402

AS_OF = date(2014, 3, 31)
PERSON_IDS = ("nino", "upn", "pnc_id")

# What a Splink user would do before linking: one spelling per value, no model of ours.
SPLINK_INPUT_SQL = """
with compact as (
    select *, regexp_replace(upper(postcode), '[^A-Z0-9]', '', 'g') as pc
    from records
)
select
    source || ':' || record_id as unique_id,
    nullif(trim(regexp_replace(upper(forename), '[^A-Z ]', '', 'g')), '') as forename,
    nullif(trim(regexp_replace(upper(surname), '[^A-Z ]', '', 'g')), '') as surname,
    dob,
    case when length(pc) >= 5 then left(pc, length(pc) - 3) || ' ' || right(pc, 3) end as postcode,
    nullif(trim(regexp_replace(regexp_replace(upper(address), '[^A-Z0-9 ]', ' ', 'g'), ' +', ' ', 'g')), '')
        as address,
    nullif(regexp_replace(upper(nino), '[^A-Z0-9]', '', 'g'), '') as nino,
    nullif(regexp_replace(upper(upn), '[^A-Z0-9]', '', 'g'), '') as upn,
    nullif(regexp_replace(upper(pnc_id), '[^A-Z0-9]', '', 'g'), '') as pnc_id,
    nullif(regexp_replace(upper(uprn), '[^A-Z0-9]', '', 'g'), '') as uprn,
    case when upper(gender) in ('M', 'F') then upper(gender) end as gender
from compact
"""


def build_records_frame(extracts: Path) -> pl.DataFrame:
    """Ingest the drop and union it into `records` with the project's SQL, in memory."""
    drop = load_drop(extracts)
    con = duckdb.connect()
    try:
        for name, frame in drop.clean.items():
            write_table(con, f"stg_{name}", frame)
        build_records(con, AS_OF)
        return read_table(con, "records")
    finally:
        con.close()


def splink_model(records: pl.DataFrame):
    """Set up, train and predict with Splink on the records frame."""
    con = duckdb.connect()
    con.register("records", records)
    prepared = con.sql(SPLINK_INPUT_SQL).arrow().read_all()
    db_api = DuckDBAPI(connection=con)
    df = db_api.register(prepared, table_name="splink_records")
    blocking_rules = [
        *(block_on(c) for c in PERSON_IDS),
        block_on("postcode", "substr(forename, 1, 1)"),
        block_on("uprn", "substr(forename, 1, 1)"),
        block_on("address", "substr(forename, 1, 1)"),
        block_on("dob", "substr(surname, 1, 2)"),
        block_on("dob", "forename"),
        block_on("forename", "substr(surname, 1, 2)", "year(dob)"),
        block_on("forename", "surname"),
        block_on("month(dob)", "day(dob)", "substr(surname, 1, 2)"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="unique_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("forename").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.PostcodeComparison("postcode"),
            cl.JaroWinklerAtThresholds("address", [0.95, 0.88]),
            cl.ExactMatch("gender"),
            *(cl.ExactMatch(c) for c in PERSON_IDS),
        ],
    )
    linker = Linker(df, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [*(block_on(c) for c in PERSON_IDS), block_on("forename", "surname", "dob")],
        recall=0.7,
    )
    # Splink's docs suggest 1e7 or more; at 2,000 households 1e7 changed F1 by < 0.001.
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    return linker, predictions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(machine())
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="cohort-splink-"))
    t = time.perf_counter()
    generate(work / "drop", households=args.households, seed=args.seed, as_of=AS_OF)
    records = build_records_frame(work / "drop" / "extracts")
    truth = pl.read_csv(work / "drop" / "truth" / "records.csv", infer_schema=False)
    guards = guard_pairs(work / "drop" / "truth")
    shutil.rmtree(work)
    print(f"households {args.households} (seed {args.seed}): {records.height} records, "
          f"{truth['true_person_id'].n_unique()} true persons; drop + records built in "
          f"{time.perf_counter() - t:.1f}s (not counted below)")

    t = time.perf_counter()
    result = link_persons(records)
    ours_seconds = time.perf_counter() - t
    labelled = truth.join(result.links.select("source", "record_id", "person_id"),
                          on=["source", "record_id"], how="left")
    outcomes = [Outcome("ours", pairwise(labelled, "person_id", "true_person_id"), ours_seconds)]
    merges = {"ours": {name: merged(p, labelled) for name, p in guards.items()}}
    print(f"ours: {int(result.blocking_counts['candidate_pairs'].sum())} candidate pairs, summed over the "
          "blocking rules (before removing pairs found by several)")

    t = time.perf_counter()
    linker, predictions = splink_model(records)
    keyed = truth.with_columns((pl.col("source") + ":" + pl.col("record_id")).alias("unique_id"))
    for threshold in SPLINK_THRESHOLDS:
        clusters = splink_clusters(linker, predictions, threshold, "unique_id")
        seconds = time.perf_counter() - t if threshold == SPLINK_THRESHOLDS[0] else None
        joined = keyed.join(clusters, on="unique_id", how="left")
        outcomes.append(Outcome(f"splink @{threshold}", pairwise(joined, "cluster_id", "true_person_id"), seconds))
        merges[f"splink @{threshold}"] = {name: merged(p, joined, "cluster_id") for name, p in guards.items()}
    n_pred = predictions.as_duckdbpyrelation().count("*").fetchone()[0]
    print(f"splink: {n_pred} scored pairs with probability >= 0.2")

    print_table(f"Generated drop, {args.households} households ({records.height} records; pairwise over records)",
                outcomes)
    print(f"\nload average (1 min) at end: {os.getloadavg()[0]:.2f}; above the core count, the timings shared the CPUs")
    print("\npairs of true persons sharing a predicted person (target 0):")
    for system, counts in merges.items():
        print(f"  {system:<14} " + ", ".join(f"{name} {n} of {guards[name].height}" for name, n in counts.items()))
    summary(f"generator-{args.households}", outcomes)


if __name__ == "__main__":
    main()
