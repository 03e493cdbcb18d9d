"""`match_review.xlsx`: the uncertain matches a data officer decides in Excel.

Sheets: Instructions; Review (one row per question, the two records side by side, the
fields that agree shaded green, the ones that differ red, partial agreement amber; a
Decision drop-down, Reviewer and Note); Keys (hidden: the warehouse id, the run and the
exact record keys and fingerprints of every row, with a digest, so that an import can
tell an edited or foreign workbook from a good one).

Need to know: a row shows names, date of birth, address and postcode of the two
records, their agencies and record ids, and whether identifiers agree, never their
values. The Review sheet is protected without a password against accidental edits;
only Decision, Reviewer and Note are unlocked.

This module only lays out and reads back the workbook; what goes in it and what an
import may accept is decided in `cohort.review.loop`.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from cohort.core.ruleset import Matching
from cohort.reports.xlsx_style import (
    DATE_FORMAT,
    HEADER_ALIGNMENT,
    HEADER_FILL,
    HEADER_FONT,
    LABEL_FONT,
    TITLE_FONT,
    WRAP_ALIGNMENT,
    clean_frame,
    save_workbook,
)

SHEET_INSTRUCTIONS, SHEET_REVIEW, SHEET_KEYS = "Instructions", "Review", "Keys"
DECISIONS = ("match", "not a match", "unsure")
PERSON_QUESTION = "Same person?"
HOUSEHOLD_QUESTION = "Same household?"

# internal name -> header shown; the order of the Review sheet.
REVIEW_COLUMNS: dict[str, str] = {
    "review_id": "Review ID",
    "question": "Question",
    "matters": "Why it matters",
    "probability": "Match probability",
    "now": "Now",
    "reason": "Reason",
    "family_a": "Family (A)",
    "family_b": "Family (B)",
    "district": "District",
    "source_a": "A: agency",
    "record_id_a": "A: record",
    "forename_a": "A: forename",
    "surname_a": "A: surname",
    "dob_a": "A: date of birth",
    "address_a": "A: address",
    "postcode_a": "A: postcode",
    "source_b": "B: agency",
    "record_id_b": "B: record",
    "forename_b": "B: forename",
    "surname_b": "B: surname",
    "dob_b": "B: date of birth",
    "address_b": "B: address",
    "postcode_b": "B: postcode",
    "identifiers": "Identifiers",
    "earlier": "Earlier decision",
    "decision": "Decision",
    "reviewer": "Reviewer",
    "note": "Note",
}
# Columns an import checks against the hidden keys: editing them voids the workbook.
KEY_COLUMNS = ("review_id", "source_a", "record_id_a", "source_b", "record_id_b")
INPUT_COLUMNS = ("decision", "reviewer", "note")
KEY_SHEET_COLUMNS = ("review_id", "kind", "source_a", "record_id_a", "source_b", "record_id_b",
                     "fingerprint_a", "fingerprint_b")
META_FIELDS = ("warehouse_id", "run_id", "as_of", "digest")
# Which agreement column colours which cells.
AGREEMENT_OF = {
    "forename_a": "agree_forename", "forename_b": "agree_forename",
    "surname_a": "agree_surname", "surname_b": "agree_surname",
    "dob_a": "agree_dob", "dob_b": "agree_dob",
    "address_a": "agree_address", "address_b": "agree_address",
    "postcode_a": "agree_postcode", "postcode_b": "agree_postcode",
}
AGREEMENT_FILLS = {
    "agree": PatternFill(fill_type="solid", start_color="C6EFCE", end_color="C6EFCE"),
    "partial": PatternFill(fill_type="solid", start_color="FFEB9C", end_color="FFEB9C"),
    "differ": PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE"),
}
INPUT_FILL = PatternFill(fill_type="solid", start_color="FFF2CC", end_color="FFF2CC")
WIDTHS = {
    "review_id": 10, "question": 16, "matters": 34, "probability": 11, "now": 16, "reason": 50,
    "family_a": 14, "family_b": 14, "district": 16, "identifiers": 30, "earlier": 30,
    "decision": 14, "reviewer": 16, "note": 30, "address_a": 36, "address_b": 36,
}
WRAPPED = ("matters", "reason", "identifiers", "earlier", "note", "address_a", "address_b")


def instructions(matching: Matching) -> list[str]:
    return [
        "Each row of the Review sheet is one question the matching could not settle on its own: "
        "are records A and B the same person, or does person A live in the household of person B?",
        f"Person questions are pairs whose match probability is at least {matching.review_reject:.2f} and "
        f"below {matching.review_accept:.2f}; pairs whose own evidence scores {matching.review_accept:.2f} or "
        "more but that were kept apart (by a rule such as 'twins', or a conflict with other records); and "
        "records linked only through other records although their own pair scores low. The Reason column "
        "says which.",
        "Household questions are members of a listed family joined to it on weak address evidence: no "
        "postcode, a postcode in another postcode district, or both postcode and address differing from "
        "the family's.",
        "Rows that may change a family's status come first. Fields shaded green agree, amber partly "
        "agree, red differ; unshaded means missing on one side. 'Identifiers' says whether NINO, UPN or "
        "PNC id agree, without showing them.",
        "In the Decision column choose: match (same person / same household), not a match, or unsure. "
        "Put your name in Reviewer; add a Note if it helps the next person. Leave Decision blank to skip.",
        "Do not change any other cell, add or delete columns, or copy rows into another workbook: "
        "the import checks the hidden keys and refuses an edited workbook, applying nothing.",
        "When done, save the file and give it to the data officer, who imports it with: "
        "cohort review import match_review.xlsx --db WAREHOUSE",
        "Decisions apply to every later run. A decided pair is not asked again unless one of its "
        "two records changes in a later extract; it then comes back with the earlier decision shown.",
        "'unsure' is kept with your note but decides nothing: the question is asked again next month.",
    ]


def write_match_review(path: Path, rows: pl.DataFrame, keys: pl.DataFrame, *, meta: dict[str, str],
                       as_of: date, matching: Matching) -> Path:
    """Write the workbook. `rows` has REVIEW_COLUMNS' names (decision/reviewer/note may be
    absent) plus the agree_* columns; `keys` has KEY_SHEET_COLUMNS; `meta` META_FIELDS."""
    wb = Workbook()
    wb.properties.title = f"Match review at {as_of.isoformat()}"
    wb.properties.creator = "cohort"
    wb.properties.lastModifiedBy = "cohort"
    ws_info = wb.active
    ws_info.title = SHEET_INSTRUCTIONS
    _instructions_sheet(ws_info, as_of, meta, rows.height, matching)
    _review_sheet(wb.create_sheet(SHEET_REVIEW), rows)
    _keys_sheet(wb.create_sheet(SHEET_KEYS), keys, meta)
    wb.active = 1 if rows.height else 0
    return save_workbook(wb, path, datetime(as_of.year, as_of.month, as_of.day))


def _instructions_sheet(ws, as_of: date, meta: dict[str, str], n: int, matching: Matching) -> None:
    ws.column_dimensions["A"].width = 120
    ws.append(["Match review: uncertain matches for a data officer to decide"])
    ws["A1"].font = TITLE_FONT
    ws.append([f"As-of date {as_of.isoformat()}; run {meta['run_id']}; {n} question(s)."])
    ws.append([])
    for line in instructions(matching):
        ws.append([line])
        ws.cell(ws.max_row, 1).alignment = WRAP_ALIGNMENT
    if n == 0:
        ws.append([])
        ws.append(["Nothing to review this month."])
        ws.cell(ws.max_row, 1).font = LABEL_FONT


def _review_sheet(ws, rows: pl.DataFrame) -> None:
    names = list(REVIEW_COLUMNS)
    frame = clean_frame(rows.with_columns(
        *[pl.lit(None, pl.Utf8).alias(c) for c in INPUT_COLUMNS if c not in rows.columns]
    ))
    for i, name in enumerate(names, 1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, 14)
        c = ws.cell(1, i, REVIEW_COLUMNS[name])
        c.font, c.fill, c.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    styles = _styles(ws)
    agreement = [AGREEMENT_OF.get(n) for n in names]
    value_cols = frame.select(names).iter_rows()
    agree_cols = frame.select(
        (pl.col(a) if a in frame.columns else pl.lit(None, pl.Utf8)).alias(f"_{i}") for i, a in enumerate(agreement)
    ).iter_rows()
    for r, (values, agrees) in enumerate(zip(value_cols, agree_cols), start=2):
        for col, (name, value, agree) in enumerate(zip(names, values, agrees), start=1):
            c = ws.cell(r, col, value)
            if isinstance(value, str):
                c.data_type = "s"  # never a formula
            c._style = copy(styles[(name, agree)] if (name, agree) in styles else styles[(name, None)])
    last_row = max(frame.height + 1, 2)
    decision_col = get_column_letter(names.index("decision") + 1)
    dv = DataValidation(type="list", formula1='"' + ",".join(DECISIONS) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle="Decision",
                        error="Choose match, not a match or unsure (or leave blank).")
    dv.add(f"{decision_col}2:{decision_col}{last_row}")
    ws.add_data_validation(dv)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{frame.height + 1}"
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _styles(ws) -> dict[tuple[str, str | None], Any]:
    """One prepared style per (column, agreement): copying a style array per cell is fast."""
    out = {}
    for name in REVIEW_COLUMNS:
        for agree in (None, *AGREEMENT_FILLS):
            if agree is not None and name not in AGREEMENT_OF:
                continue
            proto = Cell(ws, row=1, column=1)
            if name in ("dob_a", "dob_b"):
                proto.number_format = DATE_FORMAT
            elif name == "probability":
                proto.number_format = "0.000"
            if name in WRAPPED:
                proto.alignment = WRAP_ALIGNMENT
            if name in INPUT_COLUMNS:
                proto.protection = Protection(locked=False)
                proto.fill = INPUT_FILL
            elif agree is not None:
                proto.fill = AGREEMENT_FILLS[agree]
            out[(name, agree)] = proto._style
    return out


def _keys_sheet(ws, keys: pl.DataFrame, meta: dict[str, str]) -> None:
    for field in META_FIELDS:
        ws.append([field, meta[field]])
    ws.append([])
    ws.append(list(KEY_SHEET_COLUMNS))
    for row in keys.select(KEY_SHEET_COLUMNS).iter_rows():
        ws.append(list(row))
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str):
                c.data_type = "s"
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


@dataclass(frozen=True)
class FilledWorkbook:
    """What an import reads back: the hidden meta and keys, and the Review sheet's rows."""

    meta: dict[str, str]
    keys: pl.DataFrame     # KEY_SHEET_COLUMNS, as written
    rows: pl.DataFrame     # row (the sheet row number) + whichever REVIEW_COLUMNS were found, as text
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
        review_rows = [list(row) for row in wb[SHEET_REVIEW].iter_rows(values_only=True)]
    finally:
        wb.close()

    meta = {r[0]: (r[1] if len(r) > 1 else None) for r in key_rows[:len(META_FIELDS)] if r and r[0]}
    header_at = next((i for i, r in enumerate(key_rows) if r and r[0] == KEY_SHEET_COLUMNS[0]), None)
    if header_at is None or any(f not in meta for f in META_FIELDS):
        raise NotAReviewWorkbook(f"{path.name}: the hidden Keys sheet is missing or damaged")
    body = [(r + [None] * len(KEY_SHEET_COLUMNS))[:len(KEY_SHEET_COLUMNS)]
            for r in key_rows[header_at + 1:] if any(v is not None for v in r)]
    keys = pl.DataFrame(body, schema={c: pl.Utf8 for c in KEY_SHEET_COLUMNS}, orient="row")

    header = [_text(v) for v in (review_rows[0] if review_rows else [])]
    by_label = {label: name for name, label in REVIEW_COLUMNS.items()}
    positions = {by_label[h]: i for i, h in enumerate(header) if h in by_label}
    missing_columns = [REVIEW_COLUMNS[c] for c in (*KEY_COLUMNS, *INPUT_COLUMNS) if c not in positions]
    records = []
    for number, row in enumerate(review_rows[1:], start=2):
        values = {name: _text(row[i]) if i < len(row) else None for name, i in positions.items()}
        if any(v is not None for v in values.values()):
            records.append({"row": number, **values})
    rows = pl.DataFrame(records, schema={"row": pl.Int64, **{n: pl.Utf8 for n in positions}})
    return FilledWorkbook(meta=meta, keys=keys, rows=rows, missing_columns=missing_columns)
