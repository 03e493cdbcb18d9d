"""The front sheet ("Summary") of a district list: where the district stands, on one page.

Labels in column A, values in B, notes in C (a page prints them together: portrait,
fit to one page). Counts against the target, what changed since the last run, which
optional extracts were missing ("not known", not "not met"), how the target was set.
Two charts that read at any scale: progress towards the target as one bar of the
target's length (a share, with its value labelled), and the statuses as their own
columns with data labels, so counts of 4, 2 and 5 are not flattened beside a target of 365.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from cohort.core.reference import DISTRICT_COHORTS, DISTRICT_TARGETS, STATED_TARGETS
from cohort.reports.district_rows import LISTED_STATUSES
from cohort.reports.labels import CHANGE_LABELS, STATUS_LABELS
from cohort.reports.xlsx_book import Book

TARGET_LABEL = "Target (Phase 1 allocation, 3 years)"
PROGRAMME_TITLES = {
    "phase1": "Phase 1 (2012-2015): automatic = crime/ASB, education and work all met; discretionary = two "
    "of them plus a local discretion indicator; candidate = two of them",
    "phase2": "Phase 2 (2015-2020): automatic = at least two of the six headline problems; candidate = one",
}
# Kent's Phase 2 target (seed 003) is county-wide; no district split is published.
PHASE2_NOTE = ("Phase 2 has a Kent-wide target (8,960 families over 5 years) that is not split by district; "
               "the district's Phase 1 allocation is shown for scale only.")
STATUS_NOTES = {
    "automatic": "meets the programme's criteria on its own",
    "discretionary": "two criteria and a local discretion indicator",
    "candidate": "two criteria: for the local operational group to consider",
}
CHART_COLOURS = {"automatic": "#1F4E78", "discretionary": "#5B9BD5", "candidate": "#A5A5A5"}


def missing_extract_warning(extract: str) -> str:
    return (f"Extract {extract} was not supplied: indicators that depend on it show 0 meaning NOT KNOWN, "
            "not 'not met'")


def target_note(district: str, programme: str) -> str:
    year1, year2 = DISTRICT_COHORTS[district]
    target = DISTRICT_TARGETS[district]
    if district not in STATED_TARGETS:
        note = (f"Kent set years 1 and 2 ({year1} + {year2} = {year1 + year2} families) to reach 85% of the "
                f"3-year Phase 1 allocation, so the target is ({year1 + year2}) / 0.85 = {target}, rounded.")
    else:
        note = (f"{target} is the 3-year Phase 1 target stated in the district's own report; the Kent reading "
                f"(years 1 + 2 = {year1 + year2} as 85% of the allocation) would give "
                f"{round((year1 + year2) / 0.85)}.")
    return f"{note} {PHASE2_NOTE}" if programme == "phase2" else note


@dataclass(frozen=True)
class Front:
    """What one district's front sheet says."""

    district: str
    programme: str
    as_of: date
    run_id: str
    missing_extracts: list[str]
    by_status: dict[str, int]
    changes: pl.DataFrame  # this district's rows of the changes mart
    previous_as_of: date | None


def _changes_lines(front: Front) -> list[tuple[str, Any, str]]:
    if front.previous_as_of is None:
        return [("Changes since the last run", "none", "No earlier run to compare with: this is the first run of "
                 "this programme in this warehouse.")]
    counts = dict(front.changes.group_by("change").len().iter_rows()) if front.changes.height else {}
    lines: list[tuple[str, Any, str]] = [(f"Changes since the run as of {front.previous_as_of:%d/%m/%Y}",
                                          sum(counts.values()), "families; each is on the Changes sheet")]
    lines += [(f"  {words}", counts[code], "") for code, words in CHANGE_LABELS.items() if counts.get(code)]
    return lines


def write_front(book: Book, front: Front) -> None:
    """The Summary sheet with its two charts."""
    ws = book.sheet("Summary", landscape=False)
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 58)
    title, bold, wrap = book.fmt("text", bold=True, font_size=14), book.fmt("text", bold=True), book.fmt("wrap", indent=1)
    warn, pct, date_fmt = book.fmt("wrap", bold=True, font_color="#C00000"), book.fmt("percent"), book.fmt("date")
    number = book.fmt("int")
    ws.write_string(0, 0, f"Troubled Families identification list: {front.district}", title)
    row = 2
    for extract in sorted(front.missing_extracts):
        ws.merge_range(row, 0, row, 2, missing_extract_warning(extract), warn)
        ws.set_row(row, 30)
        row += 1
    row += 1 if front.missing_extracts else 0
    facts: list[tuple[str, Any, str]] = [
        ("District", front.district, ""),
        ("Programme", front.programme, PROGRAMME_TITLES[front.programme]),
        ("As-of date", front.as_of, ""),
        ("Run id", front.run_id, ""),
    ]
    for label, value, note in facts:
        _fact(ws, row, label, value, note, bold, wrap, date_fmt, book.fmt("text", align="left"))
        row += 1
    row += 1
    ws.write_string(row, 0, "Status", book.fmt("text", bold=True, bg_color="#1F4E78", font_color="#FFFFFF"))
    ws.write_string(row, 1, "Families", book.fmt("text", bold=True, bg_color="#1F4E78", font_color="#FFFFFF"))
    status_first = row + 1
    for i, status in enumerate(LISTED_STATUSES):
        ws.write_string(status_first + i, 0, STATUS_LABELS[status])
        ws.write_number(status_first + i, 1, front.by_status.get(status, 0), number)
        ws.write_string(status_first + i, 2, STATUS_NOTES[status], wrap)  # indented: reads apart from B
    row = status_first + len(LISTED_STATUSES)
    identified = front.by_status.get("automatic", 0) + front.by_status.get("discretionary", 0)
    target = DISTRICT_TARGETS[front.district]
    ws.write_string(row, 0, "Identified (automatic + discretionary)", bold)
    ws.write_number(row, 1, identified, number)
    identified_row = row
    ws.write_string(row + 1, 0, TARGET_LABEL)
    ws.write_number(row + 1, 1, target, number)
    ws.write_string(row + 2, 0, "Still to find (target - identified)")
    ws.write_number(row + 2, 1, max(target - identified, 0), number)
    ws.write_string(row + 3, 0, "Identified as % of target", bold)
    if front.programme == "phase1":
        ws.write_number(row + 3, 1, identified / target, pct)
    else:
        ws.write_string(row + 3, 1, "not applicable: no district Phase 2 target")
    row += 5
    year1, year2 = DISTRICT_COHORTS[front.district]
    for label, value, note in [("Year 1 cohort (families)", year1, ""), ("Year 2 cohort (families)", year2, ""),
                               ("How the target was derived", "see note", target_note(front.district,
                                                                                       front.programme)),
                               *_changes_lines(front), *_extract_lines(front)]:
        _fact(ws, row, label, value, note, bold, wrap, date_fmt, book.fmt("text", align="left"))
        row += 1
    _charts(book, ws, front, status_first, identified_row, row + 1)
    ws.fit_to_pages(1, 1)
    ws.print_area(0, 0, row + 36, 2)


def _extract_lines(front: Front) -> list[tuple[str, Any, str]]:
    if not front.missing_extracts:
        return [("Optional extracts missing", "none", "every optional extract was supplied")]
    return [("Optional extracts missing", len(front.missing_extracts),
             "not supplied: " + ", ".join(sorted(front.missing_extracts))
             + ". The indicators they feed are NOT KNOWN for every family, not 'not met'.")]


def _fact(ws, row: int, label: str, value: Any, note: str, bold, wrap, date_fmt, top=None) -> None:
    ws.write_string(row, 0, label, bold)
    if isinstance(value, date):
        ws.write_datetime(row, 1, value, date_fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, 1, value, top)
    else:
        ws.write_string(row, 1, str(value), top)
    if note:
        ws.write_string(row, 2, note, wrap)
        lines = max(1, -(-len(note) // 56))
        if lines > 1:
            ws.set_row(row, 15 * lines)


def _charts(book: Book, ws, front: Front, status_first: int, identified_row: int, at_row: int) -> None:
    sheet = "Summary"
    statuses = book.wb.add_chart({"type": "column"})
    statuses.add_series({
        "name": "Families by status",
        "categories": [sheet, status_first, 0, status_first + len(LISTED_STATUSES) - 1, 0],
        "values": [sheet, status_first, 1, status_first + len(LISTED_STATUSES) - 1, 1],
        "data_labels": {"value": True},
        "points": [{"fill": {"color": CHART_COLOURS[s]}} for s in LISTED_STATUSES],
    })
    statuses.set_title({"name": f"{front.district}: listed families by status", "name_font": {"size": 11}})
    statuses.set_legend({"none": True})
    statuses.set_y_axis({"min": 0, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    statuses.set_size({"width": 480, "height": 260})
    if front.programme == "phase1":
        # One bar on an axis as long as the target: the share reads at any scale, the label gives the count.
        target = DISTRICT_TARGETS[front.district]
        identified = front.by_status.get("automatic", 0) + front.by_status.get("discretionary", 0)
        progress = book.wb.add_chart({"type": "bar"})
        progress.add_series({
            "name": [sheet, identified_row, 0], "categories": [sheet, identified_row, 0, identified_row, 0],
            "values": [sheet, identified_row, 1, identified_row, 1], "fill": {"color": "#1F4E78"},
            "data_labels": {"value": True, "position": "outside_end"}, "gap": 40,
        })
        progress.set_title({"name": f"Progress towards the target: {identified} of {target} "
                                    f"({identified / target:.1%})", "name_font": {"size": 11}})
        progress.set_x_axis({"min": 0, "max": target, "name": f"families (the axis ends at the target, {target})"})
        progress.set_y_axis({"visible": False})
        progress.set_legend({"none": True})
        progress.set_size({"width": 480, "height": 150})
        ws.insert_chart(at_row, 0, progress, {"x_offset": 5})
        at_row += 8
    ws.insert_chart(at_row, 0, statuses, {"x_offset": 5})
