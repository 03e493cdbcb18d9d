"""Finding an extract's file in a drop and reading it as text, exactly as supplied.

Everything is read as strings (polars `infer_schema=False`, openpyxl cell values turned
into the text a person would type) so that no value is coerced before the raw models
have had their say. Both readers return the same shape: the header cells as written,
lower-cased and trimmed, plus `row_number` (the spreadsheet row; header = row 1).
Completely blank rows are dropped, keeping the row numbers of the others true.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import polars as pl

from cohort.schemas.errors import InputError

SUFFIXES = (".csv", ".xlsx")
RESERVED = ("row_number",)


def find_files(input_dir: Path, names: list[str]) -> dict[str, list[Path]]:
    """The files offered for each extract name: matched case-insensitively, top level
    only, anything else in the folder ignored. More than one file for a name is the
    caller's error to report (which one is meant is unclear)."""
    if not input_dir.is_dir():
        raise InputError(f"the input folder {input_dir} does not exist or is not a folder")
    found: dict[str, list[Path]] = {}
    for path in sorted(input_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in SUFFIXES and path.stem.lower() in names:
            found.setdefault(path.stem.lower(), []).append(path)
    return found


def read_table(path: Path) -> pl.DataFrame:
    """The file as a frame of strings plus `row_number`; raises `InputError` if unreadable."""
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}: the file is empty (0 bytes, not even a header row)")
    if path.suffix.lower() == ".csv":
        header, body = _read_csv(path)
    else:
        header, body = _read_xlsx(path)
    return _named(path.name, header, body)


def _read_csv(path: Path) -> tuple[list[str | None], pl.DataFrame]:
    try:
        table = pl.read_csv(
            path, has_header=False, infer_schema=False, encoding="utf8", quote_char='"', raise_if_empty=True
        )
    except pl.exceptions.NoDataError:
        raise InputError(f"{path.name}: the file is empty (no header row)") from None
    except Exception as exc:  # polars reports bad bytes and ragged rows without a row
        raise InputError(_diagnose_csv(path, exc)) from None
    return list(table.row(0)), table.slice(1)


def _diagnose_csv(path: Path, exc: Exception) -> str:
    """A plain-language reason, with the line or row, for a CSV polars would not read."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as bad:
        line = data[: bad.start].count(b"\n") + 1
        return f"{path.name}: not UTF-8 text (first bad byte on line {line}); save it as 'CSV UTF-8'"
    rows = csv.reader(io.StringIO(text, newline=""))
    width = len(next(rows, []))
    for row_number, row in enumerate(rows, start=2):
        if len(row) > width:
            return f"{path.name} row {row_number}: {len(row)} fields but the header has {width}"
    return f"{path.name}: could not be read as CSV ({str(exc).splitlines()[0]})"


def _read_xlsx(path: Path) -> tuple[list[str | None], pl.DataFrame]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [tuple(_cell_text(v) for v in row) for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    except Exception as exc:
        raise InputError(f"{path.name}: could not be read as an Excel workbook ({type(exc).__name__})") from None
    if not rows:
        raise InputError(f"{path.name}: the first sheet is empty (no header row)")
    width = max(len(r) for r in rows)
    rows = [r + (None,) * (width - len(r)) for r in rows]
    body = pl.DataFrame(rows[1:], schema={f"c{i}": pl.String for i in range(width)}, orient="row")
    return list(rows[0]), body


def _cell_text(value) -> str | None:
    """What the cell shows, as text: dates as YYYY-MM-DD, 12.0 as 12."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _named(file: str, header: list[str | None], body: pl.DataFrame) -> pl.DataFrame:
    """Give the positional columns their normalised header names and number the rows.

    A column with a blank header keeps its data as `column_<n>` unless it is empty too
    (spreadsheets often carry formatted but empty columns)."""
    blank = [not (h or "").strip() for h in header]
    if all(blank):
        raise InputError(f"{file}: the first row is blank; it must be the header row")
    names = [f"column_{i + 1}" if b else h.strip().lower() for i, (h, b) in enumerate(zip(header, blank))]
    repeated = sorted({n for n in names if names.count(n) > 1})
    problems = [f"{file}: column '{n}' appears more than once" for n in repeated]
    problems += [f"{file}: a column is named '{n}', which the pipeline reserves; rename it"
                 for n in RESERVED if n in names]
    if problems:
        raise InputError(problems)
    frame = body.rename(dict(zip(body.columns, names)))
    frame = frame.drop([n for n, b in zip(names, blank) if b and frame.select(_is_blank(n).all()).item()])
    cells = frame.columns
    return (
        frame.with_row_index("row_number", offset=2)
        .with_columns(pl.col("row_number").cast(pl.Int64))
        .filter(~pl.all_horizontal(_is_blank(c) for c in cells))
    )


def _is_blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")
