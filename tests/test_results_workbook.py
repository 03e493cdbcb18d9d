"""The claim workbook on a hand-built window: sheets, rows per district, totals, progress
against targets, and the audit trail with match confidence."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from cohort.programme.claims import submit_window
from cohort.core.reference import DISTRICT_TARGETS, DISTRICTS
from cohort.programme.results import claim_workbook_frames
from cohort.reports.claims import write_claim_workbook
from test_results_world import ADULT, ResultsWorld, d

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
