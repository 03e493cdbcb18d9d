"""Workbooks we hand out, written with xlsxwriter: fast, and the same bytes for the same data.

openpyxl stays for reading workbooks back (review import, xlsx extracts, the tests);
writing moved here because styling every cell through openpyxl made the workbooks a
quarter of a county run (docs/decisions.md, decision 40).

What every sheet gets, so every list behaves alike in Excel and LibreOffice:
- an Excel Table (filter and sort keep a row together), header frozen;
- a format per column, set once: dates dd/mm/yyyy, money £, shares %, wrapped text;
- row heights that fit the wrapped text;
- print setup: landscape A4, fit to the page width, header rows repeated on every page,
  a footer naming the district (or the workbook), the as-of date and OFFICIAL-SENSITIVE.

Text is made safe first (`xlsx_style.clean_frame`: no control characters, Excel's cell
limit) and written as text, so a value beginning with "=" is never a formula.

A table's rows are not written cell by cell through xlsxwriter but as XML made by polars
for the whole frame (`TableSheet`, decision 87): a county's million cells in about a
second rather than seven.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from cohort.reports.xlsx_style import clean_frame, safe_sheet_title

DATE_FORMAT = "dd/mm/yyyy"
MONEY_FORMAT = "£#,##0.00"
PERCENT_FORMAT = "0.0%"
LINE_HEIGHT = 15.0  # points per line of 11-point text
MAX_LINES = 27
# Characters of ordinary text per unit of column width (a unit is one "0" of the default
# font; letters average narrower). Kept low enough that a row is never cut short.
CHARS_PER_WIDTH = 1.1  # Excel's row height limit is 409 points
MARKING = "OFFICIAL-SENSITIVE"
TABLE_STYLE = "Table Style Light 9"
EXCEL_EPOCH = date(1899, 12, 31)  # serial 1 is 1 January 1900
EXCEL_LEAP_BUG = date(1900, 3, 1)

KIND_FORMATS: dict[str, dict[str, Any]] = {
    "text": {},
    "wrap": {"text_wrap": True},
    "date": {"num_format": DATE_FORMAT, "align": "left"},
    "int": {"num_format": "0", "align": "center"},
    "number": {"num_format": "0.000", "align": "right"},
    "money": {"num_format": MONEY_FORMAT},
    "percent": {"num_format": PERCENT_FORMAT},
    "bool": {"align": "center"},
}


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the frame column it shows, its header, width and kind
    (text, wrap: wrapped text that sets the row height, date, int, number, money, percent, bool)."""

    key: str
    header: str
    width: float = 12
    kind: str = "text"


def new_workbook(path: Path, *, title: str, when: date) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook that writes text as text (never a number, formula or link)
    and the same bytes for the same data: its document date is `when`, not the clock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
        "default_date_format": DATE_FORMAT, "in_memory": True,
    })
    created = datetime(when.year, when.month, when.day)
    wb.set_properties({"title": title, "author": "cohort", "company": "", "created": created})
    return wb


def _footer_text(text: str) -> str:
    return text.replace("&", "&&")


class Book:
    """One workbook being written; `close()` saves it. Sheets are added in reading order."""

    def __init__(self, path: Path, *, title: str, when: date, footer: str) -> None:
        self.path = path
        self.when = when
        self.footer = footer
        self.wb = new_workbook(path, title=title, when=when)
        self._formats: dict[tuple, Any] = {}
        self._tables: set[str] = set()

    def fmt(self, kind: str = "text", **extra: Any):
        """A cell format, made once per workbook (xlsxwriter's formats are workbook objects)."""
        key = (kind, tuple(sorted(extra.items())))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format({"valign": "top", **KIND_FORMATS[kind], **extra})
        return self._formats[key]

    def sheet(self, name: str, *, landscape: bool = True):
        ws = self.wb.add_worksheet(safe_sheet_title(name), worksheet_class=TableSheet)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.7)
        ws.set_footer(f"&L{_footer_text(self.footer)}&C{self.when:%d/%m/%Y}  ·  page &P of &N&R{MARKING}")
        return ws

    def _table_name(self, name: str) -> str:
        base = re.sub(r"\W", "_", name).strip("_") or "Table"
        base = f"T_{base}" if not base[0].isalpha() else base
        candidate, n = base, 1
        while candidate.lower() in self._tables:
            n += 1
            candidate = f"{base}_{n}"
        self._tables.add(candidate.lower())
        return candidate

    def table_sheet(self, name: str, frame: pl.DataFrame, columns: Sequence[Column], *,
                    preamble: Sequence[str] = (), notes: Sequence[str] = (), freeze_columns: int = 0,
                    empty_note: str | None = "none", landscape: bool = True) -> Any:
        """A sheet holding `frame` as an Excel Table under the `preamble` lines (warnings, in red),
        the `notes`, and `empty_note` when there are no rows (the table keeps one blank row); returns it."""
        ws = self.sheet(name, landscape=landscape)
        lines = [(line, self.fmt("text", bold=True, font_color="#C00000")) for line in preamble]
        lines += [(line, self.fmt("text")) for line in notes]
        if frame.height == 0 and empty_note:
            lines.append((empty_note, self.fmt("text", bold=True)))
        row = 0
        for line, style in lines:
            ws.write_string(row, 0, line, style)
            row += 1
        if row:
            row += 1
        write_table(self, ws, row, frame, columns, name=name)
        ws.freeze_panes(row + 1, freeze_columns)
        ws.repeat_rows(row)
        ws.fit_to_pages(1, 0)
        return ws

    def close(self) -> Path:
        self.wb.close()
        return self.path


def line_counts(frame: pl.DataFrame, columns: Sequence[Column]) -> pl.Series | None:
    """Lines each row needs: for every wrapped column, its text's lines at the column's width
    (at most MAX_LINES, Excel's row height limit); None when nothing wraps or there are no rows."""
    exprs = []
    for c in columns:
        if c.kind != "wrap" or c.key not in frame.columns:
            continue
        per_line = max(int(c.width * CHARS_PER_WIDTH), 4)
        exprs.append(
            pl.col(c.key).cast(pl.String).fill_null("").str.split("\n")
            .list.eval(((pl.element().str.len_chars() + per_line - 1) // per_line).clip(lower_bound=1))
            .list.sum()
        )
    if not exprs or frame.height == 0:
        return None
    return frame.select(pl.max_horizontal(exprs).clip(upper_bound=MAX_LINES).alias("lines"))["lines"]


def write_table(book: Book, ws: Any, first_row: int, frame: pl.DataFrame, columns: Sequence[Column], *,
                name: str) -> str:
    """`frame`'s `columns` as an Excel Table with its header at `first_row`; returns its range.

    A table with no rows keeps one blank row (Excel needs a row under the header)."""
    frame = clean_frame(frame.select([_cell_values(frame, c) for c in columns]))
    formats = [book.fmt(c.kind) for c in columns]
    for i, c in enumerate(columns):
        ws.set_column(i, i, c.width)
    header = book.fmt("wrap", bold=True)
    header_lines = max(-(-len(c.header) // max(int(c.width * CHARS_PER_WIDTH) - 1, 4)) for c in columns)
    if header_lines > 1:
        ws.set_row(first_row, LINE_HEIGHT * min(header_lines, MAX_LINES))
    last_row = first_row + max(frame.height, 1)
    ws.add_table(first_row, 0, last_row, len(columns) - 1, {
        "name": book._table_name(name), "style": TABLE_STYLE,
        "columns": [{"header": c.header, "header_format": header} for c in columns],
    })
    if frame.height == 0:
        return _range(first_row, last_row, len(columns))
    ws.add_rows(TableRows(first_row + 1, frame, formats, line_counts(frame, columns)))
    return _range(first_row, last_row, len(columns))


@dataclass(frozen=True)
class TableRows:
    """A table's rows, from `first_row` (0-based): one frame column of cell values per sheet
    column (`_cell_values`), its format, and the lines each row needs (None: one each)."""

    first_row: int
    frame: pl.DataFrame
    formats: list[Any]
    lines: pl.Series | None

    def xml(self) -> str:
        """The rows as worksheet XML: text as inline strings, numbers and dates (serial
        numbers) as values, booleans as 1/0, a null as no cell at all."""
        row = (pl.int_range(pl.len()) + self.first_row + 1).cast(pl.String)  # Excel's rows count from 1
        cells = [_cell_xml(name, dtype, xl_col_to_name(i), row, fmt._get_xf_index())
                 for i, ((name, dtype), fmt) in enumerate(zip(self.frame.schema.items(), self.formats))]
        height = pl.lit("")
        if self.lines is not None:
            tall = pl.col("_lines") > 1
            height = pl.when(tall).then(pl.format(' ht="{}" customHeight="1"', (pl.col("_lines") * LINE_HEIGHT)))
        frame = self.frame if self.lines is None else self.frame.with_columns(self.lines.alias("_lines"))
        rows = frame.select(pl.concat_str([pl.lit('<row r="'), row, pl.lit('"'), height.fill_null(""), pl.lit(">"),
                                           *cells, pl.lit("</row>")]).alias("xml"))
        return rows["xml"].str.join("").item()


def _cell_xml(name: str, dtype: pl.DataType, letter: str, row: pl.Expr, style: int) -> pl.Expr:
    """One cell's XML, as xlsxwriter would write it but with text inline rather than in the
    shared strings; empty (no cell) where the value is null."""
    col = pl.col(name)
    ref = [pl.lit(f'<c r="{letter}'), row, pl.lit(f'" s="{style}"')]
    if dtype == pl.String:
        text = col.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True) \
            .str.replace_all(">", "&gt;", literal=True)
        # Excel drops a text's leading and trailing spaces unless told to keep them.
        keep = pl.when(col.str.contains(r"^\s|\s$")).then(pl.lit(' xml:space="preserve"')).otherwise(pl.lit(""))
        cell = pl.concat_str([*ref, pl.lit(' t="inlineStr"><is><t'), keep, pl.lit(">"), text, pl.lit("</t></is></c>")])
    elif dtype == pl.Boolean:
        cell = pl.concat_str([*ref, pl.lit(' t="b"><v>'), col.cast(pl.Int8).cast(pl.String), pl.lit("</v></c>")])
    elif dtype.is_numeric():
        value = col.cast(pl.String) if dtype.is_integer() else pl.when(col.is_finite()).then(col.cast(pl.String))
        cell = pl.concat_str([*ref, pl.lit("><v>"), value, pl.lit("</v></c>")])
    else:
        raise TypeError(f"a workbook cell cannot hold {dtype} (column {name})")
    return cell.fill_null("")


class TableSheet(Worksheet):
    """An xlsxwriter worksheet that also writes table rows given as a frame (`add_rows`).

    xlsxwriter keeps every cell as a Python object and writes each one's XML when the
    workbook closes: about 7 µs a cell, 7.8 s for the county's million cells on one core.
    A table's rows are instead written here as one polars expression, at the moment
    xlsxwriter writes its own rows, after them (decision 87). Everything else on the sheet
    (lines above the table, its header, formats, print setup) is xlsxwriter's own.

    This leans on xlsxwriter 3.x's worksheet internals (`_write_rows`, `_check_dimensions`,
    `table`, `row_info`, `fh`, a format's `_get_xf_index`), pinned in requirements.lock;
    tests/test_xlsx_book.py reads every kind of cell back.
    """

    def __init__(self) -> None:
        super().__init__()
        self._tables: list[TableRows] = []

    def add_rows(self, rows: TableRows) -> None:
        self._check_dimensions(rows.first_row + rows.frame.height - 1, rows.frame.width - 1)
        self._tables.append(rows)

    def _write_rows(self) -> None:
        # xlsxwriter's own rows, then the tables' (nothing of xlsxwriter's is written below a table).
        used = [*self.row_info, *(r for r, cells in self.table.items() if cells)]
        for rows in self._tables:
            below = sorted(r for r in used if r >= rows.first_row)
            if below:
                raise RuntimeError(f"sheet {self.name}: row {below[0] + 1} is written inside or below a table")
        super()._write_rows()
        for rows in sorted(self._tables, key=lambda t: t.first_row):
            self.fh.write(rows.xml())


def _cell_values(frame: pl.DataFrame, c: Column) -> pl.Expr:
    """What a column's cells hold: text as text; a date as its Excel serial number, the
    number xlsxwriter's write_datetime would store, found for the whole column at once."""
    col = pl.col(c.key)
    if c.kind in ("text", "wrap"):
        return col.cast(pl.String)
    if c.kind == "date" and frame.schema[c.key] == pl.Date:
        days = (col - EXCEL_EPOCH).dt.total_days()
        # Excel counts 29 February 1900, which never was: a serial from 1 March 1900 is one more.
        return pl.when(col >= EXCEL_LEAP_BUG).then(days + 1).otherwise(days).alias(c.key)
    if c.kind == "date" and isinstance(frame.schema[c.key], pl.Datetime):
        epoch = datetime.combine(EXCEL_EPOCH, datetime.min.time())
        days = (col.dt.replace_time_zone(None) - epoch).dt.total_microseconds() / 86_400_000_000
        return pl.when(days > 59).then(days + 1).otherwise(days).alias(c.key)  # as write_datetime counts
    return col


def _range(first_row: int, last_row: int, ncols: int) -> str:
    from xlsxwriter.utility import xl_range

    return xl_range(first_row, 0, last_row, ncols - 1)
