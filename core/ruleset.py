"""The rule-set configuration: one frozen object per run, saved with the run's outputs.

Every window, threshold, list and amount used by the SQL rules comes from here, so a
local authority tunes its rules in a TOML file rather than in code. `sql_params` flattens
the object into the `$name` parameters the SQL files bind.

The sections are pydantic dataclasses: strict types (a whole number stays a whole number,
"twelve" is refused), no unknown keys, and ranges written on the field's type, so a bad
file is refused on load with one line per bad key (`RuleSetError`), before a run starts.
Adding a setting stays a one-line change: `review_budget: int = 50` (or with a range,
`review_budget: Count = 50`).
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from dataclasses import MISSING, asdict, field, fields
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError
from pydantic.dataclasses import dataclass as _pydantic_dataclass

from cohort.core.ruleset_errors import RuleSetError, describe

DEFAULT_PATH = Path(str(resources.files("cohort.core") / "ruleset_default.toml"))

# Strict: no "12" for 12, no 12.5 for a count; extra="forbid": a misspelt key is an error.
_STRICT = ConfigDict(strict=True, extra="forbid")


def dataclass(cls=None, /, *, frozen: bool = True):
    """A frozen dataclass validated by pydantic on construction (and on dataclasses.replace)."""
    wrap = _pydantic_dataclass(frozen=frozen, config=_STRICT)
    return wrap if cls is None else wrap(cls)


# The ranges a setting may take, named once and written on the field's type.
Months = Annotated[int, Field(ge=1, le=120)]
Count = Annotated[int, Field(ge=1)]
Age = Annotated[int, Field(ge=0, le=120)]
Weeks = Annotated[int, Field(ge=1, le=520)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Pounds = Annotated[float, Field(ge=0.0)]
Budget = Annotated[int, Field(ge=0, le=100_000)]
Year = Annotated[str, Field(pattern=r"^\d{4}$")]
Words = tuple[str, ...]
# The indicators sql/rules/phase1/local_discretion.sql knows; any other name would never match.
Indicator = Literal["domestic_abuse", "substance_misuse", "child_protection_plan", "adult_offending",
                    "police_callouts", "health_problems"]


@dataclass
class Identification:
    crime_window_months: Months
    asb_order_types: Words
    housing_asb_types: Words
    education_terms: Count
    fixed_exclusions_min: Count
    absence_threshold: Share
    education_provisions: Words
    school_age_min: Age
    school_age_max_31aug: Age
    adult_age: Age
    out_of_work_benefits: Words
    discretion_window_months: Months
    discretion_indicators: tuple[Indicator, ...]
    police_callouts_min: Count
    police_callout_types: Words
    substance_misuse_issues: Words

    def __post_init__(self) -> None:
        if self.school_age_min > self.school_age_max_31aug:
            raise ValueError("[identification] needs school_age_min <= school_age_max_31aug")


@dataclass
class Phase2:
    window_months: Months


@dataclass
class Results:
    baseline_months: Months
    outcome_months: Months
    asb_reduction: Share
    offending_reduction: Share
    employment_weeks_default: Weeks
    employment_weeks: dict[str, Weeks]
    work_programme_exclusion_months: Months
    progress_to_work_months: Months
    total_per_family_gbp: Pounds
    attachment_fee_share: dict[Year, Share]
    crime_asb_education_share: Share
    progress_to_work_share: Share
    continuous_employment_share: Share
    # Police event types that count as an ASB event for the results (rules.md "Phase 1 results").
    asb_event_types: Words = ("asb_incident", "asbo", "asb_injunction", "asb_contract")


@lru_cache(maxsize=None)
def _default_section(section: str) -> dict[str, Any]:
    return tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8")).get(section, {})


def shipped_value(section: str, key: str) -> Any:
    """A setting's value in the shipped rule set (for callers given no rule set)."""
    return _default_section(section)[key]


def _shipped(section: str, key: str) -> Any:
    """A field's default is the shipped TOML's value, so it is written in one place."""
    return field(default_factory=lambda: shipped_value(section, key))


@dataclass
class Matching:
    """What match_review.xlsx asks a data officer (cohort.review): person pairs scored in
    [review_reject, review_accept), pairs whose own evidence reaches review_accept but that
    were kept apart (a guard, or a conflict with other records), and pairs linked only
    through other records although they score below review_reject."""

    review_accept: Probability = _shipped("matching", "review_accept")
    review_reject: Probability = _shipped("matching", "review_reject")
    # Two records are linked when their match probability reaches this (and no guard or
    # conflict keeps them apart); it lies inside the review band, so the pairs either
    # side of it are the ones asked about.
    link_threshold: Probability = _shipped("matching", "link_threshold")
    # Questions a month on the workbook's Review sheet; the rest go on "If you have more time".
    review_budget: Budget = _shipped("matching", "review_budget")

    def __post_init__(self) -> None:
        if not 0.0 <= self.review_reject < self.review_accept < 1.0:
            raise ValueError("[matching] needs 0 <= review_reject < review_accept < 1")
        if not self.review_reject <= self.link_threshold <= self.review_accept:
            raise ValueError("[matching] needs review_reject <= link_threshold <= review_accept")


@dataclass
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


SECTIONS = {"identification": Identification, "phase2": Phase2, "results": Results, "matching": Matching}
# A section the rule set gives a default for may be left out of the file.
OPTIONAL_SECTIONS = {f.name for f in fields(RuleSet) if f.name in SECTIONS
                     and (f.default is not MISSING or f.default_factory is not MISSING)}


def _tuples(d: dict[str, Any]) -> dict[str, Any]:
    """TOML arrays become tuples: the sections are frozen, and strict mode wants a tuple."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleSetError(f"{path}: no such rule-set file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleSetError(f"{path.name}: not a valid TOML file ({exc})") from None


def ruleset_from_json(data: dict[str, Any]) -> RuleSet:
    """The rule set a run saved in its settings (`RuleSet.to_json`), validated again."""
    sections = {name: cls(**_tuples(data[name])) for name, cls in SECTIONS.items() if name in data}
    return RuleSet(**sections, source=data.get("source", str(DEFAULT_PATH)))


def load_ruleset(path: str | Path | None = None) -> RuleSet:
    """Read and validate a rule-set TOML file; `RuleSetError` lists every bad key, one a line."""
    path = Path(path) if path else DEFAULT_PATH
    raw = _read(path)
    problems = [f"[{name}] is not a section of the rule set (sections: {', '.join(SECTIONS)})"
                for name in raw if name not in SECTIONS]
    sections: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        if name not in raw and name in OPTIONAL_SECTIONS:
            continue
        if not isinstance(raw.get(name), dict):
            problems.append(f"[{name}] is missing" if name not in raw else f"[{name}] must be a table of settings")
            continue
        try:
            sections[name] = cls(**_tuples(raw[name]))
        except ValidationError as exc:
            problems += describe(name, cls, exc)
    if problems:
        raise RuleSetError("\n".join(f"{path.name}: {p}" for p in problems))
    return RuleSet(**sections, source=str(path))
