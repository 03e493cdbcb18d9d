"""Tests of the results world's plumbing: the result shape, attachment dates, first identification."""

from __future__ import annotations

import polars as pl
import pytest
from cohort.core.warehouse import fetch_one, query
from cohort.programme.results import RESULTS
from support.results_world import ADULT, CHILD, ResultsWorld, T, d


def test_every_result_returns_one_row_per_programme_family_in_one_shape() -> None:
    w = ResultsWorld().person("P1", ADULT, "F1").person("P2", ADULT, "F2").person("P3", ADULT, "F3")
    w.identified(d("2013-06-30"), "F1").identified(d("2013-06-30"), "F2", "discretionary")
    w.identified(d("2013-06-30"), "F3", "candidate")
    run = w.results()
    flags = query(run.con, "select * from result_flags")
    assert flags.columns == ["family_id", "result", "achieved", "achieved_on", "detail", "evidence"]
    for result in RESULTS:
        assert sorted(flags.filter(pl.col("result") == result)["family_id"]) == ["F1", "F2"], result
    assert flags["detail"].null_count() == 0


def test_a_family_identified_only_as_a_candidate_is_not_in_the_programme() -> None:
    w = ResultsWorld().person("P1", ADULT).identified(d("2013-06-30"), status="candidate")
    w.identified(d("2013-09-30"), status="automatic")
    run = w.results()
    assert run.attachment()["first_identified"] == d("2013-09-30")
    w2 = ResultsWorld().person("P1", ADULT).identified(d("2013-06-30"), status="candidate")
    assert fetch_one(w2.results().con.execute("select count(*) from int_family_attachment"))[0] == 0


@pytest.mark.parametrize(
    "engagements, expected, source",
    [
        ([], "2013-06-30", "first_identified"),
        (["2013-02-01"], "2013-02-01", "engagements"),
        (["2013-08-01", "2013-02-01"], "2013-02-01", "engagements"),
    ],
    ids=["no engagement: first identified", "engagement", "two engagements: the earliest"],
)
def test_attachment_date(engagements: list[str], expected: str, source: str) -> None:
    w = ResultsWorld().person("P1", ADULT).identified(d("2013-06-30")).identified(d("2013-12-31"))
    for day in engagements:
        w.engaged(d(day))
    a = w.results().attachment()
    assert (a["attached_on"], a["attachment_source"]) == (d(expected), source)
    assert a["baseline_after"] == {"2013-06-30": d("2012-12-30"), "2013-02-01": d("2012-08-01")}[expected]
    assert a["outcome_after"] == d("2013-09-30")


def test_the_current_month_counts_as_first_identification() -> None:
    """A family automatic for the first time this month is in the programme from T."""
    w = ResultsWorld().person("P1", ADULT, role="adult").person("P2", CHILD)
    w.add("police", "P2", event_date=d("2014-01-01"), event_type="asbo")
    w.add("dwp_benefits", "P1", benefit="JSA", spell_start=d("2012-01-01"))
    w.add("school_exclusions", "P2", exclusion_date=d("2014-01-10"), exclusion_type="permanent")
    run = w.results()
    a = run.attachment()
    assert (a["first_identified"], a["attached_on"], a["education_at_identification"]) == (T, T, True)
    assert not run.achieved("crime_asb_education")


def test_a_merged_family_was_first_identified_when_its_first_part_was() -> None:
    """F_old was identified in June (education then) and merged into F1 in December
    (id_redirects F_old -> F1): F1's attachment is June, with June's criterion 2."""
    w = ResultsWorld().person("P1", ADULT).identified(d("2013-06-30"), "F_old", education=True)
    w.identified(d("2013-12-31"), "F1", "discretionary")
    con = w.connect()
    w.con = con
    from cohort.matching.ids import ensure_tables

    ensure_tables(con)
    con.execute("insert into id_redirects values ('F_old', 'F_mid', 'family', '2013-09-30'),"
                " ('F_mid', 'F1', 'family', '2013-12-31'), ('P_x', 'F9', 'person', '2013-12-31')")
    a = w.results().attachment()
    assert (a["first_identified"], a["identified_status"], a["education_at_identification"]) == (
        d("2013-06-30"), "automatic", True)
    assert (a["attached_on"], a["attachment_source"]) == (d("2013-06-30"), "first_identified")
    # Without the redirect, F1's own history starts in December.
    plain = ResultsWorld().person("P1", ADULT).identified(d("2013-06-30"), "F_old", education=True)
    plain.identified(d("2013-12-31"), "F1", "discretionary")
    b = plain.results().attachment()
    assert (b["first_identified"], b["education_at_identification"]) == (d("2013-12-31"), False)
