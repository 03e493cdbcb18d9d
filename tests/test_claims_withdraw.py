"""Claims cannot be made for the future or twice, and a mistaken submission can be taken
back (issue 10): withdraw, then resubmit; a submitted window run again shows its results as
claimed and its workbook says who submitted it; `cohort run` and `cohort claims submit`
refuse dates after today; a ledger from before withdrawals is brought forward unchanged."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from cohort.cli import main
from cohort.core.warehouse import query
from cohort.programme.claims import (
    ClaimsError,
    claimed,
    ensure_ledger,
    standing_submission,
    submissions,
    submit_window,
    withdraw_window,
)
from cohort.programme.results import claim_workbook_frames
from cohort.reports.claims import write_claim_workbook
from support.claims import T1, T2, NOW, engaged_family, warehouse_after_t1

LATER = NOW + timedelta(days=3)


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return query(con, f"select count(*) as n from {table}")["n"][0]


def test_withdraw_then_resubmit_never_deletes_a_row() -> None:
    w = engaged_family()
    run = w.results(T1)
    first = submit_window(run.con, T1, by="Auditor", now=NOW)
    assert first.total_gbp == Decimal("700.00")
    back = withdraw_window(run.con, T1, by="Data officer", reason="submitted against the wrong run", now=LATER)
    assert (back.submitted_by, back.results, back.total_gbp) == ("Auditor", 1, Decimal("700.00"))
    assert "Recorded by Data officer" in back.text() and "submitted again" in back.text()
    assert standing_submission(run.con, T1) is None
    assert claimed(run.con)["withdrawn"].to_list() == [True]

    again = w.results(T1)  # the withdrawn claim no longer counts: payable again
    assert again.payments() == {"crime_asb_education": (Decimal("700.00"), 0, "payable")}
    second = submit_window(again.con, T1, by="Auditor", now=LATER + timedelta(hours=1))
    assert second.total_gbp == Decimal("700.00")
    subs = submissions(again.con)
    assert subs.select("submitted_by", "withdrawn_by").rows() == [("Auditor", "Data officer"), ("Auditor", None)]
    assert subs["withdrawal_reason"].to_list() == ["submitted against the wrong run", None]
    assert claimed(again.con).select("payment_gbp", "withdrawn").rows() == [
        (Decimal("700.00"), True), (Decimal("700.00"), False)]
    assert (_rows(again.con, "claims"), _rows(again.con, "claims_current")) == (2, 1)


def test_withdrawals_are_refused_without_a_reason_a_submission_or_in_the_wrong_order() -> None:
    w = engaged_family()
    w.results(T1)
    run = w.results(T2)
    with pytest.raises(ClaimsError, match="never submitted"):
        withdraw_window(run.con, T1, by="A", reason="r")
    submit_window(run.con, T1, by="Auditor", now=NOW)
    submit_window(run.con, T2, by="Auditor", now=NOW)
    with pytest.raises(ClaimsError, match="needs who withdraws it"):
        withdraw_window(run.con, T1, by="A", reason="  ")
    with pytest.raises(ClaimsError, match="withdraw that window first"):
        withdraw_window(run.con, T1, by="A", reason="typo")
    withdraw_window(run.con, T2, by="A", reason="typo", now=LATER)
    with pytest.raises(ClaimsError, match="withdrawn already"):
        withdraw_window(run.con, T2, by="A", reason="typo")
    withdraw_window(run.con, T1, by="A", reason="typo", now=LATER)
    assert _rows(run.con, "claim_withdrawals") == 2 and _rows(run.con, "submissions_current") == 0


def test_a_submitted_window_run_again_is_claimed_and_its_workbook_says_by_whom(tmp_path: Path) -> None:
    w = engaged_family()
    run = w.results(T1)
    submit_window(run.con, T1, by="Auditor", now=NOW)
    again = w.results(T1)
    frames = claim_workbook_frames(again.con, T1)
    assert frames["lines"]["already_claimed"].to_list() == [1]
    assert frames["submitted"]["submitted_by"] == "Auditor" and frames["submitted"]["submitted_at"] == NOW
    path = write_claim_workbook(tmp_path / "claim.xlsx", **frames, as_of=T1, run_id="r1")
    wb = openpyxl.load_workbook(path, read_only=True)
    first = [c for row in wb["Totals"].iter_rows(max_row=3, values_only=True) for c in row if c]
    assert any("submitted by Auditor on 05/04/2014 10:30" in str(c) for c in first), first
    assert "Engagements not admitted" in wb.sheetnames


def test_a_window_ending_after_today_cannot_be_submitted() -> None:
    run = engaged_family().results(T1)
    future = date.today() + timedelta(days=1)
    with pytest.raises(ClaimsError, match="has not ended yet"):
        submit_window(run.con, future, by="Auditor")
    assert _rows(run.con, "claim_submissions") == 0


def test_a_2041_typo_can_be_withdrawn_and_the_real_window_submitted() -> None:
    """A ledger recorded before the check (a 2041 window) blocked every real window; withdrawn, it does not."""
    run = engaged_family().results(T1)
    run.con.execute("insert into claim_submissions values ('2041-03-31', 'Someone', $at, 1, 1, 18200)", {"at": NOW})
    with pytest.raises(ClaimsError, match="2041-03-31 has already been submitted"):
        submit_window(run.con, T1, by="Auditor", now=NOW)
    withdraw_window(run.con, date(2041, 3, 31), by="Data officer", reason="typo for 2014", now=LATER)
    assert submit_window(run.con, T1, by="Auditor", now=LATER).total_gbp == Decimal("700.00")


def test_a_ledger_from_before_withdrawals_is_brought_forward(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("create table claim_submissions (window_end date primary key, submitted_by varchar not null,"
                " submitted_at timestamp not null, families integer not null, results integer not null,"
                " total_gbp decimal(12, 2) not null)")
    con.execute("create table claims (window_end date not null, family_id varchar not null, result varchar not null,"
                " achieved_on date, district varchar, payment_gbp decimal(12, 2) not null, payment_reason varchar,"
                " submitted_by varchar not null, submitted_at timestamp not null, primary key (family_id, result))")
    con.execute("insert into claim_submissions values ($w, 'A', $at, 1, 1, 700)", {"w": T1, "at": NOW})
    con.execute("insert into claims values ($w, 'F1', 'crime_asb_education', $w, 'Dartford', 700, 'payable', 'A', $at)",
                {"w": T1, "at": NOW})
    ensure_ledger(con)
    keys = dict(query(con, "select table_name, constraint_column_names from duckdb_constraints()"
                           " where constraint_type = 'PRIMARY KEY'").iter_rows())
    assert keys["claim_submissions"] == ["window_end", "submitted_at"]
    assert keys["claims"] == ["family_id", "result", "submitted_at"]
    assert claimed(con).select("family_id", "payment_gbp", "withdrawn").rows() == [
        ("F1", Decimal("700.00"), False)]
    assert standing_submission(con, T1)["submitted_by"] == "A"
    ensure_ledger(con)  # a second time changes nothing
    assert _rows(con, "claims") == 1


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    """A warehouse file holding one run of the window ending T1."""
    return warehouse_after_t1(tmp_path)


def test_claims_withdraw_command(warehouse: Path, capsys) -> None:
    submit = ["claims", "submit", "--window-end", "2014-03-31", "--db", str(warehouse), "--by", "Auditor"]
    withdraw = ["claims", "withdraw", "--window-end", "2014-03-31", "--db", str(warehouse), "--by", "Officer",
                "--reason", "wrong run"]
    assert main(submit) == 0
    capsys.readouterr()
    assert main(withdraw) == 0
    assert "Recorded by Officer" in capsys.readouterr().out
    assert main(withdraw) == 2
    assert "no submission to withdraw" in capsys.readouterr().err
    assert main(submit) == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert query(con, "select count(*) as n from claims")["n"][0] == 2
        assert query(con, "select count(*) as n from claims_current")["n"][0] == 1
    with pytest.raises(SystemExit):  # --by and --reason are required
        main(["claims", "withdraw", "--window-end", "2014-03-31", "--db", str(warehouse)])


def test_claims_submit_refuses_a_future_window_end(warehouse: Path, capsys) -> None:
    future = (date.today() + timedelta(days=1)).isoformat()
    assert main(["claims", "submit", "--window-end", future, "--db", str(warehouse), "--by", "A"]) == 2
    err = capsys.readouterr().err
    assert f"the window ending {future} has not ended yet" in err and "nothing was written" in err


def test_run_refuses_an_as_of_later_than_today(tmp_path: Path, capsys) -> None:
    future = (date.today() + timedelta(days=1)).isoformat()
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    assert main(["run", "--input", str(tmp_path), "--as-of", future, "--db", str(db), "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (f"cohort: the as-of date {future} is later than today ({date.today().isoformat()}): "
                      "a run can only be made for a date that has passed")
    assert not db.exists() and not out.exists()


def test_an_as_of_before_every_record_is_a_warning_in_the_summary(small_drop: Path, tmp_path: Path, capsys) -> None:
    assert main(["run", "--input", str(small_drop / "extracts"), "--as-of", "1990-01-31",
                 "--db", str(tmp_path / "w.duckdb"), "--out", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "run_summary.json").read_text())
    warning = summary["records"]["warnings"][0]
    assert warning.startswith("the as-of date 1990-01-31 is before every record in the extracts")
    shown = capsys.readouterr()
    assert "warning: records: the as-of date 1990-01-31 is before every record" in shown.out + shown.err
    assert pl.read_csv(tmp_path / "out" / "families.csv").height == 0  # nobody lived anywhere yet
