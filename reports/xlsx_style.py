"""Text made safe for Excel, for every workbook the project hands out (`xlsx_book`, and
`match_review.xlsx` in `review`): control characters Excel rejects are removed, text longer
than Excel's cell limit is cut with a visible note, and sheet titles keep to Excel's rules.

The workbooks themselves are written with xlsxwriter (docs/decisions.md, decisions 40 and 80).
"""

from __future__ import annotations

import polars as pl

CELL_TEXT_LIMIT = 32_767
SHEET_TITLE_LIMIT = 31
TRUNCATION_NOTE = " … [cut short: Excel cell limit reached]"

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
