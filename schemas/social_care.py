"""Children's social care (optional): one row per episode for a child."""

from __future__ import annotations

import pandera.polars as pa

from cohort.schemas.base import Person, PersonRaw, typed_model
from cohort.schemas.checks import dates, one_of

STATUSES = ("child_in_need", "child_protection_plan", "looked_after")


class SocialCareRaw(PersonRaw):
    status: str
    start_date: str
    end_date: str = pa.Field(nullable=True)

    check_status = one_of("status", STATUSES)
    check_episode_dates = dates("start_date", "end_date")


SocialCare = typed_model(SocialCareRaw, Person)
