"""The claim workbook `claims/<window end>.xlsx`: what internal audit checks before a window's
results are submitted to government.

Sheets, in order:
- "Totals": results and payments by district and result, with Kent totals;
- "Turned around": families turned around to date against each district's target;
- "County": every row of the claim, all districts;
- one sheet per district (all 12, even with no rows, so a district sees "none" rather
  than a missing sheet), and "Out of area" when a programme family now lives outside Kent;
- "Audit trail": every source row behind the families' flags and results, with the match
  confidence of each row's link to its person.

One row per family and result, with the evidence audit asks for: attachment and its
source, baseline and outcome periods, ASB events and minors' offences in each, each
child's exclusions and absence over the last terms, each adult's benefit spells and
employment events. Person ids only: no names, dates of birth or addresses.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import polars as pl
from openpyxl import Workbook

from cohort.core.reference import DISTRICT_TARGETS, DISTRICTS, OUT_OF_AREA
from cohort.programme.results import REASON_LABELS, RESULT_LABELS, RESULTS
from cohort.reports.xlsx_style import append_table, safe_sheet_title, save_workbook

log = logging.getLogger(__name__)

SHEET_TOTALS, SHEET_PROGRESS, SHEET_COUNTY, SHEET_AUDIT, SHEET_OUT = (
    "Totals", "Turned around", "County", "Audit trail", "Out of area",
)
KENT = "Kent total"
SHEET_NOT_ADMITTED = "Engagements not admitted"
NOT_ADMITTED_HEADERS: dict[str, str] = {
    "family_id": "Family ID (as given)", "attached_on": "Attached on", "key_worker": "Key worker",
    "state": "State", "reason": "Why", "criteria_met_on_attachment": "Criteria met on the attachment date",
    "current_family_id": "Family ID now",
}

LINE_HEADERS: dict[str, str] = {
    "district": "District",
    "family_id": "Family ID",
    "result": "Result",
    "achieved_on": "Achieved on",
    "payment_gbp": "Payment (£)",
    "already_claimed": "Already claimed",
    "payment_reason": "Payment",
    "gross_gbp": "Full value (£)",
    "paid_before_gbp": "Paid in earlier windows (£)",
    "results_payment_gbp": "Results payment R (£)",
    "financial_year": "Financial year of attachment",
    "attached_on": "Attached on",
    "attachment_source": "Attachment from",
    "attachment_record": "Attachment record",
    "first_identified": "First identified",
    "baseline_from": "Baseline from",
    "baseline_to": "Baseline to",
    "outcome_from": "Outcome period from",
    "outcome_to": "Outcome period to",
    "asb_baseline": "ASB events in baseline",
    "asb_outcome": "ASB events in outcome period",
    "offences_baseline": "Minors' proven offences in baseline",
    "offences_outcome": "Minors' proven offences in outcome period",
    "children_school": "Each child: exclusions and absence over the last 3 terms",
    "adult_work": "Each adult: out-of-work benefit spells and employment events",
    "detail": "How the result was judged",
    "evidence_items": "Source rows (Audit trail sheet)",
}
WRAP_COLUMNS = ("children_school", "adult_work", "detail")

AUDIT_HEADERS: dict[str, str] = {
    "family_id": "Family ID",
    "item_kind": "Kind",
    "item": "Criterion / result",
    "outcome": "Met / achieved",
    "source": "Extract",
    "record_id": "Record ID",
    "person_id": "Person ID",
    "event_date": "Date",
    "value": "Value",
    "match_confidence": "Match confidence",
    "match_reason": "Match reason",
}

TOTAL_HEADERS: dict[str, str] = {
    "district": "District",
    "result": "Result",
    "results": "Results achieved",
    "already_claimed": "Already claimed",
    "paid_results": "Results paid in this window",
    "payment_gbp": "Payment (£)",
}

PROGRESS_HEADERS: dict[str, str] = {
    "district": "District",
    "target": "Phase 1 target (families)",
    "turned_around_before": "Turned around, claimed in earlier windows",
    "turned_around_now": "Turned around, new in this window",
    "turned_around_to_date": "Turned around to date",
    "share_of_target": "Share of target",
}


def write_claim_workbook(
    path: Path,
    *,
    lines: pl.DataFrame,
    audit: pl.DataFrame,
    progress: pl.DataFrame,
    as_of: date,
    run_id: str,
    not_admitted: pl.DataFrame | None = None,
    submitted: dict | None = None,
) -> Path:
    """Write the claim workbook of the window ending `as_of`; returns its path.

    `not_admitted`: engagements rows that earn no results, and why (sheet "Engagements not
    admitted"); `submitted`: the window's standing submission (submitted_by, submitted_at),
    noted on the first sheet."""
    shown = _readable(lines)
    wb = Workbook(write_only=True)
    wb.properties.title = f"Troubled Families results claim, window ending {as_of.isoformat()}"
    wb.properties.creator = "cohort"
    wb.properties.lastModifiedBy = "cohort"
    window = f"{as_of:%d/%m/%Y}"
    note = (
        f"Run {run_id}. Check each row against the Audit trail sheet before submitting; record the "
        f"submission with: cohort claims submit --window-end {as_of.isoformat()} --db <warehouse>"
    )
    if submitted:
        note = (f"Run {run_id}. This window was submitted by {submitted['submitted_by']} at "
                f"{submitted['submitted_at']:%Y-%m-%d %H:%M} UTC: its results show as already claimed.")

    append_table(
        wb.create_sheet(SHEET_TOTALS), totals(lines), headers=TOTAL_HEADERS,
        preamble=[f"Kent: results achieved and payable in the claim window ending {window}", note],
    )
    append_table(
        wb.create_sheet(SHEET_PROGRESS), progress, headers=PROGRESS_HEADERS,
        preamble=[f"Families turned around to date (crime/ASB/education or continuous employment), "
                  f"window ending {window}"],
    )
    append_table(
        wb.create_sheet(SHEET_COUNTY), shown, headers=LINE_HEADERS, wrap=WRAP_COLUMNS,
        preamble=[_headline("Kent", lines, window), note], freeze_first_column=True,
    )
    by_district = shown.partition_by("district", as_dict=True, maintain_order=True)
    turned = dict(zip(progress["district"], progress["turned_around_to_date"])) if progress.height else {}
    for district in (*DISTRICTS, OUT_OF_AREA):
        rows = by_district.get((district,), shown.clear())
        if district == OUT_OF_AREA and rows.height == 0:
            continue
        preamble = [_headline(district, lines.filter(pl.col("district") == district), window)]
        if district in DISTRICT_TARGETS:
            preamble.append(f"Families turned around to date: {turned.get(district, 0)} of the district's "
                            f"Phase 1 target of {DISTRICT_TARGETS[district]}")
        title = SHEET_OUT if district == OUT_OF_AREA else safe_sheet_title(district)
        append_table(wb.create_sheet(title), rows.drop("district"), headers=LINE_HEADERS, wrap=WRAP_COLUMNS,
                     preamble=preamble, freeze_first_column=True)
    if not_admitted is not None:  # a plain sheet: reports/claims styles it in its own change
        append_table(wb.create_sheet(SHEET_NOT_ADMITTED), not_admitted, headers=NOT_ADMITTED_HEADERS,
                     wrap=("reason",), preamble=["Engagements rows that earn no results, and why"])
    append_table(
        wb.create_sheet(SHEET_AUDIT),
        audit.with_columns(pl.col("item").replace(RESULT_LABELS)),
        headers=AUDIT_HEADERS, wrap=("value",),
        preamble=["Every source row behind the flags and results of the families on this claim"],
    )
    saved = save_workbook(wb, path, datetime(as_of.year, as_of.month, as_of.day))
    log.info("claim workbook for the window ending %s: %d rows", as_of, lines.height)
    return saved


def totals(lines: pl.DataFrame) -> pl.DataFrame:
    """Results and payments by district and result (every district and result, zeros too),
    then Kent's totals by result and overall."""
    grid = pl.DataFrame({"district": list(DISTRICTS)}).join(pl.DataFrame({"result": list(RESULTS)}), how="cross")
    present = sorted(set(lines["district"]) - set(DISTRICTS))
    if present:
        grid = pl.concat([grid, pl.DataFrame({"district": present}).join(grid.select("result").unique(
            maintain_order=True), how="cross")])
    sums = lines.group_by("district", "result").agg(
        pl.len().alias("results"),
        (pl.col("already_claimed") == 1).sum().alias("already_claimed"),
        (pl.col("payment_gbp") > 0).sum().alias("paid_results"),
        pl.col("payment_gbp").cast(pl.Float64).sum().alias("payment_gbp"),
    )
    by_district = grid.join(sums, on=["district", "result"], how="left").with_columns(
        pl.col("results", "already_claimed", "paid_results").fill_null(0).cast(pl.Int64),
        pl.col("payment_gbp").fill_null(0.0),
    )
    numbers = ["results", "already_claimed", "paid_results", "payment_gbp"]
    kent = by_district.group_by("result", maintain_order=True).agg(pl.col(numbers).sum()).with_columns(
        pl.lit(KENT).alias("district"))
    overall = by_district.select(pl.col(numbers).sum()).with_columns(
        pl.lit(KENT).alias("district"), pl.lit("all results").alias("result"))
    cols = ["district", "result", *numbers]
    out = pl.concat([by_district.select(cols), kent.select(cols), overall.select(cols)])
    return out.with_columns(pl.col("result").replace(RESULT_LABELS))


def _readable(lines: pl.DataFrame) -> pl.DataFrame:
    """Labels instead of codes, money as numbers Excel sums."""
    return lines.with_columns(
        pl.col("result").replace(RESULT_LABELS),
        pl.col("payment_reason").replace(REASON_LABELS),
        pl.when(pl.col("already_claimed") == 1).then(pl.lit("Yes")).otherwise(pl.lit("No")).alias("already_claimed"),
        pl.col("payment_gbp", "gross_gbp", "paid_before_gbp", "results_payment_gbp").cast(pl.Float64),
        pl.format("{}/{}", pl.col("financial_year"),
                  ((pl.col("financial_year") + 1) % 100).cast(pl.String).str.zfill(2)).alias("financial_year"),
    ).select(list(LINE_HEADERS))


def _headline(where: str, lines: pl.DataFrame, window: str) -> str:
    paid = lines.filter(pl.col("payment_gbp") > 0)
    total = float(paid["payment_gbp"].cast(pl.Float64).sum() or 0)
    return (f"{where}: {lines.height} results achieved by {lines['family_id'].n_unique()} families in the "
            f"claim window ending {window}; {paid.height} payable, £{total:,.2f}")
