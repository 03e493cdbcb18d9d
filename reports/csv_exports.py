"""The CSV exports of data-contract section 3.

Rows are sorted on their keys so that the same inputs give byte-identical files.
Only the contract's columns (and nothing personal beyond them) leave the warehouse.
Text that Excel would run as a formula is neutralised as OWASP recommends (`neutralise`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from cohort.core.warehouse import query

from cohort.core.reference import PROGRAMME_CRITERIA
from cohort.programme.results import read_results

RESULTS_COLUMNS = ("family_id", "result", "achieved_on", "payment_gbp", "already_claimed")
REJECTED_COLUMNS = ("file", "row", "column", "value", "reason")


# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets (OWASP,
# "CSV Injection"): =1+2, +1, -1, @SUM(A1), and a tab or carriage return before one.
FORMULA_START = r"^[=+\-@\t\r]"


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix every text cell that starts like a formula with a single quote, so a
    spreadsheet shows it as text instead of running it. Numbers are left as they are."""
    text = [c for c, t in frame.schema.items() if t == pl.Utf8]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(FORMULA_START)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text
    )


def _write(frame: pl.DataFrame, path: Path, float_precision: int = 4) -> Path:
    """Every CSV cohort writes goes through here: formulas neutralised, quoted as needed."""
    neutralise(frame).write_csv(path, date_format="%Y-%m-%d", float_precision=float_precision)
    return path


def person_links(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return query(con, """
        select l.source, l.record_id, l.person_id, m.family_id, l.match_confidence
        from person_links as l
        left join household_members as m on m.person_id = l.person_id
        order by l.source, l.record_id
        """)


def families(con: duckdb.DuckDBPyConnection, programme: str) -> pl.DataFrame:
    cols = ["family_id", "district", "members", *PROGRAMME_CRITERIA[programme], "criteria_met", "status"]
    frame = query(con, "select * from families order by family_id")
    return frame.select(cols).with_columns(
        [pl.col(c).cast(pl.Int8) for c in PROGRAMME_CRITERIA[programme]]
    )


def results(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The window's results after the claims ledger (the `results` mart; header only when
    no results stage has run, or in a phase2 run)."""
    frame = read_results(con)
    return frame.select(RESULTS_COLUMNS).with_columns(
        pl.col("family_id", "result").cast(pl.Utf8),
        pl.col("achieved_on").cast(pl.Date),
        pl.col("payment_gbp").cast(pl.Float64),
        pl.col("already_claimed").cast(pl.Int8),
    ).sort("family_id", "result")


def rejected(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return (
        query(con, "select * from rejected_rows")
        .select(REJECTED_COLUMNS)
        .sort("file", "row", "column", "reason", "value", nulls_last=True)
    )


def write_csv_exports(con: duckdb.DuckDBPyConnection, folder: Path, programme: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _write(person_links(con), folder / "person_links.csv"),
        _write(families(con, programme), folder / "families.csv"),
        _write(results(con), folder / "results.csv", float_precision=2),  # pounds and pence
        _write(rejected(con), folder / "rejected_rows.csv"),
    ]
