"""The claim workbook `claims/<window end>.xlsx`: what internal audit checks before a window's
results are submitted to government.

Sheets, in order:
- "Totals": results and payments by district and result, with Kent totals;
- "Turned around": families turned around to date against each district's target;
- "County": every row of the claim, all districts;
- one sheet per district (all 12, even with no rows, so a district sees "none" rather
  than a missing sheet), and "Out of area" when a programme family now lives outside Kent;
- "Engagements not admitted": engagement rows the results could not use (programme.results
  `not_admitted`), with why, so none is lost silently ("none" when every row was used);
- "Audit trail": every source row behind the families' flags and results, with the match
  confidence of each row's link to its person.

Money in £ with pence, shares as percentages, one Payment column (what this window pays)
beside "Why this payment". Every sheet prints landscape, fitted to the page width, with
its header repeated and the window and OFFICIAL-SENSITIVE in the footer. When the window
was already submitted, the Totals sheet says who submitted it and when.

One row per family and result, with the evidence audit asks for: attachment and its
source, baseline and outcome periods, ASB events and minors' offences in each, each
child's exclusions and absence over the last terms, each adult's benefit spells and
employment events. Person ids only: no names, dates of birth or addresses.
"""


from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from cohort.core.reference import DISTRICT_TARGETS, DISTRICTS, OUT_OF_AREA
from cohort.programme.results import REASON_LABELS, RESULT_LABELS, RESULTS
from cohort.reports.labels import CRITERION_LABELS, label, plain_text
from cohort.reports.xlsx_book import Book, Column

log = logging.getLogger(__name__)

SHEET_TOTALS, SHEET_PROGRESS, SHEET_COUNTY, SHEET_AUDIT, SHEET_OUT, SHEET_NOT_ADMITTED = (
    "Totals", "Turned around", "County", "Audit trail", "Out of area", "Engagements not admitted",
)
KENT = "Kent total"

LINE_COLUMNS: list[Column] = [
    Column("district", "District", 14),
    Column("family_id", "Family ID", 13),
    Column("result", "Result", 20),
    Column("achieved_on", "Achieved on", 12, "date"),
    Column("payment_gbp", "Payment", 11, "money"),
    Column("already_claimed", "Already claimed", 9),
    Column("payment_reason", "Why this payment", 28, "wrap"),
    Column("gross_gbp", "Full value", 11, "money"),
    Column("paid_before_gbp", "Paid in earlier windows", 12, "money"),
    Column("results_payment_gbp", "Results payment R", 12, "money"),
    Column("financial_year", "Financial year of attachment", 10),
    Column("attached_on", "Attached on", 12, "date"),
    Column("attachment_source", "Attachment from", 14),
    Column("attachment_record", "Attachment record", 18),
    Column("first_identified", "First identified", 12, "date"),
    Column("baseline_from", "Baseline from", 12, "date"),
    Column("baseline_to", "Baseline to", 12, "date"),
    Column("outcome_from", "Outcome period from", 12, "date"),
    Column("outcome_to", "Outcome period to", 12, "date"),
    Column("asb_baseline", "ASB events in baseline", 10, "int"),
    Column("asb_outcome", "ASB events in outcome period", 10, "int"),
    Column("offences_baseline", "Minors' proven offences in baseline", 11, "int"),
    Column("offences_outcome", "Minors' proven offences in outcome period", 11, "int"),
    Column("children_school", "Each child: exclusions and absence over the last 3 terms", 40, "wrap"),
    Column("adult_work", "Each adult: out-of-work benefit spells and employment events", 40, "wrap"),
    Column("detail", "How the result was judged", 32, "wrap"),
    Column("evidence_items", "Source rows (Audit trail sheet)", 10, "int"),
]

AUDIT_COLUMNS: list[Column] = [
    Column("family_id", "Family ID", 13),
    Column("item_kind", "Kind", 11),
    Column("item", "Criterion / result", 22),
    Column("outcome", "Met / achieved", 9, "bool"),
    Column("source", "Extract", 17),
    Column("record_id", "Record ID", 14),
    Column("person_id", "Person ID", 13),
    Column("event_date", "Date", 12, "date"),
    Column("value", "Value", 40, "wrap"),
    Column("match_confidence", "Match confidence", 11, "number"),
    Column("match_reason", "Match reason", 40, "wrap"),
]

TOTAL_COLUMNS: list[Column] = [
    Column("district", "District", 22),
    Column("result", "Result", 24),
    Column("results", "Results achieved", 11, "int"),
    Column("already_claimed", "Already claimed", 11, "int"),
    Column("paid_results", "Results paid in this window", 13, "int"),
    Column("payment_gbp", "Payment", 14, "money"),
]

PROGRESS_COLUMNS: list[Column] = [
    Column("district", "District", 22),
    Column("target", "Phase 1 target (families)", 12, "int"),
    Column("turned_around_before", "Turned around, claimed in earlier windows", 16, "int"),
    Column("turned_around_now", "Turned around, new in this window", 14, "int"),
    Column("turned_around_to_date", "Turned around to date", 12, "int"),
    Column("share_of_target", "Share of target", 11, "percent"),
]

NOT_ADMITTED_COLUMNS: list[Column] = [
    Column("family_id", "Family ID (as engaged)", 14),
    Column("attached_on", "Attached on", 12, "date"),
    Column("key_worker", "Key worker", 18),
    Column("state", "State", 18),
    Column("reason", "Why it was not admitted", 50, "wrap"),
    Column("criteria_met_on_attachment", "Criteria met on attachment", 12),
    Column("current_family_id", "Family ID now", 14),
]
AUDIT_ORDER = ("family_id", "_kind", "item", "event_date", "source", "record_id", "person_id", "outcome", "value",
               "match_confidence", "match_reason")


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

    `not_admitted` (programme.results.claim_workbook_frames) fills "Engagements not
    admitted"; `submitted` (who submitted the window and when, None if not yet) is said
    on the Totals sheet."""
    shown = _readable(lines)
    window = f"{as_of:%d/%m/%Y}"
    book = Book(path, title=f"Troubled Families results claim, window ending {as_of.isoformat()}", when=as_of,
                footer=f"Kent results claim, window ending {window}")
    note = (f"Run {run_id}. Check each row against the Audit trail sheet before submitting; record the "
            f"submission with: cohort claims submit --window-end {as_of.isoformat()} --db <warehouse>")
    book.table_sheet(SHEET_TOTALS, totals(lines), TOTAL_COLUMNS, preamble=_submitted_lines(submitted),
                     notes=[f"Kent: results achieved and payable in the claim window ending {window}", note])
    book.table_sheet(SHEET_PROGRESS, progress, PROGRESS_COLUMNS,
                     notes=[f"Families turned around to date (crime/ASB/education or continuous employment), "
                            f"window ending {window}"])
    book.table_sheet(SHEET_COUNTY, shown, LINE_COLUMNS, notes=[_headline("Kent", lines, window), note],
                     freeze_columns=2)
    by_district = shown.partition_by("district", as_dict=True, maintain_order=True)
    turned = dict(zip(progress["district"], progress["turned_around_to_date"])) if progress.height else {}
    for district in (*DISTRICTS, OUT_OF_AREA):
        rows = by_district.get((district,), shown.clear())
        if district == OUT_OF_AREA and rows.height == 0:
            continue
        notes = [_headline(district, lines.filter(pl.col("district") == district), window)]
        if district in DISTRICT_TARGETS:
            notes.append(f"Families turned around to date: {turned.get(district, 0)} of the district's "
                         f"Phase 1 target of {DISTRICT_TARGETS[district]}")
        book.table_sheet(SHEET_OUT if district == OUT_OF_AREA else district, rows, LINE_COLUMNS[1:], notes=notes,
                         freeze_columns=1)
    book.table_sheet(SHEET_NOT_ADMITTED, _not_admitted(not_admitted), NOT_ADMITTED_COLUMNS,
                     notes=["Engagement rows the results could not use, and why: each needs the key worker's "
                            "or the data officer's attention before it can count"])
    book.table_sheet(SHEET_AUDIT, _audit(audit), AUDIT_COLUMNS,
                     notes=["Every source row behind the flags and results of the families on this claim"])
    saved = book.close()
    log.info("claim workbook for the window ending %s: %d rows", as_of, lines.height)
    return saved


def _submitted_lines(submitted: dict | None) -> list[str]:
    """The warning that the window was already submitted (whatever keys the ledger gives)."""
    if not submitted:
        return []
    by = submitted.get("submitted_by") or submitted.get("by") or "someone not recorded"
    at: Any = submitted.get("submitted_at") or submitted.get("at")
    when = f"{at:%d/%m/%Y %H:%M}" if isinstance(at, datetime) else f"{at:%d/%m/%Y}" if isinstance(at, date) else at
    return [f"ALREADY SUBMITTED: this window was submitted by {by}" + (f" on {when}" if when else "")
            + ". It shows here as it stands against the ledger; to submit it again, first withdraw it "
            "(cohort claims withdraw)."]


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
    return out.with_columns(pl.col("result").replace(RESULT_LABELS),
                            pl.col("district").replace({OUT_OF_AREA: "Out of area"}))


def _readable(lines: pl.DataFrame) -> pl.DataFrame:
    """Labels instead of codes, money as numbers Excel sums."""
    return lines.with_columns(
        pl.col("result").replace(RESULT_LABELS),
        pl.col("payment_reason").replace(REASON_LABELS),
        pl.when(pl.col("already_claimed") == 1).then(pl.lit("Yes")).otherwise(pl.lit("No")).alias("already_claimed"),
        pl.col("payment_gbp", "gross_gbp", "paid_before_gbp", "results_payment_gbp").cast(pl.Float64),
        pl.format("{}/{}", pl.col("financial_year"),
                  ((pl.col("financial_year") + 1) % 100).cast(pl.String).str.zfill(2)).alias("financial_year"),
    ).select([c.key for c in LINE_COLUMNS])


def _audit(audit: pl.DataFrame) -> pl.DataFrame:
    """The audit trail in a total order (the same rows always print the same way), items in words."""
    kind = pl.col("item_kind").replace_strict({"attachment": 1, "criterion": 2}, default=3, return_dtype=pl.Int8)
    return (audit.with_columns(kind.alias("_kind"))
            .sort(list(AUDIT_ORDER), nulls_last=True)
            .with_columns(pl.col("item").replace({**RESULT_LABELS, **CRITERION_LABELS})))


def _not_admitted(frame: pl.DataFrame | None) -> pl.DataFrame:
    """The not-admitted engagements in words, ordered by family and date (empty: the columns only)."""
    keys = [c.key for c in NOT_ADMITTED_COLUMNS]
    if frame is None or frame.height == 0:
        return pl.DataFrame(schema={k: pl.Date if k == "attached_on" else pl.String for k in keys})
    frame = frame.select([pl.col(k) if k in frame.columns else pl.lit(None).alias(k) for k in keys])
    met = pl.col("criteria_met_on_attachment")
    met_text = (pl.when(met).then(pl.lit("Yes")).otherwise(pl.lit("No")) if frame.schema[
        "criteria_met_on_attachment"] == pl.Boolean else met.cast(pl.String))
    return (frame.with_columns(pl.col("attached_on").cast(pl.Date))
            .sort("family_id", "attached_on", nulls_last=True)
            .with_columns(label(pl.col("state"), {}), plain_text(pl.col("reason")), met_text.alias(
                "criteria_met_on_attachment")))


def _headline(where: str, lines: pl.DataFrame, window: str) -> str:
    paid = lines.filter(pl.col("payment_gbp") > 0)
    total = float(paid["payment_gbp"].cast(pl.Float64).sum() or 0)
    where = "Out of area" if where == OUT_OF_AREA else where
    return (f"{where}: {lines.height} results achieved by {lines['family_id'].n_unique()} families in the "
            f"claim window ending {window}; {paid.height} payable, £{total:,.2f}")
