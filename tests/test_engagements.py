"""Engaged families judged as at their attachment date (issue 10; rules.md "Phase 1 results").

T is 31 March 2014 and the attachment date D is 30 June 2013 unless a test says otherwise.
D's last three terms are summer 2011/12, autumn and spring 2012/13; T's are summer 2012/13,
autumn and spring 2013/14, so a child's schooling can differ on the two dates. D falls in
2013/14, so R = £1,600 and crime/ASB/education pays £1,400.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from cohort.core.warehouse import query
from cohort.matching.ids import ensure_tables, resolve_engagements
from cohort.programme.engagements import STATE_LABELS, EngagementState, not_admitted
from cohort.programme.explain import explain
from cohort.programme.results import claim_workbook_frames
from support.results_world import ADULT, CHILD, ResultsWorld, T, d

D = d("2013-06-30")
D_TERMS = (("2011/12", "summer"), ("2012/13", "autumn"), ("2012/13", "spring"))
T_TERMS = (("2012/13", "summer"), ("2013/14", "autumn"), ("2013/14", "spring"))


def _schooling(w: ResultsWorld, child: str, terms: tuple, unauthorised: int) -> None:
    for year, term in terms:
        w.add("school_census", child, academic_year=year, term=term, provision="mainstream",
              sessions_possible=120, sessions_unauthorised=unauthorised)


def _world() -> ResultsWorld:
    """Four families engaged on D, each showing one side of the reading:
    F1  qualified on D (its Q member), not at T; ASB down by the outcome period: paid.
    F2  meets crime/ASB, education and work at T, had only its benefit on D: not admitted.
    F3  education met on D (absence then), none at T, nothing else relevant: the child is
        fine at T, so crime/ASB/education is achieved, as education was relevant on D.
    F4  education not met on D, met at T; ASB down: achieved, as education was not relevant
        on D (judged at T instead, the child's absence now would fail it).
    """
    w = ResultsWorld()
    w.person("P1", ADULT, "F1").engaged(D, "F1")
    for day in ("2013-02-01", "2013-03-01"):
        w.add("police", "P1", event_date=d(day), event_type="asb_incident")

    w.person("P2", ADULT, "F2").person("C2", CHILD, "F2").engaged(D, "F2", qualifying=False)
    w.add("dwp_benefits", "P2", record_id="F2-JSA", benefit="JSA", spell_start=d("2012-01-01"))
    w.add("police", "P2", record_id="F2-ASBO", event_date=d("2013-11-01"), event_type="asbo")
    _schooling(w, "C2", T_TERMS, 40)

    w.person("C3", CHILD, "F3").engaged(D, "F3")
    _schooling(w, "C3", D_TERMS, 40)
    _schooling(w, "C3", T_TERMS, 0)

    w.person("P4", ADULT, "F4").person("C4", CHILD, "F4").engaged(D, "F4")
    for day in ("2013-02-01", "2013-03-01"):
        w.add("police", "P4", event_date=d(day), event_type="asb_incident")
    _schooling(w, "C4", D_TERMS, 0)
    _schooling(w, "C4", T_TERMS, 40)
    return w


def _judged(run) -> dict[str, dict]:
    rows = query(run.con, "select * from int_engagements__judged").to_dicts()
    return {r["published_family_id"]: r for r in rows}


def test_a_new_warehouse_judges_each_engaged_family_on_its_attachment_date() -> None:
    run = _world().results(T)
    judged = _judged(run)
    status_at_t = dict(query(run.con, "select family_id, status from families").iter_rows())
    assert {f: (j["state"], j["status_on_attachment"]) for f, j in judged.items()} == {
        "F1": ("admitted", "discretionary"), "F2": ("not_in_programme", "not_eligible"),
        "F3": ("admitted", "automatic"), "F4": ("admitted", "discretionary")}
    assert status_at_t["F1"] == "not_eligible" and status_at_t["F2"] == "automatic"

    # F1 qualified on D, not at T: admitted and paid
    assert run.payments("F1") == {"crime_asb_education": (Decimal("1400.00"), 0, "payable")}
    # F2 qualifies at T, did not on D: listed, with the criteria it met that day
    assert run.payments("F2") == {}
    listed = not_admitted(run.con)
    assert listed.columns == ["family_id", "attached_on", "key_worker", "state", "reason",
                              "criteria_met_on_attachment", "current_family_id"]
    row = listed.row(0, named=True)
    assert listed.height == 1 and row["family_id"] == "F2" and row["current_family_id"] == "F2"
    assert row["state"] == STATE_LABELS[EngagementState.NOT_IN_PROGRAMME]
    assert row["criteria_met_on_attachment"] == "work"
    assert row["reason"] == ("not eligible on 2013-06-30 (criteria met that day: work): not automatic or "
                             "discretionary, so not in the programme")


def test_education_is_relevant_as_on_the_attachment_date_both_ways() -> None:
    run = _world().results(T)
    education = dict(query(run.con, "select family_id, education_at_identification"
                                    " from int_family_attachment").iter_rows())
    at_t = dict(query(run.con, "select family_id, education = 1 from families").iter_rows())
    assert (education["F3"], at_t["F3"]) == (True, False)
    assert (education["F4"], at_t["F4"]) == (False, True)
    assert run.achieved("crime_asb_education", "F3"), run.flag("crime_asb_education", "F3")["detail"]
    assert run.achieved("crime_asb_education", "F4"), run.flag("crime_asb_education", "F4")["detail"]
    assert run.payments("F3")["crime_asb_education"][0] == Decimal("1400.00")


def _results(run) -> pl.DataFrame:
    return run.results().select("family_id", "result", "achieved_on", "payment_gbp", "already_claimed")


def test_a_two_run_history_gives_the_one_run_results() -> None:
    one = _results(_world().results(T))
    w = _world()
    at_d = w.results(D)
    assert set(query(at_d.con, "select family_id from int_family_attachment")["family_id"]) == {"F1", "F3", "F4"}
    two = w.results(T)
    assert _results(two).equals(one)
    assert one.height == 3
    notes = query(two.con, "select attachment_note from int_family_attachment")["attachment_note"]
    assert notes.null_count() == notes.len(), "the run on D and the judgement as at D agree"


def test_when_the_run_on_the_attachment_date_saw_other_members_today_s_members_decide() -> None:
    """F1's Q member left between D and T. The run as of D found F1 discretionary; judged on
    its members at T (rules.md), F1 was not in the programme on D, and the reason says so."""
    w = _world()
    w.results(D)
    w.con.execute("delete from household_members where person_id like 'QF1%'")
    run = w.results(T)
    f1 = _judged(run)["F1"]
    assert (f1["state"], f1["status_on_attachment"], f1["history_status"]) == (
        "not_in_programme", "not_eligible", "discretionary")
    assert "the run as of 2013-06-30 found it discretionary on that day's membership" in f1["reason"]
    assert run.payments("F1") == {}


@pytest.fixture()
def every_state() -> ResultsWorld:
    w = ResultsWorld()
    w.person("P1", ADULT, "F1").engaged(D, "F1").engaged(d("2013-09-30"), "F1", qualifying=False)
    w.person("P2", ADULT, "F2").engaged(D, "F2", qualifying=False)
    w.engaged(D, "F_GONE", qualifying=False)
    w.person("P5", ADULT, "F5").engaged(D, "F_OLD", qualifying=False).qualifies_on(D, "F5")
    w.person("P6", ADULT, "F6").identified(d("2013-12-31"), "F6").engaged(d("2014-05-01"), "F6", qualifying=False)
    w.con = w.connect()
    ensure_tables(w.con)
    w.con.execute("insert into id_redirects values ('F_OLD', 'F5', 'family', '2013-12-31')")
    return w


def test_every_engagement_row_ends_in_exactly_one_state(every_state: ResultsWorld) -> None:
    run = every_state.results(T)
    rows = query(run.con, "select row_number, published_family_id, family_id, state, reason"
                          " from int_engagements__judged order by row_number").rows()
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("F1", "F1", "admitted"), ("F1", "F1", "admitted"), ("F2", "F2", "not_in_programme"),
        ("F_GONE", None, "unknown_family"), ("F_OLD", "F5", "redirected"), ("F6", "F6", "not_in_programme")]
    reasons = {r[0]: r[4] for r in rows}
    assert "judged on its earliest engagement, row 2" in reasons[3]
    assert reasons[5] == "no family F_GONE in this run, and it was not merged into a family that is"
    assert reasons[6].startswith("family F_OLD was merged into F5, which was discretionary on 2013-06-30"), reasons[6]
    assert reasons[7] == "attached on 2014-05-01, after the as-of date 2014-03-31: not yet in the programme"
    assert run.summary["engagements"] == {"admitted": 2, "not_in_programme": 2, "unknown_family": 1, "redirected": 1}
    assert sum(run.summary["engagements"].values()) == len(rows)
    assert set(query(run.con, "select family_id from int_family_attachment")["family_id"]) == {"F1", "F5"}
    listed = claim_workbook_frames(run.con, T)["not_admitted"]
    assert listed.select("family_id", "current_family_id").rows() == [("F2", "F2"), ("F_GONE", None), ("F6", "F6")]
    assert listed["criteria_met_on_attachment"].to_list() == ["none", None, None]


def test_a_row_the_ids_stage_pointed_at_the_successor_is_still_redirected(every_state: ResultsWorld) -> None:
    """The ids stage writes `engagements` with current ids (the extract, stg_engagements,
    stays as validated); engagement_redirects keeps the id the row named, so the row is
    reported as followed to a successor."""
    assert resolve_engagements(every_state.con, T) == 1
    named = "select family_id from {} where row_number = 6"
    assert query(every_state.con, named.format("engagements"))["family_id"][0] == "F5"
    assert query(every_state.con, named.format("stg_engagements"))["family_id"][0] == "F_OLD"
    run = every_state.results(T)
    row = query(run.con, "select published_family_id, family_id, state from int_engagements__judged"
                         " where row_number = 6").row(0)
    assert row == ("F_OLD", "F5", "redirected")


def test_explain_shows_the_status_on_the_attachment_date_and_its_evidence() -> None:
    run = _world().results(T)
    text = explain(run.con, "F1")
    assert "row 2 (F1, attached on 2013-06-30, key worker KW): Admitted: discretionary on 2013-06-30" in text
    assert "On the attachment date 2013-06-30 (judged on today's members): status discretionary" in text
    assert "police QF11-ASBO 2012-09-28: asbo; person QF11, match confidence 1.00" in text
    assert "  work: met" in text and "dwp_benefits QF11-JSA 2012-09-28: JSA spell open" in text
    other = explain(run.con, "F2")
    assert "Not in the programme on the attachment date: not eligible on 2013-06-30" in other
    assert "  crime_asb: not met" in other
