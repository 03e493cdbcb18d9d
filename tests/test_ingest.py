"""Ingest and validation of a monthly drop (`schemas.ingest.load_drop`).

Every test builds a small hand-written drop in tmp_path with `write_drop`, changes one
thing, and checks what load_drop makes of it. All people and places are invented.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from cohort.schemas.errors import InputError
from cohort.schemas.ingest import load_drop
from cohort.schemas.reasons import Reason


def _person(record_id: str, forename: str, dob: str, gender: str = "F") -> dict[str, str]:
    return {
        "record_id": record_id, "forename": forename, "surname": "Testperson", "dob": dob,
        "gender": gender, "address": "1 Example Road, Ashford", "postcode": "TN23 1ZZ",
    }


VALID: dict[str, list[dict[str, str]]] = {
    "police": [
        {**_person("PO1", "Ann", "1980-02-01"), "pnc_id": "80/1A", "event_date": "2013-06-01", "event_type": "asbo"},
        {**_person("PO2", "Bob", "02/03/1979", "M"), "pnc_id": "", "event_date": "15/07/2013",
         "event_type": "domestic_abuse"},
    ],
    "youth_offending": [
        {**_person("YO1", "Cal", "2000-01-01", "M"), "pnc_id": "00/2B", "offence_date": "2013-05-01",
         "outcome_date": "2013-06-01", "outcome": "caution"},
        {**_person("YO2", "Dee", "2001-01-01"), "pnc_id": "", "offence_date": "2013-05-02",
         "outcome_date": "2013-06-02", "outcome": ""},
    ],
    "school_census": [
        {**_person("SC1", "Eve", "2004-09-09"), "upn": "A123", "school_urn": "118000", "academic_year": "2013/14",
         "term": "autumn", "provision": "mainstream", "sessions_possible": "140", "sessions_unauthorised": "12"},
        {**_person("SC2", "Fin", "2005-09-09", "M"), "upn": "A124", "school_urn": "118000",
         "academic_year": "2012/13", "term": "summer", "provision": "pru", "sessions_possible": "120",
         "sessions_unauthorised": "0"},
    ],
    "school_exclusions": [
        {**_person("SE1", "Eve", "2004-09-09"), "upn": "A123", "exclusion_date": "2013-10-01",
         "exclusion_type": "fixed", "sessions": "4"},
        {**_person("SE2", "Fin", "2005-09-09", "M"), "upn": "A124", "exclusion_date": "2013-11-01",
         "exclusion_type": "permanent", "sessions": ""},
    ],
    "dwp_benefits": [
        {**_person("DB1", "Ann", "1980-02-01"), "nino": "QQ123456C", "benefit": "JSA", "spell_start": "2012-01-01",
         "spell_end": ""},
        {**_person("DB2", "Bob", "1979-03-02", "M"), "nino": "QQ654321C", "benefit": "ESA",
         "spell_start": "2011-01-01", "spell_end": "2012-06-30"},
    ],
    "dwp_employment": [
        {**_person("DE1", "Ann", "1980-02-01"), "nino": "QQ123456C", "event": "employment_start",
         "event_date": "2013-09-01"},
        {**_person("DE2", "Bob", "1979-03-02", "M"), "nino": "", "event": "esf_start", "event_date": "2013-10-01"},
    ],
    "housing": [
        {**_person("HO1", "Ann", "1980-02-01"), "tenancy_ref": "T1", "uprn": "100062000001", "nino": "",
         "role": "lead_tenant", "tenancy_start": "2010-04-01", "tenancy_end": ""},
        {**_person("HO2", "Eve", "2004-09-09"), "tenancy_ref": "T1", "uprn": "100062000001", "nino": "",
         "role": "household_member", "tenancy_start": "2010-04-01", "tenancy_end": ""},
    ],
    "housing_asb": [
        {"record_id": "HA1", "tenancy_ref": "T1", "intervention": "nosp_asb", "intervention_date": "2013-08-01"},
        {"record_id": "HA2", "tenancy_ref": "T1", "intervention": "demotion_order", "intervention_date": "2013-09-01"},
    ],
    "social_care": [
        {**_person("CS1", "Eve", "2004-09-09"), "status": "child_in_need", "start_date": "2013-01-01",
         "end_date": ""},
        {**_person("CS2", "Fin", "2005-09-09", "M"), "status": "looked_after", "start_date": "2012-01-01",
         "end_date": "2012-12-31"},
    ],
    "health": [
        {**_person("HE1", "Bob", "1979-03-02", "M"), "issue": "alcohol_misuse", "recorded_date": "2013-07-01"},
        {**_person("HE2", "Ann", "1980-02-01"), "issue": "mental_health", "recorded_date": "2013-08-01"},
    ],
    "engagements": [
        {"family_id": "F0123456789", "attached_on": "2013-10-01", "key_worker": "KW1"},
        {"family_id": "F9876543210", "attached_on": "2013-11-01", "key_worker": ""},
    ],
}
REQUIRED = ("police", "youth_offending", "school_census", "school_exclusions", "dwp_benefits", "housing", "housing_asb")
OPTIONAL = ("dwp_employment", "social_care", "health", "engagements")
DATE_COLUMNS = {
    "dob", "event_date", "offence_date", "outcome_date", "exclusion_date", "spell_start", "spell_end",
    "tenancy_start", "tenancy_end", "intervention_date", "start_date", "end_date", "recorded_date", "attached_on",
}
INT_COLUMNS = {"sessions", "sessions_possible", "sessions_unauthorised"}


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_extract(folder: Path, name: str, rows: list[dict], fmt: str = "csv") -> Path:
    header = list(rows[0])
    body = [[r[c] for c in header] for r in rows]
    return (write_csv if fmt == "csv" else write_xlsx)(folder / f"{name}.{fmt}", header, body)


def write_drop(folder: Path, changes: dict[str, list[dict]] | None = None, skip: tuple[str, ...] = ()) -> Path:
    """A minimal valid drop (two rows per extract) as CSV files; `changes` replaces an
    extract's rows, `skip` leaves extracts out."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (VALID | (changes or {})).items():
        if name not in skip:
            write_extract(folder, name, rows)
    return folder


def with_row(name: str, index: int = 0, **values: str) -> dict[str, list[dict]]:
    """`changes` for write_drop: extract `name` with some values of one row replaced."""
    rows = [dict(r) for r in VALID[name]]
    rows[index].update(values)
    return {name: rows}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return load_drop(write_drop(tmp_path_factory.mktemp("baseline")))


def test_valid_drop_loads_every_extract_with_contract_types(baseline):
    assert list(baseline.clean) == [*VALID][:5] + ["dwp_employment", "housing", "housing_asb", "social_care",
                                                   "health", "engagements"]
    for name, rows in VALID.items():
        frame = baseline.clean[name]
        assert frame.columns == ["row_number", *rows[0]], name
        for column, dtype in frame.schema.items():
            expected = (pl.Int64 if column in INT_COLUMNS | {"row_number"}
                        else pl.Date if column in DATE_COLUMNS else pl.String)
            assert dtype == expected, (name, column)
        assert frame["row_number"].to_list() == [2, 3], name
    assert baseline.rejected.height == 0
    assert baseline.rejected.schema == {"file": pl.String, "row": pl.Int64, "column": pl.String,
                                        "value": pl.String, "reason": pl.String}
    assert baseline.missing_optional == []
    assert baseline.row_counts == {name: 2 for name in VALID}
    assert baseline.files["police"].name == "police.csv"


def test_values_are_parsed_trimmed_and_blank_is_null(baseline):
    police = baseline.clean["police"]
    assert police["dob"].to_list() == [dt.date(1980, 2, 1), dt.date(1979, 3, 2)]
    assert police["event_date"].to_list() == [dt.date(2013, 6, 1), dt.date(2013, 7, 15)]
    assert police["pnc_id"].to_list() == ["80/1A", None]
    census = baseline.clean["school_census"]
    assert census["sessions_possible"].to_list() == [140, 120]
    assert baseline.clean["school_exclusions"]["sessions"].to_list() == [4, None]
    assert baseline.clean["dwp_benefits"]["spell_end"].to_list() == [None, dt.date(2012, 6, 30)]


def test_absent_optional_extracts_are_empty_typed_frames(tmp_path, baseline):
    drop = load_drop(write_drop(tmp_path, skip=OPTIONAL))
    assert drop.missing_optional == list(OPTIONAL)
    for name in OPTIONAL:
        assert drop.clean[name].height == 0
        assert drop.clean[name].schema == baseline.clean[name].schema, name
        assert name not in drop.files and drop.row_counts[name] == 0
    assert drop.clean["police"].height == 2


def test_header_only_file_is_valid_with_no_rows(tmp_path):
    folder = write_drop(tmp_path, skip=("health",))
    write_csv(folder / "health.csv", list(VALID["health"][0]), [])
    drop = load_drop(folder)
    assert drop.clean["health"].height == 0 and drop.row_counts["health"] == 0
    assert "health" not in drop.missing_optional


def test_gender_column_may_be_absent(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "gender"} for r in VALID["police"]]
    drop = load_drop(write_drop(tmp_path, {"police": rows}))
    assert drop.clean["police"]["gender"].to_list() == [None, None]
    assert drop.clean["police"].schema["gender"] == pl.String
    assert drop.rejected.height == 0


def test_header_case_whitespace_and_column_order_are_free(tmp_path, baseline):
    folder = write_drop(tmp_path, skip=("police",))
    header = list(VALID["police"][0])[::-1]
    write_csv(folder / "police.csv", [f"  {c.upper()} " for c in header],
              [[r[c] for c in header] for r in VALID["police"]])
    assert load_drop(folder).clean["police"].equals(baseline.clean["police"])


@pytest.mark.parametrize(
    "description, text, expected",
    [
        ("ISO date", "2013-06-01", dt.date(2013, 6, 1)),
        ("UK date", "01/06/2013", dt.date(2013, 6, 1)),
        ("UK date without leading zeros", "1/6/2013", dt.date(2013, 6, 1)),
        ("leap day", "29/02/2012", dt.date(2012, 2, 29)),
        ("surrounding spaces", "  2013-06-01 ", dt.date(2013, 6, 1)),
    ],
)
def test_accepted_date_spellings(tmp_path, description, text, expected):
    drop = load_drop(write_drop(tmp_path, with_row("police", 0, event_date=text)))
    assert drop.clean["police"]["event_date"][0] == expected, description
    assert drop.rejected.height == 0, description


@pytest.mark.parametrize(
    "description, extract, column, text, canonical",
    [
        ("police event type in capitals", "police", "event_type", " ASBO ", "asbo"),
        ("benefit in lower case becomes upper", "dwp_benefits", "benefit", "jsa", "JSA"),
        ("gender in lower case becomes upper", "police", "gender", "m", "M"),
        ("term in title case", "school_census", "term", "Autumn", "autumn"),
        ("housing role mixed case", "housing", "role", "Lead_Tenant", "lead_tenant"),
        ("housing ASB intervention", "housing_asb", "intervention", "NOSP_ASB", "nosp_asb"),
    ],
)
def test_enum_values_match_case_insensitively(tmp_path, description, extract, column, text, canonical):
    drop = load_drop(write_drop(tmp_path, with_row(extract, 0, **{column: text})))
    assert drop.clean[extract][column][0] == canonical, description
    assert drop.rejected.height == 0, description


def test_xlsx_gives_the_same_clean_frames_as_csv(tmp_path, baseline):
    folder = write_drop(tmp_path, skip=("police", "school_census"))
    header = list(VALID["police"][0])
    rows = [[r[c] for c in header] for r in VALID["police"]]
    rows[0][header.index("dob")] = dt.datetime(1980, 2, 1)  # a real Excel date cell
    rows[1][header.index("event_date")] = dt.date(2013, 7, 15)
    write_xlsx(folder / "Police.xlsx", header, rows)
    header = list(VALID["school_census"][0])
    rows = [[r[c] for c in header] for r in VALID["school_census"]]
    rows[0][header.index("sessions_possible")] = 140.0  # numbers as Excel stores them
    rows[0][header.index("sessions_unauthorised")] = 12
    rows[1][header.index("school_urn")] = 118000
    write_xlsx(folder / "school_census.xlsx", header, rows)
    drop = load_drop(folder)
    assert drop.files["police"].name == "Police.xlsx"
    for name in VALID:
        assert drop.clean[name].equals(baseline.clean[name]), name
    assert drop.raw["police"]["dob"][0] == "1980-02-01"
    assert drop.raw["school_census"]["sessions_possible"][0] == "140"


def test_file_names_match_case_insensitively_and_other_files_are_ignored(tmp_path):
    folder = write_drop(tmp_path, skip=("police",))
    write_extract(folder, "police", VALID["police"]).rename(folder / "Police.CSV")
    (folder / "old").mkdir()
    write_extract(folder / "old", "police", VALID["police"])
    write_extract(folder, "police_backup", VALID["police"])
    (folder / "notes.txt").write_text("not an extract")
    drop = load_drop(folder)
    assert drop.files["police"].name == "Police.CSV"
    assert drop.clean["police"].height == 2


def test_unknown_columns_are_kept_in_raw_only(tmp_path):
    rows = [{**r, "Officer Notes ": "seen twice"} for r in VALID["police"]]
    drop = load_drop(write_drop(tmp_path, {"police": rows}))
    assert drop.raw["police"]["officer notes"].to_list() == ["seen twice", "seen twice"]
    assert "officer notes" not in drop.clean["police"].columns
    assert drop.raw["police"].schema["row_number"] == pl.Int64
    assert all(dtype == pl.String for c, dtype in drop.raw["police"].schema.items() if c != "row_number")


def test_bom_quoting_and_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    folder = write_drop(tmp_path, skip=("police",))
    header = list(VALID["police"][0])
    first, second = ([r[c] for c in header] for r in VALID["police"])
    first[header.index("address")] = 'Flat 2, "The Oaks"\nAshford'
    body = "\r\n".join([",".join(header), _csv_line(first), "", _csv_line(second)]) + "\r\n"
    (folder / "police.csv").write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    drop = load_drop(folder)
    police = drop.clean["police"]
    assert police["address"][0] == 'Flat 2, "The Oaks"\nAshford'
    assert police["row_number"].to_list() == [2, 4]  # row 3 is the blank line
    assert drop.row_counts["police"] == 2


def _csv_line(values: list[str]) -> str:
    return ",".join('"' + v.replace('"', '""') + '"' for v in values)


def _bad_drops():
    """(description, break the valid drop in folder, fragments the error message must contain)."""

    def remove(*names):
        return lambda f: [(f / f"{n}.csv").unlink() for n in names]

    def drop_columns(name, *columns):
        def change(f):
            rows = [{k: v for k, v in r.items() if k not in columns} for r in VALID[name]]
            write_extract(f, name, rows)
        return change

    def write_bytes(file, data):
        return lambda f: (f / file).write_bytes(data)

    def both(*changes):
        return lambda f: [c(f) for c in changes]

    unclosed = 'record_id,forename\nH1,Ann\nH2,"Secretname\nH3,Bo\n'.encode()
    return [
        ("every missing required extract is named", remove("police", "housing"),
         ["required extract(s) missing", "police", "housing"]),
        ("a missing required column names the file and column", drop_columns("police", "event_type"),
         ["police.csv", "event_type"]),
        ("missing columns in several files are reported together",
         both(drop_columns("police", "event_date", "pnc_id"), drop_columns("housing", "role")),
         ["police.csv", "event_date", "pnc_id", "housing.csv", "role"]),
        ("both csv and xlsx for one extract",
         lambda f: write_extract(f, "police", VALID["police"], fmt="xlsx"),
         ["police.csv and police.xlsx"]),
        ("an empty file", write_bytes("health.csv", b""), ["health.csv", "empty"]),
        ("a file whose first row is blank", write_bytes("health.csv", b"\n\n"), ["health.csv", "header"]),
        ("a file that is not UTF-8",
         write_bytes("health.csv", "record_id,forename\nH1,Zo\u00eb\n".encode("latin-1")),
         ["health.csv", "UTF-8", "line 2"]),
        ("a quoted value never closed: file, line and column, never the content",
         write_bytes("health.csv", unclosed), ["health.csv line 3, column 2 (forename)", "never closed"]),
        ("a broken xlsx", both(remove("police"), write_bytes("police.xlsx", b"not a workbook")),
         ["police.xlsx", "Excel"]),
        ("a column given twice", write_bytes("health.csv", b"record_id,Surname,surname \nH1,A,B\n"),
         ["health.csv", "'surname' appears more than once"]),
        ("problems of different kinds arrive in one error",
         both(remove("housing_asb"), drop_columns("police", "event_type"), write_bytes("health.csv", b"")),
         ["housing_asb", "police.csv", "event_type", "health.csv"]),
    ]


@pytest.mark.parametrize("description, breakage, fragments", _bad_drops(), ids=[c[0] for c in _bad_drops()])
def test_drops_that_cannot_be_processed_raise_input_error(tmp_path, description, breakage, fragments):
    folder = write_drop(tmp_path)
    breakage(folder)
    with pytest.raises(InputError) as caught:
        load_drop(folder)
    for fragment in fragments:
        assert fragment in str(caught.value), (description, fragment)
    assert "Secretname" not in str(caught.value)


def test_missing_input_folder_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_drop(tmp_path / "nowhere")


R = Reason


@pytest.mark.parametrize(
    "description, extract, values, expected",
    [
        ("unparseable date", "police", {"event_date": "2013-13-45"},
         {("event_date", R.UNPARSEABLE_DATE, "2013-13-45")}),
        ("impossible date", "police", {"event_date": "31/02/2013"},
         {("event_date", R.UNPARSEABLE_DATE, "31/02/2013")}),
        ("date with a time", "housing_asb", {"intervention_date": "2013-08-01 10:00"},
         {("intervention_date", R.UNPARSEABLE_DATE, "2013-08-01 10:00")}),
        ("bad date of birth", "health", {"dob": "yesterday"}, {("dob", R.UNPARSEABLE_DATE, "yesterday")}),
        ("bad optional end date", "dwp_benefits", {"spell_end": "ongoing"},
         {("spell_end", R.UNPARSEABLE_DATE, "ongoing")}),
        ("unknown enum value", "police", {"event_type": "riot"}, {("event_type", R.UNKNOWN_VALUE, "riot")}),
        ("unknown gender", "social_care", {"gender": "X"}, {("gender", R.UNKNOWN_VALUE, "X")}),
        ("unknown benefit", "dwp_benefits", {"benefit": "UC"}, {("benefit", R.UNKNOWN_VALUE, "UC")}),
        ("missing record_id", "police", {"record_id": " "}, {("record_id", R.MISSING_VALUE, None)}),
        ("missing required value", "housing", {"tenancy_ref": ""}, {("tenancy_ref", R.MISSING_VALUE, None)}),
        ("missing engagement date", "engagements", {"attached_on": ""}, {("attached_on", R.MISSING_VALUE, None)}),
        ("negative sessions", "school_census", {"sessions_possible": "-3", "sessions_unauthorised": "0"},
         {("sessions_possible", R.NEGATIVE_NUMBER, "-3")}),
        ("sessions not a whole number", "school_exclusions", {"sessions": "2.5"},
         {("sessions", R.NOT_A_NUMBER, "2.5")}),
        ("sessions in words", "school_census", {"sessions_unauthorised": "ten"},
         {("sessions_unauthorised", R.NOT_A_NUMBER, "ten")}),
        ("more unauthorised than possible", "school_census",
         {"sessions_possible": "10", "sessions_unauthorised": "11"},
         {("sessions_unauthorised", R.MORE_UNAUTHORISED_THAN_POSSIBLE, "11")}),
        ("academic year not consecutive", "school_census", {"academic_year": "2013/15"},
         {("academic_year", R.BAD_ACADEMIC_YEAR, "2013/15")}),
        ("academic year written with a dash", "school_census", {"academic_year": "2013-14"},
         {("academic_year", R.BAD_ACADEMIC_YEAR, "2013-14")}),
        ("every problem on one row is reported", "police",
         {"event_date": "soon", "event_type": "", "gender": "?"},
         {("event_date", R.UNPARSEABLE_DATE, "soon"), ("event_type", R.MISSING_VALUE, None),
          ("gender", R.UNKNOWN_VALUE, "?")}),
    ],
)
def test_bad_rows_are_quarantined_with_a_reason(tmp_path, description, extract, values, expected):
    drop = load_drop(write_drop(tmp_path, with_row(extract, 0, **values)))
    got = {(r["column"], r["reason"], r["value"]) for r in drop.rejected.to_dicts()}
    assert got == {(c, str(reason), v) for c, reason, v in expected}, description
    assert set(drop.rejected["file"]) == {f"{extract}.csv"} and set(drop.rejected["row"]) == {2}
    assert drop.clean[extract]["row_number"].to_list() == [3], description
    assert drop.row_counts[extract] == 2


@pytest.mark.parametrize(
    "description, extract, values",
    [
        ("person columns may be blank", "police",
         {"forename": "", "surname": "", "dob": "", "gender": "", "address": "", "postcode": ""}),
        ("open spell", "dwp_benefits", {"spell_end": ""}),
        ("zero sessions", "school_census", {"sessions_possible": "0", "sessions_unauthorised": "0"}),
        ("a count exported as 12.0", "school_census", {"sessions_possible": "12.0", "sessions_unauthorised": "12"}),
        ("academic year across a century", "school_census", {"academic_year": "1999/00"}),
        ("free-text outcome", "youth_offending", {"outcome": "referral order"}),
    ],
)
def test_acceptable_rows_are_kept(tmp_path, description, extract, values):
    drop = load_drop(write_drop(tmp_path, with_row(extract, 0, **values)))
    assert drop.rejected.height == 0, description
    assert drop.clean[extract].height == 2, description


def test_every_row_sharing_a_record_id_is_rejected(tmp_path):
    rows = [dict(r) for r in VALID["police"]] + [{**VALID["police"][0], "record_id": "PO3"}]
    rows[1]["record_id"] = "PO1"
    drop = load_drop(write_drop(tmp_path, {"police": rows}))
    assert drop.rejected.select("row", "column", "value", "reason").rows() == [
        (2, "record_id", "PO1", "duplicate_record_id"),
        (3, "record_id", "PO1", "duplicate_record_id"),
    ]
    assert drop.clean["police"]["record_id"].to_list() == ["PO3"]


def test_rejected_file_is_the_file_name_as_supplied(tmp_path):
    folder = write_drop(tmp_path, with_row("health", 0, issue="flu"))
    (folder / "health.csv").rename(folder / "Health.CSV")
    assert load_drop(folder).rejected["file"].to_list() == ["Health.CSV"]


def test_xlsx_row_numbers_are_sheet_rows_and_blank_rows_are_skipped(tmp_path):
    folder = write_drop(tmp_path, skip=("health",))
    header = list(VALID["health"][0])
    rows = [[r[c] for c in header] for r in VALID["health"]]
    write_xlsx(folder / "health.xlsx", header, [rows[0], [None] * len(header), ["  "] * len(header), rows[1]])
    drop = load_drop(folder)
    assert drop.clean["health"]["row_number"].to_list() == [2, 5]
    assert drop.row_counts["health"] == 2


def test_reasons_are_one_closed_list_usable_in_duckdb():
    import duckdb

    values = duckdb.sql(f"select unnest(enum_range(null::{Reason.sql_enum()})) as r").pl()["r"].to_list()
    assert values == [r.value for r in Reason]
    assert all(r.label for r in Reason)
