"""Values that parse but cannot be true, checked once the run's as-of date is known.

A date before 1900, a date of birth or an event after the as-of date (an extract taken at
T cannot know of later ones), a spell or tenancy ending before it starts, an offence proven
before it was committed, and more sessions than any school year has. Each such row is
quarantined with its own `Reason`, like every other bad row. End dates may lie after T
(a planned end), and engagements may start after T (decision 11), so neither is checked
against it.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from cohort.schemas.checks import parse_date, parse_whole_number
from cohort.schemas.reasons import Reason
from cohort.schemas.registry import PERSON_LEVEL, Extract

EARLIEST = date(1900, 1, 1)
# A school year has 190 days of two sessions (380); a little over that allows for the odd
# longer year, and any term, or any one exclusion, beyond it cannot be right.
MOST_SESSIONS = 400

# Dates that say when something happened: between 1900 and the as-of date.
EVENT_DATES: dict[str, tuple[str, ...]] = {
    "police": ("event_date",),
    "youth_offending": ("offence_date", "outcome_date"),
    "school_exclusions": ("exclusion_date",),
    "dwp_benefits": ("spell_start",),
    "dwp_employment": ("event_date",),
    "housing": ("tenancy_start",),
    "housing_asb": ("intervention_date",),
    "social_care": ("start_date",),
    "health": ("recorded_date",),
}
# Other dates: from 1900 on, with no upper bound.
OTHER_DATES: dict[str, tuple[str, ...]] = {
    "dwp_benefits": ("spell_end",),
    "housing": ("tenancy_end",),
    "social_care": ("end_date",),
    "engagements": ("attached_on",),
}
# (start, end): the end may not come before the start. Reported on the end column.
SPANS: dict[str, tuple[str, str]] = {
    "dwp_benefits": ("spell_start", "spell_end"),
    "housing": ("tenancy_start", "tenancy_end"),
    "social_care": ("start_date", "end_date"),
    "youth_offending": ("offence_date", "outcome_date"),
}
SESSIONS: dict[str, tuple[str, ...]] = {
    "school_census": ("sessions_possible", "sessions_unauthorised"),
    "school_exclusions": ("sessions",),
}


def _check(reason: Reason, passes) -> pa.Check:
    """A column check named after its reason; `passes(column)` is a polars expression."""

    def check(data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(passes(pl.col(data.key)).fill_null(True))

    return pa.Check(check, name=reason.value)


def _not_before_1900(c: pl.Expr) -> pl.Expr:
    return parse_date(c) >= EARLIEST


@lru_cache(maxsize=64)
def bounds_schema(extract: Extract, as_of: date | None) -> pa.DataFrameSchema:
    """The extract's impossible-value checks for a run as of `as_of` (None: only those that
    do not depend on it)."""
    checks: dict[str, list[pa.Check]] = {}

    def add(column: str, check: pa.Check) -> None:
        checks.setdefault(column, []).append(check)

    name = extract.name
    if name in PERSON_LEVEL:
        add("dob", _check(Reason.DATE_BEFORE_1900, _not_before_1900))
        if as_of is not None:
            add("dob", _check(Reason.BORN_AFTER_AS_OF, lambda c: parse_date(c) <= as_of))
    for column in EVENT_DATES.get(name, ()):
        add(column, _check(Reason.DATE_BEFORE_1900, _not_before_1900))
        if as_of is not None:
            add(column, _check(Reason.DATE_AFTER_AS_OF, lambda c: parse_date(c) <= as_of))
    for column in OTHER_DATES.get(name, ()):
        add(column, _check(Reason.DATE_BEFORE_1900, _not_before_1900))
    if name in SPANS:
        start, end = SPANS[name]
        add(end, _check(Reason.ENDS_BEFORE_IT_STARTS, lambda c, s=start: parse_date(c) >= parse_date(pl.col(s))))
    for column in SESSIONS.get(name, ()):
        add(column, _check(Reason.SESSIONS_BEYOND_A_SCHOOL_YEAR,
                           lambda c: parse_whole_number(c) <= MOST_SESSIONS))
    columns = {c: pa.Column(pl.String, checks=cs, nullable=True, required=False) for c, cs in checks.items()}
    return pa.DataFrameSchema(columns, strict=False, name=f"{name}_bounds")
