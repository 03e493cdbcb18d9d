"""The money of rules.md "Money": the results payment R by the attachment's financial year,
each result's share of it, and a family never paid more than R within one window.

T is 31 March 2015, so attachments from April 2012 to April 2014 can all be measured.
F1 achieves crime_asb_education (an ASB event just before attachment, none since) and
progress_to_work (a Work Programme start in the last 6 months); F2 achieves
continuous_employment.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import polars as pl
import pytest

from cohort.programme.results import PaymentReason
from cohort.core.sqlrunner import SQL_DIR
from support.results_world import ADULT, ResultsWorld, d, results_ruleset

T = d("2015-03-31")


def _world(attached_on: str) -> ResultsWorld:
    a = d(attached_on)
    w = ResultsWorld().person("P1", ADULT, "F1").person("P2", ADULT, "F2")
    for family in ("F1", "F2"):
        w.identified(d("2012-03-31"), family).engaged(a, family)
    w.add("police", "P1", event_date=a - timedelta(days=10), event_type="asb_incident")
    w.add("dwp_employment", "P1", event="work_programme_start", event_date=d("2015-01-10"))
    w.add("dwp_benefits", "P2", benefit="ESA", spell_start=d("2011-01-01"), spell_end=d("2014-09-30"))
    w.add("dwp_employment", "P2", event="employment_start", event_date=d("2014-10-01"))
    return w


@pytest.mark.parametrize(
    "attached_on, financial_year, r, cae, ptw, ce",
    [
        ("2012-04-01", 2012, "800.00", "700.00", "100.00", "800.00"),
        ("2013-03-31", 2012, "800.00", "700.00", "100.00", "800.00"),
        ("2013-04-01", 2013, "1600.00", "1400.00", "200.00", "1600.00"),
        ("2014-03-31", 2013, "1600.00", "1400.00", "200.00", "1600.00"),
        ("2014-04-01", 2014, "2400.00", "2100.00", "300.00", "2400.00"),
    ],
    ids=["first day of 2012/13", "last day of 2012/13", "first day of 2013/14", "last day of 2013/14",
         "first day of 2014/15"],
)
def test_amounts_by_financial_year_of_attachment(attached_on, financial_year, r, cae, ptw, ce) -> None:
    run = _world(attached_on).results(T)
    results = run.results()
    assert set(results["financial_year"]) == {financial_year}
    assert set(results["results_payment_gbp"]) == {Decimal(r)}
    assert run.payments("F1") == {
        "crime_asb_education": (Decimal(cae), 0, PaymentReason.PAYABLE),
        "progress_to_work": (Decimal(ptw), 0, PaymentReason.PAYABLE),
    }
    assert run.payments("F2") == {"continuous_employment": (Decimal(ce), 0, PaymentReason.PAYABLE)}
    assert results.filter(pl.col("family_id") == "F1")["payment_gbp"].sum() == Decimal(r)


def test_an_attachment_year_without_a_fee_share_pays_nothing() -> None:
    """Attached 31 March 2012 (2011/12): the framework configures no share for that year."""
    run = _world("2012-03-31").results(T)
    assert set(run.results()["payment_reason"]) == {PaymentReason.NO_FEE_SHARE}
    assert run.results()["payment_gbp"].sum() == 0


def test_fee_shares_come_from_the_rule_set() -> None:
    rs = results_ruleset(attachment_fee_share={"2012": 0.5, "2013": 0.6, "2014": 0.4})
    run = _world("2012-06-01").results(T, rs)
    assert run.payments("F2")["continuous_employment"][0] == Decimal("2000.00")
    assert run.payments("F1")["crime_asb_education"][0] == Decimal("1750.00")


def test_within_a_window_the_family_total_never_exceeds_r() -> None:
    """All three achieved at once (P3 in work, P1 on the Work Programme): crime_asb_education
    pays 700, continuous employment the balance of 100, and progress to work nothing."""
    w = _world("2012-06-01").person("P3", ADULT, "F1")
    w.add("dwp_benefits", "P3", benefit="JSA", spell_start=d("2011-01-01"), spell_end=d("2014-09-30"))
    w.add("dwp_employment", "P3", event="employment_start", event_date=d("2014-10-01"))
    run = w.results(T)
    assert run.payments("F1") == {
        "crime_asb_education": (Decimal("700.00"), 0, PaymentReason.PAYABLE),
        "continuous_employment": (Decimal("100.00"), 0, PaymentReason.BALANCE_ONLY),
        "progress_to_work": (Decimal("0.00"), 0, PaymentReason.EMPLOYMENT_PAID),
    }


def test_payment_reasons_in_the_sql_are_the_python_enum() -> None:
    sql = (SQL_DIR / "marts" / "results.sql").read_text(encoding="utf-8")
    body = sql[sql.index("reasoned as ("):]
    assert set(re.findall(r"(?:then|else) '(\w+)'", body)) == {r.value for r in PaymentReason}
