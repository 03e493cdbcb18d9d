"""District identification workbooks, read back with openpyxl as a district officer's Excel would."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from openpyxl.chart import BarChart

from cohort.core.reference import DISTRICT_COHORTS, DISTRICT_TARGETS, DISTRICTS
from cohort.reports.district_lists import missing_extract_warning, out_of_area_families, write_district_lists
from cohort.reports.labels import STATUS_LABELS, is_code_word
from cohort.reports.xlsx_book import DATE_FORMAT, LINE_HEIGHT, MARKING
from cohort.reports.xlsx_style import CELL_TEXT_LIMIT, clean_text, safe_sheet_title
from xlsx_read import header_row, table_of, table_rows

AS_OF = date(2014, 3, 31)
PHASE1 = ("crime_asb", "education", "work", "local_discretion")
PHASE2 = ("crime_asb", "school_attendance", "children_need_help", "worklessness", "domestic_abuse", "health")
ABSENCE = "autumn 2013/14: 21 of 140 sessions unauthorised (22.0% over the last 3 terms)"

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


def addresses_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "family_id": [r[0] for r in FAMILIES],
        "address": [f"{i + 1} HIGH STREET, RAMSGATE" for i in range(len(FAMILIES))],
        "postcode": ["ct11 9aa" for _ in FAMILIES],
    })


def members_frame() -> pl.DataFrame:
    rows = []
    for fid, *_ in FAMILIES:
        rows.append((fid, f"P{fid}a", "JANE", "Smith", date(1980, 3, 12), 34, "lead_tenant"))
        rows.append((fid, f"P{fid}b", "Tom", "smith", date(2000, 7, 1), 13, "child"))
    return pl.DataFrame(
        rows,
        schema={"family_id": pl.String, "person_id": pl.String, "forename": pl.String, "surname": pl.String,
                "dob": pl.Date, "age": pl.Int64, "role": pl.String},
        orient="row",
    )


def evidence_frame() -> pl.DataFrame:
    rows = [
        (fid, "crime_asb", "police", f"R{fid}", f"P{fid}a", date(2013, 11, 2), "asb_injunction")
        for fid, *_ in FAMILIES
    ]
    rows += [
        ("F01", "work", "dwp_benefits", "D1", "PF01a", date(2012, 5, 1), "JSA spell open"),
        ("F01", "education", "school_census", "S1", "PF01b", date(2013, 12, 31), ABSENCE),
        ("F01", "crime_asb", "housing_asb", "H1", None, date(2013, 6, 1), "nosp_asb on tenancy THA/1"),
        ("F01", "local_discretion", "health", "X1", "PF01a", date(2013, 6, 1), "=HYPERLINK(\"x\")"),
        ("F02", "education", "school_census", "S2", "PF02b", date(2013, 12, 31), "x" * 40_000),
    ]
    return pl.DataFrame(
        rows,
        schema={"family_id": pl.String, "criterion": pl.String, "source": pl.String, "record_id": pl.String,
                "person_id": pl.String, "event_date": pl.Date, "value": pl.String},
        orient="row",
    )


def write(out_dir: Path, *, programme="phase1", missing=(), families=None, evidence=None) -> list[Path]:
    return write_district_lists(
        out_dir,
        families=families if families is not None else families_frame(),
        members=members_frame(),
        evidence=evidence if evidence is not None else evidence_frame(),
        addresses=addresses_frame(),
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


def summary(ws) -> dict:
    return {row[0]: row[1] for row in ws.iter_rows(min_col=1, max_col=2, values_only=True) if row[0]}


def test_one_workbook_per_district_even_without_families(tmp_path):
    paths = write(tmp_path)
    assert [p.name for p in paths] == [f"{d}.xlsx" for d in DISTRICTS]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{d}.xlsx" for d in DISTRICTS)
    empty = openpyxl.load_workbook(tmp_path / "Ashford.xlsx")
    assert empty.sheetnames == ["Summary", "Families", "Members", "Evidence", "Changes since last run"]
    assert table_rows(empty["Families"]) == []
    assert empty["Families"]["A1"].value == "No families are listed for this district this month."


@pytest.mark.parametrize("sheet", ["Families", "Members", "Evidence", "Changes since last run"])
def test_every_list_sheet_is_an_excel_table(books, sheet):
    for district, wb in books.items():
        table = table_of(wb[sheet])
        assert table.displayName.isidentifier(), district
        assert [c.name for c in table.tableColumns] == [c.value for c in wb[sheet][header_row(wb[sheet])]], district


def test_each_book_holds_only_its_own_listed_families(books):
    expected = {
        "Thanet": ["F01", "F02", "F04", "F05"],
        "Tonbridge and Malling": ["F10", "F11"],
        "Dartford": ["F20"],
    }
    for district, wb in books.items():
        own = expected.get(district, [])
        assert [r["Family ID"] for r in table_rows(wb["Families"])] == own, district
        assert {r["Family ID"] for r in table_rows(wb["Members"])} == set(own), district
        assert {r["Family ID"] for r in table_rows(wb["Evidence"])} == set(own), district
    everywhere = [r["Family ID"] for wb in books.values() for r in table_rows(wb["Families"])]
    assert "F03" not in everywhere, "not eligible family listed"
    assert "F90" not in everywhere, "out of area family listed"


def test_out_of_area_families_are_returned_apart():
    assert out_of_area_families(families_frame())["family_id"].to_list() == ["F90"]


def test_families_ordered_by_status_then_id_with_status_in_words(books):
    rows = table_rows(books["Thanet"]["Families"])
    assert [(r["Status"], r["Family ID"]) for r in rows] == [
        ("Automatic", "F01"), ("Automatic", "F02"), ("Discretionary", "F04"), ("Candidate", "F05"),
    ]


def test_families_row_reads_as_a_key_worker_needs_it(books):
    rows = table_rows(books["Thanet"]["Families"])
    first = rows[0]
    assert first["Address"] == "4 High Street, Ramsgate" and first["Postcode"] == "CT11 9AA"
    assert first["Members"] == 2 and first["Lead adult"] == "Jane SMITH (34)"
    assert [first[h] for h in ("Crime / ASB", "Education", "Work", "Local discretion")] == ["Yes"] * 4
    assert rows[1]["Local discretion"] == "—"
    assert first["Key worker"] is None
    assert first["Why (one line per criterion met)"].split("\n") == [
        "Crime / ASB: Jane (34): ASB injunction, 02/11/2013 (+1 more)",
        "Education: Tom, Year 9 pupil: 22.0% unauthorised absence over 3 terms, 31/12/2013",
        "Work: Jane (34): on Jobseeker's Allowance, 01/05/2012",
        'Local discretion: Jane (34): =HYPERLINK("x"), 01/06/2013',
    ]


def test_row_heights_fit_the_wrapped_text(books):
    ws = books["Thanet"]["Families"]
    first = header_row(ws) + 1
    assert ws.row_dimensions[first].height >= 4 * LINE_HEIGHT, "four reason lines"
    assert ws[f"A{first}"].alignment.vertical == "top"
    why = next(c for c in ws[header_row(ws)] if c.value.startswith("Why"))
    assert ws[f"{why.column_letter}{first}"].alignment.wrap_text


def test_members_sheet_gives_role_and_age_in_words(books):
    rows = table_rows(books["Thanet"]["Members"])
    assert rows[0] == {"Family ID": "F01", "Forename": "Jane", "Surname": "SMITH", "Date of birth": datetime(1980, 3, 12),
                       "Age": "34 years", "School year": None, "Role": "Lead tenant"}
    assert (rows[1]["Age"], rows[1]["School year"], rows[1]["Role"]) == ("13 years", "Year 9", "Child")


def test_evidence_sheet_one_row_per_record_in_words(books):
    rows = {r["Agency's record ID"]: r for r in table_rows(books["Thanet"]["Evidence"])}
    assert rows["H1"]["What the record says"] == "notice of seeking possession (ASB) on tenancy THA/1"
    assert rows["H1"]["Agency"] == "Housing ASB" and rows["H1"]["Member"] is None
    assert rows["D1"]["What the record says"] == "Jobseeker's Allowance (JSA), claim open"
    assert rows["S1"]["Criterion"] == "Education" and rows["S1"]["Member"] == "Tom SMITH"


def test_no_code_words_in_user_facing_cells(books):
    for district, wb in books.items():
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for value in row:
                    if isinstance(value, str):
                        assert not is_code_word(value), (district, ws.title, value)
    statuses = {r["Status"] for wb in books.values() for r in table_rows(wb["Families"])}
    assert statuses <= set(STATUS_LABELS.values())


@pytest.mark.parametrize("sheet, column", [("Members", "Date of birth"), ("Evidence", "Date")])
def test_dates_are_real_excel_dates(books, sheet, column):
    ws = books["Thanet"][sheet]
    headers = [c.value for c in ws[header_row(ws)]]
    cells = [row[headers.index(column)] for row in ws.iter_rows(min_row=header_row(ws) + 1)]
    assert cells
    for c in cells:
        assert isinstance(c.value, datetime) and c.number_format == DATE_FORMAT
    as_of = next(r[1] for r in books["Thanet"]["Summary"].iter_rows() if r[0].value == "As-of date")
    assert as_of.value == datetime(2014, 3, 31) and as_of.number_format == DATE_FORMAT


@pytest.mark.parametrize("sheet, freeze", [("Families", "B4"), ("Members", "A2"), ("Evidence", "A2")])
def test_header_frozen_and_repeated_on_every_printed_page(books, sheet, freeze):
    ws = books["Thanet"][sheet]
    assert ws.freeze_panes == freeze
    header = int(freeze[1:]) - 1
    assert header_row(ws) == header
    assert ws.print_title_rows == f"${header}:${header}"


@pytest.mark.parametrize("sheet, orientation", [("Families", "landscape"), ("Members", "portrait"),
                                                 ("Evidence", "landscape"), ("Changes since last run", "landscape")])
def test_print_setup_fit_to_width_with_footer(books, sheet, orientation):
    ws = books["Thanet"][sheet]
    assert ws.page_setup.orientation == orientation and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)  # absent means 1
    footer = ws.oddFooter
    assert footer.left.text == "Thanet" and "31/03/2014" in footer.center.text and footer.right.text == MARKING


def test_front_sheet_prints_on_one_page(books):
    ws = books["Thanet"]["Summary"]
    assert ws.page_setup.orientation == "portrait"
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight or 1) == (1, 1)  # absent means 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddFooter.right.text == MARKING


@pytest.mark.parametrize(
    "district, automatic, discretionary, candidate",
    [("Thanet", 2, 1, 1), ("Dartford", 0, 1, 0), ("Ashford", 0, 0, 0)],
)
def test_front_sheet_counts_and_target(books, district, automatic, discretionary, candidate):
    facts = summary(books[district]["Summary"])
    target = DISTRICT_TARGETS[district]
    assert facts["District"] == district and facts["Run id"] == "run-2014-03"
    assert (facts["Automatic"], facts["Discretionary"], facts["Candidate"]) == (automatic, discretionary, candidate)
    assert facts["Identified (automatic + discretionary)"] == automatic + discretionary
    assert facts["Target (Phase 1 allocation, 3 years)"] == target
    assert facts["Still to find (target - identified)"] == target - automatic - discretionary
    assert (facts["Year 1 cohort (families)"], facts["Year 2 cohort (families)"]) == DISTRICT_COHORTS[district]
    assert facts["Identified as % of target"] == pytest.approx((automatic + discretionary) / target)
    assert facts["Optional extracts missing"] == 1
    assert facts["Changes since the last run"] == "none"


def test_target_note_says_whether_stated_or_derived(books):
    notes = {row[0]: row[2] for row in books["Dartford"]["Summary"].iter_rows(values_only=True) if row[0]}
    assert "stated in the district's own report" in notes["How the target was derived"]
    notes = {row[0]: row[2] for row in books["Thanet"]["Summary"].iter_rows(values_only=True) if row[0]}
    assert "/ 0.85" in notes["How the target was derived"]


def test_front_sheet_charts_read_at_any_scale(books):
    ws = books["Thanet"]["Summary"]
    charts = ws._charts
    assert len(charts) == 2 and all(isinstance(c, BarChart) for c in charts)
    progress, statuses = charts
    assert progress.y_axis.scaling.max == DISTRICT_TARGETS["Thanet"], "the bar's axis ends at the target"
    assert progress.series[0].dLbls.showVal and statuses.series[0].dLbls.showVal
    cells = ws[statuses.series[0].val.numRef.f.split("!")[1].replace("$", "")]
    assert [c.value for (c,) in cells] == [2, 1, 1], "statuses only: the target is not beside them"


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
    headers = [c.value for c in wb["Families"][header_row(wb["Families"])]]
    assert headers[6:12] == [
        "Crime / ASB", "School attendance", "Children who need help", "Worklessness", "Domestic abuse", "Health",
    ]
    assert "Local discretion" not in headers and "Education" not in headers
    first = table_rows(wb["Families"])[0]
    assert (first["Crime / ASB"], first["School attendance"], first["Health"]) == ("Yes", "—", "Yes")
    facts = summary(wb["Summary"])
    assert facts["Identified as % of target"].startswith("not applicable")
    assert len(wb["Summary"]._charts) == 1, "no district target in phase 2: no progress chart"


def test_rerun_gives_identical_bytes(tmp_path):
    first = write(tmp_path / "a", missing=["health"])
    second = write(tmp_path / "b", missing=["health"])
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_text_is_stored_safely(books):
    rows = {r["Agency's record ID"]: r for r in table_rows(books["Thanet"]["Evidence"])}
    assert rows["X1"]["What the record says"] == '=HYPERLINK("x")'
    ws = books["Thanet"]["Evidence"]
    cell = next(row[5] for row in ws.iter_rows() if row[6].value == "X1")
    assert cell.data_type == "s", "text beginning with = must not become a formula"
    long = rows["S2"]["What the record says"]
    assert len(long) <= CELL_TEXT_LIMIT and long.endswith("Excel cell limit reached]")


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


@pytest.mark.parametrize("title, expected", [("Families", "Families"), ("a/b:c", "a b c"), ("x" * 40, "x" * 31)])
def test_safe_sheet_title(title, expected):
    assert safe_sheet_title(title) == expected
