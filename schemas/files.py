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
from cohort.schemas.reasons import Reason

SUFFIXES = (".csv", ".xlsx")
RESERVED = ("row_number",)
REJECTED_SCHEMA = {"file": pl.String, "row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}


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
    return read_extract(path)[0]


def read_extract(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The file as a frame of strings plus `row_number`, and its rows with more fields than
    the header (left out of the frame, as `rejected_rows`). Raises `InputError` when the
    file cannot be read at all; the message gives file, line and column, never content."""
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}: the file is empty (0 bytes, not even a header row)")
    ragged: dict[int, int] = {}
    if path.suffix.lower() == ".csv":
        header, body, ragged = _read_csv(path)
    else:
        header, body = _read_xlsx(path)
    frame = _named(path.name, header, body)
    rejected = pl.DataFrame(
        {"file": [path.name] * len(ragged), "row": list(ragged), "column": [None] * len(ragged),
         "value": [f"{n} fields; the header has {len(header)}" for n in ragged.values()],
         "reason": [Reason.TOO_MANY_FIELDS.value] * len(ragged)},
        schema=REJECTED_SCHEMA,
    )
    return frame.filter(~pl.col("row_number").is_in(list(ragged))), rejected


def _read_csv(path: Path) -> tuple[list[str | None], pl.DataFrame, dict[int, int]]:
    """Header, body and ragged rows (row number -> fields). polars reads a well-formed
    file; any other is read again by the csv module, row by row."""
    try:
        table = pl.read_csv(
            path, has_header=False, infer_schema=False, encoding="utf8", quote_char='"', raise_if_empty=True
        )
    except pl.exceptions.NoDataError:
        raise InputError(f"{path.name}: the file is empty (no header row)") from None
    except Exception:  # ragged rows, bad quoting, bad bytes: polars says so without a row
        return _read_csv_rows(path)
    return list(table.row(0)), table.slice(1), {}


def _read_csv_rows(path: Path) -> tuple[list[str | None], pl.DataFrame, dict[int, int]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as bad:
        line = data[: bad.start].count(b"\n") + 1
        column = bad.start - (data.rfind(b"\n", 0, bad.start) + 1) + 1
        raise InputError(f"{path.name} line {line}, character {column}: not UTF-8 text; "
                         "save it as 'CSV UTF-8' and run again") from None
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise InputError(f"{path.name} line {line}: a NUL character, so this is not a text CSV file; "
                         "export it again as CSV")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error:
        raise InputError(_quoting_problem(path.name, text)) from None
    if not rows:
        raise InputError(f"{path.name}: the file is empty (no header row)")
    header, width = rows[0], len(rows[0])
    ragged, body = {}, []
    for i, row in enumerate(rows[1:], start=2):
        if len(row) > width and any(v.strip() for v in row[width:]):
            ragged[i] = len(row)
        cells = [v if v != "" else None for v in row[:width]]
        body.append(cells + [None] * (width - len(cells)))
    frame = pl.DataFrame(body, schema={f"c{i}": pl.String for i in range(width)}, orient="row")
    return list(header), frame, ragged


def _quoting_problem(file: str, text: str) -> str:
    """Where a CSV's quoting goes wrong, as file, line and column (number and header name)."""
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    line, field, quoted, closed, start = 1, 1, False, False, (1, 1)
    at_start = True
    i = 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == '"' and text[i + 1:i + 2] == '"':
                i += 1
            elif c == '"':
                quoted, closed = False, True
            elif c == "\n":
                line += 1
        elif closed and c not in ',\r\n':
            return _where(file, line, field, header, "a quoted value has more text after its closing quote")
        else:
            closed = False
            if c == '"' and at_start:
                quoted, start = True, (line, field)
            elif c == ",":
                field += 1
            elif c == "\n":
                line, field = line + 1, 1
        at_start = c in ",\n" and not quoted
        i += 1
    if quoted:
        return _where(file, *start, header, "a quoted value is never closed (a stray \" character?)")
    return f"{file}: could not be read as CSV; export it again as CSV UTF-8"


def _where(file: str, line: int, field: int, header: list[str], problem: str) -> str:
    name = f" ({header[field - 1].strip()})" if 0 < field <= len(header) else ""
    return f"{file} line {line}, column {field}{name}: {problem}; correct the file or export it again"


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
