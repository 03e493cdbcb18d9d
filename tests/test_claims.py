"""The claims ledger across claim windows: nothing is claimed twice, later results pay only
the balance of R, progress to work is not paid after continuous employment, and a
submission is all or nothing.

Two windows: T1 = 31 March 2014 and T2 = 30 June 2014. The family was identified on
28 Feb 2013 and engaged on 1 March 2013 (2012/13: R = 800), so its baseline is
(1 Sep 2012, 1 Mar 2013]. It had two ASB incidents in the baseline and none since, so
crime_asb_education is achieved in both windows.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from cohort.core.warehouse import fetch_one

from cohort.programme.claims import ClaimsError, balance, claimed, submissions, submit, submit_window
from cohort.cli import main
from cohort.programme.results import PaymentReason
from cohort.core.sqlrunner import run_sql
from support.claims import NOW, T1, T2, engaged_family, warehouse_after_t1
from support.results_world import ADULT, ResultsWorld, d

def _in_work(w: ResultsWorld, start: str) -> ResultsWorld:
    w.add("dwp_benefits", "P1", benefit="JSA", spell_start=d("2012-01-01"),
          spell_end=d(start) - (d("2012-01-02") - d("2012-01-01")))
    w.add("dwp_employment", "P1", event="employment_start", event_date=d(start))
    return w


def _ledger(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return claimed(con).select("window_end", "family_id", "result", "payment_gbp").rows()


def test_a_result_claimed_in_one_window_is_already_claimed_in_the_next() -> None:
    w = engaged_family()
    first = w.results(T1)
    assert first.payments() == {"crime_asb_education": (Decimal("700.00"), 0, PaymentReason.PAYABLE)}
    sub = submit_window(first.con, T1, by="Auditor", now=NOW)
    assert (sub.families, sub.results, sub.total_gbp) == (1, 1, Decimal("700.00"))
    assert _ledger(first.con) == [(T1, "F1", "crime_asb_education", Decimal("700.00"))]

    second = w.results(T2)
    assert second.achieved("crime_asb_education")
    assert second.payments() == {"crime_asb_education": (Decimal("0.00"), 1, PaymentReason.ALREADY_CLAIMED)}
    sub2 = submit_window(second.con, T2, by="Auditor", now=NOW)
    assert (sub2.results, sub2.total_gbp) == (0, Decimal("0.00"))
    assert _ledger(second.con) == [(T1, "F1", "crime_asb_education", Decimal("700.00"))]
    assert balance(second.con, "F1", Decimal("800")) == Decimal("100.00")


def test_a_window_is_submitted_once() -> None:
    run = engaged_family().results(T1)
    submit_window(run.con, T1, by="Auditor", now=NOW)
    with pytest.raises(ClaimsError, match="already submitted by Auditor at 2014-04-05 10:30"):
        submit_window(run.con, T1, by="Someone else")
    assert submissions(run.con)["submitted_by"].to_list() == ["Auditor"]
    assert len(_ledger(run.con)) == 1


def test_re_running_a_submitted_window_shows_its_results_as_claimed() -> None:
    """Issue 10: run again, a submitted window shows already_claimed = 1 (it pays nothing
    more); the claim workbook says who submitted it and when."""
    w = engaged_family()
    run = w.results(T1)
    submit_window(run.con, T1, by="Auditor", now=NOW)
    again = w.results(T1)
    assert again.payments() == {"crime_asb_education": (Decimal("0.00"), 1, PaymentReason.ALREADY_CLAIMED)}


def test_windows_are_submitted_in_order() -> None:
    w = engaged_family()
    w.results(T1)
    run = w.results(T2)
    submit_window(run.con, T2, by="Auditor", now=NOW)
    with pytest.raises(ClaimsError, match="windows are submitted in order"):
        submit_window(run.con, T1, by="Auditor")
    assert submissions(run.con)["window_end"].to_list() == [T2]


def test_a_window_no_run_has_computed_is_refused() -> None:
    run = engaged_family().results(T1)
    with pytest.raises(ClaimsError, match="no results for the window ending 2014-06-30"):
        submit_window(run.con, T2, by="Auditor")
    assert submissions(run.con).height == 0


def test_continuous_employment_after_crime_asb_education_pays_only_the_balance() -> None:
    """In work from 1 Feb 2014: 13 weeks reached 3 May 2014, in the second window only."""
    w = _in_work(engaged_family(), "2014-02-01")
    first = w.results(T1)
    assert not first.achieved("continuous_employment")
    submit_window(first.con, T1, by="Auditor", now=NOW)
    second = w.results(T2)
    assert second.flag("continuous_employment")["achieved_on"] == d("2014-05-03")
    assert second.payments() == {
        "crime_asb_education": (Decimal("0.00"), 1, PaymentReason.ALREADY_CLAIMED),
        "continuous_employment": (Decimal("100.00"), 0, PaymentReason.BALANCE_ONLY),
    }
    submit_window(second.con, T2, by="Auditor", now=NOW)
    assert claimed(second.con)["payment_gbp"].sum() == Decimal("800.00")


def test_progress_to_work_is_refused_after_continuous_employment() -> None:
    """In work from 1 Nov 2013 (13 weeks on 31 Jan 2014, claimed at T1); a partner starts
    the Work Programme on 1 May 2014: progress to work in the second window pays nothing."""
    w = ResultsWorld().person("P1", ADULT).person("P2", ADULT).identified(d("2013-02-28")).engaged(d("2013-03-01"))
    _in_work(w, "2013-11-01")
    w.add("dwp_employment", "P2", event="work_programme_start", event_date=d("2014-05-01"))
    first = w.results(T1)
    assert first.payments() == {"continuous_employment": (Decimal("800.00"), 0, PaymentReason.PAYABLE)}
    submit_window(first.con, T1, by="Auditor", now=NOW)
    second = w.results(T2)
    assert second.achieved("progress_to_work")
    assert second.payments()["progress_to_work"] == (Decimal("0.00"), 0, PaymentReason.EMPLOYMENT_PAID)
    submit_window(second.con, T2, by="Auditor", now=NOW)
    assert _ledger(second.con) == [(T1, "F1", "continuous_employment", Decimal("800.00"))]


def test_nothing_is_left_after_continuous_employment() -> None:
    """crime_asb_education achieved after continuous employment was paid: R is used up."""
    w = ResultsWorld().person("P1", ADULT).identified(d("2013-02-28")).engaged(d("2013-03-01"))
    _in_work(w, "2013-11-01")
    w.add("police", "P1", event_date=d("2012-12-01"), event_type="asb_incident")
    w.add("police", "P1", event_date=d("2013-12-15"), event_type="asb_incident")
    first = w.results(T1)
    assert first.payments() == {"continuous_employment": (Decimal("800.00"), 0, PaymentReason.PAYABLE)}
    submit_window(first.con, T1, by="Auditor", now=NOW)
    second = w.results(T2)  # the 15 Dec 2013 incident has left the outcome period
    assert second.payments()["crime_asb_education"] == (Decimal("0.00"), 0, PaymentReason.CAP_REACHED)


def test_a_submission_never_half_applies() -> None:
    """A claim row already in the ledger without its submission: the insert fails part way,
    and neither the submission row nor any claim of it is left behind."""
    w = _in_work(engaged_family(), "2013-11-01")
    run = w.results(T1)
    assert len(run.payments()) == 2
    run.con.execute("insert into claims values ($w, 'F1', 'continuous_employment', null, 'Dartford', 1, 'payable',"
                    " 'someone', $now)", {"w": T1, "now": NOW})
    with pytest.raises(ClaimsError, match="nothing was recorded"):
        submit_window(run.con, T1, by="Auditor", now=NOW)
    assert submissions(run.con).height == 0
    assert _ledger(run.con) == [(T1, "F1", "continuous_employment", Decimal("1.00"))]


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    """A warehouse file holding one run of the window ending T1."""
    return warehouse_after_t1(tmp_path)


def test_claims_submit_command_and_its_refusals(warehouse: Path, capsys) -> None:
    args = ["claims", "submit", "--window-end", "2014-03-31", "--db", str(warehouse), "--by", "Auditor"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "1 results for 1 families, £700.00" in out and "Recorded by Auditor" in out

    assert main(args) == 2
    err = capsys.readouterr().err
    assert "already submitted by Auditor" in err and "nothing was written" in err

    # A working copy left by a killed run no longer blocks: it is removed, with a message.
    left = warehouse.with_name(f".{warehouse.name}.run-0a1b2c3d")
    shutil.copy(warehouse, left)
    assert main(["claims", "submit", "--window-end", "2014-06-30", "--db", str(warehouse)]) == 2
    assert "no results for the window ending 2014-06-30" in capsys.readouterr().err
    assert not left.exists()
    # A writer holding the warehouse's lock does block, and the message says who.
    from cohort.core.lock import writer_lock

    with writer_lock(warehouse, "cohort run"):
        assert main(["claims", "submit", "--window-end", "2014-06-30", "--db", str(warehouse)]) == 2
    err = capsys.readouterr().err
    assert "is being changed by `cohort run` (process" in err and "nothing was written" in err
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert fetch_one(con.execute("select count(*) from claims"))[0] == 1


def test_submit_refuses_a_missing_warehouse(tmp_path: Path) -> None:
    with pytest.raises(ClaimsError, match="no warehouse"):
        submit(tmp_path / "none.duckdb", date(2014, 3, 31))


def test_explain_traces_flags_and_results_to_source_rows(warehouse: Path, capsys) -> None:
    assert main(["explain", "F1", "--db", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "attached on 2013-03-01 (engagements)" in out
    assert "crime_asb_education: achieved on 2014-03-31; £700.00 (payable in full)" in out
    assert "police ASB1 2012-12-01: baseline: asb_incident; person P1, match confidence 1.00" in out
    assert "Test" not in out and "Person" not in out  # no names

    assert main(["explain", "F9", "--db", str(warehouse)]) == 2
    assert "family F9 is not in the latest run (as of 2014-03-31)" in capsys.readouterr().err


def _merge_f1_into_f2(con: duckdb.DuckDBPyConnection) -> None:
    """What the ids stage leaves when F1 is merged into F2: F1's id retired."""
    from cohort.matching.ids import ensure_tables

    ensure_tables(con)
    for table in ("families_base", "household_members", "engagements"):
        con.execute(f"update {table} set family_id = 'F2' where family_id = 'F1'")
    con.execute("insert into id_redirects values ('F1', 'F2', 'family', $t)", {"t": T2})


def test_a_claim_follows_its_family_through_a_merge() -> None:
    """F1 is claimed in the first window, then merged into F2 (its id retired: id_redirects
    F1 -> F2, as the ids stage writes it). F2's result is already claimed, not paid again,
    and F2 is one family turned around, not two."""
    w = engaged_family()
    first = w.results(T1)
    submit_window(first.con, T1, by="Auditor", now=NOW)
    _merge_f1_into_f2(first.con)
    second = w.results(T2)
    assert second.achieved("crime_asb_education", "F2")
    assert second.payments("F2") == {
        "crime_asb_education": (Decimal("0.00"), 1, PaymentReason.ALREADY_CLAIMED)}
    assert second.attachment("F2")["first_identified"] == d("2013-02-28")
    progress = run_sql(second.con, "marts/claim_progress.sql", {"as_of": T2})
    progress = (progress["turned_around_before"].sum(), progress["turned_around_now"].sum())
    assert progress == (1, 0)


def test_explain_points_from_a_merged_family_to_the_one_it_became() -> None:
    from cohort.programme.explain import ExplainError, explain

    w = engaged_family()
    con = w.results(T1).con
    _merge_f1_into_f2(con)
    w.results(T2)
    with pytest.raises(ExplainError, match="was merged into family F2: run cohort explain F2"):
        explain(con, "F1")
    assert explain(con, "F2").startswith("Family F2:")
