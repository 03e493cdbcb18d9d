"""Point-in-time identification: a programme's criteria for some families, each as at a date
D on or before T, from the records dated on or before D, on the family's membership at T
(rules.md "Phase 1 results": an engaged family is judged as at its attachment date).

No rule is written twice. Every rule and every date-dependent intermediate reads the date
a family is judged on from `int_families__as_of` (T for every family in a monthly run), so
judging other dates is the same SQL over another `int_families__as_of`. All the dates are
judged in one batch: the families and their dates go into that table together, and the
rules run once over all of them. The batch works in its own schema (`as_at`), where its
tables shadow the monthly run's of the same name; the intermediates that do not depend on
the date (`int_person_links__members`, `int_member_events__linked`) are the run's own,
read through the search path. Only the results are kept, in the main schema:

- `attachment_flags`: as_of, programme, family_id, criterion, met, evidence (the `flags`
  shape with the date judged);
- `attachment_status`: as_of, programme, family_id, criteria_met, status.

It needs the monthly run's rules stage to have run on the connection (for T).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import date
from typing import Iterator

import duckdb
import polars as pl

from cohort.core.ruleset import RuleSet
from cohort.core.warehouse import fetch_one
from cohort.programme import rules

log = logging.getLogger(__name__)

SCHEMA = "as_at"

OUTPUT_DDL = (
    f"""
    create or replace table attachment_flags (
        as_of date,
        programme varchar,
        family_id varchar,
        criterion varchar,
        met boolean,
        evidence {rules.EVIDENCE_TYPE}
    )
    """,
    """
    create or replace table attachment_status (
        as_of date,
        programme varchar,
        family_id varchar,
        criteria_met integer,
        status varchar
    )
    """,
)


@contextmanager
def _own_schema(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Tables created inside go to SCHEMA; names not there resolve to the main schema."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(f"set search_path = '{SCHEMA},main'")
    try:
        yield
    finally:
        con.execute("reset search_path")


def judge_as_at(
    con: duckdb.DuckDBPyConnection, programme: str, ruleset: RuleSet, as_of: date, scope: pl.DataFrame
) -> int:
    """Judge each family of `scope` (family_id, as_of: one row per family, every date on or
    before `as_of`) as at its own date; replace `attachment_flags` and `attachment_status`
    with the outcome. Returns the number of families judged."""
    for ddl in OUTPUT_DDL:
        con.execute(ddl)
    scope = scope.select("family_id", "as_of").unique(maintain_order=True)
    if scope.height == 0:
        return 0
    if scope["family_id"].n_unique() != scope.height:
        raise ValueError("a family can be judged on one date per batch")
    later = scope.filter(pl.col("as_of") > as_of)
    if later.height:
        raise ValueError(f"cannot judge a family as at {later['as_of'].max()}, after the as-of date {as_of}")
    params = ruleset.sql_params(as_of)
    con.register("_scope", scope)
    try:
        with _own_schema(con):
            rules.write_registry_tables(con, programme)
            con.execute(f"create or replace table {rules.SCOPE} as select family_id, as_of from _scope")
            rules.build_dated(con, params)
            rules.judge(con, programme, params)
        con.execute(
            f"""
            insert into attachment_flags
            select fd.as_of, f.programme, f.family_id, f.criterion, f.met, f.evidence
            from {SCHEMA}.flags as f
            inner join {SCHEMA}.{rules.SCOPE} as fd on fd.family_id = f.family_id
            """
        )
        con.execute(
            f"""
            insert into attachment_status
            select fd.as_of, $programme, fs.family_id, fs.criteria_met, fs.status
            from {SCHEMA}.family_status as fs
            inner join {SCHEMA}.{rules.SCOPE} as fd on fd.family_id = fs.family_id
            """,
            {"programme": programme},
        )
    finally:
        con.unregister("_scope")
        con.execute(f"drop schema if exists {SCHEMA} cascade")
    judged = fetch_one(con.execute("select count(*) from attachment_status"))[0]
    log.info("%s: %d families judged as at %d dates", programme, judged, scope["as_of"].n_unique())
    return judged
