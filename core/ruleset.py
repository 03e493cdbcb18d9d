"""The rule-set configuration: one frozen object per run, saved with the run's outputs.

Every window, threshold, list and amount used by the SQL rules comes from here, so a
local authority tunes its rules in a TOML file rather than in code. `sql_params` flattens
the object into the `$name` parameters the SQL files bind.
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(str(resources.files("cohort.core") / "ruleset_default.toml"))


@dataclass(frozen=True)
class Identification:
    crime_window_months: int
    asb_order_types: tuple[str, ...]
    housing_asb_types: tuple[str, ...]
    education_terms: int
    fixed_exclusions_min: int
    absence_threshold: float
    education_provisions: tuple[str, ...]
    school_age_min: int
    school_age_max_31aug: int
    adult_age: int
    out_of_work_benefits: tuple[str, ...]
    discretion_window_months: int
    discretion_indicators: tuple[str, ...]
    police_callouts_min: int
    police_callout_types: tuple[str, ...]
    substance_misuse_issues: tuple[str, ...]


@dataclass(frozen=True)
class Phase2:
    window_months: int


@dataclass(frozen=True)
class Results:
    baseline_months: int
    outcome_months: int
    asb_reduction: float
    offending_reduction: float
    employment_weeks_default: int
    employment_weeks: dict[str, int]
    work_programme_exclusion_months: int
    progress_to_work_months: int
    total_per_family_gbp: float
    attachment_fee_share: dict[str, float]
    crime_asb_education_share: float
    progress_to_work_share: float
    continuous_employment_share: float
    # Police event types that count as an ASB event for the results (rules.md "Phase 1 results").
    asb_event_types: tuple[str, ...] = ("asb_incident", "asbo", "asb_injunction", "asb_contract")


@lru_cache(maxsize=1)
def _default_section(section: str) -> dict[str, Any]:
    return tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8")).get(section, {})


def _shipped(section: str, key: str) -> Any:
    """A field's default is the shipped TOML's value, so it is written in one place."""
    return field(default_factory=lambda: _default_section(section)[key])


@dataclass(frozen=True)
class Matching:
    """What match_review.xlsx asks a data officer (cohort/review.py): person pairs scored in
    [review_reject, review_accept), pairs whose own evidence reaches review_accept but that
    were kept apart (a guard, or a conflict with other records), and pairs linked only
    through other records although they score below review_reject."""

    review_accept: float = _shipped("matching", "review_accept")
    review_reject: float = _shipped("matching", "review_reject")
    # Two records are linked when their match probability reaches this (and no guard or
    # conflict keeps them apart); it lies inside the review band, so the pairs either
    # side of it are the ones asked about.
    link_threshold: float = _shipped("matching", "link_threshold")

    def __post_init__(self) -> None:
        if not 0.0 <= self.review_reject < self.review_accept < 1.0:
            raise ValueError("[matching] needs 0 <= review_reject < review_accept < 1")
        if not self.review_reject <= self.link_threshold <= self.review_accept:
            raise ValueError("[matching] needs review_reject <= link_threshold <= review_accept")


@dataclass(frozen=True)
class RuleSet:
    identification: Identification
    phase2: Phase2
    results: Results
    source: str = field(default=str(DEFAULT_PATH))
    matching: Matching = field(default_factory=Matching)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)

    def sql_params(self, as_of: date) -> dict[str, Any]:
        """All parameters a rule file may reference, by their $names."""
        p: dict[str, Any] = {"as_of": as_of}
        for section in (self.identification, self.phase2, self.results):
            for k, v in asdict(section).items():
                p[k] = list(v) if isinstance(v, tuple) else v
        # Maps are not bindable as-is: give SQL parallel key/value lists.
        p["employment_weeks_benefits"] = list(self.results.employment_weeks)
        p["employment_weeks_values"] = list(self.results.employment_weeks.values())
        p["attachment_fee_years"] = [int(y) for y in self.results.attachment_fee_share]
        p["attachment_fee_shares"] = list(self.results.attachment_fee_share.values())
        del p["employment_weeks"], p["attachment_fee_share"]
        return p


def _tuples(d: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


def load_ruleset(path: str | Path | None = None) -> RuleSet:
    path = Path(path) if path else DEFAULT_PATH
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return RuleSet(
        identification=Identification(**_tuples(raw["identification"])),
        phase2=Phase2(**raw["phase2"]),
        results=Results(**_tuples(raw["results"])),
        source=str(path),
        matching=Matching(**raw.get("matching", {})),
    )
