"""DWP (optional): one row per employment or programme event."""

from __future__ import annotations

import pandera.polars as pa

from cohort.schemas.base import Person, PersonRaw, typed_model
from cohort.schemas.checks import dates, one_of

EVENTS = ("employment_start", "employment_end", "work_programme_start", "esf_start")


class DwpEmploymentRaw(PersonRaw):
    nino: str = pa.Field(nullable=True)
    event: str
    event_date: str

    check_event = one_of("event", EVENTS)
    check_event_date = dates("event_date")


DwpEmployment = typed_model(DwpEmploymentRaw, Person)
