"""Reference data the project ships: Kent districts by postcode outward code, and targets.

Targets: seed 002 gives each district's year-1 and year-2 cohort; year 2 was set so that
years 1+2 reach 85 % of the 3-year allocation (seed 002, 3.2: 2,176 of 2,560). The 3-year
Phase 1 target per district is therefore read as round((year1 + year2) / 0.85), except
Dartford, whose own report (seed 000, 7.2) states 95. The twelve targets sum to 2,559,
one short of Kent's 2,560 because of rounding.
"""

from __future__ import annotations

import re

DISTRICT_OUTWARD: dict[str, tuple[str, ...]] = {
    "Ashford": ("TN23", "TN24", "TN25", "TN26", "TN27"),
    "Canterbury": ("CT1", "CT2", "CT3", "CT4", "CT5", "CT6"),
    "Dartford": ("DA1", "DA2", "DA4", "DA10"),
    "Dover": ("CT14", "CT15", "CT16", "CT17"),
    "Gravesham": ("DA11", "DA12", "DA13"),
    "Maidstone": ("ME14", "ME15", "ME16", "ME17", "ME18"),
    "Sevenoaks": ("TN13", "TN14", "TN15", "TN8", "BR8", "DA3"),
    "Shepway": ("CT18", "CT19", "CT20", "CT21", "TN28", "TN29"),
    "Swale": ("ME9", "ME10", "ME11", "ME12", "ME13"),
    "Thanet": ("CT7", "CT8", "CT9", "CT10", "CT11", "CT12"),
    "Tonbridge and Malling": ("TN9", "TN10", "TN11", "ME19", "ME20", "ME6"),
    "Tunbridge Wells": ("TN1", "TN2", "TN3", "TN4", "TN12", "TN17", "TN18"),
}

OUT_OF_AREA = "out_of_area"

OUTWARD_TO_DISTRICT: dict[str, str] = {
    code: district for district, codes in DISTRICT_OUTWARD.items() for code in codes
}

# Authorities around Kent by outward code, for the county's out-of-area list: where a
# family that moved out of the programme's area now lives. Only codes wholly (or almost
# wholly) in one authority are listed; any other code is "not known".
NEIGHBOUR_OUTWARD: dict[str, tuple[str, ...]] = {
    "Medway": ("ME1", "ME2", "ME3", "ME4", "ME5", "ME7", "ME8"),
    "London Borough of Bexley": ("DA5", "DA6", "DA7", "DA8", "DA14", "DA15", "DA16", "DA17", "DA18"),
    "London Borough of Bromley": ("BR1", "BR2", "BR3", "BR4", "BR5", "BR6", "BR7"),
    "East Sussex": ("TN5", "TN6", "TN7", "TN19", "TN20", "TN21", "TN22", "TN31", "TN32", "TN33", "TN34",
                    "TN35", "TN36", "TN37", "TN38", "TN39", "TN40"),
    "Surrey": ("RH7", "RH8"),
}

OUTWARD_TO_NEIGHBOUR: dict[str, str] = {
    code: authority for authority, codes in NEIGHBOUR_OUTWARD.items() for code in codes
}


def neighbouring_authority(postcode: str | None) -> str | None:
    """The authority next to Kent a postcode is in ("ME4 4AA" -> "Medway"), None when not known."""
    return OUTWARD_TO_NEIGHBOUR.get(outward_code(postcode) or "")

# (year 1, year 2) from seed 002 table 1.
DISTRICT_COHORTS: dict[str, tuple[int, int]] = {
    "Ashford": (82, 83),
    "Canterbury": (121, 122),
    "Dartford": (40, 40),
    "Dover": (113, 114),
    "Gravesham": (76, 77),
    "Maidstone": (80, 81),
    "Sevenoaks": (43, 42),
    "Shepway": (95, 96),
    "Swale": (156, 158),
    "Thanet": (154, 156),
    "Tonbridge and Malling": (74, 75),
    "Tunbridge Wells": (48, 49),
}

STATED_TARGETS = {"Dartford": 95}

DISTRICT_TARGETS: dict[str, int] = {
    d: STATED_TARGETS.get(d, round((y1 + y2) / 0.85)) for d, (y1, y2) in DISTRICT_COHORTS.items()
}

DISTRICTS: tuple[str, ...] = tuple(DISTRICT_OUTWARD)

_OUTWARD_RE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)")


def outward_code(postcode: str | None) -> str | None:
    """Outward code of a postcode in any spacing or case ("ct11 9aa" -> "CT11").

    A full postcode's inward code is always digit+two letters, so the outward code is
    everything before the last three characters once spaces are removed.
    """
    if not postcode:
        return None
    compact = re.sub(r"\s+", "", postcode.upper())
    if len(compact) >= 5 and re.fullmatch(r"[0-9][A-Z]{2}", compact[-3:]):
        return compact[:-3]
    m = _OUTWARD_RE.match(compact)
    return m.group(1) if m else None


def district_for_postcode(postcode: str | None) -> str:
    """Kent district for a postcode, or OUT_OF_AREA (Medway, elsewhere, unreadable)."""
    code = outward_code(postcode)
    return OUTWARD_TO_DISTRICT.get(code or "", OUT_OF_AREA)


# The 0/1 criterion columns of families.csv, per programme: registered in core/programmes.py.
from cohort.core.programmes import PROGRAMME_CRITERIA  # noqa: E402,F401
