"""The status words of identification, defined once.

SQL reads them as parameters (`$status_automatic`, `$listed_statuses`,
`$in_programme_statuses`, ...), which `cohort.core.sqlrunner` binds to any SQL file that
names them; Python and the workbooks import `Status`, `STATUS_LABELS` and the tuples below.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """A family's identification status (data contract section 3)."""

    AUTOMATIC = "automatic"
    DISCRETIONARY = "discretionary"
    CANDIDATE = "candidate"
    NOT_ELIGIBLE = "not_eligible"


# Plain strings below (not enum members), so polars, DuckDB and JSON see the words themselves.
STATUS_LABELS: dict[str, str] = {
    Status.AUTOMATIC.value: "Automatic",
    Status.DISCRETIONARY.value: "Discretionary",
    Status.CANDIDATE.value: "Candidate",
    Status.NOT_ELIGIBLE.value: "Not eligible",
}
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
# Families on a district's identification list.
LISTED_STATUSES: tuple[str, ...] = (Status.AUTOMATIC.value, Status.DISCRETIONARY.value, Status.CANDIDATE.value)
# Families in the programme (rules.md "Phase 1 results").
IN_PROGRAMME_STATUSES: tuple[str, ...] = (Status.AUTOMATIC.value, Status.DISCRETIONARY.value)
# Most to least in need of the programme: the order lists and reviews sort by.
STATUS_RANK: dict[str, int] = {s: i for i, s in enumerate(STATUSES)}


def status_params() -> dict[str, Any]:
    """The status words as the SQL parameters every file may name."""
    return {
        **{f"status_{s}": s for s in STATUSES},
        "listed_statuses": list(LISTED_STATUSES),
        "in_programme_statuses": list(IN_PROGRAMME_STATUSES),
    }
