"""Phase 2 boundary tests: the six headline problems just met and just missed, and the
statuses (two or more automatic, one candidate, none not_eligible). T is 31 March 2014.
"""

from __future__ import annotations

import pytest

from support.rules_world import ADULT, CHILD, T, World, d


@pytest.mark.parametrize(
    "dob, event_date, met",
    [
        ("1980-05-05", "2013-04-01", True),
        ("1980-05-05", "2013-03-31", False),
        ("1995-06-01", "2013-06-01", True),
        ("1995-06-01", "2013-05-31", False),
    ],
    ids=["adult offence the day after 12 months before T", "exactly 12 months before T",
         "18th birthday on the event date", "17 on the event date"],
)
def test_crime_asb_adds_adult_offences(dob: str, event_date: str, met: bool) -> None:
    w = World().person("P1", d(dob))
    rid = w.add("police", "P1", event_date=d(event_date), event_type="adult_offence")
    run = w.evaluate("phase2", T)
    run.assert_met_by("crime_asb", rid, met)
    assert w.evaluate("phase1", T).met("crime_asb") is False


def test_crime_asb_keeps_the_phase1_events() -> None:
    w = World().person("P1", ADULT).person("P2", d("2000-01-01"))
    a = w.add("police", "P1", record_id="A", event_date=d("2013-04-01"), event_type="asbo")
    w.add("police", "P1", record_id="OLD", event_date=d("2013-03-31"), event_type="asbo")
    b = w.add("youth_offending", "P2", record_id="B", offence_date=d("2013-05-01"),
              outcome_date=d("2013-06-01"), outcome="caution")
    w.add("housing", "P1", tenancy_ref="T1", tenancy_start=d("2010-01-01"))
    c = w.add("housing_asb", record_id="C", tenancy_ref="T1", intervention="nosp_asb",
              intervention_date=d("2014-03-31"))
    assert w.evaluate("phase2", T).evidence("crime_asb") == [a, b, c]


@pytest.mark.parametrize(
    "unauthorised, met",
    [(14, False), (15, True)],
    ids=["14 % absence", "15 % absence"],
)
def test_school_attendance_as_phase1_education(unauthorised: int, met: bool) -> None:
    w = World().person("P1", CHILD)
    rid = w.add("school_census", "P1", academic_year="2013/14", term="autumn", provision="mainstream",
                sessions_possible=100, sessions_unauthorised=unauthorised)
    run = w.evaluate("phase2", T)
    run.assert_met_by("school_attendance", rid, met)


@pytest.mark.parametrize(
    "person, status, start, end, met",
    [
        ("P2", "child_in_need", "2013-01-01", None, True),
        ("P2", "child_protection_plan", "2012-01-01", "2013-04-01", True),
        ("P2", "child_protection_plan", "2012-01-01", "2013-03-31", False),
        ("P2", "looked_after", "2014-03-31", None, True),
        ("P2", "looked_after", "2014-04-01", None, False),
        ("P1", "child_in_need", "2013-01-01", None, False),
        ("P3", "child_in_need", "2013-01-01", None, True),
        ("P4", "child_in_need", "2013-01-01", None, False),
    ],
    ids=[
        "open episode", "ended the day after 12 months before T", "ended exactly 12 months before T",
        "looked after from T", "starts after T", "an adult's episode", "17 at T", "18 at T",
    ],
)
def test_children_need_help(person: str, status: str, start: str, end: str | None, met: bool) -> None:
    w = World().person("P1", ADULT).person("P2", CHILD)
    w.person("P3", d("1996-04-01")).person("P4", d("1996-03-31"))
    rid = w.add("social_care", person, status=status, start_date=d(start), end_date=d(end) if end else None)
    run = w.evaluate("phase2", T)
    run.assert_met_by("children_need_help", rid, met)


@pytest.mark.parametrize(
    "spell_end, met",
    [("2014-03-30", False), ("2014-03-31", True)],
    ids=["spell ended the day before T", "spell ends on T"],
)
def test_worklessness_as_phase1_work(spell_end: str, met: bool) -> None:
    w = World().person("P1", ADULT)
    rid = w.add("dwp_benefits", "P1", benefit="ESA", spell_start=d("2012-01-01"), spell_end=d(spell_end))
    run = w.evaluate("phase2", T)
    run.assert_met_by("worklessness", rid, met)


@pytest.mark.parametrize(
    "event_date, event_type, met",
    [
        ("2013-03-31", "domestic_abuse", False),
        ("2013-04-01", "domestic_abuse", True),
        ("2014-01-01", "call_out", False),
    ],
    ids=["exactly 12 months before T", "the day after", "another police event"],
)
def test_domestic_abuse(event_date: str, event_type: str, met: bool) -> None:
    w = World().person("P1", ADULT)
    rid = w.add("police", "P1", event_date=d(event_date), event_type=event_type)
    run = w.evaluate("phase2", T)
    run.assert_met_by("domestic_abuse", rid, met)


@pytest.mark.parametrize(
    "recorded_date, issue, met",
    [
        ("2013-03-31", "mental_health", False),
        ("2013-04-01", "mental_health", True),
        ("2014-03-31", "under_18_conception", True),
        ("2014-04-01", "long_term_condition", False),
    ],
    ids=["exactly 12 months before T", "the day after", "on T", "after T"],
)
def test_health(recorded_date: str, issue: str, met: bool) -> None:
    w = World().person("P1", ADULT)
    rid = w.add("health", "P1", recorded_date=d(recorded_date), issue=issue)
    run = w.evaluate("phase2", T)
    run.assert_met_by("health", rid, met)


def test_absent_social_care_and_health_give_0_and_say_so() -> None:
    w = World().person("P1", ADULT).person("P2", CHILD)
    w.absent.update({"social_care", "health"})
    run = w.evaluate("phase2", T)
    assert run.families.columns == [
        "family_id", "district", "members", "crime_asb", "school_attendance", "children_need_help",
        "worklessness", "domestic_abuse", "health", "criteria_met", "status", "evidence_summary",
        "missing_extracts",
    ]
    row = run.family()
    assert (row["children_need_help"], row["health"]) == (0, 0)
    assert row["missing_extracts"] == "health, social_care"


def _family_with(w: World, family: str, problems: set[str]) -> None:
    adult, child = f"{family}-A", f"{family}-C"
    w.person(adult, ADULT, family).person(child, CHILD, family)
    rows = {
        "crime_asb": ("police", adult, {"event_date": d("2014-01-01"), "event_type": "adult_offence"}),
        "school_attendance": ("school_exclusions", child,
                              {"exclusion_date": d("2014-01-15"), "exclusion_type": "permanent"}),
        "children_need_help": ("social_care", child, {"status": "child_in_need", "start_date": d("2014-01-01")}),
        "worklessness": ("dwp_benefits", adult, {"benefit": "JSA", "spell_start": d("2013-01-01")}),
        "domestic_abuse": ("police", adult, {"event_date": d("2014-01-01"), "event_type": "domestic_abuse"}),
        "health": ("health", adult, {"recorded_date": d("2014-01-01"), "issue": "mental_health"}),
    }
    for problem in problems:
        source, person, values = rows[problem]
        w.add(source, person, **values)


@pytest.mark.parametrize(
    "problems, status",
    [
        (set(), "not_eligible"),
        ({"health"}, "candidate"),
        ({"children_need_help"}, "candidate"),
        ({"domestic_abuse", "health"}, "automatic"),
        ({"crime_asb", "worklessness", "school_attendance"}, "automatic"),
        ({"crime_asb", "school_attendance", "children_need_help", "worklessness", "domestic_abuse", "health"},
         "automatic"),
    ],
    ids=["none", "one: health", "one: children", "two", "three", "all six"],
)
def test_phase2_statuses(problems: set[str], status: str) -> None:
    w = World()
    _family_with(w, "F1", problems)
    row = w.evaluate("phase2", T).family()
    assert (row["criteria_met"], row["status"]) == (len(problems), status)
    for problem in ("crime_asb", "school_attendance", "children_need_help", "worklessness",
                    "domestic_abuse", "health"):
        assert row[problem] == int(problem in problems), problem
