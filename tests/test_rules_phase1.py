"""Phase 1 boundary tests: each criterion just met and just missed, and the statuses.

T is 31 March 2014 unless a test says otherwise, so "the last 12 months" is
(31 Mar 2013, 31 Mar 2014] and the last 3 terms are spring 2013/14, autumn 2013/14 and
summer 2012/13 (1 Apr 2013 - 31 Mar 2014).
"""

from __future__ import annotations

from datetime import date

import pytest

from support.rules_world import ADULT, CHILD, T, World, d, ruleset_with


@pytest.mark.parametrize(
    "event_date, event_type, met",
    [
        ("2013-03-31", "asbo", False),
        ("2013-04-01", "asbo", True),
        ("2014-03-31", "asb_injunction", True),
        ("2014-04-01", "asb_contract", False),
        ("2014-01-01", "asb_incident", False),
    ],
    ids=["exactly 12 months before T", "the day after", "on T", "after T", "an incident is not an order"],
)
def test_crime_asb_police_orders(event_date: str, event_type: str, met: bool) -> None:
    w = World().person("P1", ADULT)
    rid = w.add("police", "P1", event_date=d(event_date), event_type=event_type)
    run = w.evaluate("phase1", T)
    run.assert_met_by("crime_asb", rid, met)


@pytest.mark.parametrize(
    "dob, offence_date, outcome_date, met",
    [
        ("1996-01-10", "2014-01-09", "2014-02-01", True),
        ("1996-01-10", "2014-01-10", "2014-02-01", False),
        ("1996-02-29", "2014-02-28", "2014-03-10", True),
        ("1996-02-29", "2014-03-01", "2014-03-10", False),
        ("1998-01-01", "2013-01-01", "2013-03-31", False),
        ("1998-01-01", "2013-01-01", "2013-04-01", True),
        (None, "2014-01-01", "2014-02-01", False),
    ],
    ids=[
        "17 on offence_date", "18th birthday on offence_date", "leap-day baby still 17 on 28 Feb",
        "leap-day baby 18 on 1 Mar", "proven exactly 12 months before T", "proven the day after",
        "unknown dob is not known to be a minor",
    ],
)
def test_crime_asb_minor_offences(dob: str | None, offence_date: str, outcome_date: str, met: bool) -> None:
    w = World().person("P1", d(dob) if dob else None)
    rid = w.add("youth_offending", "P1", offence_date=d(offence_date), outcome_date=d(outcome_date),
                outcome="caution")
    run = w.evaluate("phase1", T)
    run.assert_met_by("crime_asb", rid, met)


@pytest.mark.parametrize(
    "tenancy_end, member_on_tenancy, intervention, intervention_date, met",
    [
        (None, True, "nosp_asb", "2014-01-01", True),
        ("2014-03-31", True, "demotion_order", "2014-01-01", True),
        ("2014-03-30", True, "demotion_order", "2014-01-01", False),
        (None, False, "eviction_asb", "2014-01-01", False),
        (None, True, "housing_injunction", "2013-03-31", False),
        (None, True, "housing_injunction", "2013-04-01", True),
    ],
    ids=[
        "open tenancy", "tenancy ends on T", "tenancy closed the day before T",
        "tenancy lists no member", "exactly 12 months before T", "the day after",
    ],
)
def test_crime_asb_housing_interventions(
    tenancy_end: str | None, member_on_tenancy: bool, intervention: str, intervention_date: str, met: bool
) -> None:
    w = World().person("P1", ADULT).person("P9", ADULT, family="F9")
    w.add("housing", "P1" if member_on_tenancy else "P9", tenancy_ref="T1", role="lead_tenant",
          tenancy_start=d("2010-01-01"), tenancy_end=d(tenancy_end) if tenancy_end else None)
    rid = w.add("housing_asb", tenancy_ref="T1", intervention=intervention, intervention_date=d(intervention_date))
    run = w.evaluate("phase1", T)
    run.assert_met_by("crime_asb", rid, met)


def test_crime_asb_housing_intervention_reaches_only_families_on_the_tenancy() -> None:
    w = World().person("P1", ADULT, "F1").person("P2", CHILD, "F1").person("P3", ADULT, "F2")
    w.add("housing", "P1", tenancy_ref="T1", tenancy_start=d("2010-01-01"))
    w.add("housing", "P2", tenancy_ref="T1", tenancy_start=d("2010-01-01"))
    w.add("housing", "P3", tenancy_ref="T2", tenancy_start=d("2010-01-01"))
    rid = w.add("housing_asb", record_id="HA1", tenancy_ref="T1", intervention="nosp_asb",
                intervention_date=d("2014-01-01"))
    run = w.evaluate("phase1", T)
    assert run.evidence("crime_asb", "F1") == [rid]
    assert run.met("crime_asb", "F2") is False


def test_crime_asb_evidence_lists_every_qualifying_row_and_no_other() -> None:
    w = World().person("P1", ADULT).person("P2", d("2000-01-01"))
    a = w.add("police", "P1", record_id="POL-A", event_date=d("2013-06-01"), event_type="asbo")
    w.add("police", "P1", record_id="POL-OLD", event_date=d("2012-06-01"), event_type="asbo")
    w.add("police", "P1", record_id="POL-DA", event_date=d("2013-06-01"), event_type="domestic_abuse")
    b = w.add("youth_offending", "P2", record_id="YOS-B", offence_date=d("2013-07-01"),
              outcome_date=d("2013-08-01"), outcome="conviction")
    run = w.evaluate("phase1", T)
    assert run.evidence("crime_asb") == [a, b]


@pytest.mark.parametrize(
    "dob, school_age",
    [
        ("2009-03-31", True),
        ("2009-04-01", False),
        ("1997-09-01", True),
        ("1997-08-31", False),
    ],
    ids=["5 at T", "4 at T", "15 on the 31 Aug before T", "16 on the 31 Aug before T"],
)
def test_education_compulsory_school_age(dob: str, school_age: bool) -> None:
    w = World().person("P1", d(dob))
    rid = w.add("school_exclusions", "P1", exclusion_date=d("2014-01-15"), exclusion_type="permanent")
    run = w.evaluate("phase1", T)
    run.assert_met_by("education", rid, school_age)


@pytest.mark.parametrize(
    "as_of, third_exclusion, met",
    [
        ("2014-03-30", "2013-12-31", True),
        ("2014-03-30", "2014-01-01", False),
        ("2014-03-31", "2014-01-01", True),
        ("2014-03-31", "2013-03-31", False),
        ("2014-03-31", "2013-04-01", True),
    ],
    ids=[
        "31 Dec is in autumn, the latest ended term", "1 Jan is in spring, not yet ended at T",
        "spring has ended on T, so 1 Jan counts", "31 Mar 2013 is four terms back",
        "1 Apr 2013 is the oldest of the three terms",
    ],
)
def test_education_fixed_exclusions_by_term(as_of: str, third_exclusion: str, met: bool) -> None:
    w = World().person("P1", CHILD)
    ids = [
        w.add("school_exclusions", "P1", exclusion_date=d("2013-10-01"), exclusion_type="fixed"),
        w.add("school_exclusions", "P1", exclusion_date=d("2013-11-01"), exclusion_type="fixed"),
        w.add("school_exclusions", "P1", exclusion_date=d(third_exclusion), exclusion_type="fixed"),
    ]
    run = w.evaluate("phase1", d(as_of))
    assert run.met("education") is met
    assert run.evidence("education") == (sorted(ids) if met else [])


@pytest.mark.parametrize("count, met", [(2, False), (3, True)], ids=["2 fixed", "3 fixed"])
def test_education_fixed_exclusion_count(count: int, met: bool) -> None:
    w = World().person("P1", CHILD)
    ids = [w.add("school_exclusions", "P1", exclusion_date=date(2013, 10, day), exclusion_type="fixed")
           for day in range(1, count + 1)]
    run = w.evaluate("phase1", T)
    assert run.met("education") is met
    assert run.evidence("education") == (sorted(ids) if met else [])


def test_education_fixed_exclusions_are_counted_per_child() -> None:
    w = World().person("P1", CHILD).person("P2", d("2005-01-01"))
    w.add("school_exclusions", "P1", exclusion_date=d("2013-10-01"), exclusion_type="fixed")
    w.add("school_exclusions", "P1", exclusion_date=d("2013-10-02"), exclusion_type="fixed")
    w.add("school_exclusions", "P2", exclusion_date=d("2013-10-03"), exclusion_type="fixed")
    assert w.evaluate("phase1", T).met("education") is False


@pytest.mark.parametrize(
    "recent, older, met",
    [
        ("pru", "mainstream", True),
        ("alternative_provision", "mainstream", True),
        ("not_on_roll", "mainstream", True),
        ("mainstream", "pru", False),
        ("mainstream", "mainstream", False),
    ],
    ids=["pru in the most recent term", "alternative provision", "not on roll",
         "pru only in an older term", "mainstream"],
)
def test_education_provision_in_the_most_recent_term(recent: str, older: str, met: bool) -> None:
    w = World().person("P1", CHILD)
    rid = w.add("school_census", "P1", academic_year="2013/14", term="spring", provision=recent,
                sessions_possible=100, sessions_unauthorised=0)
    w.add("school_census", "P1", academic_year="2013/14", term="autumn", provision=older,
          sessions_possible=100, sessions_unauthorised=0)
    run = w.evaluate("phase1", T)
    run.assert_met_by("education", rid, met)


@pytest.mark.parametrize(
    "unauthorised, met",
    [((50, 50, 49), False), ((50, 50, 50), True)],
    ids=["14.9 % over three terms", "15 % over three terms"],
)
def test_education_absence_threshold(unauthorised: tuple[int, int, int], met: bool) -> None:
    w = World().person("P1", CHILD)
    terms = [("2013/14", "spring", 300), ("2013/14", "autumn", 300), ("2012/13", "summer", 400)]
    ids = [
        w.add("school_census", "P1", academic_year=year, term=term, provision="mainstream",
              sessions_possible=possible, sessions_unauthorised=u)
        for (year, term, possible), u in zip(terms, unauthorised)
    ]
    w.add("school_census", "P1", academic_year="2012/13", term="spring", provision="mainstream",
          sessions_possible=100, sessions_unauthorised=100)
    run = w.evaluate("phase1", T)
    assert run.met("education") is met
    assert run.evidence("education") == (sorted(ids) if met else [])


def test_education_absence_of_a_child_past_school_age_does_not_count() -> None:
    w = World().person("P1", d("1997-01-01"))
    w.add("school_census", "P1", academic_year="2013/14", term="spring", provision="pru",
          sessions_possible=100, sessions_unauthorised=90)
    assert w.evaluate("phase1", T).met("education") is False


@pytest.mark.parametrize(
    "dob, spell_start, spell_end, benefit, met",
    [
        ("1980-05-05", "2013-01-01", None, "JSA", True),
        ("1980-05-05", "2013-01-01", "2014-03-31", "ESA", True),
        ("1980-05-05", "2013-01-01", "2014-03-30", "ESA", False),
        ("1980-05-05", "2014-03-31", None, "IS", True),
        ("1980-05-05", "2014-04-01", None, "IS", False),
        ("1996-03-31", "2014-01-01", None, "CA", True),
        ("1996-04-01", "2014-01-01", None, "CA", False),
    ],
    ids=[
        "open spell", "spell ends on T", "spell ended the day before T", "spell starts on T",
        "spell starts after T", "18 at T", "17 at T",
    ],
)
def test_work_open_out_of_work_spell(dob: str, spell_start: str, spell_end: str | None, benefit: str, met: bool) -> None:
    w = World().person("P1", d(dob))
    rid = w.add("dwp_benefits", "P1", benefit=benefit, spell_start=d(spell_start),
                spell_end=d(spell_end) if spell_end else None)
    run = w.evaluate("phase1", T)
    run.assert_met_by("work", rid, met)


def test_work_benefit_list_is_configuration() -> None:
    w = World().person("P1", ADULT)
    w.add("dwp_benefits", "P1", benefit="CA", spell_start=d("2013-01-01"))
    assert w.evaluate("phase1", T).met("work") is True
    assert w.evaluate("phase1", T, ruleset_with(out_of_work_benefits=["JSA", "ESA"])).met("work") is False


@pytest.mark.parametrize(
    "source, values, met",
    [
        ("police", {"event_date": "2013-03-31", "event_type": "domestic_abuse"}, False),
        ("police", {"event_date": "2013-04-01", "event_type": "domestic_abuse"}, True),
        ("health", {"recorded_date": "2014-03-31", "issue": "drug_misuse"}, True),
        ("health", {"recorded_date": "2013-04-01", "issue": "alcohol_misuse"}, True),
        ("health", {"recorded_date": "2013-03-31", "issue": "alcohol_misuse"}, False),
        ("health", {"recorded_date": "2014-01-01", "issue": "mental_health"}, False),
        ("social_care", {"start_date": "2013-01-01", "status": "child_protection_plan"}, False),
        ("police", {"event_date": "2014-01-01", "event_type": "adult_offence"}, False),
    ],
    ids=[
        "domestic abuse exactly 12 months before T", "domestic abuse the day after",
        "drug misuse on T", "alcohol misuse the day after 12 months before",
        "alcohol misuse exactly 12 months before", "mental health is off by default",
        "child protection plan is off by default", "adult offending is off by default",
    ],
)
def test_local_discretion_default_indicators(source: str, values: dict, met: bool) -> None:
    w = World().person("P1", ADULT).person("P2", CHILD)
    person = "P2" if source == "social_care" else "P1"
    rid = w.add(source, person, **{k: d(v) if k.endswith("date") else v for k, v in values.items()})
    run = w.evaluate("phase1", T)
    run.assert_met_by("local_discretion", rid, met)


def _plan(start: str, end: str | None = None, person: str = "P2") -> tuple:
    return ("social_care", person, {"status": "child_protection_plan", "start_date": start, "end_date": end})


def _police(event_type: str, day: str, person: str = "P1") -> tuple:
    return ("police", person, {"event_type": event_type, "event_date": day})


def _health(issue: str, day: str) -> tuple:
    return ("health", "P1", {"issue": issue, "recorded_date": day})


@pytest.mark.parametrize(
    "indicator, rows, met",
    [
        ("child_protection_plan", [_plan("2013-01-01")], True),
        ("child_protection_plan", [_plan("2012-01-01", "2013-04-01")], True),
        ("child_protection_plan", [_plan("2012-01-01", "2013-03-31")], False),
        ("child_protection_plan", [_plan("2013-01-01", person="P1")], False),
        ("adult_offending", [_police("adult_offence", "2013-04-01")], True),
        ("adult_offending", [_police("adult_offence", "2013-03-31")], False),
        ("health_problems", [_health("mental_health", "2014-01-01")], True),
        ("health_problems", [_health("under_18_conception", "2014-01-01")], True),
        ("health_problems", [_health("mental_health", "2013-03-31")], False),
        ("police_callouts", [_police("call_out", "2014-01-01"), _police("arrest", "2014-02-01"),
                             _police("call_out", "2013-03-31")], False),
        ("police_callouts", [_police("call_out", "2014-01-01"), _police("call_out", "2014-01-01", "P2"),
                             _police("arrest", "2014-02-01")], True),
    ],
    ids=[
        "plan open on T", "plan ended the day after 12 months before T",
        "plan ended exactly 12 months before T", "plan of an adult",
        "adult offence the day after 12 months before T", "adult offence exactly 12 months before T",
        "mental health problem in the window", "under 18 conception in the window",
        "health problem exactly 12 months before T",
        "2 call-outs or arrests in the window", "3 rows: a call-out of two members counts twice",
    ],
)
def test_local_discretion_optional_indicators(indicator: str, rows: list, met: bool) -> None:
    w = World().person("P1", ADULT).person("P2", CHILD)
    ids = [w.add(src, person, **{k: d(v) if k.endswith("date") and v else v for k, v in values.items()})
           for src, person, values in rows]
    off = w.evaluate("phase1", T)
    assert off.met("local_discretion") is False
    on = w.evaluate("phase1", T, ruleset_with(discretion_indicators=[indicator]))
    assert on.met("local_discretion") is met
    assert on.evidence("local_discretion") == (sorted(ids) if met else [])


def test_local_discretion_with_every_indicator_switched_off() -> None:
    w = World().person("P1", ADULT)
    w.add("police", "P1", event_date=d("2014-01-01"), event_type="domestic_abuse")
    assert w.evaluate("phase1", T, ruleset_with(discretion_indicators=[])).met("local_discretion") is False


def test_absent_health_extract_gives_0_and_says_so() -> None:
    w = World().person("P1", ADULT)
    w.absent.add("health")
    run = w.evaluate("phase1", T)
    row = run.family()
    assert row["local_discretion"] == 0
    assert row["missing_extracts"] == "health"
    present = World().person("P1", ADULT).evaluate("phase1", T).family()
    assert present["missing_extracts"] is None


def test_absent_extract_feeding_only_switched_off_indicators_is_not_listed() -> None:
    w = World().person("P1", ADULT)
    w.absent.add("social_care")
    assert w.evaluate("phase1", T).family()["missing_extracts"] is None
    on = w.evaluate("phase1", T, ruleset_with(discretion_indicators=["child_protection_plan"]))
    assert on.family()["missing_extracts"] == "social_care"


def _family_meeting(w: World, family: str, criteria: set[str]) -> None:
    """Give `family` one adult and one child with exactly the named phase 1 criteria met."""
    adult, child = f"{family}-A", f"{family}-C"
    w.person(adult, ADULT, family).person(child, CHILD, family)
    if "crime_asb" in criteria:
        w.add("police", adult, event_date=d("2014-01-01"), event_type="asbo")
    if "education" in criteria:
        w.add("school_exclusions", child, exclusion_date=d("2014-01-15"), exclusion_type="permanent")
    if "work" in criteria:
        w.add("dwp_benefits", adult, benefit="JSA", spell_start=d("2013-01-01"))
    if "local_discretion" in criteria:
        w.add("police", adult, event_date=d("2014-01-01"), event_type="domestic_abuse")


STATUS_CASES = [
    ("F-ALL", {"crime_asb", "education", "work"}, 3, "automatic"),
    ("F-ALL-D", {"crime_asb", "education", "work", "local_discretion"}, 3, "automatic"),
    ("F-CE-D", {"crime_asb", "education", "local_discretion"}, 2, "discretionary"),
    ("F-EW-D", {"education", "work", "local_discretion"}, 2, "discretionary"),
    ("F-CW", {"crime_asb", "work"}, 2, "candidate"),
    ("F-C-D", {"crime_asb", "local_discretion"}, 1, "not_eligible"),
    ("F-W", {"work"}, 1, "not_eligible"),
    ("F-NONE", set(), 0, "not_eligible"),
]


def test_phase1_statuses() -> None:
    w = World()
    for family, criteria, _, _ in STATUS_CASES:
        _family_meeting(w, family, criteria)
    w.family("F-EMPTY")
    families = w.evaluate("phase1", T).families
    got = {r["family_id"]: r for r in families.iter_rows(named=True)}
    assert set(got) == {c[0] for c in STATUS_CASES} | {"F-EMPTY"}
    for family, criteria, count, status in STATUS_CASES:
        row = got[family]
        assert (row["criteria_met"], row["status"]) == (count, status), family
        for criterion in ("crime_asb", "education", "work", "local_discretion"):
            assert row[criterion] == int(criterion in criteria), (family, criterion)
    assert (got["F-EMPTY"]["members"], got["F-EMPTY"]["status"]) == (0, "not_eligible")
