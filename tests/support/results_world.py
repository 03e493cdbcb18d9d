"""A hand-built world for the results and claims tests.

`ResultsWorld` is the rules tests' `World` plus what the results read beyond a month's
extracts: the engagements extract and the warehouse history (earlier months in
family_history and identification_history). `results(as_of)` runs the phase1 rules and
then the results stage exactly as a monthly run does (this month appended to
family_history in between), on one connection, so several windows and the claims ledger
can be played in order.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from cohort.core.warehouse import query

from cohort.programme.results import evaluate_results
from cohort.programme.rules import evaluate
from cohort.core.ruleset import RuleSet, load_ruleset
from support.rules_world import ADULT, CHILD, T, World, d, ruleset_changed  # noqa: F401  (re-exported)

ENGAGEMENT_SCHEMA = {"family_id": pl.Utf8, "attached_on": pl.Date, "key_worker": pl.Utf8, "row_number": pl.Int64}
HISTORY_SCHEMA = {"as_of": pl.Date, "programme": pl.Utf8, "family_id": pl.Utf8, "district": pl.Utf8,
                  "members": pl.Int64, "criteria_met": pl.Int64, "status": pl.Utf8}


def results_ruleset(**results: Any) -> RuleSet:
    """The default rule set with some [results] settings changed."""
    return ruleset_changed("results", **results)


class ResultsWorld(World):
    """A World with engagements and earlier months' identification."""

    def __init__(self) -> None:
        super().__init__()
        self.engagements: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.con: duckdb.DuckDBPyConnection | None = None

    def engaged(self, attached_on: date, family: str = "F1", qualifying: bool = True) -> "ResultsWorld":
        """An engagements row. rules.md judges an engaged family as at `attached_on`, so by
        default the family also gets a member whose rows make it discretionary on that day
        and touch nothing else the results read (`qualifies_on`); `qualifying=False` for a
        family that must stand on its own rows."""
        self.engagements.append({"family_id": family, "attached_on": attached_on, "key_worker": "KW",
                                 "row_number": len(self.engagements) + 2})
        return self.qualifies_on(attached_on, family) if qualifying else self

    def qualifies_on(self, day: date, family: str = "F1") -> "ResultsWorld":
        """An adult member (Q<family><n>) with an ASB order and a domestic abuse event nine months
        before `day` (inside the 12-month windows, outside the 6-month baseline) and a JSA
        spell open on `day` that ends the next day: crime/ASB + work + local discretion,
        discretionary on `day`, and none of it inside T's windows when `day` is three or more
        months before T."""
        q = f"Q{family}{len(self.engagements)}"
        self.person(q, ADULT, family, "adult")
        nine_before = date(day.year - (1 if day.month <= 9 else 0), (day.month - 10) % 12 + 1, min(day.day, 28))
        self.add("police", q, record_id=f"{q}-ASBO", event_date=nine_before, event_type="asbo")
        self.add("police", q, record_id=f"{q}-DA", event_date=nine_before, event_type="domestic_abuse")
        self.add("dwp_benefits", q, record_id=f"{q}-JSA", benefit="JSA", spell_start=nine_before,
                 spell_end=day + timedelta(days=1))
        return self

    def identified(self, as_of: date, family: str = "F1", status: str = "automatic",
                   education: bool = False) -> "ResultsWorld":
        """The family was identified with `status` in an earlier month (criterion 2 as given)."""
        self.history.append({"as_of": as_of, "family_id": family, "status": status, "education": education})
        return self

    def connect(self) -> duckdb.DuckDBPyConnection:
        con = super().connect()
        # The extract as validated, and as the ids stage passes it on when no id it names
        # was retired (the results follow retired ids themselves: int_engagements__resolved).
        engagements = pl.DataFrame(self.engagements, schema=ENGAGEMENT_SCHEMA).to_arrow()
        for name in ("stg_engagements", "engagements"):
            con.from_arrow(engagements).create(name)
        hist = pl.DataFrame(
            [{"as_of": h["as_of"], "programme": "phase1", "family_id": h["family_id"], "district": "Dartford",
              "members": 1, "criteria_met": 3, "status": h["status"]} for h in self.history],
            schema=HISTORY_SCHEMA,
        )
        con.from_arrow(hist.to_arrow()).create("family_history")
        con.execute(
            "create table identification_history (as_of date, programme varchar, family_id varchar,"
            " crime_asb boolean, education boolean, work boolean, local_discretion boolean, status varchar)"
        )
        for h in self.history:
            con.execute(
                "insert into identification_history values ($a, 'phase1', $f, true, $e, true, false, $s)",
                {"a": h["as_of"], "f": h["family_id"], "e": h["education"], "s": h["status"]},
            )
        return con

    def results(self, as_of: date = T, ruleset: RuleSet | None = None) -> "ResultsRun":
        """One monthly run's rules and results stages at `as_of` (on the same connection each time)."""
        rs = ruleset or load_ruleset()
        if self.con is None:
            self.con = self.connect()
        con = self.con
        families = evaluate(con, "phase1", rs, as_of)
        con.execute("delete from family_history where as_of = $a", {"a": as_of})
        con.register("_fam", families)
        con.execute("insert into family_history select $a, 'phase1', family_id, district, members,"
                    " criteria_met, status from _fam", {"a": as_of})
        con.unregister("_fam")
        summary = evaluate_results(con, "phase1", rs, as_of, run_id=f"test-{as_of}")
        return ResultsRun(con, as_of, summary)


@dataclasses.dataclass
class ResultsRun:
    con: duckdb.DuckDBPyConnection
    as_of: date
    summary: dict[str, Any]

    def flag(self, result: str, family: str = "F1") -> dict[str, Any]:
        rows = query(self.con, "select * from result_flags where family_id = $f and result = $r", {"f": family, "r": result}).to_dicts()
        assert len(rows) == 1, f"expected one {result} row for {family}, got {len(rows)}"
        return rows[0]

    def achieved(self, result: str, family: str = "F1") -> bool:
        return self.flag(result, family)["achieved"]

    def evidence(self, result: str, family: str = "F1") -> list[str]:
        return sorted(e["record_id"] for e in self.flag(result, family)["evidence"])

    def results(self) -> pl.DataFrame:
        return query(self.con, "select * from results order by family_id, result")

    def payments(self, family: str = "F1") -> dict[str, tuple[Decimal, int, str]]:
        """result -> (payment_gbp, already_claimed, payment_reason) for one family."""
        return {r["result"]: (r["payment_gbp"], r["already_claimed"], r["payment_reason"])
                for r in self.results().filter(pl.col("family_id") == family).to_dicts()}

    def attachment(self, family: str = "F1") -> dict[str, Any]:
        rows = query(self.con, "select * from int_family_attachment where family_id = $f", {"f": family})
        assert rows.height == 1
        return rows.row(0, named=True)
