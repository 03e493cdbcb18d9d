"""Text-level checks for the raw models, and the parsers they vouch for.

Each check passes a value exactly when the matching parser turns it into a typed value,
because both are built from the same polars expression. So a row that passes its raw
model always converts cleanly, and a row that fails is quarantined instead of becoming a
silent null. Every check is a vectorised expression: nothing runs per row in Python.

Blank values (null after trimming) pass every check here; whether a blank is allowed
is the column's `nullable`, which pandera reports as `not_nullable`.
"""

from __future__ import annotations

from typing import Callable

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from cohort.schemas.reasons import Reason

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
UK_DATE = r"^\d{1,2}/\d{1,2}/\d{4}$"
WHOLE_NUMBER = r"^[+-]?\d{1,18}(\.0*)?$"
ACADEMIC_YEAR = r"^(\d{4})/(\d{2})$"


def parse_date(text: pl.Expr) -> pl.Expr:
    """`YYYY-MM-DD` or `DD/MM/YYYY` (one-digit day or month accepted) to a date; else null.

    Impossible dates such as 31/02/2013 come out null, so they fail `dates`.
    """
    return (
        pl.when(text.str.contains(ISO_DATE))
        .then(text.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
        .when(text.str.contains(UK_DATE))
        .then(text.str.strptime(pl.Date, "%d/%m/%Y", strict=False))
    )


def parse_whole_number(text: pl.Expr) -> pl.Expr:
    """`12`, `+12`, `-3` or `12.0` (as spreadsheets export counts) to Int64; else null."""
    return pl.when(text.str.contains(WHOLE_NUMBER)).then(
        text.str.replace(r"\.0*$", "").str.strip_prefix("+").cast(pl.Int64, strict=False)
    )


def canonical(text: pl.Expr, allowed: tuple[str, ...]) -> pl.Expr:
    """The contract's spelling of an enum value matched case-insensitively; else null."""
    return text.str.to_lowercase().replace_strict({v.lower(): v for v in allowed}, default=None)


def _column_check(reason: Reason, columns: tuple[str, ...], passes: Callable[[pl.Expr], pl.Expr], **statistics):
    """A pandera column check named after its reason, so failures map straight to `Reason`.

    The name is carried by the function's `__name__`, not `name=`: pandera 0.35 pops
    `name` from the check info the first time a model is built, so a subclass building
    the inherited check again would get the bare function name.
    """

    def check(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(passes(pl.col(data.key)))

    check.__name__ = reason.value
    return pa.check(*columns, statistics=statistics or None)(check)


def dates(*columns: str):
    return _column_check(Reason.UNPARSEABLE_DATE, columns, lambda c: c.is_null() | parse_date(c).is_not_null())


def whole_numbers(*columns: str):
    return _column_check(Reason.NOT_A_NUMBER, columns, lambda c: c.is_null() | parse_whole_number(c).is_not_null())


def not_negative(*columns: str):
    return _column_check(Reason.NEGATIVE_NUMBER, columns, lambda c: (parse_whole_number(c) >= 0).fill_null(True))


def one_of(column: str, allowed: tuple[str, ...]):
    """Enum membership, case-insensitive after trimming. `allowed` is kept as the check's
    statistics: it is also what `canonical` maps values to when the clean frame is built."""
    lowered = [v.lower() for v in allowed]
    return _column_check(
        Reason.UNKNOWN_VALUE, (column,), lambda c: c.is_null() | c.str.to_lowercase().is_in(lowered), allowed=allowed
    )


def unique_ids(column: str):
    """Every row sharing an id fails, not just the later ones: which of them is the real
    record is unknowable from the file, so none is trusted."""
    return _column_check(Reason.DUPLICATE_RECORD_ID, (column,), lambda c: c.is_null() | c.is_duplicated().not_())


def academic_years(column: str):
    """`2013/14`: four-digit first year, then the last two digits of the next year."""

    def passes(c: pl.Expr) -> pl.Expr:
        first = c.str.extract(ACADEMIC_YEAR, 1).cast(pl.Int64)
        second = c.str.extract(ACADEMIC_YEAR, 2).cast(pl.Int64)
        return c.is_null() | ((first + 1) % 100 == second).fill_null(False)

    return _column_check(Reason.BAD_ACADEMIC_YEAR, (column,), passes)


def enum_values(column: pa.Column) -> tuple[str, ...] | None:
    """The allowed values of a raw-model column declared with `one_of`, if any."""
    for check in column.checks:
        if check.name == Reason.UNKNOWN_VALUE.value:
            return tuple(check.statistics["allowed"])
    return None
