"""The criterion registry, the shared criterion shape and the status words (core/programmes.py,
core/statuses.py, sql/rules/criterion_shape.sql): one home each, and they agree."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

from cohort.core.programmes import (
    PROGRAMMES,
    criteria_rows,
    criterion_doc,
    criterion_labels,
    feed_rows,
)
from cohort.core.ruleset import load_ruleset
from cohort.core.sqlrunner import SQL_DIR, bind, criterion_sql, load_sql
from cohort.core.statuses import IN_PROGRAMME_STATUSES, LISTED_STATUSES, STATUS_RANK, STATUSES, Status, status_params
from cohort.schemas.registry import EXTRACTS
from support.rules_world import World

T = date(2014, 3, 31)


def test_status_words_are_one_list_shared_by_python_and_sql() -> None:
    assert STATUSES == ("automatic", "discretionary", "candidate", "not_eligible")
    assert all(type(s) is str for s in (*STATUSES, *LISTED_STATUSES, *IN_PROGRAMME_STATUSES))
    assert set(IN_PROGRAMME_STATUSES) < set(LISTED_STATUSES) < set(STATUSES)
    assert sorted(STATUS_RANK, key=STATUS_RANK.get) == list(STATUSES)
    params = status_params()
    assert {params[f"status_{s.value}"] for s in Status} == set(STATUSES)
    assert params["listed_statuses"] == list(LISTED_STATUSES)


def test_the_status_words_reach_any_sql_file_that_names_them() -> None:
    sql = "select $status_candidate as s, list_contains($in_programme_statuses, 'automatic') as p"
    assert duckdb.connect().execute(sql, bind(sql, {})).fetchall() == [("candidate", True)]


def test_no_sql_file_spells_a_status_word_itself() -> None:
    for path in SQL_DIR.glob("**/*.sql"):
        code = "\n".join(line.split("--")[0] for line in path.read_text(encoding="utf-8").splitlines())
        for word in STATUSES:
            assert f"'{word}'" not in code, f"{path.name} spells '{word}': use $status_{word}"


@pytest.mark.parametrize("programme", sorted(PROGRAMMES))
def test_every_criterion_says_what_it_reads_and_how_it_is_named(programme: str) -> None:
    rows = criteria_rows(programme)
    assert [r["criterion"] for r in rows] == list(PROGRAMMES[programme].criteria)
    assert [r["position"] for r in rows] == list(range(1, len(rows) + 1))
    headline = sum(r["headline"] for r in rows)
    assert PROGRAMMES[programme].candidate_min < PROGRAMMES[programme].automatic_min <= headline
    feeds = feed_rows(programme)
    assert {f["criterion"] for f in feeds} == {r["criterion"] for r in rows}, "every criterion declares its extracts"
    for feed in feeds:
        assert feed["extract"] in EXTRACTS, feed
        sql = (SQL_DIR / "rules" / programme / f"{feed['criterion']}.sql").read_text(encoding="utf-8")
        if feed["indicator"]:
            assert f"'{feed['indicator']}'" in sql, feed
    labels = criterion_labels(programme)
    assert all(label[0].isupper() and "_" not in label for label in labels.values()), labels


def test_switchable_indicators_are_the_rule_sets_options() -> None:
    indicators = criterion_doc("phase1", "local_discretion")["indicators"]
    assert set(load_ruleset().identification.discretion_indicators) <= set(indicators)
    assert set(indicators) == {"domestic_abuse", "substance_misuse", "child_protection_plan", "adult_offending",
                               "police_callouts", "health_problems"}


def test_rule_files_hold_only_their_items() -> None:
    for path in SQL_DIR.glob("rules/*/*.sql"):
        text = path.read_text(encoding="utf-8")
        assert "families_base" not in text and "evidence" not in text.split("\nwith", 1)[1], path.name
    wrapped = load_sql("rules/phase1/work.sql")
    assert "criterion_items" in wrapped and "'work' as criterion" in wrapped
    assert load_sql("intermediate/int_families__as_of.sql") == (
        SQL_DIR / "intermediate" / "int_families__as_of.sql").read_text(encoding="utf-8")


def test_the_shared_shape_gives_every_family_judged_one_row() -> None:
    """Items for F1 only (twice, out of order); F2 judged too; F3 not judged: its item is dropped."""
    con = duckdb.connect()
    con.execute("create table int_families__as_of as select * from (values ('F1', date '2014-03-31'),"
                " ('F2', date '2014-03-31')) v(family_id, as_of)")
    items = """
        with final as (
            select * from (values
                ('F1', 'police', 'B', 'P1', date '2014-01-02', 'asbo'),
                ('F1', 'police', 'A', 'P1', date '2014-01-01', 'asbo'),
                ('F3', 'police', 'C', 'P3', date '2014-01-01', 'asbo')
            ) v(family_id, source, record_id, person_id, event_date, value)
        )
        select * from final
    """
    out = con.sql(criterion_sql(items, "made_up")).pl().sort("family_id")
    assert out.columns == ["family_id", "criterion", "met", "evidence"]
    assert out["family_id"].to_list() == ["F1", "F2"] and set(out["criterion"]) == {"made_up"}
    assert out["met"].to_list() == [True, False]
    assert [e["record_id"] for e in out["evidence"][0]] == ["A", "B"] and out["evidence"][1].to_list() == []


def test_an_optional_extract_is_reported_missing_from_the_registry_not_a_map() -> None:
    """extract_feeds takes `optional` from schemas/registry.py: a required extract is never
    reported missing even when a criterion reads it and it is (somehow) absent."""
    w = World().person("P1", date(1980, 1, 1))
    w.absent.update({"police", "health"})
    run = w.evaluate("phase2", T)
    feeds = run.con.table("extract_feeds").pl()
    assert dict(feeds.select("extract", "optional").unique().iter_rows()) == {
        x: not EXTRACTS[x].required for x in feeds["extract"].unique()}
    assert run.family()["missing_extracts"] == "health"
    assert run.con.table("programme_criteria").pl().select("criterion", "position").rows() == [
        (c, i) for i, c in enumerate(PROGRAMMES["phase2"].criteria, start=1)]
    assert isinstance(run.families.schema["criteria_met"], pl.Int32)
