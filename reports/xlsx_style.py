"""Shared openpyxl helpers so every spreadsheet the project hands out looks and behaves alike.

The workbooks are opened by district officers in Excel, so tables get a bold filled
header that stays frozen, an autofilter, readable column widths, wrapped long text and
dates that are real Excel dates shown dd/mm/yyyy. They work with write-only workbooks
(rows streamed, low memory on large runs) as well as ordinary ones, as long as a sheet is
filled top to bottom through `append_preamble` and `append_table`.

Text is made safe before it reaches a cell: control characters Excel rejects are removed,
text longer than Excel's cell limit is cut with a visible note, and a value beginning with
"=" is stored as text, never as a formula.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

DATE_FORMAT = "dd/mm/yyyy"
PERCENT_FORMAT = "0.0%"
CELL_TEXT_LIMIT = 32_767
SHEET_TITLE_LIMIT = 31
TRUNCATION_NOTE = " … [cut short: Excel cell limit reached]"

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill(fill_type="solid", start_color="1F4E78", end_color="1F4E78")
HEADER_ALIGNMENT = Alignment(vertical="top", wrap_text=True)
WARNING_FONT = Font(bold=True, color="C00000")
TITLE_FONT = Font(bold=True, size=14)
LABEL_FONT = Font(bold=True)
WRAP_ALIGNMENT = Alignment(vertical="top", wrap_text=True)
TOP_ALIGNMENT = Alignment(vertical="top")

MIN_WIDTH = 8
MAX_WIDTH = 40
WRAP_WIDTH = 60
DATE_WIDTH = 12

_ILLEGAL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_ASTRAL_CHARS = r"[\x{10000}-\x{10FFFF}]"
_INVALID_TITLE_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


def clean_text(expr: pl.Expr, *, limit: int = CELL_TEXT_LIMIT, note: str = TRUNCATION_NOTE) -> pl.Expr:
    """Text Excel accepts: no control characters, at most `limit` UTF-16 units, cut with `note`.

    Excel counts UTF-16 units, so a character outside the Basic Multilingual Plane (an
    emoji) counts twice; keeping `limit - len(note) - astral` characters is always safe.
    """
    text = expr.str.replace_all(_ILLEGAL_CHARS, "")
    astral = text.str.count_matches(_ASTRAL_CHARS)
    units = text.str.len_chars() + astral
    keep = (pl.lit(limit - len(note)) - astral).clip(lower_bound=0)
    return (
        pl.when(units > limit)
        .then(pl.concat_str([text.str.slice(0, keep), pl.lit(note)]))
        .otherwise(text)
    )


def clean_frame(frame: pl.DataFrame, *, note: str = TRUNCATION_NOTE) -> pl.DataFrame:
    """`clean_text` on every string column of the frame."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text_columns:
        return frame
    return frame.with_columns(clean_text(pl.col(c), note=note).alias(c) for c in text_columns)


def safe_sheet_title(title: str) -> str:
    """A sheet title Excel accepts: no []:*?/\\ and at most 31 characters."""
    cleaned = title.translate(_INVALID_TITLE_CHARS).strip().strip("'") or "Sheet"
    return cleaned[:SHEET_TITLE_LIMIT]


def cell(ws: Any, value: Any, *, number_format: str | None = None, font: Font | None = None,
         alignment: Alignment | None = None) -> Any:
    """A styled cell for `ws.append`; text starting with "=" stays text, not a formula."""
    c = WriteOnlyCell(ws, value)
    if isinstance(value, str) and c.data_type != "s":
        c.data_type = "s"  # openpyxl reads "=..." as a formula and "#N/A" as an error
    if isinstance(value, (date, datetime)):
        c.number_format = number_format or DATE_FORMAT
    elif number_format:
        c.number_format = number_format
    if font is not None:
        c.font = font
    if alignment is not None:
        c.alignment = alignment
    return c


def header_cell(ws: Any, text: str) -> Any:
    c = cell(ws, text, font=HEADER_FONT, alignment=HEADER_ALIGNMENT)
    c.fill = HEADER_FILL
    return c


def column_widths(frame: pl.DataFrame, headers: Sequence[str], wrap: Iterable[str] = ()) -> list[float]:
    """Widths from the longest header or value, capped so no column swamps the screen."""
    wrap = set(wrap)
    lengths = (
        frame.select(pl.col(c).cast(pl.String).str.len_chars().max() for c in frame.columns).row(0)
        if frame.height
        else [0] * frame.width
    )
    widths = []
    for name, header, longest in zip(frame.columns, headers, lengths):
        if name in wrap:
            widths.append(WRAP_WIDTH)
        elif frame.schema[name] in (pl.Date, pl.Datetime):
            widths.append(max(DATE_WIDTH, len(header) + 2))
        else:
            widths.append(min(MAX_WIDTH, max(MIN_WIDTH, len(header) + 2, (longest or 0) + 2)))
    return widths


def set_column_widths(ws: Any, widths: Sequence[float], first_column: int = 1) -> None:
    """Must run before the first row of a write-only sheet is appended."""
    for offset, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(first_column + offset)].width = width


def append_preamble(ws: Any, lines: Sequence[str], *, font: Font = WARNING_FONT) -> int:
    """Lines above a table (warnings, notes), then a blank row; returns rows used."""
    for line in lines:
        ws.append([cell(ws, line, font=font)])
    if lines:
        ws.append([])
        return len(lines) + 1
    return 0


def append_table(
    ws: Any,
    frame: pl.DataFrame,
    *,
    headers: Mapping[str, str] | None = None,
    wrap: Iterable[str] = (),
    preamble: Sequence[str] = (),
    freeze_first_column: bool = False,
    widths: Sequence[float] | None = None,
) -> str:
    """Write `frame` as a table at the top of an empty sheet; returns its range ("A3:H40").

    The header row is frozen and filtered. Date columns get DATE_FORMAT, columns named in
    `wrap` wrap their text, and when any column wraps every cell is top-aligned so a row
    reads across. `headers` maps column names to the labels shown.
    """
    frame = clean_frame(frame)
    wrap = set(wrap)
    labels = [(headers or {}).get(c, c) for c in frame.columns]
    set_column_widths(ws, widths or column_widths(frame, labels, wrap))
    header_row = len(preamble) + (1 if preamble else 0) + 1
    ws.freeze_panes = f"{'B' if freeze_first_column else 'A'}{header_row + 1}"
    append_preamble(ws, preamble)
    ws.append([header_cell(ws, label) for label in labels])

    styles = []
    for name in frame.columns:
        fmt = DATE_FORMAT if frame.schema[name] in (pl.Date, pl.Datetime) else None
        align = WRAP_ALIGNMENT if name in wrap else (TOP_ALIGNMENT if wrap else None)
        styles.append(cell(ws, None, number_format=fmt, alignment=align)._style if fmt or align else None)
    for row in frame.iter_rows():
        ws.append([_table_value(ws, value, style) for value, style in zip(row, styles)])

    last_column = get_column_letter(max(frame.width, 1))
    ref = f"A{header_row}:{last_column}{header_row + frame.height}"
    ws.auto_filter.ref = ref
    return ref


def _table_value(ws: Any, value: Any, style: StyleArray | None) -> Any:
    """The value itself where openpyxl stores it as is; else a cell copying the column's style.

    Copying a prepared style array is several times faster than setting styles per cell,
    which matters on sheets of hundreds of thousands of rows.
    """
    if value is None:
        return None
    special = isinstance(value, str) and value[:1] in ("=", "#")  # formula or error code to openpyxl
    if style is None and not special:
        return value
    c = Cell(ws, row=1, column=1, value=value, style_array=StyleArray(style) if style is not None else None)
    if special:
        c.data_type = "s"
    return c


def save_workbook(wb: Workbook, path: Path, when: datetime) -> Path:
    """Save with fixed document times and zip entry times, so the same workbook gives the same bytes.

    openpyxl's own save stamps "modified" with the clock and zip entries with the file
    times; both are replaced by `when`.
    """
    wb.properties.created = when
    wb.properties.modified = when
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return path
