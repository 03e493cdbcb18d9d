"""District identification workbooks, read back with openpyxl as a district officer's Excel would."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from openpyxl.chart import BarChart

from cohort.core.reference import DISTRICT_COHORTS, DISTRICT_TARGETS, DISTRICTS
from cohort.reports.district_lists import (
    MAX_EVIDENCE_PER_CELL,
    missing_extract_warning,
    out_of_area_families,
    write_district_lists,
)
from cohort.reports.xlsx_style import CELL_TEXT_LIMIT, DATE_FORMAT, clean_text, safe_sheet_title

AS_OF = date(2014, 3, 31)
PHASE1 = ("crime_asb", "education", "work", "local_discretion")
PHASE2 = ("crime_asb", "school_attendance", "children_need_help", "worklessness", "domestic_abuse", "health")

# (family_id, district, status, criteria flags in PHASE1 order)
FAMILIES = [
    ("F05", "Thanet", "candidate", (1, 1, 0, 0)),
    ("F02", "Thanet", "automatic", (1, 1, 1, 0)),
    ("F04", "Thanet", "discretionary", (0, 1, 1, 1)),
    ("F01", "Thanet", "automatic", (1, 1, 1, 1)),
    ("F03", "Thanet", "not_eligible", (1, 0, 0, 0)),
    ("F10", "Tonbridge and Malling", "automatic", (1, 1, 1, 0)),
    ("F11", "Tonbridge and Malling", "candidate", (0, 1, 1, 0)),
    ("F20", "Dartford", "discretionary", (1, 0, 1, 1)),
    ("F90", "out_of_area", "automatic", (1, 1, 1, 0)),
]


def families_frame(rows=FAMILIES, criteria=PHASE1) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "family_id": [r[0] for r in rows],
            "district": [r[1] for r in rows],
            "members": [2 for _ in rows],
            **{c: [r[3][i] if i < len(r[3]) else 0 for r in rows] for i, c in enumerate(criteria)},
            "criteria_met": [sum(r[3][:3]) for r in rows],
            "status": [r[2] for r in rows],
        },
        schema_overrides={c: pl.Int8 for c in criteria},
    )


def members_frame() -> pl.DataFrame:
    rows = []
    for fid, *_ in FAMILIES:
        rows.append((fid, f"P{fid}a", "Jane", "Smith", date(1980, 3, 12), 34, "lead_tenant"))
        rows.append((fid, f"P{fid}b", "Tom", "smith", date(2005, 7, 1), 8, "child"))
    return pl.DataFrame(
        rows,
        schema={"family_id": pl.String, "person_id": pl.String, "forename": pl.String, "surname": pl.String,
                "dob": pl.Date, "age": pl.Int64, "role": pl.String},
        orient="row",
    )


def evidence_frame() -> pl.DataFrame:
    rows = [
        (fid, "crime_asb", "police", f"R{fid}", f"P{fid}a", date(2013, 11, 2), "asbo", "event")
        for fid, *_ in FAMILIES
    ]
    rows.append(("F01", "work", "dwp_benefits", "D1", "PF01a", date(2012, 5, 1), "JSA", "=HYPERLINK(\"x\")"))
    rows.append(("F01", "education", "school_census", "S1", "PF01b", date(2013, 12, 31), "pru", "x" * 40_000))
    return pl.DataFrame(
        rows,
        schema={"family_id": pl.String, "criterion": pl.String, "source": pl.String, "record_id": pl.String,
                "person_id": pl.String, "event_date": pl.Date, "value": pl.String, "detail": pl.String},
        orient="row",
    )


def write(out_dir: Path, *, programme="phase1", missing=(), families=None, evidence=None) -> list[Path]:
    return write_district_lists(
        out_dir,
        families=families if families is not None else families_frame(),
        members=members_frame(),
        evidence=evidence if evidence is not None else evidence_frame(),
        programme=programme,
        as_of=AS_OF,
        missing_extracts=list(missing),
        run_id="run-2014-03",
    )


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, openpyxl.Workbook]:
    out = tmp_path_factory.mktemp("lists")
    paths = write(out, missing=["health"])
    return {p.stem: openpyxl.load_workbook(p) for p in paths}


def table(ws) -> list[dict]:
    """Rows of the sheet's table as dicts keyed by header, found through the autofilter range."""
    first, last = ws.auto_filter.ref.split(":")
    header_row = int("".join(ch for ch in first if ch.isdigit()))
    last_row = int("".join(ch for ch in last if ch.isdigit()))
    headers = [c.value for c in ws[header_row]]
    return [
        dict(zip(headers, (c.value for c in ws[r]))) for r in range(header_row + 1, last_row + 1)
    ]


def summary(ws) -> dict:
    return {row[0]: row[1] for row in ws.iter_rows(min_col=1, max_col=2, values_only=True) if row[0]}


def test_one_workbook_per_district_even_without_families(tmp_path):
    paths = write(tmp_path)
    assert [p.name for p in paths] == [f"{d}.xlsx" for d in DISTRICTS]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{d}.xlsx" for d in DISTRICTS)
    empty = openpyxl.load_workbook(tmp_path / "Ashford.xlsx")
    assert empty.sheetnames == ["Summary", "Families", "Members", "Evidence", "Changes since last run"]
    assert table(empty["Families"]) == []
    assert empty["Families"]["A1"].value == "Family ID"


def test_each_book_holds_only_its_own_listed_families(books):
    expected = {
        "Thanet": ["F01", "F02", "F04", "F05"],
        "Tonbridge and Malling": ["F10", "F11"],
        "Dartford": ["F20"],
    }
    for district, wb in books.items():
        own = expected.get(district, [])
        assert [r["Family ID"] for r in table(wb["Families"])] == own, district
        assert {r["Family ID"] for r in table(wb["Members"])} == set(own), district
        assert {r["Family ID"] for r in table(wb["Evidence"])} == set(own), district
    everywhere = [r["Family ID"] for wb in books.values() for r in table(wb["Families"])]
    assert "F03" not in everywhere, "not_eligible family listed"
    assert "F90" not in everywhere, "out of area family listed"


def test_out_of_area_families_are_returned_apart():
    assert out_of_area_families(families_frame())["family_id"].to_list() == ["F90"]


def test_families_ordered_by_status_then_id(books):
    rows = table(books["Thanet"]["Families"])
    assert [(r["Status"], r["Family ID"]) for r in rows] == [
        ("automatic", "F01"), ("automatic", "F02"), ("discretionary", "F04"), ("candidate", "F05"),
    ]


def test_families_row_content(books):
    row = table(books["Thanet"]["Families"])[0]
    assert row["Criteria met (of 3)"] == 3
    assert [row[h] for h in ("Crime / ASB", "Education", "Work", "Local discretion")] == ["Yes"] * 4
    assert table(books["Thanet"]["Families"])[1]["Local discretion"] is None
    assert row["Members"] == 2
    assert row["Members (name, date of birth, role)"] == (
        "Jane SMITH (12/03/1980, lead_tenant); Tom SMITH (01/07/2005, child)"
    )
    assert row["Evidence: Crime / ASB"] == "police asbo 02/11/2013 – Jane SMITH (record RF01)"
    assert row["Evidence: Work"] == "dwp_benefits JSA 01/05/2012 – Jane SMITH (record D1)"


@pytest.mark.parametrize(
    "sheet, column",
    [("Members", "Date of birth"), ("Evidence", "Date")],
)
def test_dates_are_real_excel_dates(books, sheet, column):
    ws = books["Thanet"][sheet]
    headers = [c.value for c in ws[1]]
    cells = [row[headers.index(column)] for row in ws.iter_rows(min_row=2)]
    assert cells
    for c in cells:
        assert isinstance(c.value, datetime) and c.number_format == DATE_FORMAT
    as_of = next(r[1] for r in books["Thanet"]["Summary"].iter_rows() if r[0].value == "As-of date")
    assert as_of.value == datetime(2014, 3, 31) and as_of.number_format == DATE_FORMAT


@pytest.mark.parametrize(
    "sheet, freeze, ref",
    [
        ("Families", "B4", "A3:M7"),  # warning line and blank row above the header
        ("Members", "A2", "A1:G9"),
        ("Evidence", "A2", "A1:I7"),
    ],
)
def test_header_frozen_and_filtered(books, sheet, freeze, ref):
    ws = books["Thanet"][sheet]
    assert ws.freeze_panes == freeze
    assert ws.auto_filter.ref == ref
    header = ws[int(freeze[1:]) - 1][0]
    assert header.font.b and header.fill.fill_type == "solid"
    assert all(ws.column_dimensions[col].width >= 8 for col in "ABC")


@pytest.mark.parametrize(
    "district, automatic, discretionary, candidate",
    [
        ("Thanet", 2, 1, 1),
        ("Dartford", 0, 1, 0),
        ("Ashford", 0, 0, 0),
    ],
)
def test_summary_counts_and_target(books, district, automatic, discretionary, candidate):
    facts = summary(books[district]["Summary"])
    target = DISTRICT_TARGETS[district]
    assert facts["District"] == district
    assert facts["Run id"] == "run-2014-03"
    assert (facts["Automatic"], facts["Discretionary"], facts["Candidate"]) == (automatic, discretionary, candidate)
    assert facts["Identified (automatic + discretionary)"] == automatic + discretionary
    assert facts["Target (Phase 1 allocation, 3 years)"] == target
    assert (facts["Year 1 cohort (families)"], facts["Year 2 cohort (families)"]) == DISTRICT_COHORTS[district]
    assert facts["Identified as % of target"] == pytest.approx((automatic + discretionary) / target)
    assert str(target) in facts["How the target was derived"]


def test_target_note_says_whether_stated_or_derived(books):
    assert "stated in the district's own report" in summary(books["Dartford"]["Summary"])["How the target was derived"]
    assert "/ 0.85" in summary(books["Thanet"]["Summary"])["How the target was derived"]


def test_summary_has_a_bar_chart_of_counts_and_target(books):
    charts = books["Thanet"]["Summary"]._charts
    assert len(charts) == 1 and isinstance(charts[0], BarChart)
    refs = charts[0].series[0].val.numRef.f
    cells = books["Thanet"]["Summary"][refs.split("!")[1].replace("$", "")]
    assert [c.value for (c,) in cells] == [2, 1, 1, 3, DISTRICT_TARGETS["Thanet"]]


@pytest.mark.parametrize(
    "description, missing",
    [("no extract missing", []), ("one missing", ["health"]), ("two missing", ["social_care", "dwp_employment"])],
)
def test_missing_extract_warning(tmp_path, description, missing):
    wb = openpyxl.load_workbook(write(tmp_path, missing=missing)[DISTRICTS.index("Thanet")])
    texts = {
        sheet: [v for row in wb[sheet].iter_rows(max_col=1, values_only=True) for v in row if isinstance(v, str)]
        for sheet in ("Summary", "Families")
    }
    for sheet, values in texts.items():
        warnings = [v for v in values if "was not supplied" in v]
        assert warnings == [missing_extract_warning(x) for x in sorted(missing)], (description, sheet)
    if missing:
        assert wb["Families"]["A1"].value.startswith(f"Extract {sorted(missing)[0]} was not supplied")
        assert "NOT KNOWN" in wb["Families"]["A1"].value


def test_phase2_columns(tmp_path):
    rows = [("F01", "Thanet", "automatic", (1, 0, 1, 0, 0, 1)), ("F02", "Thanet", "candidate", (0, 0, 0, 0, 1, 0))]
    fams = families_frame(rows, PHASE2).with_columns(pl.Series("criteria_met", [3, 1]))
    evidence = evidence_frame().filter(pl.col("family_id").is_in(["F01", "F02"]))
    wb = openpyxl.load_workbook(write(tmp_path, programme="phase2", families=fams, evidence=evidence)[
        DISTRICTS.index("Thanet")])
    headers = [c.value for c in wb["Families"][1]]
    assert headers[:3] == ["Family ID", "Status", "Criteria met (of 6)"]
    assert headers[3:9] == [
        "Crime / ASB", "School attendance", "Children who need help", "Worklessness", "Domestic abuse", "Health",
    ]
    assert "Local discretion" not in headers and "Education" not in headers
    first = table(wb["Families"])[0]
    assert (first["Crime / ASB"], first["School attendance"], first["Health"]) == ("Yes", None, "Yes")
    facts = summary(wb["Summary"])
    assert facts["Identified as % of target"].startswith("not applicable")
    assert "Kent-wide" in facts["How the target was derived"]


def test_rerun_gives_identical_cells_and_bytes(tmp_path):
    first = write(tmp_path / "a", missing=["health"])
    second = write(tmp_path / "b", missing=["health"])
    for a, b in zip(first, second):
        wa, wb = openpyxl.load_workbook(a), openpyxl.load_workbook(b)
        for sheet in wa.sheetnames:
            assert list(wa[sheet].values) == list(wb[sheet].values), (a.name, sheet)
        assert a.read_bytes() == b.read_bytes(), a.name


def test_text_is_stored_safely(books):
    ws = books["Thanet"]["Evidence"]
    rows = {r["Record ID"]: r for r in table(ws)}
    assert rows["D1"]["Detail"] == '=HYPERLINK("x")'
    detail_cells = [row[8] for row in ws.iter_rows(min_row=2) if row[3].value == "D1"]
    assert detail_cells[0].data_type == "s", "text beginning with = must not become a formula"
    long = rows["S1"]["Detail"]
    assert len(long) <= CELL_TEXT_LIMIT and long.endswith("Excel cell limit reached]")


def test_evidence_cell_caps_items_and_points_to_evidence_sheet(tmp_path):
    extra = pl.DataFrame(
        {
            "family_id": "F01", "criterion": "crime_asb", "source": "police",
            "record_id": [f"X{i:03d}" for i in range(MAX_EVIDENCE_PER_CELL + 5)],
            "person_id": "PF01a", "event_date": date(2013, 6, 1), "value": "asbo", "detail": None,
        }
    )
    evidence = pl.concat([evidence_frame(), extra], how="vertical_relaxed")
    wb = openpyxl.load_workbook(write(tmp_path, evidence=evidence)[DISTRICTS.index("Thanet")])
    row = table(wb["Families"])[0]
    lines = row["Evidence: Crime / ASB"].split("\n")
    assert len(lines) == MAX_EVIDENCE_PER_CELL + 1
    assert lines[0] == "police asbo 02/11/2013 – Jane SMITH (record RF01)", "newest first"
    assert lines[-1] == "… and 6 more on the Evidence sheet"
    assert sum(r["Family ID"] == "F01" for r in table(wb["Evidence"])) == MAX_EVIDENCE_PER_CELL + 8


@pytest.mark.parametrize(
    "description, change, message",
    [
        ("district not in Kent's list", ("district", "Medway"), "unknown district"),
        ("status misspelt", ("status", "automatc"), "unknown status"),
    ],
)
def test_bad_families_are_refused_not_dropped(tmp_path, description, change, message):
    column, value = change
    fams = families_frame().with_columns(
        pl.when(pl.col("family_id") == "F01").then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )
    with pytest.raises(ValueError, match=message):
        write(tmp_path, families=fams)


@pytest.mark.parametrize(
    "description, text, limit, expected",
    [
        ("short text untouched", "abc", 10, "abc"),
        ("control characters removed", "a\x00b\x1fc\td", 10, "abc\td"),
        ("cut with note", "abcdefghijkl", 10, "abcdefg[.]"),
        ("emoji counts as two units", "😀😀😀😀😀😀", 10, "😀[.]"),
    ],
)
def test_clean_text(description, text, limit, expected):
    got = pl.select(clean_text(pl.lit(text), limit=limit, note="[.]")).item()
    assert got == expected, description
    assert len(got.encode("utf-16-le")) // 2 <= limit


@pytest.mark.parametrize(
    "title, expected",
    [("Families", "Families"), ("a/b:c", "a b c"), ("x" * 40, "x" * 31)],
)
def test_safe_sheet_title(title, expected):
    assert safe_sheet_title(title) == expected
