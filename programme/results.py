"""Phase 1 payment by results for the claim window ending on the as-of date.

The results are SQL (`sql/results/<result>.sql`, wording and cases in the sibling `.yml`),
over intermediates that place each programme family's attachment, ASB events, offences,
children's schooling and adults' employment. This module decides the order, keeps the
history the results need, and collects the outputs into warehouse tables:

- `identification_history`: each phase1 month's criteria per family, so that "criterion 2
  was met at identification" can be answered months later (family_history keeps only the
  status);
- `result_flags`: one row per programme family x result (achieved or not, detail, evidence);
- `results_history` / `results_windows`: each window's achieved results at full value, so a
  window can be submitted later against the ledger as it then stands (`cohort.programme.claims`);
- `results`: the window after the ledger (results.csv); `claim_lines`: the claim
  workbook's rows.

The results stage runs after the rules stage, which has built the identification
intermediates for the same as-of date and appended this month to family_history.
"""

from __future__ import annotations

import logging
from datetime import date
from enum import StrEnum
from typing import Any

import duckdb
import polars as pl

from cohort.core.warehouse import fetch_one, query

from cohort.programme.claims import ensure_ledger, standing_submission
from cohort.programme.rules import EVIDENCE_TYPE
from cohort.programme.engagements import judge_engagements, no_engagements, not_admitted, state_counts
from cohort.core.reference import DISTRICT_TARGETS, DISTRICTS
from cohort.core.ruleset import RuleSet
from cohort.core.sqlrunner import bind, load_sql, materialise, run_sql
from cohort.matching.ids import ensure_tables as ensure_id_tables

log = logging.getLogger(__name__)

PROGRAMME = "phase1"

# In payment order: a family's results are paid in this order up to R.
RESULTS: tuple[str, ...] = ("crime_asb_education", "continuous_employment", "progress_to_work")

INTERMEDIATES: tuple[str, ...] = (
    "int_family_attachment",
    "int_member_events__employment",
    "int_family_adults__attached",
    "int_family_events__asb_offending",
    "int_family_asb_offending__counted",
    "int_family_children__school",
)


class PaymentReason(StrEnum):
    """Why a result pays what it pays (marts/results.sql `payment_reason`)."""

    PAYABLE = "payable"
    BALANCE_ONLY = "balance_only"
    ALREADY_CLAIMED = "already_claimed"
    EMPLOYMENT_PAID = "employment_paid"
    CAP_REACHED = "cap_reached"
    NO_FEE_SHARE = "no_fee_share"


REASON_LABELS: dict[str, str] = {
    PaymentReason.PAYABLE: "payable in full",
    PaymentReason.BALANCE_ONLY: "pays the balance of R left after earlier claims",
    PaymentReason.ALREADY_CLAIMED: "already claimed in a submitted window",
    PaymentReason.EMPLOYMENT_PAID: "not payable: continuous employment has been paid",
    PaymentReason.CAP_REACHED: "not payable: the family's results payment R is used up",
    PaymentReason.NO_FEE_SHARE: "not payable: no fee share configured for the attachment year",
}

RESULT_LABELS: dict[str, str] = {
    "crime_asb_education": "Crime / ASB / education",
    "continuous_employment": "Continuous employment",
    "progress_to_work": "Progress to work",
}

RESULT_FLAGS_DDL = f"""
create or replace table result_flags (
    family_id varchar,
    result varchar,
    achieved boolean,
    achieved_on date,
    detail varchar,
    evidence {EVIDENCE_TYPE}
)
"""

HISTORY_DDL = (
    """
    create table if not exists identification_history (
        as_of date,
        programme varchar,
        family_id varchar,
        crime_asb boolean,
        education boolean,
        work boolean,
        local_discretion boolean,
        status varchar
    )
    """,
    """
    create table if not exists results_history (
        as_of date,
        family_id varchar,
        result varchar,
        achieved_on date,
        district varchar,
        attached_on date,
        attachment_source varchar,
        financial_year integer,
        fee_share double,
        results_payment_gbp decimal(12, 2),
        gross_gbp decimal(12, 2)
    )
    """,
    """
    create table if not exists results_windows (
        as_of date,
        run_id varchar,
        results integer,
        gross_gbp decimal(12, 2)
    )
    """,
)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The history and ledger tables every results run reads, created empty the first time."""
    for ddl in HISTORY_DDL:
        con.execute(ddl)
    ensure_ledger(con)
    ensure_id_tables(con)  # id_redirects: history under a retired family id is followed


def record_identification(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Keep this month's phase1 criteria per family (replacing a re-run of the month)."""
    con.execute(
        "delete from identification_history where as_of = $as_of and programme = $programme",
        {"as_of": as_of, "programme": PROGRAMME},
    )
    con.execute(
        """
        insert into identification_history
        select $as_of, $programme, f.family_id, f.crime_asb = 1, f.education = 1, f.work = 1,
               f.local_discretion = 1, f.status
        from families as f
        """,
        {"as_of": as_of, "programme": PROGRAMME},
    )


def run_results(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> int:
    """Replace `result_flags` with every result's rows; return its row count."""
    con.execute(RESULT_FLAGS_DDL)
    for result in RESULTS:
        sql = load_sql(f"results/{result}.sql").strip().rstrip(";")
        con.execute(f"insert into result_flags by name select r.* from ({sql}) as r", bind(sql, params))
    return fetch_one(con.execute("select count(*) from result_flags"))[0]


def _keep_window(con: duckdb.DuckDBPyConnection, params: dict[str, Any], run_id: str) -> None:
    """This window's achieved results at full value into results_history (replacing a re-run)."""
    as_of = params["as_of"]
    con.execute("delete from results_history where as_of = $as_of", {"as_of": as_of})
    con.execute("delete from results_windows where as_of = $as_of", {"as_of": as_of})
    sql = load_sql("marts/results_achieved.sql").strip().rstrip(";")
    con.execute(
        f"insert into results_history by name select cast($as_of as date) as as_of, r.* from ({sql}) as r",
        {**bind(sql, params), "as_of": as_of},
    )
    con.execute(
        """
        insert into results_windows
        select $as_of, $run_id, count(*), coalesce(sum(gross_gbp), 0)
        from results_history where as_of = $as_of
        """,
        {"as_of": as_of, "run_id": run_id},
    )


def _materialise_empty(con: duckdb.DuckDBPyConnection, table: str, relpath: str, params: dict[str, Any]) -> None:
    sql = load_sql(relpath).strip().rstrip(";")
    con.execute(f'create or replace table "{table}" as select * from ({sql}) as q limit 0', bind(sql, params))


def evaluate_results(
    con: duckdb.DuckDBPyConnection, programme: str, ruleset: RuleSet, as_of: date, run_id: str = ""
) -> dict[str, Any]:
    """Compute the results of the claim window ending `as_of`; return counts for the run summary.

    Phase 1 results only: a phase2 run leaves `results` and `claim_lines` empty (Phase 2
    payment by results is a different framework, not built here).
    """
    ensure_tables(con)
    params = ruleset.sql_params(as_of)
    con.execute(
        "create or replace table results_run as select $run_id as run_id, $as_of as as_of, $programme as programme",
        {"run_id": run_id, "as_of": as_of, "programme": programme},
    )
    if programme == PROGRAMME:
        record_identification(con, as_of)
    materialise(con, "int_family_ids__current", "intermediate/int_family_ids__current.sql", params)
    materialise(con, "int_family_history__current", "intermediate/int_family_history__current.sql", params)
    if programme == PROGRAMME:
        judge_engagements(con, programme, ruleset, as_of)
    else:
        no_engagements(con, ruleset, as_of)
    for name in INTERMEDIATES:
        materialise(con, name, f"intermediate/{name}.sql", params)
    if programme != PROGRAMME:
        con.execute(RESULT_FLAGS_DDL)
        _materialise_empty(con, "results", "marts/results.sql", params)
        _materialise_empty(con, "claim_lines", "marts/claim_lines.sql", params)
        log.info("results: %s run, no Phase 1 results computed", programme)
        return {"results": 0, "note": "payment by results is computed in phase1 runs only"}
    run_results(con, params)
    _keep_window(con, params, run_id)
    materialise(con, "results", "marts/results.sql", params)
    materialise(con, "claim_lines", "marts/claim_lines.sql", params)
    return _summary(con, as_of)


def _summary(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, Any]:
    families = fetch_one(con.execute("select count(*) from int_family_attachment"))[0]
    engagements = state_counts(con)
    by_result = con.execute(
        "select result, count(*), sum(payment_gbp) from results group by result order by result"
    ).fetchall()
    total = sum(float(r[2] or 0) for r in by_result)
    out = {
        "programme_families": families,
        "results": sum(r[1] for r in by_result),
        "payable_gbp": round(total, 2),
        # every engagements row in exactly one state (programme.engagements.EngagementState)
        "engagements": engagements,
        "engagements_not_matched": engagements["unknown_family"],
        "by_result": {r[0]: {"results": r[1], "payable_gbp": float(r[2] or 0)} for r in by_result},
    }
    log.info("results for the window ending %s: %d results, £%.2f payable, %d programme families",
             as_of, out["results"], total, families)
    return out


def read_results(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The `results` mart (empty with its columns when no results stage has run)."""
    exists = fetch_one(con.execute("select count(*) from information_schema.tables where table_name = 'results'"))[0]
    if not exists:
        return pl.DataFrame(schema={"family_id": pl.Utf8, "result": pl.Utf8, "achieved_on": pl.Date,
                                    "payment_gbp": pl.Float64, "already_claimed": pl.Int8})
    return query(con, "select * from results order by family_id, result")


def progress(con: duckdb.DuckDBPyConnection, as_of: date) -> pl.DataFrame:
    """Families turned around to date against each district's target (claim workbook).

    Turned around = a crime_asb_education or continuous_employment result claimed in an
    earlier window or achieved in this one.
    """
    counts = run_sql(con, "marts/claim_progress.sql", {"as_of": as_of})
    targets = pl.DataFrame({"district": list(DISTRICTS), "target": [DISTRICT_TARGETS[d] for d in DISTRICTS]})
    return (
        targets.join(counts, on="district", how="left")
        .with_columns(pl.col("turned_around_before", "turned_around_now").fill_null(0).cast(pl.Int64))
        .with_columns(
            (pl.col("turned_around_before") + pl.col("turned_around_now")).alias("turned_around_to_date"),
        )
        .with_columns((pl.col("turned_around_to_date") / pl.col("target")).alias("share_of_target"))
        .select("district", "target", "turned_around_before", "turned_around_now", "turned_around_to_date",
                "share_of_target")
    )


AUDIT_KIND_ORDER = {"attachment": 1, "criterion": 2, "result": 3}


def audit_trail(con: duckdb.DuckDBPyConnection, family_ids: list[str] | None = None) -> pl.DataFrame:
    """One row per evidence item of the latest run: family_id, item_kind (attachment,
    criterion, result), item, outcome, source, record_id, person_id, event_date, value,
    match_confidence, match_reason. `family_ids` limits it; None gives every family.

    Sorted here on every column: DuckDB does not promise to keep a CTE's order, and the
    claim workbook of a month run twice must be the same, row for row."""
    trail = run_sql(con, "marts/audit_trail.sql", {"family_ids": family_ids})
    kind = pl.col("item_kind").replace_strict(AUDIT_KIND_ORDER, default=9, return_dtype=pl.Int8)
    return trail.sort(pl.col("family_id"), kind, *[c for c in trail.columns if c != "family_id"],
                      nulls_last=False, maintain_order=True)


def claim_workbook_frames(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, Any]:
    """What the claim workbook shows (reports.claims): its rows, the audit trail of the
    families on them, the families turned around to date against each target, the
    engagements rows that earn no results and why (`not_admitted`), and the window's
    standing submission when it has one (`submitted`: submitted_by, submitted_at, families,
    results, total_gbp; else None)."""
    lines = query(con, "select * from claim_lines order by district, family_id, result")
    families = sorted(set(lines["family_id"]))
    return {
        "lines": lines,
        "audit": audit_trail(con, families),
        "progress": progress(con, as_of),
        "not_admitted": not_admitted(con),
        "submitted": standing_submission(con, as_of),
    }
