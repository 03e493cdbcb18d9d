"""District housing / social landlords: one row per person on a social tenancy;
`tenancy_end` is blank while the tenancy is open."""

from __future__ import annotations

import pandera.polars as pa

from cohort.schemas.base import Person, PersonRaw, typed_model
from cohort.schemas.checks import dates, one_of

ROLES = ("lead_tenant", "joint_tenant", "household_member")


class HousingRaw(PersonRaw):
    tenancy_ref: str
    uprn: str = pa.Field(nullable=True)
    nino: str = pa.Field(nullable=True)
    role: str
    tenancy_start: str
    tenancy_end: str = pa.Field(nullable=True)

    check_role = one_of("role", ROLES)
    check_tenancy_dates = dates("tenancy_start", "tenancy_end")


Housing = typed_model(HousingRaw, Person)
