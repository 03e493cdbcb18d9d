"""The run summary's table and markdown (cohort/summary.py): counts only, every section."""

from __future__ import annotations

from cohort.reports.summary import STATUSES, changes_markdown, summary_markdown, summary_rows

SUMMARY = {
    "run_id": "2014-04_abcd1234", "as_of": "2014-04-30", "programme": "phase1",
    "validate": {"rows_read": {"police": 120, "health": 30}, "rows_rejected": 4, "missing_optional": ["health"]},
    "records": {"records": 146},
    "match": {"persons": 90, "candidate_pairs": 700, "records_linked": 80, "persons_in_several_extracts": 25},
    "households": {"households": 40},
    "rules": {"families_by_status": {"automatic": 7, "candidate": 3}},
    "export": {
        "review_person_questions": 5, "review_household_questions": 1,
        "families_by_district": [{"district": "Thanet", "status": "automatic", "len": 7}],
        "changes": {
            "previous_as_of": "2014-03-31",
            "previous_families_by_status": {"automatic": 5, "candidate": 4, "not_eligible": 2},
            "by_district": [
                {"district": "Thanet", "change": "new", "families": 2},
                {"district": "Thanet", "change": "status_changed", "families": 1},
                {"district": "Dover", "change": "left", "families": 1},
            ],
        },
    },
    "seconds": {"ingest": 0.5, "match": 2.0},
}


def test_table_has_every_section_the_artifact_needs():
    rows = summary_rows(SUMMARY)
    by = {(r["section"], r["item"]): r["value"] for r in rows}
    assert by[("rows read", "police")] == 120
    assert by[("validation", "rows rejected")] == 4
    assert by[("matching", "records linked to another record")] == 80
    assert by[("matching", "persons found in several extracts")] == 25
    assert by[("review queue", "person questions")] == 5
    assert by[("review queue", "household questions")] == 1
    assert by[("families by status", "automatic")] == 7
    assert by[("families by district", "Thanet / automatic")] == 7
    assert by[("seconds per stage", "match")] == 2.0


def test_changes_since_the_last_run():
    text = "\n".join(changes_markdown(SUMMARY))
    assert "Compared with the run as of **2014-03-31**" in text
    assert "| automatic | 5 | 7 | +2 |" in text
    assert "| candidate | 4 | 3 | -1 |" in text
    assert "| not_eligible | 2 | 0 | -2 |" in text
    assert "| district | left | new | status changed |" in text
    assert "| Dover | 1 | 0 | 0 |" in text
    assert "| Thanet | 0 | 2 | 1 |" in text
    assert all(f"| {s} |" in text for s in STATUSES)


def test_first_run_and_no_change():
    first = {**SUMMARY, "export": {**SUMMARY["export"], "changes": {"previous_as_of": None, "by_district": []}}}
    assert "first run" in "\n".join(changes_markdown(first))
    calm = {**SUMMARY, "export": {**SUMMARY["export"], "changes": {
        "previous_as_of": "2014-03-31", "previous_families_by_status": {}, "by_district": []}}}
    assert "No listed family changed." in "\n".join(changes_markdown(calm))
    markdown = summary_markdown(SUMMARY)
    assert markdown.index("## Changes since the last run") < markdown.index("## Counts")
