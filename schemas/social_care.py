"""Children's social care (optional): one row per episode for a child."""

from __future__ import annotations

from datetime import date

import pandera.polars as pa

from cohort.schemas.base import Person, PersonRaw
from cohort.schemas.checks import dates, one_of

STATUSES = ("child_in_need", "child_protection_plan", "looked_after")


class SocialCareRaw(PersonRaw):
    status: str
    start_date: str
    end_date: str = pa.Field(nullable=True)

    check_status = one_of("status", STATUSES)
    check_episode_dates = dates("start_date", "end_date")


class SocialCare(Person):
    status: str = pa.Field(isin=STATUSES)
    start_date: date
    end_date: date = pa.Field(nullable=True)
