"""District housing / social landlords: one row per housing ASB intervention on a
tenancy. The only extract without person columns: it reaches people through
`tenancy_ref`."""

from __future__ import annotations

import pandera.polars as pa

from cohort.schemas.base import Record, RecordRaw, typed_model
from cohort.schemas.checks import dates, one_of

INTERVENTIONS = ("nosp_asb", "housing_injunction", "demotion_order", "eviction_asb")


class HousingAsbRaw(RecordRaw):
    tenancy_ref: str
    intervention: str
    intervention_date: str

    check_intervention = one_of("intervention", INTERVENTIONS)
    check_intervention_date = dates("intervention_date")


HousingAsb = typed_model(HousingAsbRaw, Record)
