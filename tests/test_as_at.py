"""Point-in-time identification (programme/as_at.py): the batch over many dates gives, for
every family, exactly what the monthly run's own SQL gives when run as of that date on the
same warehouse; it leaves the monthly run's tables alone; it refuses what it cannot judge."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from cohort.cli import main
from cohort.core.programmes import PROGRAMMES
from cohort.core.ruleset import load_ruleset
from cohort.core.warehouse import query
from cohort.programme import rules
from cohort.programme.as_at import judge_as_at

T = date(2014, 3, 31)
DATES = (date(2013, 1, 31), date(2013, 6, 30), date(2013, 12, 31), T)


@pytest.fixture(scope="module")
def warehouse(small_drop, tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("as_at")
    db = work / "w.duckdb"
    assert main(["run", "--input", str(small_drop / "extracts"), "--as-of", T.isoformat(), "--db", str(db),
                 "--out", str(work / "out")]) == 0
    return db


def _full_run_at(db: Path, work: Path, programme: str, day: date) -> pl.DataFrame:
    """The monthly run's rules stage, as of `day`, on a copy of the warehouse (same members)."""
    copy = work / f"{programme}-{day}.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        rules.evaluate(con, programme, load_ruleset(), day)
        return query(con, "select family_id, criterion, met, evidence from flags")


@pytest.mark.parametrize("programme", sorted(PROGRAMMES))
def test_one_batch_over_many_dates_equals_a_run_at_each_date(warehouse: Path, tmp_path: Path, programme: str) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        families = query(con, "select family_id from families_base order by family_id")["family_id"]
    # every family on one of four dates, T among them
    scope = pl.DataFrame({"family_id": families, "as_of": [DATES[i % len(DATES)] for i in range(len(families))]})
    work = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, work)
    with duckdb.connect(str(work)) as con:
        before = query(con, "select * from flags order by family_id, criterion")
        assert judge_as_at(con, programme, load_ruleset(), T, scope) == len(families)
        batch = query(con, "select as_of, family_id, criterion, met, evidence from attachment_flags")
        status = query(con, "select as_of, family_id, status from attachment_status")
        assert query(con, "select * from flags order by family_id, criterion").equals(before), \
            "the monthly run's tables are left as they were"
        schemas = query(con, "select distinct schema_name from duckdb_tables()")["schema_name"].to_list()
        assert schemas == ["main"]
    assert status.height == len(families) and set(status["as_of"]) == set(DATES)
    met_somewhere = 0
    for day in DATES:
        mine = scope.filter(pl.col("as_of") == day).select("family_id")
        want = _full_run_at(warehouse, tmp_path, programme, day).join(mine, on="family_id").sort(
            "family_id", "criterion")
        got = batch.filter(pl.col("as_of") == day).drop("as_of").sort("family_id", "criterion")
        assert got.equals(want), f"{programme} as at {day}"
        met_somewhere += int(got["met"].sum())
    assert met_somewhere > 0, "the drop meets some criteria, or this test proves nothing"


def test_a_date_after_t_and_two_dates_for_one_family_are_refused(warehouse: Path, tmp_path: Path) -> None:
    work = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, work)
    with duckdb.connect(str(work)) as con:
        family = query(con, "select min(family_id) as f from families_base")["f"][0]
        with pytest.raises(ValueError, match="after the as-of date"):
            judge_as_at(con, "phase1", load_ruleset(), T,
                        pl.DataFrame({"family_id": [family], "as_of": [date(2014, 4, 1)]}))
        with pytest.raises(ValueError, match="one date per batch"):
            judge_as_at(con, "phase1", load_ruleset(), T,
                        pl.DataFrame({"family_id": [family, family], "as_of": [DATES[0], DATES[1]]}))
        assert judge_as_at(con, "phase1", load_ruleset(), T,
                           pl.DataFrame(schema={"family_id": pl.Utf8, "as_of": pl.Date})) == 0
        assert query(con, "select count(*) as n from attachment_flags")["n"][0] == 0
