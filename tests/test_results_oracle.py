"""The generator's results oracle (data_samples.oracle) at the same boundaries as the SQL:
the benchmark and the end-to-end test trust its truth, so its reading must be pinned too."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from cohort.core.ruleset import load_ruleset
from cohort.data_samples.oracle import (
    PersonEvents,
    Tenancy,
    continuous_employment,
    crime_asb_education,
    engagement_truth,
    family_results,
    pay,
    progress_to_work,
    results_payment,
)

RS = load_ruleset()
T = date(2014, 3, 31)
A = date(2013, 6, 30)  # attachment: baseline (30 Dec 2012, 30 Jun 2013]
ADULT = date(1980, 5, 5)


def _asb(baseline: int, outcome: int) -> PersonEvents:
    p = PersonEvents(dob=ADULT)
    p.police += [(date(2013, 3, 1), "asb_incident")] * baseline + [(date(2014, 1, 15), "asbo")] * outcome
    return p


@pytest.mark.parametrize("baseline, outcome, achieved", [(100, 40, True), (100, 41, False), (0, 0, False)],
                         ids=["60 %", "59 %", "not relevant"])
def test_asb_reduction(baseline: int, outcome: int, achieved: bool) -> None:
    assert crime_asb_education([_asb(baseline, outcome)], [], {}, T, A, False, RS) is achieved


@pytest.mark.parametrize("baseline, outcome, achieved", [(100, 67, True), (100, 68, False)], ids=["33 %", "32 %"])
def test_offending_reduction(baseline: int, outcome: int, achieved: bool) -> None:
    p = PersonEvents(dob=date(1998, 1, 1))
    p.youth += [(date(2013, 1, 1), date(2013, 3, 1))] * baseline + [(date(2013, 11, 1), date(2014, 1, 15))] * outcome
    assert crime_asb_education([p], [], {}, T, A, False, RS) is achieved


def test_housing_interventions_on_a_members_tenancy_count_once() -> None:
    tenancy = Tenancy("T1", date(2010, 1, 1), None, 1, frozenset({1, 2}))
    interventions = {"T1": [("nosp_asb", date(2013, 2, 1))], "T2": [("nosp_asb", date(2013, 2, 1))]}
    p = PersonEvents(dob=ADULT)
    assert crime_asb_education([p, p], [tenancy], interventions, T, A, False, RS)
    p.police.append((date(2014, 1, 1), "asb_incident"))  # 1 -> 1: no reduction
    assert not crime_asb_education([p, p], [tenancy], interventions, T, A, False, RS)


def test_education_relevant_at_identification() -> None:
    child = PersonEvents(dob=date(2003, 5, 5))
    child.census += [("2013/14", "spring", "mainstream", 120, 18), ("2013/14", "autumn", "mainstream", 140, 21),
                     ("2012/13", "summer", "mainstream", 140, 21)]
    assert not crime_asb_education([child], [], {}, T, A, True, RS)  # 60/400 = 15 %
    child.census[0] = ("2013/14", "spring", "mainstream", 120, 17)
    assert crime_asb_education([child], [], {}, T, A, True, RS)  # 59/400


def _worker(start: date, *more: tuple[str, date]) -> PersonEvents:
    p = PersonEvents(dob=ADULT)
    p.benefits.append(("JSA", date(2012, 1, 1), start - timedelta(days=1)))
    p.employment += [("employment_start", start), *more]
    return p


@pytest.mark.parametrize(
    "worker, expected",
    [
        (_worker(T - timedelta(weeks=13)), T),
        (_worker(T - timedelta(weeks=13) + timedelta(days=1)), None),
        (_worker(date(2013, 12, 2), ("employment_end", date(2014, 2, 1))), None),
        (_worker(date(2013, 12, 2), ("work_programme_start", date(2012, 4, 1))), None),
        (_worker(date(2013, 12, 2), ("work_programme_start", date(2012, 3, 31))), date(2014, 3, 3)),
    ],
    ids=["13 weeks on T", "a day short", "job ended", "Work Programme within 24 months", "exactly 24 months"],
)
def test_continuous_employment(worker: PersonEvents, expected: date | None) -> None:
    assert continuous_employment([worker], T, A, RS) == expected


def test_a_new_benefit_spell_breaks_employment() -> None:
    p = _worker(date(2013, 12, 2))
    p.benefits.append(("ESA", date(2014, 1, 20), None))
    assert continuous_employment([p], T, A, RS) is None


def test_progress_to_work_window() -> None:
    p = PersonEvents(dob=ADULT, employment=[("esf_start", date(2013, 9, 30)), ("esf_start", date(2013, 10, 1))])
    assert progress_to_work([p], T, RS) == date(2013, 10, 1)


@pytest.mark.parametrize(
    "attached_on, r",
    [(date(2013, 3, 31), "800.00"), (date(2013, 4, 1), "1600.00"), (date(2014, 4, 1), "2400.00"),
     (date(2012, 3, 31), None)],
    ids=["2012/13", "2013/14", "2014/15", "2011/12: not configured"],
)
def test_results_payment_by_financial_year(attached_on: date, r: str | None) -> None:
    assert results_payment(attached_on, RS) == (Decimal(r) if r else None)


def test_payments_within_one_window() -> None:
    all_three = {"crime_asb_education": T, "continuous_employment": T, "progress_to_work": T}
    assert pay(all_three, date(2013, 1, 1), RS) == {
        "crime_asb_education": Decimal("700.00"), "continuous_employment": Decimal("100.00"),
        "progress_to_work": Decimal("0.00"),
    }
    assert pay({"progress_to_work": T}, date(2013, 5, 1), RS) == {"progress_to_work": Decimal("200.00")}


def _discretionary_on_a(p: PersonEvents) -> PersonEvents:
    """On JSA on A already (from _worker); an ASBO and domestic abuse in the 12 months before A,
    outside the 6-month baseline: crime/ASB, work and local discretion on A."""
    p.police += [(date(2012, 10, 1), "asbo"), (date(2012, 10, 1), "domestic_abuse")]
    return p


def test_family_results_only_for_programme_families_attached_by_t() -> None:
    people = {1: _discretionary_on_a(_worker(date(2013, 12, 2))), 2: _worker(date(2013, 12, 2))}
    families = [{"dwelling": 10, "status": "automatic", "education": 0},
                {"dwelling": 20, "status": "candidate", "education": 0}]
    out = family_results(T, {1: 10, 2: 20}, families, [], people, {}, {10: A}, RS)
    assert out == [{"dwelling": 10, "result": "continuous_employment", "achieved_on": date(2014, 3, 3),
                    "payment_gbp": Decimal("1600.00")}]
    assert family_results(T, {1: 10}, families[:1], [], people, {}, {}, RS) == []  # attached on T: too late


def test_an_engaged_family_is_judged_on_its_attachment_date() -> None:
    """rules.md: in the programme when automatic or discretionary on attached_on, whatever its
    status at T. Family 10 qualified on A and not at T: paid. Family 30 is automatic at T but
    had only its benefit on A: not in the programme, no results."""
    people = {1: _discretionary_on_a(_worker(date(2013, 12, 2))), 3: _worker(date(2013, 12, 2))}
    families = [{"dwelling": 10, "status": "not_eligible", "education": 0},
                {"dwelling": 30, "status": "automatic", "education": 0}]
    out = family_results(T, {1: 10, 3: 30}, families, [], people, {}, {10: A, 30: A}, RS)
    assert [(r["dwelling"], r["result"]) for r in out] == [(10, "continuous_employment")]
    then = engagement_truth(T, {1: 10, 3: 30}, [], people, {}, {10: A, 30: A}, RS)
    assert (then[10]["status"], then[30]["status"]) == ("discretionary", "not_eligible")
    assert (then[10]["crime_asb"], then[10]["work"], then[30]["work"]) == (1, 1, 1)
