"""The table writer (`reports/xlsx_book.py`, decision 87): a table's rows are written as XML
from a frame, not cell by cell through xlsxwriter; read back with openpyxl, they must be
what the frame holds, in the column's format, with row heights that fit."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

import openpyxl
import polars as pl
import pytest

from cohort.reports.xlsx_book import LINE_HEIGHT, Book, Column

COLUMNS = [
    Column("name", "Name", 12),
    Column("note", "Note", 10, "wrap"),
    Column("born", "Born", 12, "date"),
    Column("seen", "Seen at", 16, "date"),
    Column("count", "Count", 8, "int"),
    Column("score", "Score", 8, "number"),
    Column("paid", "Paid", 10, "money"),
    Column("share", "Share", 8, "percent"),
    Column("flag", "Flag", 6, "bool"),
]
FRAME = pl.DataFrame({
    "name": ["Smith & Sons <ltd>", "  padded ", "=1+2", None, ""],
    "note": ["short", "a line\nanother\na third", "x" * 35, None, "ok"],
    "born": [date(2001, 2, 3), date(1900, 2, 28), date(1900, 3, 1), None, date(2014, 3, 31)],
    "seen": [datetime(2014, 3, 31, 12, 0), None, datetime(1999, 12, 31, 23, 59, 59), None, datetime(2014, 1, 1)],
    "count": [1, -2, None, 0, 123456789],
    "score": [0.1, 1e-7, 2.5e20, None, -3.0],
    "paid": [1234.5, 0.0, None, 99.99, 800.0],
    "share": [0.125, 1.0, None, 0.0, 0.3333333333333333],
    "flag": [True, False, None, True, False],
})


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "book.xlsx"
    book = Book(path, title="test", when=date(2014, 3, 31), footer="Test")
    book.table_sheet("Rows", FRAME, COLUMNS, notes=["a note above the table"])
    book.close()
    return openpyxl.load_workbook(path)["Rows"]


def test_cells_read_back_as_the_frame_holds_them(sheet):
    header_row = 3  # the note, a blank row, then the header
    assert [c.value for c in sheet[header_row]] == [c.header for c in COLUMNS]
    rows = list(sheet.iter_rows(min_row=header_row + 1, max_row=header_row + FRAME.height, values_only=True))
    expected = FRAME.rows()
    for got, want in zip(rows, expected, strict=True):
        got, want = list(got), list(want)
        born = want[2]
        want[2] = datetime(born.year, born.month, born.day) if born else None
        assert got == want  # floats exactly: the shortest text that reads back as the same number


def test_each_column_keeps_its_format(sheet):
    row = sheet[4]
    formats = {c.header: cell.number_format for c, cell in zip(COLUMNS, row)}
    assert formats["Born"] == formats["Seen at"] == "dd/mm/yyyy"
    assert formats["Paid"] == "£#,##0.00" and formats["Share"] == "0.0%" and formats["Count"] == "0"
    assert row[1].alignment.wrap_text and row[0].alignment.vertical == "top"


def test_row_heights_fit_wrapped_text_and_text_stays_text(sheet):
    assert sheet.row_dimensions[5].height == 3 * LINE_HEIGHT  # three lines in Note
    assert sheet.row_dimensions[6].height == 4 * LINE_HEIGHT  # 35 characters at 11 a line
    assert not sheet.row_dimensions[4].height  # one line: Excel's own height
    assert sheet["A6"].data_type == "s" and sheet["A6"].value == "=1+2"  # never a formula


def test_table_and_dimension_cover_every_row(sheet):
    (table,) = sheet.tables.values()
    assert table.ref == f"A3:I{3 + FRAME.height}"
    assert sheet.max_row == 3 + FRAME.height and sheet.max_column == len(COLUMNS)


def test_rows_written_the_same_twice(tmp_path):
    def write(name):
        book = Book(tmp_path / name, title="test", when=date(2014, 3, 31), footer="Test")
        book.table_sheet("Rows", FRAME, COLUMNS)
        return book.close().read_bytes()

    assert write("a.xlsx") == write("b.xlsx")


def test_nothing_may_be_written_below_a_table(tmp_path):
    """The table's rows are written after xlsxwriter's own: a cell below them would be out
    of order in the sheet's XML, which Excel refuses, so the writer refuses it first."""
    book = Book(tmp_path / "c.xlsx", title="test", when=date(2014, 3, 31), footer="Test")
    ws = book.table_sheet("Rows", FRAME, COLUMNS)
    ws.write_string(20, 0, "below")
    with pytest.raises(RuntimeError, match="below a table"):
        book.close()


def test_spaces_around_text_are_kept_for_excel(tmp_path):
    """Excel trims a text's leading and trailing spaces unless the cell says to keep them
    (openpyxl keeps them either way, so this reads the sheet's XML)."""
    book = Book(tmp_path / "d.xlsx", title="test", when=date(2014, 3, 31), footer="Test")
    book.table_sheet("Rows", FRAME, COLUMNS)
    with zipfile.ZipFile(book.close()) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">  padded </t>' in xml
    assert "<t>Smith &amp; Sons &lt;ltd&gt;</t>" in xml
