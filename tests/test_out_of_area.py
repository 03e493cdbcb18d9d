"""The county's out-of-area list, from a run of the committed demo sample (which has families living in Medway)."""

from __future__ import annotations

import json

import openpyxl
import polars as pl
import pytest

from cohort.cli import SAMPLE_DIR, main
from cohort.core.reference import neighbouring_authority
from cohort.reports.labels import STATUS_LABELS
from xlsx_read import table_rows


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    as_of = json.loads((SAMPLE_DIR / "manifest.json").read_text()).get("as_of", "2014-03-31")
    assert main(["run", "--input", str(SAMPLE_DIR / "extracts"), "--as-of", as_of, "--db", str(work / "w.duckdb"),
                 "--out", str(work / "out")]) == 0
    return work / "out"


def test_out_of_area_list_matches_families_csv(demo_run):
    out = demo_run
    fams = pl.read_csv(out / "families.csv", infer_schema=False).filter(
        (pl.col("district") == "out_of_area") & (pl.col("status") != "not_eligible"))
    assert fams.height > 0, "the drop should have out-of-area families to list"
    rows = table_rows(openpyxl.load_workbook(out / "out_of_area.xlsx")["Families"])
    got = {r["Family ID"]: (r["Status"], r["Members"], r["Crime / ASB"], r["Work"]) for r in rows}
    expected = {f: (STATUS_LABELS[s], int(m), "Yes" if c == "1" else "—", "Yes" if w == "1" else "—")
                for f, s, m, c, w in fams.select("family_id", "status", "members", "crime_asb", "work").iter_rows()}
    assert got == expected
    for r in rows:
        assert r["Address"] and r["Postcode"] and r["Outward code"] == r["Postcode"].split()[0]
        assert r["Neighbouring authority"] == (neighbouring_authority(r["Postcode"]) or "not known")




@pytest.mark.parametrize("description, postcode, authority", [
    ("Medway", "ME4 4AA", "Medway"),
    ("Medway, no space, lower case", "me81ab", "Medway"),
    ("Bexley", "DA7 5AA", "London Borough of Bexley"),
    ("a Kent district is no neighbour", "CT11 9AA", None),
    ("unknown elsewhere", "SW1A 1AA", None),
    ("unreadable", "not a postcode", None),
    ("blank", None, None),
])
def test_neighbouring_authority(description, postcode, authority):
    assert neighbouring_authority(postcode) == authority, description
