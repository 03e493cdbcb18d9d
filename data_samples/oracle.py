"""The expected answer: rules.md read literally, in plain Python, on the clean truth.

This is what the pipeline is tested against, so it shares no code with it (no SQL, no
matching): it sees true person ids, true dwellings and true event dates, and applies
each sentence of rules.md and architecture.md's household definition one loop at a
time. Being slow and obvious is the point; every helper is small enough to unit-test
at its boundary (15 % absence, age 18, the 12-month window edge).

Readings fixed here where rules.md leaves room (documented in data_samples/README.md):
- an exclusion counts "across the last 3 consecutive terms" when dated from the first
  day of the oldest of those terms to the last day of the newest;
- "the 31 August before T" is the latest 31 August strictly before T;
- "open on T or in the last 12 months" (social care) means the episode overlaps
  (T - 12 months, T]; `looked_after` takes the same window;
- phase 2's adult offence needs the person to be 18+ on the event date;
- phase 2 reuses phase 1's tests with the phase 2 window.

Phase 1 results (`family_results`) are read for a first run on an empty warehouse and ledger.
An engaged family is judged as at its attachment date (rules.md "Phase 1 results"):
`evaluate_family` on its members at T with `as_of` = attached_on, every helper looking only
at rows dated on or before that day; it is in the programme when automatic or discretionary
then, and criterion 2 "at identification" is criterion 2 that day. A family with no
engagement is in the programme when automatic or discretionary at T (first identified at T)
and attached on T. The readings the pipeline's SQL states in sql/results/*.yml apply.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from datetime import date, timedelta
from fractions import Fraction
from typing import Iterable, NamedTuple

from cohort.core.reference import district_for_postcode
from cohort.core.ruleset import RuleSet

TERMS = ("autumn", "spring", "summer")
SPELL_SOURCES = ("dwp_benefits", "housing", "social_care")
TIE_RANK = {
    "housing": 0,
    "dwp_benefits": 1,
    "dwp_employment": 1,
    "school_census": 2,
    "school_exclusions": 2,
}
OTHER_RANK = 3
SUBSTANCE_ISSUES = ("drug_misuse", "alcohol_misuse")
HEALTH_PROBLEM_ISSUES = ("mental_health", "long_term_condition")
NEED_HELP_STATUSES = ("child_in_need", "child_protection_plan", "looked_after")


@lru_cache(maxsize=256)
def months_before(d: date, months: int) -> date:
    """Calendar months back, clamping to the month's last day (31 Mar - 1 month = 28 Feb)."""
    index = d.year * 12 + (d.month - 1) - months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def in_last_months(d: date | None, as_of: date, months: int) -> bool:
    """rules.md "last N months": dated in (T - N months, T]."""
    return d is not None and months_before(as_of, months) < d <= as_of


def age_on(dob: date, d: date) -> int:
    """Whole years at d (a 29 February birthday comes on 1 March in other years)."""
    return d.year - dob.year - ((d.month, d.day) < (dob.month, dob.day))


def last_31_august_before(as_of: date) -> date:
    year = as_of.year if (as_of.month, as_of.day) > (8, 31) else as_of.year - 1
    return date(year, 8, 31)


def compulsory_school_age(dob: date, as_of: date, min_age: int = 5, max_age_31aug: int = 15) -> bool:
    """Aged min_age or more at T and max_age_31aug or less on the 31 August before T."""
    return age_on(dob, as_of) >= min_age and age_on(dob, last_31_august_before(as_of)) <= max_age_31aug


def academic_year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


@lru_cache(maxsize=256)
def term_bounds(academic_year: str, term: str) -> tuple[date, date]:
    """First and last day of a term: autumn 1 Sep-31 Dec, spring 1 Jan-31 Mar, summer 1 Apr-31 Aug."""
    y = int(academic_year[:4])
    if term == "autumn":
        return date(y, 9, 1), date(y, 12, 31)
    if term == "spring":
        return date(y + 1, 1, 1), date(y + 1, 3, 31)
    if term == "summer":
        return date(y + 1, 4, 1), date(y + 1, 8, 31)
    raise ValueError(f"unknown term {term!r}")


def term_containing(d: date) -> tuple[str, str]:
    if d.month >= 9:
        return academic_year_label(d.year), "autumn"
    if d.month <= 3:
        return academic_year_label(d.year - 1), "spring"
    return academic_year_label(d.year - 1), "summer"


def previous_term(academic_year: str, term: str) -> tuple[str, str]:
    y = int(academic_year[:4])
    if term == "summer":
        return academic_year, "spring"
    if term == "spring":
        return academic_year, "autumn"
    return academic_year_label(y - 1), "summer"


@lru_cache(maxsize=64)
def last_terms(as_of: date, n: int) -> tuple[tuple[str, str], ...]:
    """The n most recent terms that ended on or before T, newest first."""
    term = term_containing(as_of)
    if term_bounds(*term)[1] > as_of:
        term = previous_term(*term)
    out = [term]
    while len(out) < n:
        out.append(previous_term(*out[-1]))
    return tuple(out)


def spell_open(start: date, end: date | None, as_of: date) -> bool:
    """Open on T: start <= T and (end blank or end >= T)."""
    return start <= as_of and (end is None or end >= as_of)


def record_date(source: str, dates: tuple, as_of: date) -> date:
    """architecture.md's record_date from the source's own date fields.

    `dates` is (event date,) for events, (academic_year, term) for the census and
    (start, end) for spells.
    """
    if source == "school_census":
        return term_bounds(dates[0], dates[1])[1]
    if source in SPELL_SOURCES:
        start, end = dates
        if end is not None and end <= as_of:
            return max(start, end)
        return start
    return dates[0]


class Record(NamedTuple):
    """One person-level row as the oracle needs it for the household rule.

    `dwelling` is the row's true dwelling, or None when the row as written carries
    neither an address nor a UPRN (it then cannot give a current address).
    """

    source: str
    record_id: str
    person: int
    dates: tuple
    dwelling: int | None


@dataclass(frozen=True)
class Tenancy:
    ref: str
    start: date
    end: date | None
    dwelling: int
    persons: frozenset[int]


def members_by_dwelling(dwelling_of: dict[int, int]) -> dict[int, set[int]]:
    """Each dwelling's people: a family at T is the people whose dwelling it is."""
    members: dict[int, set[int]] = {}
    for p, dw in dwelling_of.items():
        members.setdefault(dw, set()).add(p)
    return members


def tenancies_by_person(tenancies: Iterable[Tenancy]) -> dict[int, list[Tenancy]]:
    """The tenancies each person is listed on, in the order given."""
    tenancies_of: dict[int, list[Tenancy]] = {}
    for t in tenancies:
        for p in t.persons:
            tenancies_of.setdefault(p, []).append(t)
    return tenancies_of


def current_dwellings(records: Iterable[Record], tenancies: Iterable[Tenancy], as_of: date) -> dict[int, int]:
    """Each person's dwelling at T: open tenancy first, else the most recent addressed record.

    Ties on the record date go to housing, then DWP, then schools, then others, then
    the smallest record_id. A person with neither is absent (no fixed abode).
    """
    by_tenancy: dict[int, Tenancy] = {}
    for t in tenancies:
        if not spell_open(t.start, t.end, as_of):
            continue
        for p in t.persons:
            held = by_tenancy.get(p)
            if held is None or (t.start, t.ref) > (held.start, held.ref):
                by_tenancy[p] = t
    best: dict[int, tuple] = {}
    for r in records:
        if r.dwelling is None:
            continue
        d = record_date(r.source, r.dates, as_of)
        if d > as_of:
            continue
        key = (-d.toordinal(), TIE_RANK.get(r.source, OTHER_RANK), r.record_id)
        if r.person not in best or key < best[r.person][0]:
            best[r.person] = (key, r.dwelling)
    out = {p: dw for p, (_, dw) in best.items()}
    out.update({p: t.dwelling for p, t in by_tenancy.items()})
    return out


@dataclass
class PersonEvents:
    """Everything the rules read about one true person (dates already parsed)."""

    dob: date
    police: list[tuple[date, str]] = field(default_factory=list)  # (event_date, event_type)
    youth: list[tuple[date, date]] = field(default_factory=list)  # (offence_date, outcome_date)
    census: list[tuple[str, str, str, int, int]] = field(default_factory=list)
    # (academic_year, term, provision, sessions_possible, sessions_unauthorised)
    exclusions: list[tuple[date, str]] = field(default_factory=list)  # (date, type)
    benefits: list[tuple[str, date, date | None]] = field(default_factory=list)
    social_care: list[tuple[str, date, date | None]] = field(default_factory=list)
    health: list[tuple[str, date]] = field(default_factory=list)
    employment: list[tuple[str, date]] = field(default_factory=list)  # (event, event_date)


def education_met(person: PersonEvents, as_of: date, rs: RuleSet) -> bool:
    """Phase 1 criterion 2 for one member."""
    ident = rs.identification
    if not compulsory_school_age(person.dob, as_of, ident.school_age_min, ident.school_age_max_31aug):
        return False
    terms = last_terms(as_of, ident.education_terms)
    span_start = term_bounds(*terms[-1])[0]
    span_end = term_bounds(*terms[0])[1]
    in_span = [kind for d, kind in person.exclusions if span_start <= d <= span_end]
    if "permanent" in in_span:
        return True
    if in_span.count("fixed") >= ident.fixed_exclusions_min:
        return True
    wanted = set(terms)
    rows = [c for c in person.census if (c[0], c[1]) in wanted]
    if any((c[0], c[1]) == terms[0] and c[2] in ident.education_provisions for c in rows):
        return True
    possible = sum(c[3] for c in rows)
    unauthorised = sum(c[4] for c in rows)
    threshold = _exact(ident.absence_threshold)
    # unauthorised / possible >= threshold, compared exactly (0.15 is not exact in binary).
    return possible > 0 and unauthorised * threshold.denominator >= threshold.numerator * possible


@lru_cache(maxsize=16)
def _exact(x: float) -> Fraction:
    return Fraction(str(x))


def work_met(person: PersonEvents, as_of: date, rs: RuleSet) -> bool:
    """Phase 1 criterion 3 for one member: an adult with an out-of-work spell open on T."""
    ident = rs.identification
    if age_on(person.dob, as_of) < ident.adult_age:
        return False
    return any(
        benefit in ident.out_of_work_benefits and spell_open(start, end, as_of)
        for benefit, start, end in person.benefits
    )


def person_crime(person: PersonEvents, as_of: date, rs: RuleSet, months: int) -> bool:
    """The person-level parts of criterion 1: a minor's proven offence, or an ASB order."""
    ident = rs.identification
    for offence, outcome in person.youth:
        if in_last_months(outcome, as_of, months) and age_on(person.dob, offence) < ident.adult_age:
            return True
    return any(
        kind in ident.asb_order_types and in_last_months(d, as_of, months) for d, kind in person.police
    )


def housing_asb_met(
    members: set[int],
    tenancies: list[Tenancy],
    interventions: dict[str, list[tuple[str, date]]],
    as_of: date,
    rs: RuleSet,
    months: int,
) -> bool:
    """A housing ASB intervention in the window on a tenancy open on T that lists a member."""
    ident = rs.identification
    for t in tenancies:
        if not (t.persons & members) or not spell_open(t.start, t.end, as_of):
            continue
        for kind, d in interventions.get(t.ref, ()):
            if kind in ident.housing_asb_types and in_last_months(d, as_of, months):
                return True
    return False


def police_in_window(person: PersonEvents, kinds: tuple[str, ...], as_of: date, months: int) -> int:
    return sum(1 for d, kind in person.police if kind in kinds and in_last_months(d, as_of, months))


def health_in_window(person: PersonEvents, issues: tuple[str, ...] | None, as_of: date, months: int) -> bool:
    return any(
        (issues is None or issue in issues) and in_last_months(d, as_of, months) for issue, d in person.health
    )


def care_in_window(person: PersonEvents, statuses: tuple[str, ...], as_of: date, months: int) -> bool:
    """An episode open on T or in the last N months: it overlaps (T - N months, T]."""
    since = months_before(as_of, months)
    return any(
        status in statuses and start <= as_of and (end is None or end > since)
        for status, start, end in person.social_care
    )


def adult_offence_in_window(person: PersonEvents, as_of: date, rs: RuleSet, months: int) -> bool:
    return any(
        kind == "adult_offence"
        and in_last_months(d, as_of, months)
        and age_on(person.dob, d) >= rs.identification.adult_age
        for d, kind in person.police
    )


def discretion_met(people: list[PersonEvents], as_of: date, rs: RuleSet) -> bool:
    """Local discretion: any switched-on indicator for any member."""
    ident = rs.identification
    months = ident.discretion_window_months
    on = set(ident.discretion_indicators)
    for p in people:
        if "domestic_abuse" in on and police_in_window(p, ("domestic_abuse",), as_of, months):
            return True
        if "substance_misuse" in on and health_in_window(p, SUBSTANCE_ISSUES, as_of, months):
            return True
        if "child_protection_plan" in on and care_in_window(p, ("child_protection_plan",), as_of, months):
            return True
        if "adult_offending" in on and adult_offence_in_window(p, as_of, rs, months):
            return True
        if "health_problems" in on and health_in_window(p, HEALTH_PROBLEM_ISSUES, as_of, months):
            return True
    if "police_callouts" in on:
        calls = sum(police_in_window(p, ("call_out", "arrest"), as_of, months) for p in people)
        if calls >= ident.police_callouts_min:
            return True
    return False


def phase1_status(crime: bool, education: bool, work: bool, discretion: bool) -> str:
    met = crime + education + work
    if met == 3:
        return "automatic"
    if met == 2:
        return "discretionary" if discretion else "candidate"
    return "not_eligible"


def phase2_status(criteria_met: int) -> str:
    if criteria_met >= 2:
        return "automatic"
    if criteria_met == 1:
        return "candidate"
    return "not_eligible"


def evaluate_family(
    members: set[int],
    people: dict[int, PersonEvents],
    tenancies: list[Tenancy],
    interventions: dict[str, list[tuple[str, date]]],
    as_of: date,
    rs: RuleSet,
) -> dict[str, int | str]:
    """Phase 1 and phase 2 criteria and status for one family."""
    ps = [people[m] for m in sorted(members)]
    w1 = rs.identification.crime_window_months
    w2 = rs.phase2.window_months
    crime = any(person_crime(p, as_of, rs, w1) for p in ps) or housing_asb_met(
        members, tenancies, interventions, as_of, rs, w1
    )
    education = any(education_met(p, as_of, rs) for p in ps)
    work = any(work_met(p, as_of, rs) for p in ps)
    discretion = discretion_met(ps, as_of, rs)

    adult = rs.identification.adult_age
    p2 = {
        "p2_crime_asb": any(person_crime(p, as_of, rs, w2) or adult_offence_in_window(p, as_of, rs, w2) for p in ps)
        or housing_asb_met(members, tenancies, interventions, as_of, rs, w2),
        "p2_school_attendance": education,
        "p2_children_need_help": any(
            age_on(p.dob, as_of) < adult and care_in_window(p, NEED_HELP_STATUSES, as_of, w2) for p in ps
        ),
        "p2_worklessness": work,
        "p2_domestic_abuse": any(police_in_window(p, ("domestic_abuse",), as_of, w2) for p in ps),
        "p2_health": any(health_in_window(p, None, as_of, w2) for p in ps),
    }
    p2_met = sum(p2.values())
    row: dict[str, int | str] = {
        "crime_asb": int(crime),
        "education": int(education),
        "work": int(work),
        "local_discretion": int(discretion),
        "criteria_met": crime + education + work,
        "status": phase1_status(crime, education, work, discretion),
    }
    row.update({k: int(v) for k, v in p2.items()})
    row["p2_criteria_met"] = p2_met
    row["p2_status"] = phase2_status(p2_met)
    return row


def evaluate(
    as_of: date,
    records: Iterable[Record],
    tenancies: list[Tenancy],
    people: dict[int, PersonEvents],
    interventions: dict[str, list[tuple[str, date]]],
    dwelling_postcode: dict[int, str],
    rs: RuleSet,
) -> tuple[dict[int, int], list[dict[str, int | str]]]:
    """Families at T and their expected criteria.

    Returns (person -> dwelling of their family, one dict per family with
    `dwelling`, `district`, `members` and the criteria columns).
    """
    dwelling_of = current_dwellings(records, tenancies, as_of)
    families = members_by_dwelling(dwelling_of)
    tenancies_of = tenancies_by_person(tenancies)
    out = []
    for dw in sorted(families):
        members = families[dw]
        listed = {id(t): t for m in sorted(members) for t in tenancies_of.get(m, ())}
        row: dict[str, int | str] = {
            "dwelling": dw,
            "district": district_for_postcode(dwelling_postcode[dw]),
            "members": len(members),
        }
        row.update(evaluate_family(members, people, list(listed.values()), interventions, as_of, rs))
        out.append(row)
    return dwelling_of, out


PROGRAMME_STATUSES = ("automatic", "discretionary")
PROGRAMME_EVENTS = ("work_programme_start", "esf_start")


def in_period(d: date | None, end: date, months: int) -> bool:
    """(end - N months, end]: the baseline before attachment, the outcome period before T."""
    return d is not None and months_before(end, months) < d <= end


def _at_most(outcome: int, baseline: int, reduction: float) -> bool:
    """outcome <= (1 - reduction) x baseline, exactly."""
    return outcome <= (1 - _exact(reduction)) * baseline


def asb_events(people: list[PersonEvents], tenancies: list[Tenancy], interventions: dict[str, list[tuple[str, date]]],
               end: date, months: int, rs: RuleSet) -> int:
    """Members' police ASB rows plus housing ASB interventions on tenancies listing a member."""
    police = sum(1 for p in people for d, kind in p.police
                 if kind in rs.results.asb_event_types and in_period(d, end, months))
    housing = sum(1 for ref in {t.ref for t in tenancies} for kind, d in interventions.get(ref, ())
                  if kind in rs.identification.housing_asb_types and in_period(d, end, months))
    return police + housing


def minor_offences(people: list[PersonEvents], end: date, months: int, rs: RuleSet) -> int:
    adult = rs.identification.adult_age
    return sum(1 for p in people for offence, outcome in p.youth
               if age_on(p.dob, offence) < adult and in_period(outcome, end, months))


def child_school_ok(person: PersonEvents, as_of: date, rs: RuleSet) -> bool:
    """Fewer than 3 fixed exclusions, none permanent, absence below 15 % over the last terms."""
    ident = rs.identification
    terms = last_terms(as_of, ident.education_terms)
    span_start, span_end = term_bounds(*terms[-1])[0], term_bounds(*terms[0])[1]
    kinds = [kind for d, kind in person.exclusions if span_start <= d <= span_end]
    if "permanent" in kinds or kinds.count("fixed") >= ident.fixed_exclusions_min:
        return False
    rows = [c for c in person.census if (c[0], c[1]) in set(terms)]
    possible, unauthorised = sum(c[3] for c in rows), sum(c[4] for c in rows)
    return possible == 0 or unauthorised < _exact(ident.absence_threshold) * possible


def crime_asb_education(people: list[PersonEvents], tenancies: list[Tenancy],
                        interventions: dict[str, list[tuple[str, date]]], as_of: date, attached_on: date,
                        education_at_identification: bool, rs: RuleSet) -> bool:
    res = rs.results
    parts = []
    if education_at_identification:
        children = [p for p in people if age_on(p.dob, as_of) < rs.identification.adult_age]
        parts.append(all(child_school_ok(p, as_of, rs) for p in children))
    asb_before = asb_events(people, tenancies, interventions, attached_on, res.baseline_months, rs)
    if asb_before:
        asb_after = asb_events(people, tenancies, interventions, as_of, res.outcome_months, rs)
        parts.append(_at_most(asb_after, asb_before, res.asb_reduction))
    offences_before = minor_offences(people, attached_on, res.baseline_months, rs)
    if offences_before:
        offences_after = minor_offences(people, as_of, res.outcome_months, rs)
        parts.append(_at_most(offences_after, offences_before, res.offending_reduction))
    return bool(parts) and all(parts)


def continuous_employment(adults: list[PersonEvents], as_of: date, attached_on: date, rs: RuleSet) -> date | None:
    """The earliest day an adult on benefit at attachment reached the weeks in work, if in the outcome period."""
    res, ident = rs.results, rs.identification
    best = None
    for p in adults:
        on = [b for b, start, end in p.benefits
              if b in ident.out_of_work_benefits and start <= attached_on and (end is None or end >= attached_on)]
        if not on:
            continue
        if any(kind in PROGRAMME_EVENTS and in_period(d, as_of, res.work_programme_exclusion_months)
               for kind, d in p.employment):
            continue
        weeks = max(res.employment_weeks.get(b, res.employment_weeks_default) for b in on)
        breaks = [d for kind, d in p.employment if kind == "employment_end" and d <= as_of]
        breaks += [start for b, start, _ in p.benefits if b in ident.out_of_work_benefits and start <= as_of]
        for kind, started in p.employment:
            if kind != "employment_start" or not attached_on < started <= as_of:
                continue
            if any(b > started for b in breaks):
                continue
            reached = started + timedelta(weeks=weeks)
            if in_period(reached, as_of, res.outcome_months) and (best is None or reached < best):
                best = reached
    return best


def progress_to_work(adults: list[PersonEvents], as_of: date, rs: RuleSet) -> date | None:
    starts = [d for p in adults for kind, d in p.employment
              if kind in PROGRAMME_EVENTS and in_period(d, as_of, rs.results.progress_to_work_months)]
    return min(starts) if starts else None


def results_payment(attached_on: date, rs: RuleSet) -> Decimal | None:
    """R: the part of the family's total not paid as the attachment fee of its financial year."""
    year = attached_on.year if attached_on.month >= 4 else attached_on.year - 1
    share = rs.results.attachment_fee_share.get(str(year))
    if share is None:
        return None
    total = Decimal(str(rs.results.total_per_family_gbp))
    return (total * (1 - Decimal(str(share)))).quantize(Decimal("0.01"), ROUND_HALF_UP)


def pay(achieved: dict[str, date], attached_on: date, rs: RuleSet) -> dict[str, Decimal]:
    """Payments for one window on an empty ledger: in result order, never beyond R in all,
    no progress_to_work when continuous_employment is achieved."""
    r = results_payment(attached_on, rs)
    shares = {"crime_asb_education": rs.results.crime_asb_education_share,
              "continuous_employment": rs.results.continuous_employment_share,
              "progress_to_work": rs.results.progress_to_work_share}
    left = r or Decimal(0)
    out = {}
    for result in ("crime_asb_education", "continuous_employment", "progress_to_work"):
        if result not in achieved:
            continue
        if r is None or (result == "progress_to_work" and "continuous_employment" in achieved):
            out[result] = Decimal("0.00")
            continue
        full = (r * Decimal(str(shares[result]))).quantize(Decimal("0.01"), ROUND_HALF_UP)
        out[result] = min(full, left)
        left -= out[result]
    return out


def family_results(
    as_of: date,
    dwelling_of: dict[int, int],
    families: list[dict],
    tenancies: list[Tenancy],
    people: dict[int, PersonEvents],
    interventions: dict[str, list[tuple[str, date]]],
    attached: dict[int, date],
    rs: RuleSet,
) -> list[dict]:
    """Phase 1 results on an empty warehouse: one dict (dwelling, result, achieved_on,
    payment_gbp) per result achieved by a family in the programme: automatic or
    discretionary on its attachment date when `attached` has one (dwelling -> attached_on),
    else at T."""
    members = members_by_dwelling(dwelling_of)
    tenancies_of = tenancies_by_person(tenancies)
    adult_age = rs.identification.adult_age
    out = []
    for fam in families:
        dw = fam["dwelling"]
        attached_on = attached.get(dw, as_of)
        if attached_on > as_of or (dw not in attached and fam["status"] not in PROGRAMME_STATUSES):
            continue
        ids = sorted(members[dw])
        ps = [people[m] for m in ids]
        listed = list({id(t): t for m in ids for t in tenancies_of.get(m, ())}.values())
        # Judged as at the attachment date when engaged, else at T (attached on T).
        judged = (evaluate_family(set(ids), people, listed, interventions, attached_on, rs)
                  if dw in attached else fam)
        if judged["status"] not in PROGRAMME_STATUSES:
            continue
        adults = [p for p in ps if age_on(p.dob, as_of) >= adult_age]
        achieved: dict[str, date] = {}
        if crime_asb_education(ps, listed, interventions, as_of, attached_on, bool(judged["education"]), rs):
            achieved["crime_asb_education"] = as_of
        ce = continuous_employment(adults, as_of, attached_on, rs)
        if ce is not None:
            achieved["continuous_employment"] = ce
        ptw = progress_to_work(adults, as_of, rs)
        if ptw is not None:
            achieved["progress_to_work"] = ptw
        for result, gbp in pay(achieved, attached_on, rs).items():
            out.append({"dwelling": dw, "result": result, "achieved_on": achieved[result], "payment_gbp": gbp})
    return out


def engagement_truth(
    as_of: date,
    dwelling_of: dict[int, int],
    tenancies: list[Tenancy],
    people: dict[int, PersonEvents],
    interventions: dict[str, list[tuple[str, date]]],
    attached: dict[int, date],
    rs: RuleSet,
) -> dict[int, dict[str, int | str]]:
    """Each engaged family (dwelling -> attached_on): its phase 1 criteria and status as at
    the attachment date, on its members at T (None for a date after T: not yet attached)."""
    members = members_by_dwelling(dwelling_of)
    tenancies_of = tenancies_by_person(tenancies)
    out = {}
    for dw, day in attached.items():
        if dw not in members or day > as_of:
            continue
        listed = list({id(t): t for m in sorted(members[dw]) for t in tenancies_of.get(m, ())}.values())
        out[dw] = evaluate_family(members[dw], people, listed, interventions, day, rs)
    return out
