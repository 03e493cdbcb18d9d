"""Kent Police: one row per person involved in an event."""

from __future__ import annotations

import pandera.polars as pa

from cohort.schemas.base import Person, PersonRaw, typed_model
from cohort.schemas.checks import dates, one_of

EVENT_TYPES = (
    "asb_incident", "asbo", "asb_injunction", "asb_contract",
    "domestic_abuse", "adult_offence", "arrest", "call_out",
)


class PoliceRaw(PersonRaw):
    pnc_id: str = pa.Field(nullable=True)
    event_date: str
    event_type: str

    check_event_date = dates("event_date")
    check_event_type = one_of("event_type", EVENT_TYPES)


Police = typed_model(PoliceRaw, Person)
