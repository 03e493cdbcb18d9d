"""No stage rewrites a table an earlier stage of the same run wrote (decision 81).

The stages of `flows.stages.STAGES` are called in order, as the flow calls them, on the
generated 300-household drop and then on its next month on the same warehouse. Before
each stage every table is marked (a table comment, which replacing the table drops);
after it, a table that lost its mark or whose row count or hash of its rows moved was
written by that stage, and must not be written again by a later stage of the run. Tables
of the previous run that a stage replaces are its own: it is a new run.

An update in place shows only where it changes something, so between the months the ids
history is given what a long-running warehouse has: ids that are not this run's
provisional hashes (every earlier id prefixed), and family ids the engagements extract
names that have since been retired. The second month's ids stage then changes every
kept id and follows the engaged families, and `test_the_check_has_something_to_catch`
says so.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from cohort.core.ruleset import load_ruleset
from cohort.data_samples.next_month import generate_next_month
from cohort.flows.stages import STAGES, RunSettings

MARK = "seen before this stage"
WRITERS = {"stg_engagements": "validate", "match_links": "match", "match_persons": "match",
           "formed_members": "households", "formed_families": "households", "person_dwellings": "households",
           "person_links": "ids", "persons": "ids",
           "household_members": "ids", "families_base": "ids", "engagements": "ids"}


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table (not view) of the warehouse, as "schema"."name"."""
    return [f'"{s}"."{t}"' for s, t in con.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'").fetchall()]


def mark(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        for t in tables(con):
            con.execute(f"comment on table {t} is '{MARK}'")


def snapshot(db: Path) -> dict[str, tuple[int, int, bool]]:
    """table -> (rows, sum of row hashes, still marked)."""
    with duckdb.connect(str(db), read_only=True) as con:
        marked = {f'"{s}"."{t}"' for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() where comment = $m", {"m": MARK}).fetchall()}
        return {t: (*con.execute(f"select count(*), coalesce(sum(hash(x)), 0) from {t} as x").fetchone(), t in marked)
                for t in tables(con)}


def run_month(drop: Path, as_of: date, db: Path, staging: Path) -> tuple[dict[str, str], list[str]]:
    """Run every stage; return which stage wrote each table, and each write to a table an
    earlier stage of this run wrote."""
    s = RunSettings(run_id=f"stage-tables-{as_of}", input_dir=drop / "extracts", as_of=as_of, programme="phase1",
                    ruleset=load_ruleset(), work_db=db, staging=staging)
    writer: dict[str, str] = {}
    rewrites: list[str] = []
    before = snapshot(db) if db.exists() else {}
    for name, stage in STAGES:
        if db.exists():
            mark(db)
        stage(s)
        after = snapshot(db)
        for table, (rows, digest, marked) in after.items():
            if marked and before.get(table, (None, None))[:2] == (rows, digest):
                continue
            if table in writer and writer[table] != name:
                rewrites.append(f"{table}: written by {writer[table]}, rewritten by {name}")
            writer.setdefault(table, name)
        before = after
    return writer, rewrites


@pytest.fixture(scope="module")
def two_months(small_drop, tmp_path_factory):
    work = tmp_path_factory.mktemp("stage_tables")
    generate_next_month(small_drop, work / "m2")
    db = work / "w.duckdb"
    first = run_month(small_drop, date(2014, 3, 31), db, work / "out1")
    with duckdb.connect(str(db)) as con:
        con.execute("update id_history set id = 'X' || id, item = case when kind = 'family' then 'X' || item "
                    "else item end")  # a family's items are its persons' ids
        con.execute("insert into id_redirects select distinct family_id, 'X' || family_id, 'family', as_of "
                    "from stg_engagements, (select max(as_of) as as_of from id_history) "
                    "where 'X' || family_id in (select id from id_history where kind = 'family')")
    second = run_month(work / "m2", date(2014, 4, 30), db, work / "out2")
    return first, second, db


def test_no_stage_rewrites_an_earlier_stages_table(two_months):
    first, second, _ = two_months
    assert first[1] == [] and second[1] == []
    for writer, _ in (first, second):
        assert {t: writer[f'"main"."{t}"'] for t in WRITERS} == WRITERS


def test_the_check_has_something_to_catch(two_months):
    """In the second month the ids stage gives persons and families other ids than the
    provisional ones and points engagements rows at other families, so a stage updating
    `match_links`, `formed_members` or `stg_engagements` in place would have moved their
    hashes (a stage replacing them is caught by the marks whatever it writes)."""
    with duckdb.connect(str(two_months[2]), read_only=True) as con:
        persons = con.execute("select count(*) from (select source, record_id, person_id from match_links "
                              "except select source, record_id, person_id from person_links)").fetchone()[0]
        families = con.execute("select count(*) from (select person_id, family_id from formed_members "
                               "except select person_id, family_id from household_members)").fetchone()[0]
        followed = con.execute("select count(*) from engagements join stg_engagements as s using (row_number) "
                               "where engagements.family_id <> s.family_id").fetchone()[0]
    assert persons > 0 and families > 0 and followed > 0
