"""Programme records (optional): families the programme has taken on.

No `record_id`: a family may be attached more than once, so rows are not unique by
`family_id` either.
"""

from __future__ import annotations

import pandera.polars as pa

from cohort.schemas.base import OPTIONAL_COLUMN, Row, RowRaw, typed_model
from cohort.schemas.checks import dates


class EngagementsRaw(RowRaw):
    family_id: str
    attached_on: str
    key_worker: str = pa.Field(nullable=True, metadata=OPTIONAL_COLUMN)

    check_attached_on = dates("attached_on")


Engagements = typed_model(EngagementsRaw, Row)
