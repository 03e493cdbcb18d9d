"""Phase 1 results at their boundaries, on hand-built families.

Unless a test says otherwise: T is 31 March 2014, the family was first identified
(automatic) on 30 June 2013 with no engagement row, so it was attached then; the baseline is
(30 Dec 2012, 30 Jun 2013] and the outcome period (30 Sep 2013, 31 Mar 2014].
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from support.results_world import ADULT, T, ResultsWorld, d

IDENTIFIED = d("2013-06-30")
BASELINE_DAY = d("2013-03-01")
OUTCOME_DAY = d("2014-01-15")
MINOR = d("1998-01-01")  # 15-16 over the periods: every offence is a minor's


def _programme_family() -> ResultsWorld:
    return ResultsWorld().person("P1", ADULT).identified(IDENTIFIED)


@pytest.mark.parametrize(
    "baseline, outcome, achieved",
    [
        (100, 40, True),
        (100, 41, False),
        (10, 4, True),
        (5, 2, True),
        (5, 3, False),
        (1, 0, True),
        (1, 1, False),
    ],
    ids=["60 % reduction", "59 % reduction", "10 down to 4", "5 down to 2 (exactly 60 %)",
         "5 down to 3 (40 %)", "1 down to 0", "no reduction"],
)
def test_asb_reduction_boundary(baseline: int, outcome: int, achieved: bool) -> None:
    w = _programme_family()
    for i in range(baseline):
        w.add("police", "P1", event_date=BASELINE_DAY + timedelta(days=i % 90), event_type="asb_incident")
    for i in range(outcome):
        w.add("police", "P1", event_date=OUTCOME_DAY + timedelta(days=i % 60), event_type="asb_incident")
    run = w.results()
    assert run.achieved("crime_asb_education") is achieved, run.flag("crime_asb_education")["detail"]
    assert len(run.evidence("crime_asb_education")) == baseline + outcome


@pytest.mark.parametrize(
    "baseline, outcome, achieved",
    [
        (100, 67, True),
        (100, 68, False),
        (3, 2, True),
        (2, 2, False),
    ],
    ids=["33 % reduction", "32 % reduction", "3 down to 2 (33.3 %)", "no reduction"],
)
def test_youth_offending_reduction_boundary(baseline: int, outcome: int, achieved: bool) -> None:
    w = ResultsWorld().person("P1", MINOR).identified(IDENTIFIED)
    for i in range(baseline):
        day = BASELINE_DAY + timedelta(days=i % 90)
        w.add("youth_offending", "P1", offence_date=day - timedelta(days=30), outcome_date=day, outcome="caution")
    for i in range(outcome):
        day = OUTCOME_DAY + timedelta(days=i % 60)
        w.add("youth_offending", "P1", offence_date=day - timedelta(days=30), outcome_date=day, outcome="caution")
    run = w.results()
    assert run.achieved("crime_asb_education") is achieved, run.flag("crime_asb_education")["detail"]


def test_an_adults_offences_are_not_youth_offending() -> None:
    """Proven offences of a member 18 or over on offence_date are not a minor's: not relevant."""
    w = ResultsWorld().person("P1", d("1994-01-01")).identified(IDENTIFIED)
    w.add("youth_offending", "P1", offence_date=d("2013-01-01"), outcome_date=d("2013-03-01"), outcome="caution")
    flag = w.results().flag("crime_asb_education")
    assert not flag["achieved"]
    assert "youth offending not relevant" in flag["detail"]


@pytest.mark.parametrize(
    "education_at_identification, asb_baseline, asb_outcome, fixed_exclusions, achieved",
    [
        (False, 0, 0, 0, False),
        (False, 0, 0, 5, False),
        (False, 2, 0, 5, True),
        (True, 0, 0, 0, True),
        (True, 0, 0, 2, True),
        (True, 0, 0, 3, False),
        (True, 2, 0, 3, False),
        (True, 2, 2, 0, False),
    ],
    ids=[
        "nothing relevant: not achievable",
        "exclusions when education was not a problem at identification: not relevant",
        "ASB relevant and met; education not relevant",
        "education relevant and met",
        "education relevant: 2 fixed exclusions pass",
        "education relevant: 3 fixed exclusions fail",
        "ASB met but relevant education fails",
        "education met but relevant ASB fails",
    ],
)
def test_only_relevant_parts_count(education_at_identification: bool, asb_baseline: int, asb_outcome: int,
                                   fixed_exclusions: int, achieved: bool) -> None:
    w = ResultsWorld().person("P1", ADULT).person("P2", d("2003-05-05"))
    w.identified(IDENTIFIED, education=education_at_identification)
    for i in range(asb_baseline):
        w.add("police", "P1", event_date=BASELINE_DAY + timedelta(days=i), event_type="asb_incident")
    for i in range(asb_outcome):
        w.add("police", "P1", event_date=OUTCOME_DAY + timedelta(days=i), event_type="asb_incident")
    for i in range(fixed_exclusions):
        w.add("school_exclusions", "P2", exclusion_date=d("2013-10-07") + timedelta(days=7 * i),
              exclusion_type="fixed", sessions=2)
    run = w.results()
    assert run.achieved("crime_asb_education") is achieved, run.flag("crime_asb_education")["detail"]


def _worker(start: date, benefit: str = "JSA", spell_end: date | None = None) -> ResultsWorld:
    """An adult on `benefit` since 2012 (so on it at attachment) who started work on `start`."""
    w = _programme_family()
    w.add("dwp_benefits", "P1", record_id="SPELL", benefit=benefit, spell_start=d("2012-01-01"), spell_end=spell_end)
    w.add("dwp_employment", "P1", record_id="JOB", event="employment_start", event_date=start)
    return w


@pytest.mark.parametrize(
    "start, achieved",
    [
        (T - timedelta(weeks=13), True),
        (T - timedelta(weeks=13) + timedelta(days=1), False),
        (T - timedelta(weeks=12), False),
        (d("2013-09-30") - timedelta(weeks=13), False),
        (d("2013-10-01") - timedelta(weeks=13), True),
    ],
    ids=["13 weeks reached on T", "a day short of 13 weeks", "12 weeks",
         "13 weeks reached exactly 6 months before T (outside)", "13 weeks reached the day after"],
)
def test_weeks_in_work_boundary(start: date, achieved: bool) -> None:
    run = _worker(start, spell_end=start - timedelta(days=1)).results()
    flag = run.flag("continuous_employment")
    assert flag["achieved"] is achieved, flag["detail"]
    if achieved:
        assert flag["achieved_on"] == start + timedelta(weeks=13)
        assert run.evidence("continuous_employment") == ["JOB", "SPELL"]


@pytest.mark.parametrize(
    "event, extract, day, achieved",
    [
        (None, None, None, True),
        ("JSA", "dwp_benefits", "2014-01-20", False),
        ("ESA", "dwp_benefits", "2014-03-31", False),
        ("JSA", "dwp_benefits", "2013-12-01", True),
        ("employment_end", "dwp_employment", "2014-02-01", False),
        ("employment_end", "dwp_employment", "2013-12-01", True),
    ],
    ids=["unbroken", "a new JSA spell since the start", "a new ESA spell starting on T",
         "a spell that started before the job is not new", "the job ended since",
         "an earlier job's end before the start"],
)
def test_a_new_benefit_spell_or_job_end_breaks_employment(event, extract, day, achieved) -> None:
    start = d("2013-12-02")
    w = _worker(start, spell_end=d("2013-12-01"))
    if extract == "dwp_benefits":
        w.add("dwp_benefits", "P1", benefit=event, spell_start=d(day))
    elif extract == "dwp_employment":
        w.add("dwp_employment", "P1", event=event, event_date=d(day))
    flag = w.results().flag("continuous_employment")
    assert flag["achieved"] is achieved, flag["detail"]


@pytest.mark.parametrize(
    "event, day, achieved",
    [
        ("work_programme_start", "2012-04-01", False),
        ("work_programme_start", "2012-03-31", True),
        ("esf_start", "2013-02-01", False),
        ("esf_start", "2014-03-31", False),
    ],
    ids=["Work Programme start 24 months less a day before T", "exactly 24 months before T",
         "ESF start last year", "ESF start on T"],
)
def test_work_programme_or_esf_attachment_excludes_continuous_employment(event: str, day: str, achieved: bool) -> None:
    w = _worker(d("2013-11-01"), spell_end=d("2013-10-31"))
    w.add("dwp_employment", "P1", event=event, event_date=d(day))
    flag = w.results().flag("continuous_employment")
    assert flag["achieved"] is achieved, flag["detail"]
    if not achieved:
        assert flag["detail"].startswith("excluded")


def test_not_on_benefit_on_the_attachment_date() -> None:
    """A spell that ended before attachment: the adult did not move off benefits after it."""
    w = _programme_family()
    w.add("dwp_benefits", "P1", benefit="JSA", spell_start=d("2012-01-01"), spell_end=d("2013-06-29"))
    w.add("dwp_employment", "P1", event="employment_start", event_date=d("2013-11-01"))
    flag = w.results().flag("continuous_employment")
    assert not flag["achieved"]
    assert flag["detail"] == "no adult on an out-of-work benefit on the attachment date"


def test_engagement_date_moves_the_attachment_for_employment() -> None:
    """Work must start after attachment: after an engagement on 15 Sep it does, on the day itself it does not."""
    w = _worker(d("2013-10-01")).engaged(d("2013-09-15"))
    assert w.results().achieved("continuous_employment")
    w = _worker(d("2013-10-01")).engaged(d("2013-10-01"))
    assert not w.results().achieved("continuous_employment")
