"""The claim workbook on a hand-built window: sheets, rows per district, totals, progress
against targets, and the audit trail with match confidence."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from cohort.programme.claims import submit_window
from cohort.core.reference import DISTRICT_TARGETS, DISTRICTS
from cohort.programme.results import claim_workbook_frames
from cohort.reports.claims import write_claim_workbook
from support.results_world import ADULT, ResultsWorld, d

T1, T2 = d("2014-03-31"), d("2014-06-30")


def _table(ws) -> list[tuple]:
    rows = list(ws.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and ("Family ID" in r or "District" in r))
    return [r for r in rows[header + 1:] if r]


def _world() -> ResultsWorld:
    """F1 (crime_asb_education) and F2 (progress_to_work), both attached in 2012/13 (R = 800)."""
    w = ResultsWorld().person("P1", ADULT, "F1").person("P2", ADULT, "F2")
    for family in ("F1", "F2"):
        w.identified(d("2013-02-28"), family).engaged(d("2013-03-01"), family)
    w.add("police", "P1", record_id="ASB1", event_date=d("2012-12-01"), event_type="asb_incident")
    w.add("dwp_employment", "P2", record_id="WP1", event="work_programme_start", event_date=d("2014-02-01"))
    return w


def _book(run, tmp_path: Path, as_of) -> openpyxl.Workbook:
    path = write_claim_workbook(tmp_path / f"{as_of}.xlsx", **claim_workbook_frames(run.con, as_of),
                                as_of=as_of, run_id="test")
    return openpyxl.load_workbook(path, read_only=True)


def test_claim_workbook_sheets_rows_and_totals(tmp_path: Path) -> None:
    wb = _book(_world().results(T1), tmp_path, T1)
    assert wb.sheetnames == ["Totals", "Turned around", "County", *DISTRICTS, "Engagements not admitted",
                             "Audit trail"]
    county = _table(wb["County"])
    assert [(r[0], r[1], r[2], r[4]) for r in county] == [
        ("Dartford", "F1", "Crime / ASB / education", 700),
        ("Dartford", "F2", "Progress to work", 100),
    ]
    dartford = _table(wb["Dartford"])
    assert [r[0] for r in dartford] == ["F1", "F2"]
    header = list(next(r for r in wb["Dartford"].iter_rows(values_only=True) if r and "Family ID" in r))
    row = dict(zip(header, dartford[0]))
    assert row["ASB events in baseline"] == 1 and row["ASB events in outcome period"] == 0
    assert row["Attachment record"] == "engagements row 2"
    assert row["Financial year of attachment"] == "2012/13"
    assert _table(wb["Ashford"]) == []

    totals = {(r[0], r[1]): r[2:] for r in _table(wb["Totals"])}
    assert totals[("Dartford", "Crime / ASB / education")] == (1, 0, 1, 700)
    assert totals[("Kent total", "all results")] == (2, 0, 2, 800)
    assert totals[("Ashford", "Progress to work")] == (0, 0, 0, 0)

    progress = {r[0]: r[1:] for r in _table(wb["Turned around"])}
    assert progress["Dartford"] == (DISTRICT_TARGETS["Dartford"], 0, 1, 1, pytest.approx(1 / 95))

    audit = _table(wb["Audit trail"])
    asb = next(r for r in audit if r[5] == "ASB1")
    assert asb[:5] == ("F1", "result", "Crime / ASB / education", True, "police")
    assert asb[9] == 1.0  # the row's match confidence
    assert {r[0] for r in audit} == {"F1", "F2"}


def test_turned_around_counts_earlier_claims_once(tmp_path: Path) -> None:
    w = _world()
    submit_window(w.results(T1).con, T1, by="Auditor")
    run = w.results(T2)
    assert run.payments("F1") == {"crime_asb_education": (Decimal("0.00"), 1, "already_claimed")}
    progress = {r[0]: r[1:] for r in _table(_book(run, tmp_path, T2)["Turned around"])}
    assert progress["Dartford"][1:4] == (1, 0, 1)


def _written(run, tmp_path: Path, as_of, **extra) -> Path:
    return write_claim_workbook(tmp_path / f"{as_of}.xlsx", **{**claim_workbook_frames(run.con, as_of), **extra},
                                as_of=as_of, run_id="test")


def test_money_and_shares_are_formatted_and_payment_is_one_column(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(_written(_world().results(T1), tmp_path, T1))
    ws = wb["County"]
    header_at = next(r for r in range(1, 10) if ws.cell(r, 1).value == "District")
    headers = [c.value for c in ws[header_at]]
    assert [h for h in headers if "Payment" in h or "payment" in h] == ["Payment", "Why this payment",
                                                                       "Results payment R"]
    payment = ws.cell(header_at + 1, headers.index("Payment") + 1)
    assert payment.value == 700 and "£" in payment.number_format and "0.00" in payment.number_format
    assert ws.cell(header_at + 1, headers.index("Why this payment") + 1).value == "payable in full"
    progress = wb["Turned around"]
    share = next(row[5] for row in progress.iter_rows() if row[0].value == "Dartford")
    assert share.number_format == "0.0%"
    for sheet in ("Totals", "County", "Dartford", "Audit trail"):
        setup = wb[sheet].page_setup
        assert setup.orientation == "landscape" and wb[sheet].sheet_properties.pageSetUpPr.fitToPage, sheet
        assert wb[sheet].print_title_rows and wb[sheet].oddFooter.right.text == "OFFICIAL-SENSITIVE", sheet
        assert len(wb[sheet].tables) == 1, sheet


def test_engagements_not_admitted_sheet(tmp_path: Path) -> None:
    run = _world().results(T1)
    empty = openpyxl.load_workbook(_written(run, tmp_path / "a", T1))["Engagements not admitted"]
    texts = [v for row in empty.iter_rows(values_only=True) for v in row if v]
    assert "none" in texts
    rows = pl.DataFrame({
        "family_id": ["F9", "F8"], "attached_on": [d("2013-05-01"), d("2013-01-01")], "key_worker": ["A Worker", None],
        "state": ["not_identified", "unknown_family"], "reason": ["not identified before attachment",
                                                                  "family_id not in any run"],
        "criteria_met_on_attachment": [1, None], "current_family_id": [None, None],
    })
    ws = openpyxl.load_workbook(_written(run, tmp_path / "b", T1, not_admitted=rows))["Engagements not admitted"]
    table = [r for r in ws.iter_rows(values_only=True) if r and r[0] in ("F8", "F9")]
    assert [(r[0], r[3]) for r in table] == [("F8", "Unknown family"), ("F9", "Not identified")]
    assert table[1][4] == "not identified before attachment" and table[1][2] == "A Worker"


def test_front_sheet_says_when_the_window_was_submitted(tmp_path: Path) -> None:
    run = _world().results(T1)
    when = datetime(2014, 4, 2, 9, 30)
    ws = openpyxl.load_workbook(_written(run, tmp_path, T1, submitted={"submitted_by": "A Officer",
                                                                       "submitted_at": when}))["Totals"]
    assert ws["A1"].value.startswith("ALREADY SUBMITTED: this window was submitted by A Officer on 02/04/2014 09:30")
    fresh = openpyxl.load_workbook(_written(run, tmp_path / "fresh", T1))["Totals"]
    assert "SUBMITTED" not in str(fresh["A1"].value)


def test_same_window_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    run = _world().results(T1)
    assert _written(run, tmp_path / "a", T1).read_bytes() == _written(run, tmp_path / "b", T1).read_bytes()
