"""Health / substance misuse services (optional): one row per recorded issue."""

from __future__ import annotations

import pandera.polars as pa

from cohort.schemas.base import Person, PersonRaw, typed_model
from cohort.schemas.checks import dates, one_of

ISSUES = ("drug_misuse", "alcohol_misuse", "mental_health", "long_term_condition", "under_18_conception")


class HealthRaw(PersonRaw):
    issue: str
    recorded_date: str

    check_issue = one_of("issue", ISSUES)
    check_recorded_date = dates("recorded_date")


Health = typed_model(HealthRaw, Person)
