"""report.html built from a real run's warehouse: every section, charts as inline SVG, nothing
fetched, the error estimate shown whatever its columns, and timings only in their own section."""

from __future__ import annotations

import re
import shutil
from datetime import date

import duckdb
import pytest

from cohort.reports.report_data import stage_seconds, threshold_weight
from cohort.reports.run_report import render, write_run_report, without_timings
from cohort.reports.report_data import read_report_data

AS_OF = date(2014, 3, 31)


def _report(db, tmp_path, summary=None, name="report.html") -> str:
    with duckdb.connect(str(db)) as con:
        path = write_run_report(con, tmp_path / name, summary=summary or {"stage_seconds": {"match": 1.5}},
                                as_of=AS_OF, programme="phase1", run_id="r1", link_threshold=0.9)
    return path.read_text(encoding="utf-8")


@pytest.fixture
def warehouse(first_run, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copy(first_run / "w.duckdb", db)
    return db


def test_every_section_with_its_charts(warehouse, tmp_path):
    html = _report(warehouse, tmp_path)
    for section in ("districts", "changes", "matching", "rejected", "timings"):
        assert f'<section id="{section}">' in html, section
    for heading in ("Families by district against target", "Month on month", "Match weight of every scored pair",
                    "Candidate pairs per blocking rule", "Records left unlinked, per source",
                    "The m/u table per comparison", "Label-free error estimate", "Rejected rows", "Stage timings"):
        assert heading in html, heading
    assert html.count("<svg") >= 8
    assert "Thanet" in html and "first run of this programme" in html


def test_self_contained_nothing_fetched(warehouse, tmp_path):
    html = _report(warehouse, tmp_path)
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert "url(" not in html and "@import" not in html
    assert set(re.findall(r'href="([^"]*)"', html)) <= {f"#{s}" for s in ("districts", "changes", "matching",
                                                                          "rejected", "timings")}
    assert not re.search(r'src="', html)


def test_error_estimate_rendered_with_all_its_columns(warehouse, tmp_path):
    html = _report(warehouse, tmp_path)
    assert "expected_false_links" in html and "expected_families_with_wrong_member" in html, "the run's own estimate"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table match_error_estimate")
    assert "table match_error_estimate not found" in _report(warehouse, tmp_path, name="without.html")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table match_error_estimate as select * from (values ('false links', 0.012, 37), "
                    "('missed links', 0.034, 105)) as t(kind, rate, pairs_estimated)")
    html = _report(warehouse, tmp_path, name="with.html")
    assert "<th>Pairs estimated</th>" in html and "<th>Rate</th>" in html and "missed links" in html


def test_same_warehouse_same_page_apart_from_timings(warehouse, tmp_path):
    a = _report(warehouse, tmp_path, {"stage_seconds": {"match": 1.5}}, "a.html")
    b = _report(warehouse, tmp_path, {"stage_seconds": {"match": 9.25}}, "b.html")
    assert a != b and without_timings(a) == without_timings(b)
    assert without_timings(a).rstrip().endswith("</body></html>")


@pytest.mark.parametrize("description, summary, expected", [
    ("stage_seconds only", {"stage_seconds": {"match": 2.0}}, {"match": 2.0}),
    ("seconds per stage wins", {"seconds": {"match": 3.0}, "stage_seconds": {"match": 2.0}}, {"match": 3.0}),
    ("seconds as a total is not per stage", {"seconds": 12.5, "stage_seconds": {"ids": 1}}, {"ids": 1.0}),
    ("nothing", {}, {}),
])
def test_stage_seconds(description, summary, expected):
    assert stage_seconds(summary) == expected, description


def test_link_threshold_drawn_at_its_weight(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        data = read_report_data(con, as_of=AS_OF, programme="phase1", run_id="r", link_threshold=0.9, summary={})
        pairs, guarded = con.execute("select count(*), count(guard) from match_pairs").fetchall()[0]
    assert threshold_weight(0.9) == pytest.approx(3.1699, abs=1e-4)
    assert (int(data.weights["pairs"].sum()), int(data.weights["guarded"].sum())) == (pairs, guarded) != (0, 0)
    assert "weight 3.17" in render(data)
