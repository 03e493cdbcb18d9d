"""The claims ledger: which results have been claimed from government, by whom and when.

Results are paid once. A window's claims are recorded by `submit` (the
`cohort claims submit` command) directly in the warehouse file, never in a run's working
copy, in one transaction: the submission row and every claim row go in together or not at
all. The ledger is two tables:

- `claim_submissions`: one row per submitted window (window_end is its primary key, so the
  same window cannot be recorded twice even by two people at once);
- `claims`: one row per claimed result (primary key family_id, result: a result is claimed
  once, ever), with the amount paid.

How the ledger changes what a window pays (already claimed, balance up to R, no
progress_to_work once continuous_employment is paid) is stated once, in
`sql/marts/results.sql`; `submit` runs that same SQL against the ledger as it stands at
submission, so a window computed before an earlier window was submitted cannot pay twice.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl

from cohort.core.commit import update_warehouse
from cohort.core.warehouse import fetch_one, query

from cohort.core.sqlrunner import run_sql

LEDGER_DDL = (
    """
    create table if not exists claim_submissions (
        window_end date primary key,
        submitted_by varchar not null,
        submitted_at timestamp not null,
        families integer not null,
        results integer not null,
        total_gbp decimal(12, 2) not null
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
        primary key (family_id, result)
    )
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


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ledger tables if this warehouse has none yet (every run reads them)."""
    for ddl in LEDGER_DDL:
        con.execute(ddl)


def claimed(con: duckdb.DuckDBPyConnection, before: date | None = None) -> pl.DataFrame:
    """The ledger's claims, of windows ending before `before` when given."""
    ensure_ledger(con)
    return query(con, "select * from claims where $before is null or window_end < $before order by window_end, family_id, result", {"before": before})


def balance(con: duckdb.DuckDBPyConnection, family_id: str, results_payment_gbp: Decimal,
            before: date | None = None) -> Decimal:
    """What is left of a family's results payment R after its claims (never below 0)."""
    ensure_ledger(con)
    paid = fetch_one(con.execute(
        "select coalesce(sum(payment_gbp), 0) from claims"
        " where family_id = $family_id and ($before is null or window_end < $before)",
        {"family_id": family_id, "before": before},
    ))[0]
    return max(Decimal(results_payment_gbp) - Decimal(paid), Decimal(0))


def submissions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    ensure_ledger(con)
    return query(con, "select * from claim_submissions order by window_end")


def submit(db: Path | str, window_end: date, by: str | None = None, now: datetime | None = None) -> Submission:
    """Record the payable results of the window ending `window_end` in the warehouse file.

    As the warehouse's one writer (`update_warehouse`: its lock, a copy, one rename), so a
    run cannot overwrite the submission, nor the submission half-happen. Refused
    (WarehouseBusy, nothing changed) while a run or another writer holds the warehouse.
    See `submit_window`.
    """
    db = Path(db).resolve()
    if not db.exists():
        raise ClaimsError(f"there is no warehouse at {db}")
    with update_warehouse(db, "cohort claims submit") as con:
        return submit_window(con, window_end, by, now)


def submit_window(con: duckdb.DuckDBPyConnection, window_end: date, by: str | None = None,
                  now: datetime | None = None) -> Submission:
    """Record the window's payable results as claimed, in one transaction: all or nothing.

    Refused (ClaimsError, nothing changed) when the window was already submitted, when a
    later window already was (windows go in order, or an earlier window could claim what a
    later one already did), or when no run has computed the window.
    """
    by = by or os.environ.get("COHORT_USER") or getpass.getuser()
    now = now or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
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


def _check_window(con: duckdb.DuckDBPyConnection, window_end: date) -> None:
    done = fetch_one(con.execute(
        "select submitted_by, submitted_at from claim_submissions where window_end = $w", {"w": window_end}
    ))
    if done:
        raise ClaimsError(
            f"the claims for the window ending {window_end.isoformat()} were already submitted by "
            f"{done[0]} at {done[1]:%Y-%m-%d %H:%M} UTC; a window is submitted once"
        )
    later = fetch_one(con.execute(
        "select max(window_end) from claim_submissions where window_end > $w", {"w": window_end}
    ))[0]
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
