"""Schools / LA education: one row per exclusion.

`sessions` may be blank: an exclusion is evidence in its own right (the rules count
exclusions, not sessions), so a missing length does not cost the row. When given it must
be a whole number of at least 0.
"""

from __future__ import annotations

import pandera.polars as pa

from cohort.schemas.base import Person, PersonRaw, typed_model
from cohort.schemas.checks import dates, not_negative, one_of, whole_numbers

EXCLUSION_TYPES = ("fixed", "permanent")


class SchoolExclusionsRaw(PersonRaw):
    upn: str = pa.Field(nullable=True)
    exclusion_date: str
    exclusion_type: str
    sessions: str = pa.Field(nullable=True)

    check_exclusion_date = dates("exclusion_date")
    check_exclusion_type = one_of("exclusion_type", EXCLUSION_TYPES)
    check_sessions_number = whole_numbers("sessions")
    check_sessions_not_negative = not_negative("sessions")


SchoolExclusions = typed_model(SchoolExclusionsRaw, Person)
