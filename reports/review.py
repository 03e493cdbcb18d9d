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
bytes. Written with xlsxwriter (docs/decisions.md, decision 80); read back with openpyxl
(`cohort.review.workbook`).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from cohort.core.integrity import snapshot
from cohort.core.programmes import programme as get_programme
from cohort.core.ruleset import Matching, RuleSet, load_ruleset, ruleset_from_json
from cohort.core.warehouse import fetch_one, table_exists
from cohort.reports.xlsx_book import PERCENT_FORMAT, Column, line_counts, new_workbook
from cohort.reports.xlsx_style import clean_frame
from cohort.review import estimate as error_estimate
from cohort.review.decisions import FAMILIES, HOUSEHOLD, PERSON, keys_digest, warehouse_identity
from cohort.review.evidence import Evidence, pair_evidence
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
AGREEMENT_FILLS = {"agree": "#C6EFCE", "partial": "#FFEB9C", "differ": "#FFC7CE"}
INPUT_FILL = "#FFF2CC"
WRAP = {"valign": "top", "text_wrap": True}
HEADER_FORMAT = {**WRAP, "bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "pattern": 1}
TITLE_FORMAT = {"bold": True, "font_size": 14}
LABEL_FORMAT = {"bold": True}
DIFFERENCE_FONT = {"bold": True, "font_color": "#9C0006"}
# Sheet protection, True where the reviewer may still do it (Excel's defaults otherwise).
# Question sheets: filter, sort and resize; Keys: nothing.
QUESTION_SHEET_ALLOWS = {"objects": True, "scenarios": True, "autofilter": True, "sort": True,
                         "format_columns": True, "format_rows": True}
KEYS_SHEET_ALLOWS = {"objects": True, "scenarios": True}
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
                    programme: str, evidence: Evidence | None = None) -> pl.DataFrame:
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
    path = Path(path)
    wb = new_workbook(path, title=f"Match review at {as_of.isoformat()}", when=as_of)
    more = max(rows.height - budget, 0)
    _instructions_sheet(wb, as_of, meta, rows.height, matching, budget, more, estimate)
    styles = _styles(wb)
    review = _review_sheet(wb, SHEET_REVIEW, rows.head(budget), styles)
    _review_sheet(wb, SHEET_MORE, rows.slice(budget), styles)
    _keys_sheet(wb, keys, meta)
    if rows.height:
        review.activate()
    wb.close()
    return path


def _instructions_sheet(wb, as_of: date, meta: dict[str, str], n: int, matching: Matching, budget: int,
                        more: int, estimate: list[str]) -> None:
    ws = wb.add_worksheet(SHEET_INSTRUCTIONS)
    ws.set_column(0, 0, 120)
    title, label, wrap = wb.add_format(TITLE_FORMAT), wb.add_format(LABEL_FORMAT), wb.add_format(WRAP)
    lines: list[tuple[str | None, Any]] = [
        ("Match review: questions for a data officer to decide", title),
        (f"As-of date {as_of.isoformat()}; run {meta['run_id']}; {n} question(s): "
         f"{min(n, budget)} on Review, {more} on '{SHEET_MORE}'.", None),
        (None, None),
    ]
    if estimate:
        lines += [("What is probably still wrong", label), *((line, wrap) for line in estimate), (None, None)]
    lines += [("How to answer", label), *((line, wrap) for line in instructions(matching, budget, more))]
    if n == 0:
        lines += [(None, None), ("Nothing to review this month.", label)]
    for row, (text, style) in enumerate(lines):
        if text is None:
            continue
        ws.write_string(row, 0, text, style)
        if style is wrap:
            ws.set_row(row, LINE_HEIGHT * math.ceil(len(text) / 110))


def _lines(value: Any, width: float) -> int:
    """Lines a wrapped cell needs at this column width (about 1.1 characters a width unit)."""
    if value is None:
        return 1
    text = str(value)
    per_line = max(int(width * 1.1), 1)
    return sum(max(math.ceil(len(part) / per_line), 1) for part in text.split("\n"))


def _review_sheet(wb, name: str, rows: pl.DataFrame, styles: dict[tuple[str, str | None], Any]):
    """A question sheet: one styled cell for every column of every row (blank ones too, so
    Decision, Reviewer and Note stay unlocked and shaded where they are empty)."""
    ws = wb.add_worksheet(name)
    names = list(REVIEW_COLUMNS)
    frame = rows.with_columns(*[pl.lit(None, pl.Utf8).alias(c) for c in names if c not in rows.columns])
    frame = clean_frame(frame.select(*names, *[c for c in frame.columns if c.startswith("agree_")]))
    header = wb.add_format(HEADER_FORMAT)
    for i, n in enumerate(names):
        ws.set_column(i, i, WIDTHS.get(n, 12))
        ws.write_string(0, i, REVIEW_COLUMNS[n], header)
    ws.set_row(0, LINE_HEIGHT * max(_lines(REVIEW_COLUMNS[n], WIDTHS.get(n, 12)) for n in names))
    columns = [Column(n, REVIEW_COLUMNS[n], WIDTHS.get(n, 12), "wrap" if n in WRAPPED else "text") for n in names]
    lines = line_counts(frame, columns)
    # Per column: its style for each agreement value, falling back to the column's own.
    by_agreement = [{a: styles[(n, a)] for (m, a) in styles if m == n} for n in names]
    agreement = [AGREEMENT_OF.get(n) for n in names]
    agree_rows = frame.select(
        (pl.col(a) if a in frame.columns else pl.lit(None, pl.Utf8)).alias(f"_{i}") for i, a in enumerate(agreement)
    ).iter_rows()
    for r, (values, agrees) in enumerate(zip(frame.select(names).iter_rows(), agree_rows), start=1):
        ws.set_row(r, LINE_HEIGHT * lines[r - 1])
        for c, (value, agree) in enumerate(zip(values, agrees)):
            style = by_agreement[c].get(agree) or by_agreement[c][None]
            if value is None or value == "":
                ws.write_blank(r, c, None, style)
            elif isinstance(value, str):
                ws.write_string(r, c, value, style)  # never a formula, number or link
            else:
                ws.write(r, c, value, style)
    last_row = max(frame.height, 1)
    decision = names.index("decision")
    ws.data_validation(1, decision, last_row, decision, {
        "validate": "list", "source": list(DECISIONS), "ignore_blank": True, "show_input": False,
        "show_error": True, "error_title": "Decision",
        "error_message": "Choose match, not a match or unsure (or leave blank).",
    })
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, frame.height, len(names) - 1)
    ws.protect("", QUESTION_SHEET_ALLOWS)
    return ws


def _styles(wb) -> dict[tuple[str, str | None], Any]:
    """One cell format per (column, agreement), made once for the workbook."""
    out = {}
    for name in REVIEW_COLUMNS:
        for agree in (None, *AGREEMENT_FILLS):
            if agree is not None and name not in AGREEMENT_OF:
                continue
            props: dict[str, Any] = dict(WRAP)
            if name == "chance":
                props["num_format"] = PERCENT_FORMAT
            if name == "differences":
                props |= DIFFERENCE_FONT
            if name in INPUT_COLUMNS:
                props |= {"locked": False, "bg_color": INPUT_FILL, "pattern": 1}
            elif agree is not None:
                props |= {"bg_color": AGREEMENT_FILLS[agree], "pattern": 1}
            out[(name, agree)] = wb.add_format(props)
    return out


def _keys_sheet(wb, keys: pl.DataFrame, meta: dict[str, str]) -> None:
    """Hidden and protected: the meta rows, a blank row, then the key table, text as text."""
    ws = wb.add_worksheet(SHEET_KEYS)
    table = [[field, meta[field]] for field in META_FIELDS]
    table += [[], list(KEY_SHEET_COLUMNS), *keys.select(KEY_SHEET_COLUMNS).iter_rows()]
    for r, values in enumerate(table):
        for c, value in enumerate(values):
            if isinstance(value, str) and value:
                ws.write_string(r, c, value)
            elif value is not None and value != "":
                ws.write(r, c, value)
    ws.hide()
    ws.protect("", KEYS_SHEET_ALLOWS)


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
