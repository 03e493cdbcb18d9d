"""DWP: one row per out-of-work benefit spell; `spell_end` is blank while the spell is open."""

from __future__ import annotations

import pandera.polars as pa

from cohort.schemas.base import Person, PersonRaw, typed_model
from cohort.schemas.checks import dates, one_of

BENEFITS = ("JSA", "ESA", "IB", "IS", "CA", "SDA")


class DwpBenefitsRaw(PersonRaw):
    nino: str = pa.Field(nullable=True)
    benefit: str
    spell_start: str
    spell_end: str = pa.Field(nullable=True)

    check_benefit = one_of("benefit", BENEFITS)
    check_spell_dates = dates("spell_start", "spell_end")


DwpBenefits = typed_model(DwpBenefitsRaw, Person)
