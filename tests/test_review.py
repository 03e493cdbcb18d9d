"""The data officer's review loop: match_review.xlsx written by a real run and read back with
openpyxl; a tampered, foreign or wrong workbook refused with nothing applied; decisions
imported from the workbook and followed by three consecutive runs; household decisions."""

from __future__ import annotations

import contextlib
import io
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from cohort.core.warehouse import fetch_one

from cohort.cli import main
from cohort.review.loop import (
    ReviewError,
    apply_household_decisions,
    fingerprints,
    import_decisions,
    uncertain_household_joins,
    warehouse_identity,
)
from cohort.core.ruleset import Matching
from cohort.reports.review import DECISIONS, REVIEW_COLUMNS, SHEET_KEYS, SHEET_REVIEW, write_match_review

AS_OF = "2014-03-31"
COL = {name: i for i, name in enumerate(REVIEW_COLUMNS)}  # 0-based positions on the Review sheet


def run(drop: Path, db: Path, out: Path, as_of: str = AS_OF) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        rc = main(["run", "--input", str(drop), "--as-of", as_of, "--db", str(db), "--out", str(out)])
    assert rc == 0


def questions(book: Path) -> list[tuple]:
    wb = openpyxl.load_workbook(book, read_only=True)
    rows = [r for r in wb[SHEET_REVIEW].iter_rows(min_row=2, values_only=True) if r and r[0]]
    wb.close()
    return rows


def pair(row: tuple) -> tuple:
    return row[COL["source_a"]], row[COL["record_id_a"]], row[COL["source_b"]], row[COL["record_id_b"]]


@pytest.fixture(scope="module")
def first(small_drop, tmp_path_factory):
    work = tmp_path_factory.mktemp("review")
    run(small_drop / "extracts", work / "w.duckdb", work / "out")
    return work


@pytest.fixture
def warehouse(first, tmp_path):
    """A private copy of the first run's warehouse and workbook, so tests do not interact."""
    shutil.copy(first / "w.duckdb", tmp_path / "w.duckdb")
    shutil.copy(first / "out" / "match_review.xlsx", tmp_path / "match_review.xlsx")
    return tmp_path


def test_workbook_layout_and_need_to_know(first):
    book = first / "out" / "match_review.xlsx"
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["Instructions", SHEET_REVIEW, SHEET_KEYS]
    assert wb[SHEET_KEYS].sheet_state == "hidden"
    ws = wb[SHEET_REVIEW]
    header = [c.value for c in ws[1]]
    assert header == list(REVIEW_COLUMNS.values()), "only the columns a reviewer needs"
    assert ws.max_row > 5
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{ws.max_row}"
    assert ws.protection.sheet and not ws.protection.autoFilter, "locked, filters still usable"
    decision = COL["decision"] + 1
    for row in range(2, ws.max_row + 1):
        for col in range(1, len(header) + 1):
            locked = ws.cell(row, col).protection.locked
            assert locked == (header[col - 1] not in ("Decision", "Reviewer", "Note")), (row, header[col - 1])
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"' + ",".join(DECISIONS) + '"'
    letter = openpyxl.utils.get_column_letter(decision)
    assert str(dv.sqref) == f"{letter}2:{letter}{ws.max_row}"
    fills = {ws.cell(r, COL["forename_a"] + 1).fill.fgColor.rgb for r in range(2, ws.max_row + 1)}
    assert "00C6EFCE" in fills, "agreeing fields shaded green"

    # Most important first: the tiers of "Why it matters" never go up.
    tier = [2 if t.startswith("may change") else 1 if t.startswith("involves") else 0
            for t in (r[COL["matters"]] for r in questions(book))]
    assert tier == sorted(tier, reverse=True) and tier[0] == 2

    # No identifier value (NINO, UPN, PNC id, UPRN) appears anywhere in the workbook.
    con = duckdb.connect(str(first / "w.duckdb"), read_only=True)
    ids = {v for (v,) in con.execute(
        "select distinct unnest([nino, upn, pnc_id, uprn]) from records").fetchall() if v}
    con.close()
    cells = {str(v) for sheet in (SHEET_REVIEW, "Instructions") for row in wb[sheet].iter_rows(values_only=True)
             for v in row if v is not None}
    assert not any(i in c for c in cells for i in ids)


def test_the_same_month_again_gives_the_same_workbook(first, small_drop, tmp_path):
    shutil.copy(first / "w.duckdb", tmp_path / "w.duckdb")
    run(small_drop / "extracts", tmp_path / "w.duckdb", tmp_path / "out")
    assert (tmp_path / "out" / "match_review.xlsx").read_bytes() == (first / "out" / "match_review.xlsx").read_bytes()


def test_an_empty_queue_still_writes_a_workbook(tmp_path):
    keys = pl.DataFrame(schema={c: pl.Utf8 for c in ("review_id", "kind", "source_a", "record_id_a", "source_b",
                                                     "record_id_b", "fingerprint_a", "fingerprint_b")})
    rows = pl.DataFrame(schema={c: pl.Utf8 for c in REVIEW_COLUMNS})
    meta = {"warehouse_id": "w", "run_id": "r", "as_of": "2014-03-31", "digest": "d"}
    write_match_review(tmp_path / "m.xlsx", rows, keys, meta=meta, as_of=date(2014, 3, 31), matching=Matching())
    wb = openpyxl.load_workbook(tmp_path / "m.xlsx")
    assert [c.value for c in wb[SHEET_REVIEW][1]] == list(REVIEW_COLUMNS.values())
    assert wb[SHEET_REVIEW].max_row == 1
    assert any("Nothing to review" in (r[0] or "") for r in wb["Instructions"].iter_rows(values_only=True))


def _edit_review(path: Path, row: int, column: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    wb[SHEET_REVIEW].cell(row, COL[column] + 1).value = value
    wb.save(path)


def _decide(path: Path, row: int, decision: str, reviewer: str | None = "A Officer") -> None:
    _edit_review(path, row, "decision", decision)
    if reviewer:
        _edit_review(path, row, "reviewer", reviewer)


def _edit_keys(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_KEYS]
    header_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "review_id")
    ws.cell(header_row + 1, 4).value = "XX0000001"  # record_id_a of the first question
    wb.save(path)


def _foreign(tmp: Path) -> Path:
    other = tmp / "other.duckdb"
    con = duckdb.connect(str(other))
    warehouse_identity(con)
    con.close()
    return other


TAMPERED = [
    ("an edited key column", lambda p, t: (_decide(p, 2, "match"), _edit_review(p, 2, "record_id_a", "KP9999999")),
     "column 'A: record' was changed"),
    ("an unknown decision", lambda p, t: _decide(p, 3, "maybe"), "decision 'maybe' is not one of"),
    ("a decision without a reviewer", lambda p, t: _decide(p, 2, "match", reviewer=None),
     "needs the reviewer's name"),
    ("an edited hidden key sheet", lambda p, t: (_decide(p, 2, "match"), _edit_keys(p)),
     "hidden Keys sheet has been changed"),
    ("a review id typed into a new row",
     lambda p, t: (_decide(p, 2, "match"), _edit_review(p, 500, "review_id", "R09999")),
     "is not one this workbook issued"),
]


@pytest.mark.parametrize("desc,tamper,message", TAMPERED, ids=[t[0] for t in TAMPERED])
def test_a_tampered_workbook_is_refused_and_nothing_applied(warehouse, desc, tamper, message):
    book = warehouse / "match_review.xlsx"
    _decide(book, 4, "not a match")  # a good row too: it must not be applied either
    tamper(book, warehouse)
    with pytest.raises(ReviewError, match=message):
        import_decisions(book, warehouse / "w.duckdb")
    con = duckdb.connect(str(warehouse / "w.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert "review_decisions" not in tables or fetch_one(con.execute("select count(*) from review_decisions"))[0] == 0
    con.close()


def test_a_workbook_from_another_warehouse_is_refused(warehouse, capsys):
    book = warehouse / "match_review.xlsx"
    _decide(book, 2, "match")
    other = _foreign(warehouse)
    assert main(["review", "import", str(book), "--db", str(other)]) == 2
    err = capsys.readouterr().err
    assert "different warehouse" in err and "nothing was written" in err
    con = duckdb.connect(str(other), read_only=True)
    assert fetch_one(con.execute("select count(*) from information_schema.tables where table_name = 'review_decisions'"
                       ))[0] == 0
    con.close()


def test_a_district_list_is_not_a_review_workbook(first, warehouse):
    with pytest.raises(ReviewError, match="not a match review workbook"):
        import_decisions(first / "out" / "district_lists" / "Thanet.xlsx", warehouse / "w.duckdb")


def _persons(out: Path) -> dict[tuple[str, str], str]:
    links = pl.read_csv(out / "person_links.csv", infer_schema=False)
    return {(s, r): p for s, r, p in links.select("source", "record_id", "person_id").iter_rows()}


def _changed_forename(src: Path, dst: Path, source: str, record_id: str) -> None:
    """A copy of a drop where one record's forename was corrected by its agency."""
    shutil.copytree(src, dst)
    path = dst / f"{source}.csv"
    frame = pl.read_csv(path, infer_schema=False)
    cols = {c.strip().lower(): c for c in frame.columns}
    frame = frame.with_columns(
        pl.when(pl.col(cols["record_id"]) == record_id).then(pl.lit("Zebedee")).otherwise(pl.col(cols["forename"]))
        .alias(cols["forename"]))
    frame.write_csv(path)


def test_decisions_survive_three_consecutive_runs(first, small_drop, tmp_path):
    from cohort.data_samples.next_month import generate_next_month

    db = tmp_path / "w.duckdb"
    shutil.copy(first / "w.duckdb", db)
    book = tmp_path / "filled.xlsx"
    shutil.copy(first / "out" / "match_review.xlsx", book)
    rows = questions(book)
    person = [(i + 2, r) for i, r in enumerate(rows) if r[COL["question"]] == "Same person?"]
    split = next(x for x in person if x[1][COL["now"]].startswith("linked"))
    join = next(x for x in person if x[1][COL["now"]] == "not linked")
    unsure = next(x for x in person if x not in (split, join))
    _decide(book, split[0], "not a match")
    _decide(book, join[0], "Match ")  # case and spacing as typed are forgiven
    _decide(book, unsure[0], "unsure")
    _edit_review(book, unsure[0], "note", "ask the school")

    when = datetime(2014, 4, 3, 9, 30)
    counts = import_decisions(book, db, now=when)
    assert counts["match"] == 1 and counts["not a match"] == 1 and counts["unsure"] == 1
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute(
        "select decision, reviewer, decided_at, note from review_decisions order by decision").fetchall()
    con.close()
    assert stored == [("match", "A Officer", when, None), ("not a match", "A Officer", when, None),
                      ("unsure", "A Officer", when, "ask the school")]
    assert import_decisions(book, db)["unchanged"] == 3, "importing the same workbook again adds nothing"

    month2 = tmp_path / "m2"
    generate_next_month(small_drop, month2)
    changed = tmp_path / "m2_changed"
    _changed_forename(month2 / "extracts", changed, join[1][COL["source_a"]], join[1][COL["record_id_a"]])
    runs = [(small_drop / "extracts", AS_OF), (month2 / "extracts", "2014-04-30"), (changed, "2014-04-30")]
    for n, (drop, as_of) in enumerate(runs, start=1):
        out = tmp_path / f"out{n}"
        run(drop, db, out, as_of)
        persons = _persons(out)
        s = pair(split[1])
        assert persons[s[:2]] != persons[s[2:]], f"run {n}: 'not a match' keeps the records apart"
        asked = {pair(r): r for r in questions(out / "match_review.xlsx")}
        assert s not in asked, f"run {n}: a decided pair is not asked again"
        j = pair(join[1])
        if n < 3:
            assert persons[j[:2]] == persons[j[2:]], f"run {n}: 'match' joins the records"
            assert j not in asked
        else:  # record A of the matched pair changed: the decision lapses and is asked again
            assert j in asked and "a record has changed since" in asked[j][COL["earlier"]]
        u = pair(unsure[1])
        if u in asked:
            assert asked[u][COL["earlier"]].startswith("unsure by A Officer") and "ask the school" in \
                asked[u][COL["earlier"]]

    # `cohort review export` writes the same questions from the warehouse.
    exported = tmp_path / "exported.xlsx"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["review", "export", "--db", str(db), "--out", str(exported)]) == 0
    last = questions(tmp_path / "out3" / "match_review.xlsx")
    assert [pair(r) for r in questions(exported)] == [pair(r) for r in last]


def household_warehouse() -> duckdb.DuckDBPyConnection:
    """P1 and P2 in family F1 at 1 High Street (P2's record has no postcode), P3 in F3."""
    con = duckdb.connect()
    records = pl.DataFrame([
        ("police", "a", "Ann", "Lee", date(1980, 1, 1), "1 High Street, Deal", "CT14 6AA"),
        ("health", "b", "Bob", "Lee", date(2005, 1, 1), "1 High St", None),
        ("police", "c", "Cal", "Roe", date(1970, 1, 1), "5 Low Road, Margate", "CT9 2BB"),
    ], schema=["source", "record_id", "forename", "surname", "dob", "address", "postcode"], orient="row").with_columns(
        *[pl.lit(None, pl.Utf8).alias(c) for c in ("gender", "upn", "nino", "pnc_id", "uprn", "tenancy_ref")],
        pl.lit(date(2014, 1, 1)).alias("record_date"),
    )
    tables = {
        "records": records,
        "person_links": pl.DataFrame({"source": ["police", "health", "police"], "record_id": ["a", "b", "c"],
                                      "person_id": ["P1", "P2", "P3"]}),
        "stg_housing": pl.DataFrame(schema={"record_id": pl.Utf8, "tenancy_start": pl.Date, "tenancy_end": pl.Date}),
        "household_members": pl.DataFrame({"person_id": ["P1", "P2", "P3"], "family_id": ["F1", "F1", "F3"],
                                           "role": ["adult", "child", "adult"]}),
        "families_base": pl.DataFrame({"family_id": ["F1", "F3"], "district": ["Dover", "Thanet"],
                                       "members": [2, 1], "address": ["1 High Street, Deal", "5 Low Road, Margate"],
                                       "postcode": ["CT14 6AA", "CT9 2BB"], "uprn": [None, None]},
                                      schema_overrides={"uprn": pl.Utf8}),
    }
    for name, frame in tables.items():
        con.register("_t", frame)
        con.execute(f"create table {name} as select * from _t")
        con.unregister("_t")
    return con


def _household_decisions(con, rows: list[tuple[str, str, str, str, str]], stale: set[str] = frozenset()) -> None:
    keys = pl.DataFrame({"source": ["police", "health", "police"], "record_id": ["a", "b", "c"]})
    fp = dict(((s, r), f) for s, r, f in fingerprints(con, keys).iter_rows())
    con.execute("create table review_decisions (kind varchar, source_l varchar, record_id_l varchar, "
                "source_r varchar, record_id_r varchar, decision varchar, reviewer varchar, note varchar, "
                "decided_at timestamp, fingerprint_l varchar, fingerprint_r varchar, review_id varchar, "
                "run_id varchar)")
    for sl, rl, sr, rr, decision in rows:
        fl = "old" if rl in stale else fp[(sl, rl)]
        con.execute("insert into review_decisions values ('household', ?, ?, ?, ?, ?, 'X', null, "
                    "timestamp '2014-04-01', ?, ?, 'R1', 'run')", [sl, rl, sr, rr, decision, fl, fp[(sr, rr)]])


def test_weak_household_joins_are_asked_about():
    joins = uncertain_household_joins(household_warehouse(), date(2014, 3, 31))
    assert joins.select("family_id", "person_a", "record_id_a", "person_b", "record_id_b", "reason").rows() == [
        ("F1", "P2", "b", "P1", "a", "postcode missing on record A")]


@pytest.mark.parametrize("desc,decisions,stale,members,families", [
    ("not a match: the member leaves for a family of their own",
     [("health", "b", "police", "a", "not a match")], set(),
     {"P1": "F1", "P3": "F3"}, {"F1": 1, "F3": 1}),
    ("match: a member of another family joins",
     [("police", "c", "police", "a", "match")], set(),
     {"P1": "F1", "P2": "F1", "P3": "F1"}, {"F1": 3}),
    ("a decision on a record that has changed since is not applied",
     [("health", "b", "police", "a", "not a match")], {"b"},
     {"P1": "F1", "P2": "F1", "P3": "F3"}, {"F1": 2, "F3": 1}),
    ("match on a pair already together changes nothing",
     [("health", "b", "police", "a", "match")], set(),
     {"P1": "F1", "P2": "F1", "P3": "F3"}, {"F1": 2, "F3": 1}),
])
def test_household_decisions_are_applied(desc, decisions, stale, members, families):
    con = household_warehouse()
    _household_decisions(con, decisions, stale)
    apply_household_decisions(con, date(2014, 3, 31))
    got = dict(con.execute("select person_id, family_id from household_members").fetchall())
    for person, family in members.items():
        assert got[person] == family, desc
    base = dict(con.execute("select family_id, members from families_base").fetchall())
    for family, n in families.items():
        assert base[family] == n, desc
    assert sum(base.values()) == 3 and set(base) == set(got.values()), desc
    if "P2" not in members:  # moved out on its own: a family of one, out of area without a postcode
        own = fetch_one(con.execute("select district, members, address from families_base where family_id = ?",
                          [got["P2"]]))
        assert own == ("out_of_area", 1, "1 High St")
