"""The stages of a monthly run, as plain functions, in the order they run.

Each stage reads what it needs from the run's working copy of the warehouse, writes its
own tables, and returns a small frozen dataclass of counts (a `StageResult`, defined in
flows/stage_results.py) that the flow puts into the run summary. Order is data: `STAGES`
is the list the flow walks; adding a stage is adding a line.

A stage never rewrites a table an earlier stage wrote (decision 81): what it changes, it
writes as a table of its own. So the match and households stages write provisional
clusters (`match_links`, `match_persons`, `formed_members`, `formed_families`) and the ids
stage writes the final `person_links`, `persons`, `household_members`, `families_base`
and `engagements` that every later reader uses; each stage's tables are then exactly
what it made from its inputs, to re-run or audit. (A new run replaces the tables of the
run before: the warehouse keeps history only in its history tables.)
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator

import polars as pl

from cohort.reports import csv_exports as outputs

from cohort.programme import rules as programme_rules
from cohort.review.decisions import person_constraints
from cohort.review.family_pairs import apply_family_decisions
from cohort.review.households import apply_household_decisions
from cohort.programme import results as payment_results
from cohort.core import runlog
from cohort.core.ruleset import RuleSet
from cohort.core.statuses import LISTED_STATUSES
from cohort.core.sqlrunner import run_sql
from cohort.flows.stage_results import (
    Exported, HouseholdsFormed, IdsSettled, Ingested, Matched, RecordsBuilt, ResultsJudged, RulesApplied,
    StageResult, Validated,
)
from cohort.core.warehouse import (
    append_table, connect, fetch_one, query, read_table, table_exists, write_table, write_tables,
)
from cohort.matching import ids as stable_ids
from cohort.matching.households import form_households
from cohort.matching.partition import Mapper, serial_map
from cohort.matching.pipeline import link_persons
from cohort.reports.review import write_review
from cohort.reports.out_of_area import FILE_NAME as OUT_OF_AREA_FILE
from cohort.reports.workbooks import write_workbooks
from cohort.schemas.ingest import RawDrop, read_drop, validate_drop
from cohort.schemas.registry import EXTRACTS

log = logging.getLogger("cohort")

# Optional extracts that feed indicators: when absent, say "not known", not "not met".
# (`engagements` is programme data, not evidence, so its absence is not a warning.)
OPTIONAL_EVIDENCE = tuple(n for n, e in EXTRACTS.items() if not e.required and e.person_level)


@dataclass(frozen=True)
class RunSettings:
    """Everything one run depends on; saved with its outputs as settings.json."""

    run_id: str
    input_dir: Path
    as_of: date
    programme: str
    ruleset: RuleSet
    work_db: Path
    staging: Path
    # Matching and household partitions (None: from the number of candidate pairs). The
    # output does not depend on it, so it is not part of the run id or settings.json.
    partitions: int | None = None
    # Required extracts the officer says may have no rows this month (`--allow-empty`).
    allow_empty: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "run_id": self.run_id,
                "cohort_version": runlog.code_version(),
                "as_of": self.as_of.isoformat(),
                "programme": self.programme,
                "ruleset": json.loads(self.ruleset.to_json()),
                **({"allow_empty": sorted(self.allow_empty)} if self.allow_empty else {}),
            },
            indent=2,
            sort_keys=True,
        )


def ingest(s: RunSettings) -> Ingested:
    """Read every extract as text into the raw layer (file-level problems stop the run;
    rows with more fields than the header are set aside for `rejected_rows`)."""
    drop = read_drop(s.input_dir, s.allow_empty)
    files = pl.DataFrame({"extract": list(drop.files), "file": [p.name for p in drop.files.values()]},
                         schema={"extract": pl.Utf8, "file": pl.Utf8})
    with connect(s.work_db) as con:
        write_tables(con, {f"raw_{name}": frame for name, frame in drop.raw.items()}
                     | {"ingest_rejected": drop.rejected, "extract_files": files})
    return Ingested(files=dict(zip(files["extract"], files["file"])))


def validate(s: RunSettings) -> Validated:
    """Validate the raw layer with the pandera schemas into typed `stg_*` tables;
    bad rows go to `rejected_rows`, never silently dropped."""
    with connect(s.work_db) as con:
        files = {r[0]: Path(r[1]) for r in con.execute("select extract, file from extract_files").fetchall()}
        raw = {name: read_table(con, f"raw_{name}") for name in files}
        drop = validate_drop(RawDrop(files=files, raw=raw, rejected=read_table(con, "ingest_rejected")), s.as_of)
        write_tables(con, {f"stg_{name}": frame for name, frame in drop.clean.items()}
                     | {"rejected_rows": drop.rejected})
        status = pl.DataFrame(
            {
                "extract": list(drop.clean),
                "present": [name not in drop.missing_optional for name in drop.clean],
            }
        )
        write_table(con, "extract_status", status)
    return Validated(
        rows_read={k: v for k, v in drop.row_counts.items() if k in files},
        rows_rejected=drop.rejected.select("file", "row").unique().height,
        rejections=drop.rejected.height,
        missing_optional=[m for m in drop.missing_optional if m in OPTIONAL_EVIDENCE],
        allowed_empty=sorted(s.allow_empty) if s.allow_empty else None,
    )


def records(s: RunSettings) -> RecordsBuilt:
    """Union every person-level extract into one `records` table; warn when the as-of date
    is before every record (nothing can be met: most likely a mistyped date)."""
    with connect(s.work_db) as con:
        n = programme_rules.build_records(con, s.as_of)
        earliest = fetch_one(con.execute("select min(record_date) from records"))[0]
    if earliest is None or earliest <= s.as_of:
        return RecordsBuilt(records=n)
    warning = (f"the as-of date {s.as_of.isoformat()} is before every record in the extracts "
               f"(the earliest is dated {earliest.isoformat()}): no criterion can be met")
    log.warning("records: %s", warning)
    return RecordsBuilt(records=n, warnings=[warning])


def match(s: RunSettings, mapper: Mapper = serial_map) -> Matched:
    """Link every record to a person (standardise → block → compare → score → cluster),
    comparing and clustering per partition through `mapper` (the flow's task runner).
    The persons have provisional ids (`match_links`, `match_persons`) until the ids stage."""
    with connect(s.work_db) as con:
        recs = read_table(con, "records")
        must, cannot = person_constraints(con)
    result = link_persons(recs, threshold=s.ruleset.matching.link_threshold, must_link=must, cannot_link=cannot,
                          mapper=mapper, partitions=s.partitions)
    del recs  # a million records, not needed while the results are written (the stage's peak)
    with connect(s.work_db) as con:
        write_tables(con, {
            "match_pairs": result.pairs,  # the largest first: the rest are written beside it
            "match_links": result.links,
            "match_persons": result.persons,
            "blocking_counts": result.blocking_counts,
            "match_weights": result.weights,  # the model this run estimated
            "match_blocking_unseen": pl.DataFrame({"expected_unseen": [round(result.unseen_matches, 6)]}),
        })
    per_person = result.links.group_by("person_id").agg(pl.len().alias("records"), pl.col("source").n_unique())
    return Matched(
        persons=result.persons.height,
        candidate_pairs=int(result.blocking_counts["new_pairs"].sum()),  # distinct pairs
        records_linked=int(per_person.filter(pl.col("records") > 1)["records"].sum()),
        persons_in_several_extracts=per_person.filter(pl.col("source") > 1).height,
    )


def households(s: RunSettings, mapper: Mapper = serial_map) -> HouseholdsFormed:
    """Group persons into families living together at the as-of date, comparing
    addresses per partition through `mapper`. The families are as formed, with provisional
    ids (`formed_members`, `formed_families`); the ids stage writes the final ones."""
    with connect(s.work_db) as con:
        recs, links, housing = (read_table(con, t) for t in ("records", "match_links", "stg_housing"))
        persons = query(con, "select person_id, dob from match_persons")
    result = form_households(recs, links, housing, s.as_of, mapper=mapper, partitions=s.partitions,
                             adult_age=s.ruleset.identification.adult_age, persons=persons)
    with connect(s.work_db) as con:
        write_tables(con, {"formed_members": result.members, "formed_families": result.families,
                           "person_dwellings": result.dwellings})  # provisional person ids; read by record
    return HouseholdsFormed(households=result.families.height, persons_in_households=result.members.height)


def ids(s: RunSettings) -> IdsSettled:
    """Keep last month's person and family ids (matching/ids.py), applying reviewers'
    household decisions between the two: from the match and households stages'
    provisional tables, write the final `person_links`, `persons`, `household_members`,
    `families_base` and `engagements` (with `id_history`, `id_redirects`, `id_splits`
    and `engagement_redirects`)."""
    with connect(s.work_db) as con:
        counts = stable_ids.stabilise_persons(con, s.as_of)
        counts |= apply_household_decisions(con, s.as_of)
        counts |= apply_family_decisions(con, s.as_of)
        counts |= stable_ids.stabilise_families(con, s.as_of)
    return IdsSettled(**counts)


def rules(s: RunSettings) -> RulesApplied:
    """Apply the programme's SQL rules; keep this month's statuses in the history."""
    with connect(s.work_db) as con:
        families = programme_rules.evaluate(con, s.programme, s.ruleset, s.as_of)
        _record_history(con, s, families)
    by_status = families.group_by("status").len().sort("status")
    return RulesApplied(families_by_status=dict(zip(by_status["status"], by_status["len"])))


REPLACED_DDL = ("create table if not exists family_history_replaced (as_of date, programme varchar, "
                "family_id varchar, district varchar, members bigint, criteria_met integer, status varchar)")


def _record_history(con, s: RunSettings, families: pl.DataFrame) -> None:
    """Append this month's families to `family_history`, replacing a re-run of the month.

    When reviewers' decisions were imported from the replaced attempt's own workbook (same
    run id), that attempt is kept in `family_history_replaced`: the re-run's "Changes since
    last run" compare with it. A plain re-run compares with the previous month, as the
    first attempt did, so the same month twice gives the same outputs."""
    con.execute(REPLACED_DDL)
    con.execute("delete from family_history_replaced where as_of = $as_of and programme = $programme",
                {"as_of": s.as_of, "programme": s.programme})
    hist = families.select(
        pl.lit(s.as_of).alias("as_of"),
        pl.lit(s.programme).alias("programme"),
        "family_id",
        "district",
        "members",
        "criteria_met",
        "status",
    )
    if table_exists(con, "family_history"):
        answered = table_exists(con, "review_decisions") and fetch_one(con.execute(
            "select count(*) from review_decisions where run_id = $run_id", {"run_id": s.run_id}))[0] > 0
        if answered:
            con.execute("insert into family_history_replaced by name select as_of, programme, family_id, district, "
                        "members, criteria_met, status from family_history "
                        "where as_of = $as_of and programme = $programme", {"as_of": s.as_of, "programme": s.programme})
        con.execute(
            "delete from family_history where as_of = $as_of and programme = $programme",
            {"as_of": s.as_of, "programme": s.programme},
        )
    append_table(con, "family_history", hist)


def results(s: RunSettings) -> ResultsJudged:
    """Phase 1 payment by results: what can be claimed in the window ending on the as-of date."""
    with connect(s.work_db) as con:
        return ResultsJudged(**payment_results.evaluate_results(con, s.programme, s.ruleset, s.as_of, s.run_id))


class _Relay(logging.Handler):
    """Hands a record logged in the workbook process to the logger of the same name here,
    so it reaches this run's handlers (console, Prefect) as if logged here."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger(record.name).handle(record)


def _log_to(queue: Any, level: int) -> None:
    """The workbook process's logging: every record at `level` or above onto `queue`."""
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(queue)]
    root.setLevel(level)


@contextmanager
def _workbook_process() -> Iterator[ProcessPoolExecutor]:
    """A second process for the district lists, out-of-area list and claim workbook while
    this one builds the review (decision 86). The workbooks are pure Python (about a million
    cells through xlsxwriter at county scale, 8 s): in a thread they held the GIL that the
    review's own Python and Prefect's threads wait for, so the two overlapped only in part.
    They are written from frames already read: the process opens no warehouse. Started
    fresh ("spawn"), never forked from a process running DuckDB's and polars' threads."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    relay = logging.handlers.QueueListener(queue, _Relay())
    relay.start()
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_log_to,
                                 initargs=(queue, log.getEffectiveLevel())) as other:
            yield other
    finally:
        relay.stop()


def export(s: RunSettings) -> Exported:
    """Write the data contract's files into the staging folder."""
    with connect(s.work_db) as con:
        families = read_table(con, "families")
        members = read_table(con, "family_members")
        evidence = read_table(con, "family_evidence")
        addresses = query(con, "select family_id, address, postcode from families_base")
        missing = (
            query(con, "select extract from extract_status where not present and list_contains($evidence, extract) order by 1", {"evidence": list(OPTIONAL_EVIDENCE)})["extract"]
            .to_list()
        )
        claim = (payment_results.claim_workbook_frames(con, s.as_of)
                 if s.programme == payment_results.PROGRAMME else None)
        changes = run_sql(con, "marts/family_changes.sql", {"as_of": s.as_of, "programme": s.programme})
        same_month = fetch_one(con.execute(
            "select count(*) from family_history_replaced where programme = $p and as_of = $as_of",
            {"p": s.programme, "as_of": s.as_of}))[0] > 0
        previous_as_of = s.as_of if same_month else fetch_one(con.execute(
            "select max(as_of) from family_history where programme = $p and as_of < $as_of",
            {"p": s.programme, "as_of": s.as_of}))[0]
        previous_status = dict(con.execute(
            f"select status, count(*) from {'family_history_replaced' if same_month else 'family_history'} "
            "where programme = $p and as_of = $prev group by 1",
            {"p": s.programme, "prev": previous_as_of}).fetchall()) if previous_as_of else {}
        with _workbook_process() as other:  # the workbooks there while the review is built here
            books = other.submit(write_workbooks, s.staging, programme=s.programme, as_of=s.as_of, run_id=s.run_id,
                                 families=families, members=members, evidence=evidence, addresses=addresses,
                                 missing=missing, changes=changes, previous_as_of=previous_as_of, claim=claim)
            written = outputs.write_csv_exports(con, s.staging, s.programme)
            review = write_review(con, s.staging / "match_review.xlsx", as_of=s.as_of, run_id=s.run_id,
                                  ruleset=s.ruleset, programme=s.programme)
            paths, claim_books = books.result()
    (s.staging / "settings.json").write_text(s.to_json() + "\n", encoding="utf-8")
    by_district = (
        families.filter(pl.col("status").is_in(LISTED_STATUSES))
        .group_by("district", "status")
        .len()
        .sort("district", "status")
    )
    return Exported(
        files=sorted([p.name for p in written] + [f"district_lists/{p.name}" for p in paths]
                     + [f"claims/{p.name}" for p in claim_books] + ["match_review.xlsx", OUT_OF_AREA_FILE]),
        **review,
        families_by_district=by_district.to_dicts(),
        changes=_change_counts(changes, previous_as_of, previous_status),
    )


def _change_counts(changes: pl.DataFrame, previous_as_of, previous_status: dict[str, int]) -> dict[str, Any]:
    """Counts of the district lists' "changes since last run", by district and change,
    and the previous run's families by status."""
    counts = changes.group_by("district", "change").len().sort("district", "change")
    return {
        "previous_as_of": previous_as_of.isoformat() if previous_as_of else None,
        "previous_families_by_status": previous_status,
        "by_district": [{"district": d, "change": c, "families": n} for d, c, n in counts.iter_rows()],
    }


Stage = tuple[str, Callable[[RunSettings], StageResult]]

# A stage's name is its function's name.
STAGES: list[Stage] = [(f.__name__, f) for f in (
    ingest, validate, records, match, households, ids, rules, results, export,
)]

IO_STAGES = {"ingest", "export"}
# Stages that hand their partitions to the flow's task runner (they take a `mapper`).
PARTITIONED_STAGES = {"match", "households"}

