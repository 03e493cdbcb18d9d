"""What match_review.xlsx holds, and reading a filled-in one back.

The layout is decided here, below the report that draws it (`cohort.reports.review`), so
that the import (`cohort.review.importer`) can read a workbook without importing upwards.

Sheets: Instructions (first: how to answer, and the estimate of what is still wrong);
Review (this month's budget of questions, most useful first); "If you have more time"
(the rest, same columns); Keys (hidden: the warehouse id, the run, and per question the
exact records it binds with their fingerprints, and a digest over all of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl

SHEET_INSTRUCTIONS, SHEET_REVIEW, SHEET_MORE, SHEET_KEYS = "Instructions", "Review", "If you have more time", "Keys"
QUESTION_SHEETS = (SHEET_REVIEW, SHEET_MORE)
DECISIONS = ("match", "not a match", "unsure")
PERSON_QUESTION = "Are these the same person?"
HOUSEHOLD_QUESTION = "Does A live in B's family?"
FAMILIES_QUESTION = "Do family A and family B live together at one address (one household)?"

# internal name -> header shown; the order of the question sheets. Names, dates of birth
# and the Decision cell come first, so that they fit one 1,366 px screen together.
REVIEW_COLUMNS: dict[str, str] = {
    "review_id": "Review ID",
    "question": "Question",
    "name_a": "A: name",
    "dob_a": "A: date of birth",
    "name_b": "B: name",
    "dob_b": "B: date of birth",
    "decision": "Decision",
    "reviewer": "Reviewer",
    "note": "Note",
    "differences": "Key differences",
    "matters": "What it would change",
    "chance": "Chance the current state is wrong",
    "now": "Now",
    "reason": "Evidence",
    "address_a": "A: address",
    "postcode_a": "A: postcode",
    "records_a": "A: records",
    "address_b": "B: address",
    "postcode_b": "B: postcode",
    "records_b": "B: records",
    "family_a": "Family (A)",
    "family_b": "Family (B)",
    "district": "District",
    "identifiers": "Identifiers",
    "earlier": "Earlier decision",
    "source_a": "A: agency",
    "record_id_a": "A: record",
    "source_b": "B: agency",
    "record_id_b": "B: record",
}
# Columns an import checks against the hidden keys: editing them voids the workbook.
KEY_COLUMNS = ("review_id", "source_a", "record_id_a", "source_b", "record_id_b")
INPUT_COLUMNS = ("decision", "reviewer", "note")
# group_a / group_b: every record the answer binds on each side, "source:record_id:fingerprint"
# joined by ";" (one record per distinct profile). state: the run's state when asked
# (linked / apart / in one family); chance: the model's probability that it was wrong;
# category: the guard that refused the pair, or 'household' (what reviewers' answers teach).
KEY_SHEET_COLUMNS = ("review_id", "kind", "source_a", "record_id_a", "source_b", "record_id_b",
                     "fingerprint_a", "fingerprint_b", "group_a", "group_b", "state", "chance", "category")
META_FIELDS = ("warehouse_id", "run_id", "as_of", "digest")


@dataclass(frozen=True)
class FilledWorkbook:
    """What an import reads back: the hidden meta and keys, and the question sheets' rows."""

    meta: dict[str, str]
    keys: pl.DataFrame     # KEY_SHEET_COLUMNS, as written
    rows: pl.DataFrame     # sheet, row (the sheet row number) + whichever REVIEW_COLUMNS were found, as text
    missing_columns: list[str]


class NotAReviewWorkbook(ValueError):
    pass


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def read_match_review(path: Path) -> FilledWorkbook:
    """Read a (filled-in) match_review.xlsx back as text; layout problems raise NotAReviewWorkbook."""
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a zip, not xlsx, unreadable
        raise NotAReviewWorkbook(f"{path.name} cannot be opened as an Excel workbook ({type(exc).__name__})")
    try:
        missing = [s for s in (SHEET_REVIEW, SHEET_KEYS) if s not in wb.sheetnames]
        if missing:
            raise NotAReviewWorkbook(f"{path.name} is not a match review workbook: no sheet {', '.join(missing)}")
        key_rows = [[_text(v) for v in row] for row in wb[SHEET_KEYS].iter_rows(values_only=True)]
        sheets = {s: [list(row) for row in wb[s].iter_rows(values_only=True)]
                  for s in QUESTION_SHEETS if s in wb.sheetnames}
    finally:
        wb.close()

    meta = {r[0]: (r[1] if len(r) > 1 else None) for r in key_rows[:len(META_FIELDS)] if r and r[0]}
    header_at = next((i for i, r in enumerate(key_rows) if r and r[0] == KEY_SHEET_COLUMNS[0]), None)
    if header_at is None or any(f not in meta for f in META_FIELDS):
        raise NotAReviewWorkbook(f"{path.name}: the hidden Keys sheet is missing or damaged")
    body = [(r + [None] * len(KEY_SHEET_COLUMNS))[:len(KEY_SHEET_COLUMNS)]
            for r in key_rows[header_at + 1:] if any(v is not None for v in r)]
    keys = pl.DataFrame(body, schema={c: pl.Utf8 for c in KEY_SHEET_COLUMNS}, orient="row")

    by_label = {label: name for name, label in REVIEW_COLUMNS.items()}
    records, missing_columns, found = [], [], set()
    for sheet, rows in sheets.items():
        header = [_text(v) for v in (rows[0] if rows else [])]
        positions = {by_label[h]: i for i, h in enumerate(header) if h in by_label}
        found |= set(positions)
        missing_columns += [f"{REVIEW_COLUMNS[c]} ({sheet})" for c in (*KEY_COLUMNS, *INPUT_COLUMNS)
                            if c not in positions and (sheet == SHEET_REVIEW or len(rows) > 1)]
        for number, row in enumerate(rows[1:], start=2):
            values = {name: _text(row[i]) if i < len(row) else None for name, i in positions.items()}
            if any(v is not None for v in values.values()):
                records.append({"sheet": sheet, "row": number, **values})
    schema = {"sheet": pl.Utf8, "row": pl.Int64, **{n: pl.Utf8 for n in REVIEW_COLUMNS if n in found}}
    frame = pl.DataFrame(records, schema=schema) if records else pl.DataFrame(schema=schema)
    return FilledWorkbook(meta=meta, keys=keys, rows=frame, missing_columns=missing_columns)
