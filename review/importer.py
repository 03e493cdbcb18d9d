"""Taking a filled-in match_review.xlsx back: checked against the warehouse it came from,
then stored in one transaction as the warehouse's one writer.

Every problem found is reported together and nothing is applied. A person answer is
stored once, with both groups of records it binds (`cohort.review.decisions`), the run's
state when it was asked, the model's chance that the state was wrong and the question's
category, so that later runs can tell how often each kind of question overturns the run.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import polars as pl

from cohort.core.commit import update_warehouse
from cohort.review.decisions import (
    DECISION_KEYS, ensure_decisions_table, keys_digest, stored_decisions, warehouse_identity,
)
from cohort.review.workbook import (
    DECISIONS, KEY_COLUMNS, KEY_SHEET_COLUMNS, REVIEW_COLUMNS, NotAReviewWorkbook, read_match_review,
)

log = logging.getLogger(__name__)

MAX_ERRORS_SHOWN = 20
SAME = ["decision", "reviewer", "note", "fingerprint_l", "fingerprint_r", "group_l", "group_r"]


class ReviewError(Exception):
    """A workbook that cannot be imported; the message says why, and nothing was applied."""


def import_decisions(path: Path, db: Path, *, reviewer: str | None = None,
                     now: datetime | None = None) -> dict[str, int]:
    """Validate a filled-in workbook against the warehouse and store its decisions in one
    transaction. Any problem raises ReviewError listing every problem found; then nothing
    is stored."""
    path, db = Path(path), Path(db)
    if not path.is_file():
        raise ReviewError(f"the workbook {path} does not exist")
    if not db.exists():
        raise ReviewError(f"the warehouse {db} does not exist")
    try:
        book = read_match_review(path)
    except NotAReviewWorkbook as exc:
        raise ReviewError(str(exc)) from exc
    # As the warehouse's one writer: refused while a run holds it, applied whole or not at all.
    with update_warehouse(db, "cohort review import") as con:
        ident = warehouse_identity(con, create=False)
        if ident is None:
            raise ReviewError(f"the warehouse {db.name} has no id yet: it has never completed a run")
        if book.meta.get("warehouse_id") != ident.warehouse_id:
            raise ReviewError(
                f"{path.name} was made from a different warehouse (id {book.meta.get('warehouse_id')}), "
                f"not from {db.name} (id {ident.warehouse_id})")
        if keys_digest(ident.secret, book.meta, book.keys) != book.meta.get("digest"):
            raise ReviewError(f"{path.name}: the hidden Keys sheet has been changed; export the workbook again")
        decided = _validated(book, path.name, reviewer)
        stamp = now or datetime.now().replace(microsecond=0)
        rows = decided.with_columns(pl.lit(stamp).alias("decided_at"), pl.lit(book.meta["run_id"]).alias("run_id"))
        ensure_decisions_table(con)
        latest = (stored_decisions(con).sort("seq", descending=True).unique(DECISION_KEYS, keep="first")
                  .select(*DECISION_KEYS, *SAME))
        fresh = rows.join(latest, on=[*DECISION_KEYS, *SAME], how="anti", nulls_equal=True)
        con.execute("begin transaction")
        try:
            con.register("_decisions", fresh)
            con.execute("insert into review_decisions by name select * from _decisions")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        finally:
            con.unregister("_decisions")
    counts = {d: int(fresh.filter(pl.col("decision") == d).height) for d in DECISIONS}
    counts["unchanged"] = rows.height - fresh.height
    counts["rows_without_decision"] = book.keys.height - rows.height
    log.info("review import: %s", counts)
    return counts


def _validated(book, name: str, reviewer: str | None) -> pl.DataFrame:
    """The rows with a decision, as review_decisions rows; every problem raises together."""
    problems: list[str] = []
    if book.missing_columns:
        raise ReviewError(f"{name}: the question sheets have lost column(s) {', '.join(book.missing_columns)}")
    rows = book.rows
    keys = book.keys.rename({c: f"k_{c}" for c in KEY_SHEET_COLUMNS if c != "review_id"})
    dupes = rows.filter(pl.col("review_id").is_not_null() & pl.col("review_id").is_duplicated())
    for rid in sorted(set(dupes["review_id"].to_list())):
        problems.append(f"Review ID {rid} appears more than once")
    joined = rows.join(keys, on="review_id", how="left")
    for r in joined.iter_rows(named=True):
        where = f"{r['sheet']} row {r['row']}"
        if r["review_id"] is None:
            problems.append(f"{where}: has no Review ID")
            continue
        if r["k_kind"] is None:
            problems.append(f"{where}: Review ID {r['review_id']} is not one this workbook issued")
            continue
        for col in KEY_COLUMNS[1:]:
            if r.get(col) != r[f"k_{col}"]:
                problems.append(f"{where}: column '{REVIEW_COLUMNS[col]}' was changed "
                                f"(it was '{r[f'k_{col}']}', now '{r.get(col)}')")
        decision = (r.get("decision") or "").strip().lower()
        if decision and decision not in DECISIONS:
            problems.append(f"{where}: decision '{r['decision']}' is not one of {', '.join(DECISIONS)}")
        if decision and not (r.get("reviewer") or reviewer):
            problems.append(f"{where}: a decision needs the reviewer's name (column Reviewer, or --reviewer)")
    if problems:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise ReviewError(f"{name} was not imported; nothing was applied:\n  " + "\n  ".join(shown) + more)
    for c in ("decision", "reviewer", "note"):
        if c not in joined.columns:
            joined = joined.with_columns(pl.lit(None, pl.Utf8).alias(c))
    decided = joined.with_columns(pl.col("decision").str.strip_chars().str.to_lowercase()).filter(
        pl.col("decision").is_not_null() & (pl.col("decision") != ""))
    return decided.select(
        pl.col("k_kind").alias("kind"),
        pl.col("k_source_a").alias("source_l"), pl.col("k_record_id_a").alias("record_id_l"),
        pl.col("k_source_b").alias("source_r"), pl.col("k_record_id_b").alias("record_id_r"),
        "decision",
        pl.coalesce(pl.col("reviewer"), pl.lit(reviewer, pl.Utf8)).alias("reviewer"),
        "note",
        pl.col("k_fingerprint_a").alias("fingerprint_l"), pl.col("k_fingerprint_b").alias("fingerprint_r"),
        "review_id",
        pl.col("k_group_a").alias("group_l"), pl.col("k_group_b").alias("group_r"),
        pl.col("k_state").alias("state"), pl.col("k_chance").cast(pl.Float64).alias("chance"),
        pl.col("k_category").alias("category"),
    )
