"""Engaged families: judged as at their attachment date, and every engagements row accounted for.

rules.md "Phase 1 results": a family with an engagements row is in the programme when its
status as at `attached_on` is automatic or discretionary, computed from the records dated
on or before that day on its membership at T, whether or not a run was made that day. The
results stage calls `judge_engagements` before it places attachments:

1. `int_engagements__resolved`: each row's family now (a retired id followed to the family
   it was merged into) and the date the family is judged on (its earliest attachment);
2. `cohort.programme.as_at`: every engaged family judged as at that date, all dates in one
   batch, by the same SQL rules as the monthly run;
3. `int_engagements__judged`: each row in exactly one `EngagementState`, with its reason.

`int_family_attachment` then admits the engaged families from there.
"""

from __future__ import annotations

import logging
from datetime import date

import duckdb
import polars as pl

from cohort.core.ruleset import RuleSet
from cohort.core.statuses import LabelledEnum
from cohort.core.sqlrunner import bind, load_sql, materialise
from cohort.core.warehouse import query
from cohort.programme.as_at import OUTPUT_DDL, judge_as_at

log = logging.getLogger(__name__)


class EngagementState(LabelledEnum):
    """What became of one engagements row (int_engagements__judged.sql `state`)."""

    ADMITTED = "admitted", "Admitted"
    NOT_IN_PROGRAMME = "not_in_programme", "Not in the programme on the attachment date"
    UNKNOWN_FAMILY = "unknown_family", "Unknown family ID"
    REDIRECTED = "redirected", "Admitted under the family its ID was merged into"


STATE_LABELS: dict[str, str] = EngagementState.labels()
NOT_ADMITTED: tuple[str, ...] = (EngagementState.NOT_IN_PROGRAMME.value, EngagementState.UNKNOWN_FAMILY.value)

ENGAGEMENT_REDIRECTS_DDL = (
    "create table if not exists engagement_redirects (row_number bigint, published_id varchar, family_id varchar)"
)


def judge_engagements(con: duckdb.DuckDBPyConnection, programme: str, ruleset: RuleSet,
                      as_of: date) -> dict[str, int]:
    """Judge every engaged family as at its attachment date; return the rows by state."""
    con.execute(ENGAGEMENT_REDIRECTS_DDL)  # written by the ids stage; absent in a bare warehouse
    params = ruleset.sql_params(as_of)
    materialise(con, "int_engagements__resolved", "intermediate/int_engagements__resolved.sql", params)
    scope = query(con, "select distinct family_id, judged_on as as_of from int_engagements__resolved"
                       " where judged_on is not null order by family_id")
    judge_as_at(con, programme, ruleset, as_of, scope)
    materialise(con, "int_engagements__judged", "intermediate/int_engagements__judged.sql", params)
    counts = state_counts(con)
    log.info("engagements: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


def no_engagements(con: duckdb.DuckDBPyConnection, ruleset: RuleSet, as_of: date) -> None:
    """Empty engagement tables, for a run that computes no Phase 1 results (phase2)."""
    con.execute(ENGAGEMENT_REDIRECTS_DDL)
    for ddl in OUTPUT_DDL:
        con.execute(ddl)
    params = ruleset.sql_params(as_of)
    for name in ("int_engagements__resolved", "int_engagements__judged"):
        sql = load_sql(f"intermediate/{name}.sql").strip().rstrip(";")
        con.execute(f"create or replace table {name} as select * from ({sql}) as q limit 0", bind(sql, params))


def state_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Engagements rows by state, every state present (zeros too)."""
    got = dict(query(con, "select state, count(*) as n from int_engagements__judged group by state").iter_rows())
    return {s.value: int(got.get(s.value, 0)) for s in EngagementState}


def not_admitted(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The engagements rows that earn no results, and why, for the claim workbook: family_id
    (as written in the file), attached_on, key_worker, state and reason in plain English,
    criteria_met_on_attachment, current_family_id (the family it names now, if any)."""
    rows = query(
        con,
        """
        select published_family_id as family_id, attached_on, key_worker, state, reason,
               case when judged_on is null then null else criteria_met_on_attachment end
                   as criteria_met_on_attachment,
               family_id as current_family_id
        from int_engagements__judged
        where list_contains($states, state)
        order by row_number
        """,
        {"states": list(NOT_ADMITTED)},
    )
    return rows.with_columns(pl.col("state").replace_strict(STATE_LABELS, return_dtype=pl.Utf8))
