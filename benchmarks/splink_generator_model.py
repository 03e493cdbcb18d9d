"""The Splink anchor model on a generated drop's records, run in Splink's own virtualenv.

    <splink venv>/bin/python benchmarks/splink_generator_model.py RECORDS.parquet OUT_DIR 0.9 0.99

Started by `generator_splink.py` (the side-by-side script), which writes the `records`
frame our pipeline links to parquet and reads back `OUT_DIR/clusters_<threshold>.parquet`
(unique_id = "source:record_id", cluster_id) and `OUT_DIR/timing.json`. It imports
nothing of ours, so Splink and its DuckDB need not agree with the project's pins
(`benchmarks/requirements.txt`).

The model: light cleaning in SQL (upper case, punctuation out, postcode with its space),
comparisons on forename, surname, date of birth, postcode, address and gender (ours
reads gender too) plus exact-match comparisons of the person identifiers (nino, upn,
pnc_id); blocking rules mirroring ours (identifiers; postcode, UPRN or address with the
forename initial; date of birth with surname or forename; forename with surname;
birthday with surname start); parameters estimated as Splink's docs do it (prior from
deterministic rules, u by random sampling, m by EM in two sessions), clustered by
connected components at each threshold given (the first is the one timed). UPRN is used for blocking but not compared: it
names a dwelling, not a person, so an exact-match UPRN comparison would be a third vote
(after postcode and address) for "same address", and family members would link more
often (measured at 2,000 households: pairwise F1 at 0.9 fell from 0.930 to 0.925 with
it).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
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


def splink_model(records):
    """Set up, train and predict with Splink on the records (an Arrow table)."""
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
    records_path, out = Path(sys.argv[1]), Path(sys.argv[2])
    thresholds = [float(t) for t in sys.argv[3:]] or [0.9]
    logging.basicConfig(level=logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    records = con.read_parquet(str(records_path)).arrow().read_all()
    t = time.perf_counter()
    linker, predictions = splink_model(records)
    seconds = {}
    for threshold in thresholds:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold)
        if threshold == thresholds[0]:
            seconds["link"] = time.perf_counter() - t
        clusters.as_duckdbpyrelation().select("unique_id, cluster_id").write_parquet(
            str(out / f"clusters_{threshold}.parquet"))
    (out / "timing.json").write_text(json.dumps({"seconds": seconds["link"], "thresholds": thresholds,
                                                  "splink": __import__("splink").__version__,
                                                  "duckdb": duckdb.__version__}))


if __name__ == "__main__":
    main()
