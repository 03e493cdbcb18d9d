"""Youth Offending Service: one row per proven offence of a young person.

`outcome` is an open list in the contract (`caution`, `final_warning`, `conviction`,
...), so it is kept as supplied rather than checked against a set.
"""

from __future__ import annotations

import pandera.polars as pa

from cohort.schemas.base import Person, PersonRaw, typed_model
from cohort.schemas.checks import dates


class YouthOffendingRaw(PersonRaw):
    pnc_id: str = pa.Field(nullable=True)
    offence_date: str
    outcome_date: str
    outcome: str = pa.Field(nullable=True)

    check_offence_dates = dates("offence_date", "outcome_date")


YouthOffending = typed_model(YouthOffendingRaw, Person)
