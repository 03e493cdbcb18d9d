"""Every agency whose extract a drop may hold: one entry each, the one home of what the
code knows about it beyond its columns (those are its model in `schemas/<name>.py`).

Adding an agency is its schema file and one entry here (and their tests). The extract
registry (`schemas/registry.py`), the `records` union and the member events the rules read
(`sql/intermediate/int_records__unioned.sql`, `int_member_events__linked.sql`, generated
from these entries), matching's identifier authorities and age bounds, the households'
address priority and the words shown for an agency are all read from here.
"""

from __future__ import annotations

from dataclasses import dataclass


def _spell(start: str, end: str) -> str:
    """rules.md "record's date" of a spell: the later of start and an end known on or before
    T; an end after T is not yet known at T, so the start."""
    return f"case when {end} <= $as_of then greatest({start}, {end}) else {start} end"


# A census row is dated by the end of its term.
_TERM_END = (
    "case term"
    " when 'autumn' then make_date(cast(left(academic_year, 4) as integer), 12, 31)"
    " when 'spring' then make_date(cast(left(academic_year, 4) as integer) + 1, 3, 31)"
    " when 'summer' then make_date(cast(left(academic_year, 4) as integer) + 1, 8, 31)"
    " end"
)


@dataclass(frozen=True)
class Event:
    """How an agency's row reads as a member event (int_member_events__linked): its category,
    the date the rules window on, the spell's end, and the date a person is aged on."""

    event_type: str
    event_date: str
    end_date: str | None = None
    age_date: str | None = None  # event_date when None


@dataclass(frozen=True)
class Agency:
    name: str
    label: str                      # the agency as outputs name it
    required: bool                  # a drop without it is refused
    person_level: bool = True       # its rows name a person (so are matched)
    record_date: str | None = None  # SQL over its stg_ columns: rules.md "record's date"
    carries: tuple[str, ...] = ()   # its columns `records` keeps beyond the common ones
    issues: str | None = None       # the person identifier it is the authority for
    ages: tuple[int | None, int | None] | None = None  # youngest and oldest its subjects can be
    address_priority: int | None = None  # tie order for the current address (lower first)
    child_source: bool = False      # its subjects are children
    event: Event | None = None      # read by the identification rules as a member event


AGENCIES: dict[str, Agency] = {
    a.name: a
    for a in (
        # Ages: no police record names a child under 10 (the age of criminal responsibility),
        # youth offending is 10 to 17 (19 allows a late outcome), DWP claimants and workers
        # are 16 or more, schools' pupils are 19 or less.
        Agency("police", "Kent Police", True, record_date="event_date", carries=("pnc_id",),
               issues="pnc_id", ages=(10, None), event=Event("event_type", "event_date")),
        Agency("youth_offending", "Youth Offending Service", True, record_date="outcome_date",
               carries=("pnc_id",), issues="pnc_id", ages=(10, 19), child_source=True,
               event=Event("outcome", "outcome_date", age_date="offence_date")),
        Agency("school_census", "School census", True, record_date=_TERM_END, carries=("upn",),
               issues="upn", ages=(None, 19), address_priority=2, child_source=True),
        Agency("school_exclusions", "School exclusions", True, record_date="exclusion_date",
               carries=("upn",), issues="upn", ages=(None, 19), address_priority=2,
               child_source=True, event=Event("exclusion_type", "exclusion_date")),
        Agency("dwp_benefits", "DWP benefits", True, record_date=_spell("spell_start", "spell_end"),
               carries=("nino",), issues="nino", ages=(16, None), address_priority=1,
               event=Event("benefit", "spell_start", "spell_end")),
        Agency("dwp_employment", "DWP employment", False, record_date="event_date",
               carries=("nino",), issues="nino", ages=(16, None), address_priority=1),
        Agency("housing", "Housing tenancies", True, record_date=_spell("tenancy_start", "tenancy_end"),
               carries=("nino", "uprn", "tenancy_ref", "role"), address_priority=0),
        Agency("housing_asb", "Housing ASB", True, person_level=False),
        Agency("social_care", "Children's social care", False, record_date=_spell("start_date", "end_date"),
               child_source=True, event=Event("status", "start_date", "end_date")),
        Agency("health", "Health services", False, record_date="recorded_date",
               event=Event("issue", "recorded_date")),
        Agency("engagements", "Programme engagements", False, person_level=False),
    )
}

# The person identifiers, in the order matching compares them.
IDENTIFIERS: tuple[str, ...] = ("nino", "upn", "pnc_id")
# The columns every person-level extract has and `records` keeps.
PERSON_COLUMNS: tuple[str, ...] = ("record_id", "row_number", "forename", "surname", "dob", "gender",
                                   "address", "postcode")


def id_authority() -> dict[str, tuple[str, ...]]:
    """For each identifier, the agencies that issue it."""
    return {i: tuple(a.name for a in AGENCIES.values() if a.issues == i) for i in IDENTIFIERS}


def source_ages() -> dict[str, tuple[int | None, int | None]]:
    return {a.name: a.ages for a in AGENCIES.values() if a.ages}


def address_priority() -> dict[str, int]:
    return {a.name: a.address_priority for a in AGENCIES.values() if a.address_priority is not None}


def child_sources() -> tuple[str, ...]:
    return tuple(a.name for a in AGENCIES.values() if a.child_source)


def records_union() -> str:
    """One select per person-level agency in the `records` shape, for int_records__unioned.sql.
    Columns an agency does not carry are filled with nulls by `union all by name`."""
    selects = [
        f"select '{a.name}' as source, {', '.join(PERSON_COLUMNS + a.carries)}, "
        f"{a.record_date} as record_date from stg_{a.name}"
        for a in AGENCIES.values() if a.person_level
    ]
    return "\n    union all by name ".join(selects)


def events_union() -> str:
    """One select per agency read as member events, for int_member_events__linked.sql."""
    selects = [
        f"select '{a.name}' as source, record_id, {e.event_type} as event_type, {e.event_date} as event_date, "
        f"{e.end_date or 'cast(null as date)'} as end_date, {e.age_date or e.event_date} as age_date "
        f"from stg_{a.name}"
        for a in AGENCIES.values() if (e := a.event)
    ]
    return "\n    union all ".join(selects)


# What a SQL file may ask to be generated with `{{ name }}` (cohort.core.sqlrunner).
GENERATED = {"agency_records": records_union, "agency_events": events_union}
