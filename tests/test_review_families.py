"""Household questions about two current families the run kept apart (decision 74):
which pairs are asked, what an answer does, and end to end on a generated world whose
agencies write some persons' postcodes from before a recoding (known truth)."""

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

from cohort.cli import main
from cohort.core.ruleset import load_ruleset
from cohort.data_samples.generator import generate
from cohort.data_samples.mess import MessRates
from cohort.review.decisions import FAMILIES, fingerprints
from cohort.review.family_pairs import apply_family_decisions, split_family_pairs
from cohort.review.households import current_address_records, dwelling_records
from cohort.review.importer import import_decisions
from cohort.review.workbook import FAMILIES_QUESTION, REVIEW_COLUMNS, SHEET_MORE, SHEET_REVIEW

AS_OF = date(2014, 3, 31)
COL = {name: i for i, name in enumerate(REVIEW_COLUMNS)}

# person, family, source, record_id, address, postcode, tenancy_ref
DWELLINGS = [
    ("P1", "F1", "health", "a", "12 High Street, Deal", "CT14 6AA", None),
    ("P2", "F2", "police", "b", "12 High Street", "CT14 6XY", None),       # recoded postcode: asked
    ("P3", "F3", "police", "c", "Flat 2, 5 Mill Lane", "CT9 2BB", None),
    ("P4", "F4", "health", "d", "Flat 2, 5 Mil Lnae", "CT9 2BB", None),    # street beyond a typo: asked
    ("P5", "F5", "health", "e", "7 Poplar Close, Deal", "CT14 7PQ", None),
    ("P6", "F6", "police", "f", "7 Poplar Close", None, None),              # no postcode: asked
    ("P7", "F7", "police", "g", "7 Poplar Close, Margate", None, None),     # another town named: not asked
    ("P8", "F8", "housing", "h", "3 Park Road", "CT11 1AA", "T1"),
    ("P9", "F9", "housing", "i", "3 Park Road", "CT11 1ZZ", "T2"),          # two open tenancies: not asked
    ("P10", "F10", "health", "j", "12 High Street", "CT15 6AB", None),       # another district: not asked
]


def families_warehouse(rows=DWELLINGS) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    records = pl.DataFrame(
        [(s, r, f"Name{p}", "Smith", date(1980, 1, 1), a, pc, t) for p, _, s, r, a, pc, t in rows],
        schema=["source", "record_id", "forename", "surname", "dob", "address", "postcode", "tenancy_ref"],
        orient="row").with_columns(
        *[pl.lit(None, pl.Utf8).alias(c) for c in ("gender", "upn", "nino", "pnc_id", "uprn")],
        pl.lit(date(2014, 1, 1)).alias("record_date"))
    tables = {
        "records": records,
        "person_links": pl.DataFrame([(s, r, p) for p, _, s, r, *_ in rows],
                                     schema=["source", "record_id", "person_id"], orient="row"),
        "stg_housing": pl.DataFrame([(r, date(2013, 1, 1), None, a, pc, None, t, "lead_tenant")
                                     for _, _, s, r, a, pc, t in rows if s == "housing"],
                                    schema={"record_id": pl.Utf8, "tenancy_start": pl.Date, "tenancy_end": pl.Date,
                                            "address": pl.Utf8, "postcode": pl.Utf8, "uprn": pl.Utf8,
                                            "tenancy_ref": pl.Utf8, "role": pl.Utf8},
                                    orient="row"),
        "household_members": pl.DataFrame([(p, f, "adult") for p, f, *_ in rows],
                                          schema=["person_id", "family_id", "role"], orient="row"),
        "families_base": pl.DataFrame([(f, "Dover", 1, a, pc, None) for _, f, _, _, a, pc, _ in rows],
                                      schema={"family_id": pl.Utf8, "district": pl.Utf8, "members": pl.Int64,
                                              "address": pl.Utf8, "postcode": pl.Utf8, "uprn": pl.Utf8},
                                      orient="row"),
    }
    for name, frame in tables.items():
        con.register("_t", frame)
        con.execute(f"create table {name} as select * from _t")
        con.unregister("_t")
    return con


def test_near_miss_dwellings_of_two_families_are_asked_about():
    pairs = split_family_pairs(families_warehouse(), AS_OF)
    got = {frozenset((a, b)): c for a, b, c in pairs.select("family_a", "family_b", "category").iter_rows()}
    assert got == {frozenset(("F1", "F2")): "family postcode", frozenset(("F3", "F4")): "family street",
                   frozenset(("F5", "F6")): "family no postcode"}
    assert all((sa, ra) < (sb, rb) for sa, ra, sb, rb in
               pairs.select("source_a", "record_id_a", "source_b", "record_id_b").iter_rows()), "one spelling a pair"


def _decide(con, rows: list[tuple[str, str, str, str, str]], stale: set[str] = frozenset()) -> None:
    fp = {(s, r): f for s, r, f in fingerprints(con, pl.DataFrame(
        [(s, r) for _, _, s, r, *_ in DWELLINGS], schema=["source", "record_id"], orient="row")).iter_rows()}
    con.execute("create table review_decisions (kind varchar, source_l varchar, record_id_l varchar, "
                "source_r varchar, record_id_r varchar, decision varchar, reviewer varchar, note varchar, "
                "decided_at timestamp, fingerprint_l varchar, fingerprint_r varchar, review_id varchar, "
                "run_id varchar, group_l varchar, group_r varchar, state varchar, chance double, category varchar)")
    for sl, rl, sr, rr, decision in rows:
        con.execute("insert into review_decisions values (?, ?, ?, ?, ?, ?, 'X', null, timestamp '2014-04-01', "
                    "?, ?, 'R1', 'run', null, null, 'apart', 0.5, 'family postcode')",
                    [FAMILIES, sl, rl, sr, rr, decision, "old" if rl in stale else fp[(sl, rl)], fp[(sr, rr)]])


@pytest.mark.parametrize("desc,decisions,stale,merged", [
    ("match merges the two families under the smaller id", [("health", "a", "police", "b", "match")], set(),
     {"P2": "F1"}),
    ("matches chain into one family", [("health", "a", "police", "b", "match"),
                                      ("health", "j", "police", "b", "match")], set(), {"P2": "F1", "P10": "F1"}),
    ("not a match keeps them apart", [("health", "a", "police", "b", "not a match")], set(), {}),
    ("a decision on a record changed since is not applied", [("health", "a", "police", "b", "match")], {"a"}, {}),
])
def test_family_decisions_are_applied(desc, decisions, stale, merged):
    con = families_warehouse()
    _decide(con, decisions, stale)
    apply_family_decisions(con, AS_OF)
    got = dict(con.execute("select person_id, family_id from household_members").fetchall())
    want = {p: merged.get(p, f) for p, f, *_ in DWELLINGS}
    assert got == want, desc
    base = dict(con.execute("select family_id, members from families_base").fetchall())
    assert set(base) == set(want.values()) and sum(base.values()) == len(DWELLINGS), desc


def test_a_decided_pair_of_families_is_not_asked_while_its_records_are_unchanged():
    from cohort.review.decisions import latest_decisions
    from cohort.review.family_pairs import family_questions

    con = families_warehouse()
    _decide(con, [("health", "a", "police", "b", "not a match")])
    asked = family_questions(con, AS_OF, latest_decisions(con))
    assert {frozenset(p) for p in asked.select("family_a", "family_b").iter_rows()} == {
        frozenset(("F3", "F4")), frozenset(("F5", "F6"))}
    con.execute("update records set address = '12 High St, Deal' where record_id = 'a'")
    asked = family_questions(con, AS_OF, latest_decisions(con))
    assert frozenset(("F1", "F2")) in {frozenset(p) for p in asked.select("family_a", "family_b").iter_rows()}, \
        "a changed record asks again"


# --- end to end on a generated world with known truth -------------------------------------


def _run(drop: Path, db: Path, out: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "--input", str(drop), "--as-of", AS_OF.isoformat(), "--db", str(db),
                     "--out", str(out)]) == 0


def _rows(book: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(book, read_only=True)
    rows = {s: [r for r in wb[s].iter_rows(min_row=2, values_only=True) if r and r[0]]
            for s in (SHEET_REVIEW, SHEET_MORE)}
    wb.close()
    return rows


def _families(out: Path) -> dict[tuple[str, str], str]:
    links = pl.read_csv(out / "person_links.csv", infer_schema=False)
    return {(s, r): f for s, r, f in links.select("source", "record_id", "family_id").iter_rows()}


@pytest.fixture(scope="module")
def recoded(tmp_path_factory):
    """300 households in which a third of (person, agency) pairs write a recoded postcode,
    run once."""
    work = tmp_path_factory.mktemp("families")
    generate(work / "drop", households=300, seed=8, mess=MessRates(postcode_recoded=0.3))
    _run(work / "drop" / "extracts", work / "w.duckdb", work / "out1")
    return work


def _truth(drop: Path) -> dict[tuple[str, str], str]:
    t = pl.read_csv(drop / "truth" / "records.csv", infer_schema=False)
    return {(s, r): f for s, r, f in t.select("source", "record_id", "true_family_id").iter_rows()}


def _key(row: tuple) -> tuple:
    return row[COL["source_a"]], row[COL["record_id_a"]], row[COL["source_b"]], row[COL["record_id_b"]]


def test_split_families_are_asked_answered_merged_and_not_asked_again(recoded, tmp_path):
    rows = _rows(recoded / "out1" / "match_review.xlsx")
    every = rows[SHEET_REVIEW] + rows[SHEET_MORE]
    assert len(rows[SHEET_REVIEW]) == min(len(every), load_ruleset().matching.review_budget), "the budget holds"
    fam_rows = [r for r in every if r[COL["question"]] == FAMILIES_QUESTION]
    truth = _truth(recoded / "drop")
    one = [r for r in fam_rows if truth[_key(r)[:2]] == truth[_key(r)[2:]]]
    apart = [r for r in fam_rows if truth[_key(r)[:2]] != truth[_key(r)[2:]]]
    assert one, "a split family produces a question"
    for r in fam_rows:
        assert r[COL["now"]] == "kept apart" and r[COL["family_a"]] != r[COL["family_b"]]
        assert r[COL["matters"]] != "no listed family would change", "only questions that change a listed family"
        assert r[COL["address_a"]] and r[COL["address_b"]] and r[COL["name_a"]], "both families shown"

    db = tmp_path / "w.duckdb"
    shutil.copy(recoded / "w.duckdb", db)
    book = tmp_path / "filled.xlsx"
    wb = openpyxl.load_workbook(recoded / "out1" / "match_review.xlsx")
    for sheet in (SHEET_REVIEW, SHEET_MORE):
        ws = wb[sheet]
        for i in range(2, ws.max_row + 1):
            row = tuple(c.value for c in ws[i])
            if row[0] and row[COL["question"]] == FAMILIES_QUESTION:
                same = truth[_key(row)[:2]] == truth[_key(row)[2:]]
                ws.cell(i, COL["decision"] + 1).value = "match" if same else "not a match"
                ws.cell(i, COL["reviewer"] + 1).value = "A Officer"
    wb.save(book)
    counts = import_decisions(book, db, now=datetime(2014, 4, 2, 9, 0))
    assert counts["match"] == len(one) and counts["not a match"] == len(apart)

    _run(recoded / "drop" / "extracts", db, tmp_path / "out2")
    before, after = _families(recoded / "out1"), _families(tmp_path / "out2")
    with duckdb.connect(str(db), read_only=True) as con:
        redirects = set(con.execute("select old_id, new_id from id_redirects where kind = 'family' and as_of = ?",
                                    [AS_OF]).fetchall())
    for r in one:
        a, b = _key(r)[:2], _key(r)[2:]
        assert after[a] == after[b], "match merged the two families"
        merged = {before[k] for k, f in after.items() if f == after[a] and k in before}  # chains merge several
        assert after[a] in merged, "the merged family keeps one of its ids"
        for old in {before[a], before[b]} - {after[a]}:
            assert (old, after[a]) in redirects, "the other id is redirected"
    for r in apart:
        assert after[_key(r)[:2]] != after[_key(r)[2:]], "not a match keeps them apart"
    asked = {_key(r) for s in _rows(tmp_path / "out2" / "match_review.xlsx").values() for r in s}
    assert not asked & {_key(r) for r in fam_rows}, "a decided pair of families is not asked again"


def test_the_review_reads_each_persons_dwelling_as_the_households_stage_chose_it(recoded, tmp_path):
    """The stored `person_dwellings` and the rule read again (a warehouse without the
    table) give the review the same record and address parts for every person."""
    db = tmp_path / "w.duckdb"
    shutil.copy(recoded / "w.duckdb", db)
    with duckdb.connect(str(db)) as con:
        stored = dwelling_records(con, AS_OF)
        con.execute("drop table person_dwellings")
        again = dwelling_records(con, AS_OF)
    assert stored.height > 100
    assert stored.sort("person_id").equals(again.sort("person_id"))


def test_no_fixed_abode_is_not_a_persons_dwelling_for_the_review():
    """A person whose latest record says only "NFA" is read at their earlier address, as
    the households stage reads them (rules.md): never asked about on "NFA"."""
    rows = [*DWELLINGS, ("P1", "F1", "police", "k", "N.F.A.", None, None)]
    con = families_warehouse(rows)
    con.execute("update records set record_date = date '2014-02-01' where record_id = 'k'")
    cur = current_address_records(con, AS_OF)
    assert cur.filter(pl.col("person_id") == "P1")["record_id"].to_list() == ["a"]


def test_each_kind_of_near_miss_starts_from_its_own_prior():
    from cohort.review.decisions import latest_decisions
    from cohort.review.doubt import default_doubt
    from cohort.review.family_pairs import family_questions

    con = families_warehouse()
    asked = family_questions(con, AS_OF, latest_decisions(con))
    chance = dict(asked.select("category", "chance").iter_rows())
    assert chance["family no postcode"] == default_doubt("family no postcode") < chance["family postcode"]
    assert chance["family postcode"] == chance["family street"] == default_doubt("family")
