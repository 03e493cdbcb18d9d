"""The status words of identification, defined once.

SQL reads them as parameters (`$status_automatic`, `$listed_statuses`,
`$in_programme_statuses`, ...), which `cohort.core.sqlrunner` binds to any SQL file that
names them; Python and the workbooks import `Status`, `STATUS_LABELS` and the tuples below.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class LabelledEnum(StrEnum):
    """Code words that carry their plain-English label: `AUTOMATIC = "automatic", "Automatic"`.
    The word and its label are written once, side by side; `labels()` gives the mapping."""

    label: str

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        # Plain strings (not enum members), so polars, DuckDB and JSON see the words themselves.
        return {m.value: m.label for m in cls}


class Status(LabelledEnum):
    """A family's identification status (data contract section 3)."""

    AUTOMATIC = "automatic", "Automatic"
    DISCRETIONARY = "discretionary", "Discretionary"
    CANDIDATE = "candidate", "Candidate"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


STATUS_LABELS: dict[str, str] = Status.labels()
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
