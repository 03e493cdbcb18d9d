"""`match_review.xlsx`: the questions a data officer decides in Excel, and the run's
estimate of what is still wrong.

Sheets (layout in `cohort.review.workbook`): Instructions (first: how to answer, this
month's budget, and the estimate); Review (the budget's questions, most useful first);
"If you have more time" (the rest); Keys (hidden).

A row is one question in words ("Are these the same person?"), with the two sides'
names and dates of birth and the Decision cell first, so they fit one 1,366 px screen
together; the fields that agree are shaded green, partly agree amber, differ red, and
the key differences are spelt out. Row heights fit the wrapped text. Need to know: a row
shows names, dates of birth, address and postcode, the agencies and record ids, and
whether identifiers agree, never their values. The sheets are protected without a
password against accidental edits; only Decision, Reviewer and Note are unlocked.

Floats are rounded before they are written, so the same month run again writes the same
bytes.
"""

from __future__ import annotations

import json
import math
from copy import copy
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from cohort.core.integrity import snapshot
from cohort.core.programmes import programme as get_programme
from cohort.core.ruleset import Matching, RuleSet, load_ruleset, ruleset_from_json
from cohort.core.warehouse import fetch_one, table_exists
from cohort.reports.xlsx_style import (
    HEADER_ALIGNMENT, HEADER_FILL, HEADER_FONT, LABEL_FONT, TITLE_FONT, WRAP_ALIGNMENT, clean_frame, save_workbook,
)
from cohort.review import estimate as error_estimate
from cohort.review.decisions import FAMILIES, HOUSEHOLD, PERSON, keys_digest, warehouse_identity
from cohort.review.evidence import pair_evidence
from cohort.review.impact import impact, rank
from cohort.review.importer import ReviewError
from cohort.review.questions import APART, LINKED, MIN_VALUE, all_questions
from cohort.review.workbook import (  # noqa: F401  (the layout, re-exported for readers of this module)
    DECISIONS, HOUSEHOLD_QUESTION, INPUT_COLUMNS, KEY_COLUMNS, KEY_SHEET_COLUMNS, META_FIELDS, PERSON_QUESTION,
    REVIEW_COLUMNS, SHEET_INSTRUCTIONS, SHEET_KEYS, SHEET_MORE, SHEET_REVIEW, read_match_review,
)

# Which agreement column colours which cells.
AGREEMENT_OF = {
    "name_a": "agree_name", "name_b": "agree_name",
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
DIFFERENCE_FONT = Font(bold=True, color="9C0006")
# Excel column widths (characters). The first nine add up to about 1,000 px.
WIDTHS = {
    "review_id": 9, "question": 14, "name_a": 22, "dob_a": 12, "name_b": 22, "dob_b": 12,
    "decision": 13, "reviewer": 12, "note": 20, "differences": 34, "matters": 36, "chance": 12, "now": 14,
    "reason": 50, "address_a": 34, "address_b": 34, "records_a": 24, "records_b": 24, "family_a": 14,
    "family_b": 14, "district": 16, "identifiers": 30, "earlier": 30,
}
WRAPPED = ("question", "name_a", "dob_a", "name_b", "dob_b", "note", "differences", "matters", "reason",
           "address_a", "address_b", "records_a", "records_b", "identifiers", "earlier")
LINE_HEIGHT = 15.0
NOW_WORDS = {LINKED: "linked: one person", APART: "kept apart", "in one family": "in one family"}


def instructions(matching: Matching, budget: int, more: int) -> list[str]:
    return [
        "Each row is one question the matching could not settle on its own, in words: are A and B the same "
        "person, does person A live in person B's family, or do family A and family B live together at one "
        "address? A person question shows every record of each "
        "person (names and dates of birth as each agency wrote them); your answer applies to all of them.",
        f"This month's budget is {budget} questions, on the Review sheet, the most useful first: the ones "
        "most likely to be wrong now and that would change most (a family joining or leaving a list, a "
        f"listed family's status or members, a claim). {more} more are on 'If you have more time'.",
        "Fields shaded green agree, amber partly agree, red differ; 'Key differences' spells them out. "
        "'Identifiers' says whether NINO, UPN or PNC id agree, without showing them. Where a rule such as "
        "'twins' kept two records apart, no probability is shown: the evidence on both sides is.",
        "In the Decision column choose: match (same person / same family), not a match, or unsure. "
        "Put your name in Reviewer; add a Note if it helps the next person. Leave Decision blank to skip.",
        "Do not change any other cell, add or delete columns, or copy rows into another workbook: "
        "the import checks the hidden keys and refuses an edited workbook, applying nothing.",
        "When done, save the file and give it to the data officer, who imports it with: "
        "cohort review import match_review.xlsx --db WAREHOUSE",
        "Decisions apply to every later run, and teach the matching model. A decided pair is not asked "
        "again unless one of its records changes in a later extract; it then comes back with the earlier "
        "decision shown. 'unsure' is kept with your note but decides nothing.",
    ]


def ruleset_of_run(settings: str | None) -> tuple[RuleSet, str]:
    """The rule set and programme a run used, from its settings.json."""
    data = json.loads(settings or "{}")
    try:
        rules = ruleset_from_json(data.get("ruleset", {}))
    except Exception:  # an older run's settings: the shipped rules with its matching section
        rules = replace(load_ruleset(), matching=Matching(**data.get("ruleset", {}).get("matching", {})))
    return rules, data.get("programme", "phase1")


def build_questions(con: duckdb.DuckDBPyConnection, *, as_of: date, ruleset: RuleSet,
                    programme: str, evidence: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every question of the run, ranked, with what the workbook shows and the keys."""
    questions = all_questions(con, as_of, ruleset.matching, evidence)
    questions = questions.sort("kind", "source_a", "record_id_a", "source_b", "record_id_b").with_row_index(
        "q").with_columns(pl.col("q").cast(pl.Int64))
    p = get_programme(programme)
    params = {**ruleset.sql_params(as_of), "automatic_min": p.automatic_min, "candidate_min": p.candidate_min}
    if questions.height:
        effects = impact(con, questions, programme, params)
    else:
        effects = pl.DataFrame(schema={"q": pl.Int64, "family_a": pl.Utf8, "family_b": pl.Utf8,
                                       "district": pl.Utf8, "weight": pl.Int64, "matters": pl.Utf8})
    ranked = rank(questions.join(effects.drop("person_a", "person_b", strict=False), on="q", how="left"))
    # Two families are asked about only where a listed family would change (decision 74).
    ranked = ranked.filter((pl.col("value") >= MIN_VALUE) & ((pl.col("kind") != FAMILIES) | (pl.col("weight") > 0)))
    return ranked.with_columns(
        pl.format("R{}", (pl.int_range(pl.len()) + 1).cast(pl.Utf8).str.zfill(5)).alias("review_id"),
        pl.col("state").replace_strict(NOW_WORDS, default=None).alias("now"),
        pl.col("chance_shown").round(6).alias("chance"),
        pl.col("chance").round(6).alias("key_chance"),
    )


def write_review(con: duckdb.DuckDBPyConnection, path: Path, *, as_of: date, run_id: str, ruleset: RuleSet,
                 programme: str, store: bool = True) -> dict[str, Any]:
    """Build this run's questions and estimate and write match_review.xlsx (always, even
    with none); `store`: keep the estimate in the warehouse (a run does; an export reads)."""
    ident = warehouse_identity(con, create=store)
    evidence = pair_evidence(con)  # read once: the questions and the estimate weigh the same pairs
    questions = build_questions(con, as_of=as_of, ruleset=ruleset, programme=programme, evidence=evidence)
    estimate = error_estimate.estimate(con, ruleset.matching, store=store, evidence=evidence)
    del evidence
    keys = questions.select(
        "review_id", "kind", "source_a", "record_id_a", "source_b", "record_id_b", "fingerprint_a",
        "fingerprint_b", "group_a", "group_b", "state",
        pl.col("key_chance").map_elements(lambda v: repr(v), return_dtype=pl.Utf8).alias("chance"), "category",
    )
    meta = {"warehouse_id": ident.warehouse_id, "run_id": run_id, "as_of": as_of.isoformat()}
    meta["digest"] = keys_digest(ident.secret, meta, keys)
    budget = ruleset.matching.review_budget
    write_match_review(path, questions, keys, meta=meta, as_of=as_of, matching=ruleset.matching, budget=budget,
                       estimate=error_estimate.sentences(estimate))
    by_kind = dict(questions.group_by("kind").len().iter_rows())
    return {
        "review_person_questions": by_kind.get(PERSON, 0),
        "review_household_questions": by_kind.get(HOUSEHOLD, 0) + by_kind.get(FAMILIES, 0),
        "review_family_pair_questions": by_kind.get(FAMILIES, 0),
        "review_budget": budget,
        "review_more_time": max(questions.height - budget, 0),
        "match_error_estimate": error_estimate.summary(estimate),
    }


def write_match_review(path: Path, rows: pl.DataFrame, keys: pl.DataFrame, *, meta: dict[str, str],
                       as_of: date, matching: Matching, budget: int | None = None,
                       estimate: list[str] = ()) -> Path:
    """Write the workbook. `rows` has REVIEW_COLUMNS' names (decision/reviewer/note may be
    absent) plus the agree_* columns, in order; the first `budget` go on the Review sheet."""
    budget = matching.review_budget if budget is None else budget
    wb = Workbook()
    wb.properties.title = f"Match review at {as_of.isoformat()}"
    wb.properties.creator = "cohort"
    wb.properties.lastModifiedBy = "cohort"
    ws_info = wb.active
    ws_info.title = SHEET_INSTRUCTIONS
    more = max(rows.height - budget, 0)
    _instructions_sheet(ws_info, as_of, meta, rows.height, matching, budget, more, estimate)
    _review_sheet(wb.create_sheet(SHEET_REVIEW), rows.head(budget))
    _review_sheet(wb.create_sheet(SHEET_MORE), rows.slice(budget))
    _keys_sheet(wb.create_sheet(SHEET_KEYS), keys, meta)
    wb.active = 1 if rows.height else 0
    return save_workbook(wb, path, datetime(as_of.year, as_of.month, as_of.day))


def _instructions_sheet(ws, as_of: date, meta: dict[str, str], n: int, matching: Matching, budget: int,
                        more: int, estimate: list[str]) -> None:
    ws.column_dimensions["A"].width = 120
    ws.append(["Match review: questions for a data officer to decide"])
    ws["A1"].font = TITLE_FONT
    ws.append([f"As-of date {as_of.isoformat()}; run {meta['run_id']}; {n} question(s): "
               f"{min(n, budget)} on Review, {more} on '{SHEET_MORE}'."])
    ws.append([])
    if estimate:
        ws.append(["What is probably still wrong"])
        ws.cell(ws.max_row, 1).font = LABEL_FONT
        for line in estimate:
            ws.append([line])
            ws.cell(ws.max_row, 1).alignment = WRAP_ALIGNMENT
            ws.row_dimensions[ws.max_row].height = LINE_HEIGHT * math.ceil(len(line) / 110)
        ws.append([])
    ws.append(["How to answer"])
    ws.cell(ws.max_row, 1).font = LABEL_FONT
    for line in instructions(matching, budget, more):
        ws.append([line])
        ws.cell(ws.max_row, 1).alignment = WRAP_ALIGNMENT
        ws.row_dimensions[ws.max_row].height = LINE_HEIGHT * math.ceil(len(line) / 110)
    if n == 0:
        ws.append([])
        ws.append(["Nothing to review this month."])
        ws.cell(ws.max_row, 1).font = LABEL_FONT


def _lines(value: Any, width: float) -> int:
    """Lines a wrapped cell needs at this column width (about 1.1 characters a width unit)."""
    if value is None:
        return 1
    text = str(value)
    per_line = max(int(width * 1.1), 1)
    return sum(max(math.ceil(len(part) / per_line), 1) for part in text.split("\n"))


def _review_sheet(ws, rows: pl.DataFrame) -> None:
    names = list(REVIEW_COLUMNS)
    frame = rows.with_columns(*[pl.lit(None, pl.Utf8).alias(c) for c in names if c not in rows.columns])
    frame = clean_frame(frame.select(*names, *[c for c in frame.columns if c.startswith("agree_")]))
    for i, name in enumerate(names, 1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, 12)
        c = ws.cell(1, i, REVIEW_COLUMNS[name])
        c.font, c.fill, c.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    ws.row_dimensions[1].height = LINE_HEIGHT * max(_lines(REVIEW_COLUMNS[n], WIDTHS.get(n, 12)) for n in names)
    styles = _styles(ws)
    agreement = [AGREEMENT_OF.get(n) for n in names]
    wrapped = [(i, WIDTHS.get(n, 12)) for i, n in enumerate(names) if n in WRAPPED]
    value_rows = frame.select(names).iter_rows()
    agree_rows = frame.select(
        (pl.col(a) if a in frame.columns else pl.lit(None, pl.Utf8)).alias(f"_{i}") for i, a in enumerate(agreement)
    ).iter_rows()
    for r, (values, agrees) in enumerate(zip(value_rows, agree_rows), start=2):
        for col, (name, value, agree) in enumerate(zip(names, values, agrees), start=1):
            c = ws.cell(r, col, value)
            if isinstance(value, str):
                c.data_type = "s"  # never a formula
            c._style = copy(styles[(name, agree)] if (name, agree) in styles else styles[(name, None)])
        ws.row_dimensions[r].height = LINE_HEIGHT * max(_lines(values[i], w) for i, w in wrapped)
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
            if name == "chance":
                proto.number_format = "0.0%"
            proto.alignment = WRAP_ALIGNMENT
            if name == "differences":
                proto.font = DIFFERENCE_FONT
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


def export_from_warehouse(db: Path, out: Path) -> dict[str, Any]:
    """Write match_review.xlsx from the warehouse's latest run (e.g. after an import, to
    see what is still open). It reads a snapshot, so it never waits for, nor blocks, a writer."""
    db = Path(db)
    if not db.exists():
        raise ReviewError(f"the warehouse {db} does not exist")
    with snapshot(db) as con:
        if not table_exists(con, "runs") or warehouse_identity(con, create=False) is None:
            raise ReviewError(f"the warehouse {db.name} has no completed run to review")
        run_id, as_of, settings = fetch_one(con.execute(
            "select run_id, as_of, settings from runs order by finished_at desc, run_id limit 1"))
        rules, programme = ruleset_of_run(settings)
        return write_review(con, Path(out), as_of=as_of, run_id=run_id, ruleset=rules, programme=programme,
                            store=False)
