"""Changes since the last run: sql/marts/family_changes.sql on hand-made history, and the
sheet each district list gains (its own district's rows only)."""

from __future__ import annotations

from datetime import date

import duckdb
import openpyxl
import polars as pl
import pytest

from cohort.core.reference import DISTRICTS
from cohort.core.sqlrunner import run_sql
from cohort.matching.ids import ensure_tables
from cohort.reports.district_lists import SHEET_CHANGES, write_district_lists

M1, M2 = date(2014, 3, 31), date(2014, 4, 30)

# (as_of, family_id, district, status) of family_history, phase1.
HISTORY = [
    (M1, "Fsame", "Thanet", "automatic"),          # unchanged: not shown
    (M1, "Fup", "Thanet", "candidate"),            # candidate -> automatic
    (M1, "Fgone", "Thanet", "discretionary"),      # not formed in month 2
    (M1, "Fmoved", "Thanet", "automatic"),         # Thanet -> Dover
    (M1, "Fabsorbed", "Dover", "candidate"),       # merged into Fhost
    (M1, "Fhost", "Dover", "automatic"),
    (M1, "Fparent", "Swale", "automatic"),         # some members split off to Fchild
    (M1, "Fquiet", "Swale", "not_eligible"),       # not_eligible both months: not shown
    (M1, "Fdropped", "Swale", "not_eligible"),     # gone, never listed: not shown
    (M2, "Fsame", "Thanet", "automatic"),
    (M2, "Fup", "Thanet", "automatic"),
    (M2, "Fmoved", "Dover", "automatic"),
    (M2, "Fhost", "Dover", "automatic"),
    (M2, "Fparent", "Swale", "candidate"),
    (M2, "Fchild", "Swale", "candidate"),
    (M2, "Fquiet", "Swale", "not_eligible"),
    (M2, "Fnew", "Ashford", "discretionary"),
    (M2, "Fnewquiet", "Ashford", "not_eligible"),  # new but not listed: not shown
]

# (district, family_id, change, previous_status, status, related_family_id)
EXPECTED = [
    ("Ashford", "Fnew", "new", None, "discretionary", None),
    ("Dover", "Fhost", "merged", "automatic", "automatic", "Fabsorbed"),
    ("Dover", "Fmoved", "moved_in", "automatic", "automatic", None),
    ("Swale", "Fchild", "split_off", None, "candidate", "Fparent"),
    ("Swale", "Fparent", "split", "automatic", "candidate", "Fchild"),
    ("Swale", "Fparent", "status_changed", "automatic", "candidate", None),
    ("Thanet", "Fgone", "left", "discretionary", None, None),
    ("Thanet", "Fmoved", "moved_out", "automatic", "automatic", None),
    ("Thanet", "Fup", "status_changed", "candidate", "automatic", None),
]


def warehouse(history=HISTORY, redirects=(("Fabsorbed", "Fhost"),),
              splits=(("Fparent", "Fchild"),)) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    frame = pl.DataFrame(history, schema={"as_of": pl.Date, "family_id": pl.Utf8, "district": pl.Utf8,
                                          "status": pl.Utf8}, orient="row").with_columns(
        pl.lit("phase1").alias("programme"), pl.lit(2).alias("members"), pl.lit(1).alias("criteria_met"))
    con.register("_h", frame)
    con.execute("create table family_history as select as_of, programme, family_id, district, members, "
                "criteria_met, status from _h")
    con.execute("create table family_history_replaced as select * from family_history limit 0")
    ensure_tables(con)
    for old, new in redirects:
        con.execute("insert into id_redirects values (?, ?, 'family', ?)", [old, new, M2])
    for a, b in splits:
        con.execute("insert into id_splits values (?, ?, 'family', ?)", [a, b, M2])
    # A person redirect in the same month must not be read as a family change.
    con.execute("insert into id_redirects values ('Pold', 'Pnew', 'person', ?)", [M2])
    return con


def changes(con, as_of=M2, programme="phase1") -> pl.DataFrame:
    return run_sql(con, "marts/family_changes.sql", {"as_of": as_of, "programme": programme})


def test_every_kind_of_change_is_found():
    got = changes(warehouse())
    rows = sorted(got.select("district", "family_id", "change", "previous_status", "status",
                             "related_family_id").iter_rows(), key=lambda r: (r[0], r[1], r[2]))
    assert rows == EXPECTED
    assert set(got["previous_as_of"]) == {M1}
    assert got.filter(pl.col("detail").is_null()).height == 0


@pytest.mark.parametrize("desc,as_of,programme", [
    ("first run: no earlier run to compare with", M1, "phase1"),
    ("another programme's history is not this one's previous run", M2, "phase2"),
])
def test_nothing_to_compare(desc, as_of, programme):
    assert changes(warehouse(), as_of, programme).height == 0, desc


def test_previous_run_is_the_latest_earlier_one():
    """A re-run of month 2 compares with month 1, not with itself."""
    con = warehouse()
    con.execute("insert into family_history select date '2014-02-28', programme, family_id, district, members, "
                "criteria_met, 'not_eligible' from family_history where as_of = ?", [M1])
    got = changes(con)
    assert set(got["previous_as_of"]) == {M1}
    assert sorted(got.select("district", "family_id", "change", "previous_status", "status",
                             "related_family_id").iter_rows(), key=lambda r: (r[0], r[1], r[2])) == EXPECTED


def test_a_rerun_after_an_import_compares_with_the_months_earlier_run():
    """The earlier attempt of month 2 was kept (decisions were imported from its workbook):
    the re-run compares with it, and the month's merge and split from month 1 are not
    repeated; a new redirect of the re-run is."""
    con = warehouse()
    con.execute("insert into family_history_replaced select * from family_history where as_of = ?", [M2])
    con.execute("update family_history set status = 'automatic' where as_of = ? and family_id = 'Fchild'", [M2])
    con.execute("delete from family_history where as_of = ? and family_id = 'Fnew'", [M2])
    con.execute("insert into id_redirects values ('Fnew', 'Fhost', 'family', ?)", [M2])
    got = changes(con)
    rows = sorted(got.select("family_id", "change", "previous_status", "status", "related_family_id").iter_rows())
    assert rows == [("Fchild", "status_changed", "candidate", "automatic", None),
                    ("Fhost", "merged", "automatic", "automatic", "Fnew")]
    assert set(got["previous_as_of"]) == {M2}


def _one_thanet_family(family_id: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """families, members and evidence frames for one automatic Thanet family."""
    families = pl.DataFrame({
        "family_id": [family_id], "district": ["Thanet"], "members": [2], "crime_asb": [1], "education": [1],
        "work": [1], "local_discretion": [0], "criteria_met": [3], "status": ["automatic"],
    })
    members = pl.DataFrame(schema={"family_id": pl.Utf8, "person_id": pl.Utf8, "forename": pl.Utf8,
                                   "surname": pl.Utf8, "dob": pl.Date, "age": pl.Int64, "role": pl.Utf8})
    evidence = pl.DataFrame(schema={"family_id": pl.Utf8, "criterion": pl.Utf8, "source": pl.Utf8,
                                    "record_id": pl.Utf8, "person_id": pl.Utf8, "event_date": pl.Date,
                                    "value": pl.Utf8})
    return families, members, evidence


def test_each_district_book_shows_only_its_own_changes(tmp_path):
    got = changes(warehouse())
    families, members, evidence = _one_thanet_family("Fup")
    write_district_lists(tmp_path, families=families, members=members, evidence=evidence, programme="phase1",
                         as_of=M2, missing_extracts=[], run_id="r", changes=got, previous_as_of=M1)
    expected_by_district = {d: sorted(r[1] for r in EXPECTED if r[0] == d) for d in DISTRICTS}
    for district in DISTRICTS:
        ws = openpyxl.load_workbook(tmp_path / f"{district}.xlsx")[SHEET_CHANGES]
        rows = [r for r in ws.iter_rows(values_only=True)]
        assert "31/03/2014" in rows[0][0]
        header = rows[2]
        assert header[:3] == ("Family ID", "Change", "Detail")
        shown = sorted(r[0] for r in rows[3:] if r and r[0])
        assert shown == expected_by_district[district], district
    thanet = [r for r in openpyxl.load_workbook(tmp_path / "Thanet.xlsx")[SHEET_CHANGES].iter_rows(values_only=True)]
    moved_out = next(r for r in thanet if r[0] == "Fmoved")
    assert moved_out[1] == "Moved out" and "Dover" not in moved_out[2], "another district is not named"


def test_first_run_sheet_says_there_is_nothing_to_compare(tmp_path):
    families, members, evidence = _one_thanet_family("F1")
    write_district_lists(tmp_path, families=families, members=members, evidence=evidence, programme="phase1",
                         as_of=M1, missing_extracts=[], run_id="r")
    ws = openpyxl.load_workbook(tmp_path / "Thanet.xlsx")[SHEET_CHANGES]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0].startswith("No earlier run to compare with")
    assert [r for r in rows[3:] if r and r[0]] == []
