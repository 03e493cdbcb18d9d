"""What each stage of a monthly run reports: one small frozen dataclass of counts a stage.

Apart from the stages (flows/stages.py) so that what a run says about itself, the fields
of run_summary.json, reads in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class StageResult:
    """What a stage reports. Typed fields, so the flow and its readers cannot misspell a
    count; `counts()` is its JSON-ready form in run_summary.json and the run log."""

    def counts(self) -> dict[str, Any]:
        """The fields in order; one left None (said only when it applies) is left out."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}


@dataclass(frozen=True)
class Ingested(StageResult):
    files: dict[str, str]  # extract -> the file it was read from


@dataclass(frozen=True)
class Validated(StageResult):
    rows_read: dict[str, int]
    rows_rejected: int  # distinct (file, row)
    rejections: int  # reasons, several a row
    missing_optional: list[str]
    allowed_empty: list[str] | None = None  # only when the officer allowed some


@dataclass(frozen=True)
class RecordsBuilt(StageResult):
    records: int
    warnings: list[str] | None = None


@dataclass(frozen=True)
class Matched(StageResult):
    persons: int
    candidate_pairs: int
    records_linked: int
    persons_in_several_extracts: int


@dataclass(frozen=True)
class HouseholdsFormed(StageResult):
    households: int
    persons_in_households: int


@dataclass(frozen=True)
class IdsSettled(StageResult):
    person_ids_kept: int
    person_ids_new: int
    person_ids_retired: int
    person_splits: int
    household_decisions_applied: int
    family_merges_applied: int
    family_ids_kept: int
    family_ids_new: int
    family_ids_retired: int
    family_splits: int
    engagements_redirected: int


@dataclass(frozen=True)
class RulesApplied(StageResult):
    families_by_status: dict[str, int]


@dataclass(frozen=True, kw_only=True)
class ResultsJudged(StageResult):
    """Phase 1 fills every count; another programme has only `results` (0) and `note`."""

    programme_families: int | None = None
    results: int
    payable_gbp: float | None = None
    engagements: dict[str, int] | None = None  # engagements rows by state
    engagements_not_matched: int | None = None
    by_result: dict[str, dict[str, Any]] | None = None
    note: str | None = None


@dataclass(frozen=True)
class Exported(StageResult):
    files: list[str]
    review_person_questions: int
    review_household_questions: int
    review_family_pair_questions: int
    review_budget: int
    review_more_time: int
    match_error_estimate: dict[str, Any]
    families_by_district: list[dict[str, Any]]
    changes: dict[str, Any]
