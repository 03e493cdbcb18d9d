"""The programmes and their criteria: one home for each.

A programme is its criteria in `families.csv` column order and the counts its statuses
need. Each criterion is a SQL file `sql/rules/<programme>/<criterion>.sql` that returns only
its items, with a sibling `.yml` holding the policy wording, the cases and two facts the
marts use: `headline` (false for an indicator that is not a headline criterion, such as
Phase 1's local discretion) and `extracts` (what it reads, so an absent optional extract is
reported as "not known"; `indicators` gives them per switchable indicator instead).
Adding a criterion is those two files and its name in `PROGRAMMES` below.

The status words a programme gives are in `cohort.core.statuses`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from cohort.core.sqlrunner import SQL_DIR


@dataclass(frozen=True)
class Programme:
    """One programme's criteria, in families.csv order, and its status counts: `automatic`
    with at least `automatic_min` headline criteria met; with at least `candidate_min`,
    `discretionary` when a non-headline indicator is also met, else `candidate`."""

    criteria: tuple[str, ...]
    automatic_min: int
    candidate_min: int
    title: str = field(default="", compare=False)


PROGRAMMES: dict[str, Programme] = {
    "phase1": Programme(
        criteria=(
            "crime_asb",
            "education",
            "work",
            "local_discretion",
        ),
        automatic_min=3,
        candidate_min=2,
        title="Phase 1 (2012-2015)",
    ),
    "phase2": Programme(
        criteria=(
            "crime_asb",
            "school_attendance",
            "children_need_help",
            "worklessness",
            "domestic_abuse",
            "health",
        ),
        automatic_min=2,
        candidate_min=1,
        title="Phase 2 (2015-2020)",
    ),
}

# The 0/1 criterion columns of families.csv, per programme (data contract section 3).
PROGRAMME_CRITERIA: dict[str, tuple[str, ...]] = {name: p.criteria for name, p in PROGRAMMES.items()}


def programme(name: str) -> Programme:
    if name not in PROGRAMMES:
        raise ValueError(f"unknown programme {name!r}; expected one of {sorted(PROGRAMMES)}")
    return PROGRAMMES[name]


@lru_cache(maxsize=None)
def criterion_doc(programme_name: str, criterion: str) -> dict[str, Any]:
    """The criterion's `.yml`: wording, reading, cases and the facts the marts use."""
    path = SQL_DIR / "rules" / programme_name / f"{criterion}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def criteria_rows(programme_name: str) -> list[dict[str, Any]]:
    """One row per criterion of the programme: position (1-based, column order) and
    whether it is a headline criterion (counted in criteria_met)."""
    return [
        {"programme": programme_name, "criterion": c, "position": i,
         "headline": bool(criterion_doc(programme_name, c).get("headline", True))}
        for i, c in enumerate(programme(programme_name).criteria, start=1)
    ]


def feed_rows(programme_name: str) -> list[dict[str, Any]]:
    """Which extracts each criterion reads: (criterion, indicator, extract), indicator null
    unless the criterion is made of switchable indicators (then only the switched-on ones
    count when an extract is missing)."""
    rows = []
    for c in programme(programme_name).criteria:
        doc = criterion_doc(programme_name, c)
        for indicator, extracts in (doc.get("indicators") or {}).items():
            rows += [{"criterion": c, "indicator": indicator, "extract": x} for x in extracts]
        rows += [{"criterion": c, "indicator": None, "extract": x} for x in doc.get("extracts") or ()]
    return rows


def criterion_labels(programme_name: str) -> dict[str, str]:
    """criterion -> the plain-English name workbooks show (the `.yml` `label`)."""
    return {c: criterion_doc(programme_name, c).get("label", c) for c in programme(programme_name).criteria}
