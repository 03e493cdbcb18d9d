"""Schools / LA education: one row per pupil per school term."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from cohort.schemas.base import Person, PersonRaw, typed_model
from cohort.schemas.checks import academic_years, not_negative, one_of, parse_whole_number, whole_numbers

TERMS = ("autumn", "spring", "summer")
PROVISIONS = ("mainstream", "pru", "alternative_provision", "not_on_roll")


class SchoolCensusRaw(PersonRaw):
    upn: str = pa.Field(nullable=True)
    school_urn: str = pa.Field(nullable=True)
    academic_year: str
    term: str
    provision: str
    sessions_possible: str
    sessions_unauthorised: str

    check_academic_year = academic_years("academic_year")
    check_term = one_of("term", TERMS)
    check_provision = one_of("provision", PROVISIONS)
    check_sessions_numbers = whole_numbers("sessions_possible", "sessions_unauthorised")
    check_sessions_not_negative = not_negative("sessions_possible", "sessions_unauthorised")

    @pa.check("sessions_unauthorised")
    def more_unauthorised_than_possible(cls, data: PolarsData) -> pl.LazyFrame:
        """Reported on `sessions_unauthorised`; unparseable or negative counts are left to the
        number checks. The method name is the check's name, hence the `Reason` (see
        `checks._column_check`)."""
        unauthorised = parse_whole_number(pl.col("sessions_unauthorised"))
        possible = parse_whole_number(pl.col("sessions_possible"))
        comparable = (unauthorised >= 0) & (possible >= 0)
        return data.lazyframe.select((~comparable | (unauthorised <= possible)).fill_null(True))


SchoolCensus = typed_model(SchoolCensusRaw, Person)
