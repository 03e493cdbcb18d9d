"""Every extract a drop may hold, in data-contract order, with its two models.

The models are the single statement of an extract's columns: which are required, which
may be blank, which are dates, counts or enums. What else the code knows about the agency
(required, person-level, record date, identifiers...) is its entry in
`cohort.core.agencies`; everything else here is derived.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandera.polars as pa

from cohort.core.agencies import AGENCIES, Agency

from cohort.schemas.dwp_benefits import DwpBenefits, DwpBenefitsRaw
from cohort.schemas.dwp_employment import DwpEmployment, DwpEmploymentRaw
from cohort.schemas.engagements import Engagements, EngagementsRaw
from cohort.schemas.health import Health, HealthRaw
from cohort.schemas.housing import Housing, HousingRaw
from cohort.schemas.housing_asb import HousingAsb, HousingAsbRaw
from cohort.schemas.police import Police, PoliceRaw
from cohort.schemas.school_census import SchoolCensus, SchoolCensusRaw
from cohort.schemas.school_exclusions import SchoolExclusions, SchoolExclusionsRaw
from cohort.schemas.social_care import SocialCare, SocialCareRaw
from cohort.schemas.youth_offending import YouthOffending, YouthOffendingRaw


@dataclass(frozen=True)
class Extract:
    agency: Agency
    raw_model: type[pa.DataFrameModel]
    model: type[pa.DataFrameModel]

    @property
    def name(self) -> str:
        return self.agency.name

    @property
    def required(self) -> bool:
        return self.agency.required

    @property
    def person_level(self) -> bool:
        return self.agency.person_level

    @cached_property
    def raw_schema(self) -> pa.DataFrameSchema:
        return self.raw_model.to_schema()

    @cached_property
    def schema(self) -> pa.DataFrameSchema:
        return self.model.to_schema()

    @property
    def columns(self) -> list[str]:
        """The contract's columns, in model order (without `row_number`)."""
        return [c for c in self.raw_schema.columns if c != "row_number"]

    @property
    def optional_columns(self) -> list[str]:
        return [c for c in self.columns if (self.raw_schema.columns[c].metadata or {}).get("optional_column")]

    @property
    def required_columns(self) -> list[str]:
        optional = set(self.optional_columns)
        return [c for c in self.columns if c not in optional]


EXTRACTS: dict[str, Extract] = {
    e.name: e
    for e in (
        Extract(AGENCIES["police"], PoliceRaw, Police),
        Extract(AGENCIES["youth_offending"], YouthOffendingRaw, YouthOffending),
        Extract(AGENCIES["school_census"], SchoolCensusRaw, SchoolCensus),
        Extract(AGENCIES["school_exclusions"], SchoolExclusionsRaw, SchoolExclusions),
        Extract(AGENCIES["dwp_benefits"], DwpBenefitsRaw, DwpBenefits),
        Extract(AGENCIES["dwp_employment"], DwpEmploymentRaw, DwpEmployment),
        Extract(AGENCIES["housing"], HousingRaw, Housing),
        Extract(AGENCIES["housing_asb"], HousingAsbRaw, HousingAsb),
        Extract(AGENCIES["social_care"], SocialCareRaw, SocialCare),
        Extract(AGENCIES["health"], HealthRaw, Health),
        Extract(AGENCIES["engagements"], EngagementsRaw, Engagements),
    )
}

PERSON_LEVEL: tuple[str, ...] = tuple(n for n, e in EXTRACTS.items() if e.person_level)
