"""The claims ledger: which results have been claimed from government, by whom and when.

Results are paid once. A window's claims are recorded by `submit` (the
`cohort claims submit` command) directly in the warehouse file, never in a run's working
copy, in one transaction: the submission row and every claim row go in together or not at
all. A mistaken submission is taken back by `withdraw` (`cohort claims withdraw`), the same
way: it adds a row and deletes none, and the window can then be submitted again. The
ledger is three tables, whose rows are never changed or deleted:

- `claim_submissions`: one row per submission of a window (window_end, submitted_at);
- `claims`: one row per claimed result of a submission (primary key family_id, result,
  submitted_at), with the amount paid;
- `claim_withdrawals`: one row per withdrawn submission (window_end, submitted_at), by
  whom, when and why.

`claims_current` (a view) is the claims of recorded submissions not withdrawn: what has
been claimed. A window has at most one submission standing, windows stand in order, and a
result is claimed once among the standing claims (checked in the transaction, and by
marts/results.sql paying an already claimed result nothing). A window ending after today
cannot be submitted: a typo such as 2041 would block every real window.

How the ledger changes what a window pays (already claimed, balance up to R, no
progress_to_work once continuous_employment is paid) is stated once, in
`sql/marts/results.sql`; `submit` runs that same SQL against the ledger as it stands at
submission, so a window computed before an earlier window was submitted cannot pay twice.
"""

from __future__ import annotations

import getpass
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl

from cohort.core.commit import update_warehouse
from cohort.core.warehouse import fetch_one, query

from cohort.core.sqlrunner import run_sql
from cohort.programme.ledger_v1 import bring_forward

LEDGER_DDL = (
    """
    create table if not exists claim_submissions (
        window_end date not null,
        submitted_by varchar not null,
        submitted_at timestamp not null,
        families integer not null,
        results integer not null,
        total_gbp decimal(12, 2) not null,
        primary key (window_end, submitted_at)
    )
    """,
    """
    create table if not exists claims (
        window_end date not null,
        family_id varchar not null,
        result varchar not null,
        achieved_on date,
        district varchar,
        payment_gbp decimal(12, 2) not null,
        payment_reason varchar,
        submitted_by varchar not null,
        submitted_at timestamp not null,
        primary key (family_id, result, submitted_at)
    )
    """,
    """
    create table if not exists claim_withdrawals (
        window_end date not null,
        submitted_at timestamp not null,
        withdrawn_by varchar not null,
        withdrawn_at timestamp not null,
        reason varchar not null,
        primary key (window_end, submitted_at)
    )
    """,
    """
    create or replace view claims_current as
    select c.*
    from claims as c
    semi join claim_submissions as s on s.window_end = c.window_end and s.submitted_at = c.submitted_at
    anti join claim_withdrawals as w on w.window_end = c.window_end and w.submitted_at = c.submitted_at
    """,
    """
    create or replace view submissions_current as
    select s.*
    from claim_submissions as s
    anti join claim_withdrawals as w on w.window_end = s.window_end and w.submitted_at = s.submitted_at
    """,
)



class ClaimsError(Exception):
    """A submission refused; the message says why in plain words and that nothing changed."""


@dataclass(frozen=True)
class Submission:
    window_end: date
    submitted_by: str
    submitted_at: datetime
    families: int
    results: int
    total_gbp: Decimal
    by_result: dict[str, tuple[int, Decimal]] = field(default_factory=dict)

    def text(self) -> str:
        lines = [
            f"Submitted the claims for the window ending {self.window_end.isoformat()}: "
            f"{self.results} results for {self.families} families, £{self.total_gbp:,.2f}.",
        ]
        for result, (n, gbp) in sorted(self.by_result.items()):
            lines.append(f"  {result:<24} {n:>5}  £{gbp:,.2f}")
        lines.append(f"Recorded by {self.submitted_by} at {self.submitted_at:%Y-%m-%d %H:%M:%S} UTC.")
        return "\n".join(lines)


@dataclass(frozen=True)
class Withdrawal:
    window_end: date
    submitted_by: str
    submitted_at: datetime
    withdrawn_by: str
    withdrawn_at: datetime
    reason: str
    results: int
    total_gbp: Decimal

    def text(self) -> str:
        return "\n".join([
            f"Withdrew the submission of the window ending {self.window_end.isoformat()} made by "
            f"{self.submitted_by} at {self.submitted_at:%Y-%m-%d %H:%M:%S} UTC ({self.results} results, "
            f"£{self.total_gbp:,.2f}). Its rows stay in the ledger, marked withdrawn; the window can be "
            "submitted again.",
            f"Recorded by {self.withdrawn_by} at {self.withdrawn_at:%Y-%m-%d %H:%M:%S} UTC: {self.reason}",
        ])


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ledger tables if this warehouse has none yet (every run reads them), and
    bring a ledger from before withdrawals to the current keys (its rows unchanged)."""
    bring_forward(con, LEDGER_DDL[:2])
    for ddl in LEDGER_DDL:
        con.execute(ddl)


def claimed(con: duckdb.DuckDBPyConnection, before: date | None = None) -> pl.DataFrame:
    """Every row of the claims table, of windows ending before `before` when given, with
    `withdrawn` true for the claims of a withdrawn submission (they no longer count)."""
    ensure_ledger(con)
    return query(con, """
        select c.*, w.window_end is not null as withdrawn
        from claims as c
        left join claim_withdrawals as w on w.window_end = c.window_end and w.submitted_at = c.submitted_at
        where $before is null or c.window_end < $before
        order by c.window_end, c.family_id, c.result, c.submitted_at
    """, {"before": before})


def balance(con: duckdb.DuckDBPyConnection, family_id: str, results_payment_gbp: Decimal,
            before: date | None = None) -> Decimal:
    """What is left of a family's results payment R after its claims (never below 0)."""
    ensure_ledger(con)
    paid = fetch_one(con.execute(
        "select coalesce(sum(payment_gbp), 0) from claims_current"
        " where family_id = $family_id and ($before is null or window_end < $before)",
        {"family_id": family_id, "before": before},
    ))[0]
    return max(Decimal(results_payment_gbp) - Decimal(paid), Decimal(0))


def submissions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every submission, withdrawn ones too (withdrawn_by, withdrawn_at and reason filled)."""
    ensure_ledger(con)
    return query(con, """
        select s.*, w.withdrawn_by, w.withdrawn_at, w.reason as withdrawal_reason
        from claim_submissions as s
        left join claim_withdrawals as w on w.window_end = s.window_end and w.submitted_at = s.submitted_at
        order by s.window_end, s.submitted_at
    """)


def standing_submission(con: duckdb.DuckDBPyConnection, window_end: date) -> dict | None:
    """The window's submission that stands (not withdrawn), or None."""
    ensure_ledger(con)
    rows = query(con, "select * from submissions_current where window_end = $w", {"w": window_end}).to_dicts()
    return rows[0] if rows else None


@contextmanager
def _ledger_connection(db: Path | str, command: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, opened to change the ledger as its one writer (`update_warehouse`:
    its lock, a copy, one rename), so a run cannot overwrite the change, nor the change
    half-happen. Refused (WarehouseBusy, nothing changed) while a run or another writer
    holds the warehouse."""
    db = Path(db).resolve()
    if not db.exists():
        raise ClaimsError(f"there is no warehouse at {db}")
    with update_warehouse(db, command) as con:
        yield con


def submit(db: Path | str, window_end: date, by: str | None = None, now: datetime | None = None) -> Submission:
    """Record the payable results of the window ending `window_end` in the warehouse file.
    See `submit_window`; refused while a run or another writer holds the warehouse."""
    with _ledger_connection(db, "cohort claims submit") as con:
        return submit_window(con, window_end, by, now)


def withdraw(db: Path | str, window_end: date, by: str, reason: str, now: datetime | None = None) -> Withdrawal:
    """Withdraw the standing submission of the window ending `window_end` in the warehouse
    file. See `withdraw_window`; refused while a run or another writer holds the warehouse."""
    with _ledger_connection(db, "cohort claims withdraw") as con:
        return withdraw_window(con, window_end, by, reason, now)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # to the microsecond: a submission's key


def submit_window(con: duckdb.DuckDBPyConnection, window_end: date, by: str | None = None,
                  now: datetime | None = None) -> Submission:
    """Record the window's payable results as claimed, in one transaction: all or nothing.

    Refused (ClaimsError, nothing changed) when the window ends after today, when it has a
    submission standing, when a later window has (windows go in order, or an earlier window
    could claim what a later one already did), or when no run has computed the window.
    """
    by = by or os.environ.get("COHORT_USER") or getpass.getuser()
    now = now or _now()
    ensure_ledger(con)
    con.begin()
    try:
        _check_window(con, window_end)
        window = run_sql(con, "marts/results.sql", {"as_of": window_end})
        payable = window.filter((pl.col("already_claimed") == 0) & (pl.col("payment_gbp") > 0))
        total = Decimal(str(payable["payment_gbp"].sum() or 0)).quantize(Decimal("0.01"))
        con.execute(
            "insert into claim_submissions values ($w, $by, $at, $families, $results, $total)",
            {"w": window_end, "by": by, "at": now, "families": payable["family_id"].n_unique(),
             "results": payable.height, "total": total},
        )
        rows = payable.select(
            pl.lit(window_end).alias("window_end"), "family_id", "result", "achieved_on", "district",
            "payment_gbp", "payment_reason", pl.lit(by).alias("submitted_by"), pl.lit(now).alias("submitted_at"),
        )
        con.register("_claims", rows)
        twice = fetch_one(con.execute(
            "select count(*) from claims_current as c inner join _claims as n"
            " on n.family_id = c.family_id and n.result = c.result"))[0]
        if twice:
            raise duckdb.ConstraintException(f"{twice} of them are claimed in a submission that stands")
        con.execute("insert into claims by name select * from _claims")
        con.commit()
    except duckdb.ConstraintException as exc:
        con.rollback()
        raise ClaimsError(f"the ledger already holds one of the window's claims ({exc}); nothing was recorded") from exc
    except BaseException:
        con.rollback()
        raise
    finally:  # after the rollback: DuckDB 2 refuses even this inside an aborted transaction
        con.unregister("_claims")
    by_result = {
        r["result"]: (r["n"], Decimal(str(r["gbp"])).quantize(Decimal("0.01")))
        for r in payable.group_by("result").agg(pl.len().alias("n"), pl.col("payment_gbp").sum().alias("gbp"))
        .iter_rows(named=True)
    }
    return Submission(window_end, by, now, payable["family_id"].n_unique(), payable.height, total, by_result)


def withdraw_window(con: duckdb.DuckDBPyConnection, window_end: date, by: str, reason: str,
                    now: datetime | None = None) -> Withdrawal:
    """Withdraw the window's standing submission, in one transaction: one row in
    claim_withdrawals; no row changed or deleted. Its claims stop counting, so the window
    (and its results) can be submitted again.

    Refused (ClaimsError, nothing changed) without a name and a reason, when the window has
    no submission standing, or when a later window has one (windows stand in order:
    withdraw the later one first).
    """
    by, reason = (by or "").strip(), (reason or "").strip()
    if not by or not reason:
        raise ClaimsError("a withdrawal needs who withdraws it (--by) and why (--reason); nothing was recorded")
    now = now or _now()
    ensure_ledger(con)
    con.begin()
    try:
        standing = _check_withdrawal(con, window_end)
        con.execute("insert into claim_withdrawals values ($w, $sub, $by, $at, $reason)",
                    {"w": window_end, "sub": standing["submitted_at"], "by": by, "at": now, "reason": reason})
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return Withdrawal(window_end, standing["submitted_by"], standing["submitted_at"], by, now, reason,
                      standing["results"], standing["total_gbp"])


def _check_window(con: duckdb.DuckDBPyConnection, window_end: date) -> None:
    if window_end > date.today():
        raise ClaimsError(
            f"the window ending {window_end.isoformat()} has not ended yet (today is "
            f"{date.today().isoformat()}); a claim can only be made for a window that has ended"
        )
    done = fetch_one(con.execute(
        "select submitted_by, submitted_at from submissions_current where window_end = $w", {"w": window_end}
    ))
    if done:
        raise ClaimsError(
            f"the claims for the window ending {window_end.isoformat()} were already submitted by "
            f"{done[0]} at {done[1]:%Y-%m-%d %H:%M} UTC; a window is submitted once (withdraw it first: "
            f"cohort claims withdraw --window-end {window_end.isoformat()} --by NAME --reason TEXT)"
        )
    later = _later_standing(con, window_end)
    if later:
        raise ClaimsError(
            f"the window ending {later.isoformat()} has already been submitted; windows are submitted "
            f"in order, so the window ending {window_end.isoformat()} can no longer be"
        )
    computed = fetch_one(con.execute(
        "select count(*) from information_schema.tables where table_name = 'results_windows'"
    ))[0] and fetch_one(con.execute(
        "select count(*) from results_windows where as_of = $w", {"w": window_end}
    ))[0]
    if not computed:
        raise ClaimsError(
            f"this warehouse has no results for the window ending {window_end.isoformat()}: "
            f"run `cohort run --as-of {window_end.isoformat()}` (programme phase1) first"
        )


def _later_standing(con: duckdb.DuckDBPyConnection, window_end: date) -> date | None:
    return fetch_one(con.execute(
        "select max(window_end) from submissions_current where window_end > $w", {"w": window_end}
    ))[0]


def _check_withdrawal(con: duckdb.DuckDBPyConnection, window_end: date) -> dict:
    rows = query(con, "select * from submissions_current where window_end = $w", {"w": window_end}).to_dicts()
    if not rows:
        ever = fetch_one(con.execute(
            "select count(*) from claim_submissions where window_end = $w", {"w": window_end}))[0]
        raise ClaimsError(
            f"the window ending {window_end.isoformat()} has no submission to withdraw"
            + (" (its submissions have all been withdrawn already)" if ever else " (it was never submitted)")
            + "; nothing was recorded"
        )
    later = _later_standing(con, window_end)
    if later:
        raise ClaimsError(
            f"the window ending {later.isoformat()} has a submission standing, worked out after this "
            f"window's claims; withdraw that window first; nothing was recorded"
        )
    return rows[0]
