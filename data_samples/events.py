"""Clean extract rows: who appears in which agency's data, when, and with what.

Each household has a hidden tier (0 few problems, 1 some, 2 many) and, from it, a few
intents drawn per household: a crime/ASB problem, a school problem, worklessness,
domestic abuse, substance misuse. An intent becomes events placed inside the 12-month
window (a small share exactly on its edges); everybody also gets background events
spread over three years, most of which fall outside the window or are of kinds the
rules ignore. Whether a family then meets a criterion is decided only by the oracle
reading these events, never by the intents.

All arrays are numpy; dates are days since 1970-01-01, with NULL for a blank date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from cohort.data_samples.mess import MessRates, from_ymd, ymd
from cohort.data_samples.oracle import last_31_august_before, last_terms, months_before, term_bounds, term_containing
from cohort.data_samples.world import DISTRICT_ABBR, NO_DATE, ROLE_HEAD, ROLE_PARTNER, World, to_days

NULL = np.iinfo(np.int64).min
PERSON_SOURCES = (
    "police", "youth_offending", "school_census", "school_exclusions", "dwp_benefits",
    "dwp_employment", "housing", "social_care", "health",
)

POLICE_TYPES = np.array(["asb_incident", "call_out", "arrest", "adult_offence", "domestic_abuse",
                         "asbo", "asb_injunction", "asb_contract"])
POLICE_WEIGHTS = np.array([30, 26, 17, 12, 9, 0.8, 0.6, 0.6])
ORDER_TYPES = np.array(["asbo", "asb_injunction", "asb_contract"])
YOS_OUTCOMES = np.array(["caution", "final_warning", "conviction", "reprimand", "referral_order",
                         "youth_conditional_caution"])
BENEFITS = np.array(["JSA", "ESA", "IS", "IB", "CA", "SDA"])
BENEFIT_WEIGHTS = np.array([35, 28, 18, 6, 10, 3])
PROVISION_PROBLEMS = np.array(["pru", "alternative_provision", "not_on_roll"])
HOUSING_ASB = np.array(["nosp_asb", "housing_injunction", "demotion_order", "eviction_asb"])
HOUSING_ASB_WEIGHTS = np.array([60, 20, 12, 8])
CARE_STATUSES = np.array(["child_in_need", "child_protection_plan", "looked_after"])
SESSIONS = {"autumn": (140, 150), "spring": (108, 122), "summer": (122, 134)}


@dataclass
class Rows:
    """Clean rows of one extract: column name -> numpy array (pid = true person)."""

    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.cols.values()))) if self.cols else 0


def age_at(dob: np.ndarray, days: np.ndarray) -> np.ndarray:
    y1, m1, d1 = ymd(dob)
    y2, m2, d2 = ymd(days)
    return y2 - y1 - ((m2 < m1) | ((m2 == m1) & (d2 < d1)))


def birthday(dob: np.ndarray, years: int) -> np.ndarray:
    """The day a person turns `years` (29 February birthdays fall on 1 March)."""
    y, m, d = ymd(dob)
    yy = y + years
    leap = (yy % 4 == 0) & ((yy % 100 != 0) | (yy % 400 == 0))
    feb29 = (m == 2) & (d == 29) & ~leap
    return from_ymd(yy, m, np.where(feb29, 28, d)) + feb29


def weekday_in_term(days: np.ndarray) -> np.ndarray:
    """Move a date to a plausible school day without leaving its term.

    August goes to July and late December ten days earlier (holidays); a weekend goes
    forward to Monday in a month's first week, otherwise back to Friday.
    """
    y, m, d = ymd(days)
    days = np.where(m == 8, from_ymd(y, np.full_like(m, 7), np.minimum(d, 20)), days)
    days = np.where((m == 12) & (d > 19), days - 10, days)
    _, _, d = ymd(days)
    dow = (days + 3) % 7  # Monday 0
    weekend = dow >= 5
    return np.where(weekend & (d <= 7), days + 7 - dow, np.where(weekend, days - (dow - 4), days))


def _cat(parts: list[dict[str, np.ndarray]]) -> Rows:
    return Rows({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})


class EventGenerator:
    def __init__(self, world: World, seed: int, mess: MessRates, window_months: int = 12,
                 attach_months: tuple[int, ...] = ()):
        self.w = world
        self.mess = mess
        self.rng = np.random.default_rng([seed, 20140331])
        # Results intents draw from their own stream, so the rows drawn before them stay as they were.
        self.results_rng = np.random.default_rng([seed, 31415])
        # Attachments a whole number of months before T (`attach_months`, e.g. 3, 9, 14), drawn
        # from a stream of their own; empty: the default days, 1 to 21 months before T.
        self.attach_months = tuple(attach_months)
        self.attach_rng = np.random.default_rng([seed, 27182])
        self.t = to_days(world.as_of)
        self.ws = to_days(months_before(world.as_of, window_months))  # window is (ws, t]
        self.hh = world.p_household
        self.dob = world.p_dob
        self.n_p = world.persons
        self.n_h = len(world.h_tier)
        self.h_tier = world.h_tier.astype(np.int64)
        self.tier = self.h_tier[self.hh]
        self.age_t = age_at(self.dob, np.full(self.n_p, self.t))
        self.adult = self.age_t >= 18
        aug = to_days(last_31_august_before(world.as_of))
        self.school_age = (self.age_t >= 5) & (age_at(self.dob, np.full(self.n_p, aug)) <= 15)
        self._intents()

    def _by_tier(self, p: tuple[float, float, float]) -> np.ndarray:
        return self.rng.random(self.n_h) < np.array(p)[self.h_tier]

    def _any(self, mask: np.ndarray) -> np.ndarray:
        """Per household: does any member satisfy mask."""
        return np.bincount(self.hh[mask], minlength=self.n_h) > 0

    def _intents(self) -> None:
        rng = self.rng
        self.social = self._by_tier((0.15, 0.35, 0.6)) & (self.w.h_dwelling >= 0)
        has_youth = self._any((self.age_t >= 11) & (self.age_t <= 18))
        crime = self._by_tier((0.01, 0.10, 0.8))
        u = rng.random(self.n_h)
        self.crime_youth = crime & has_youth & (u < 0.45)
        self.crime_housing = crime & self.social & (u >= 0.45) & (u < 0.7)
        self.crime_order = crime & ~self.crime_youth & ~self.crime_housing
        edu = self._by_tier((0.01, 0.09, 0.8))
        u = rng.random(self.n_h)
        self.edu_absence = edu & (u < 0.6)
        self.edu_fixed = edu & (u >= 0.6) & (u < 0.8)
        self.edu_provision = edu & (u >= 0.8) & (u < 0.95)
        self.edu_permanent = edu & (u >= 0.95)
        self.work = self._by_tier((0.12, 0.3, 0.88))
        self.da = self._by_tier((0.01, 0.07, 0.3))
        self.substance = self._by_tier((0.01, 0.05, 0.22))
        self.care = self._by_tier((0.005, 0.06, 0.25))

    def pick_one(self, mask: np.ndarray) -> np.ndarray:
        """One random person per household among those where mask is true."""
        idx = np.nonzero(mask)[0]
        if len(idx) == 0:
            return idx
        order = np.lexsort((self.rng.random(len(idx)), self.hh[idx]))
        idx = idx[order]
        _, first = np.unique(self.hh[idx], return_index=True)
        return idx[first]

    def in_members(self, households: np.ndarray) -> np.ndarray:
        return households[self.hh]

    def window_dates(self, n: int) -> np.ndarray:
        """Dates in the window (ws, t], a share of them exactly on its edges (ws is outside)."""
        rng = self.rng
        days = self.t - rng.integers(0, self.t - self.ws, n)
        edge = rng.random(n) < self.mess.boundary
        choice = rng.integers(0, 3, n)
        return np.where(edge, np.choose(choice, [np.full(n, self.ws), np.full(n, self.ws + 1), np.full(n, self.t)]), days)

    def spread(self, n: int, span: int = 1095) -> np.ndarray:
        return self.t - self.rng.integers(0, span + 1, n)

    def police(self) -> Rows:
        rng = self.rng
        lam = np.array([0.06, 0.35, 0.9])[self.tier] * np.where((self.age_t >= 14) & (self.age_t <= 30), 1.6, 1.0)
        lam = np.where(self.age_t >= 10, lam, 0.0)
        pid = np.repeat(np.arange(self.n_p), rng.poisson(lam))
        day = self.spread(len(pid))
        late = rng.random(len(pid)) < self.mess.late_events
        day[late] = self.t + rng.integers(1, 15, late.sum())
        kind = rng.choice(POLICE_TYPES, len(pid), p=POLICE_WEIGHTS / POLICE_WEIGHTS.sum())
        age = age_at(self.dob[pid], day)
        kind = np.where((age < 18) & np.isin(kind, ["adult_offence", "domestic_abuse"]), "asb_incident", kind)
        keep = age >= 10
        parts = [{"pid": pid[keep], "event_date": day[keep], "event_type": kind[keep]}]

        who = self.pick_one(self.in_members(self.crime_order) & (self.age_t >= 12))
        parts.append({"pid": who, "event_date": self.window_dates(len(who)),
                      "event_type": rng.choice(ORDER_TYPES, len(who), p=[0.5, 0.25, 0.25])})
        first = self.pick_one(self.in_members(self.da) & self.adult)
        days = self.window_dates(len(first))
        parts.append({"pid": first, "event_date": days, "event_type": np.full(len(first), "domestic_abuse")})
        taken = np.zeros(self.n_p, dtype=bool)
        taken[first] = True
        with_partner = np.zeros(self.n_h, dtype=bool)
        with_partner[self.hh[first]] = rng.random(len(first)) < 0.5
        second = self.pick_one(self.in_members(with_partner) & self.adult & ~taken)
        day_of = np.full(self.n_h, NULL)
        day_of[self.hh[first]] = days
        parts.append({"pid": second, "event_date": day_of[self.hh[second]],
                      "event_type": np.full(len(second), "domestic_abuse")})
        return _cat(parts)

    def youth_offending(self) -> Rows:
        rng = self.rng
        who = self.pick_one(self.in_members(self.crime_youth) & (self.age_t >= 11) & (self.age_t <= 18))
        outcome = self.window_dates(len(who))
        offence = outcome - rng.integers(14, 151, len(who))
        keep = age_at(self.dob[who], offence) >= 10
        parts = [{"pid": who[keep], "offence_date": offence[keep], "outcome_date": outcome[keep]}]

        lam = np.where((self.age_t >= 11) & (self.age_t <= 21), np.array([0.0, 0.15, 0.45])[self.tier], 0.0)
        pid = np.repeat(np.arange(self.n_p), rng.poisson(lam))
        lo = np.maximum(birthday(self.dob[pid], 10), self.t - 1095)
        hi = np.minimum(birthday(self.dob[pid], 18) - 1, self.t - 15)
        ok = lo <= hi
        pid, lo, hi = pid[ok], lo[ok], hi[ok]
        offence = lo + (rng.random(len(pid)) * (hi - lo + 1)).astype(np.int64)
        outcome = offence + rng.integers(14, 151, len(pid))
        ok = outcome <= self.t
        parts.append({"pid": pid[ok], "offence_date": offence[ok], "outcome_date": outcome[ok]})

        # Offences on the 18th birthday or the day before: only the latter is a minor's.
        edge = np.nonzero((self.age_t == 18) & (self.tier >= 1) & (rng.random(self.n_p) < self.mess.boundary * 3))[0]
        offence = birthday(self.dob[edge], 18) - rng.integers(0, 2, len(edge))
        outcome = offence + rng.integers(14, 61, len(edge))
        ok = outcome <= self.t
        parts.append({"pid": edge[ok], "offence_date": offence[ok], "outcome_date": outcome[ok]})
        rows = _cat(parts)
        rows.cols["outcome"] = rng.choice(YOS_OUTCOMES, len(rows), p=[0.3, 0.15, 0.3, 0.05, 0.15, 0.05])
        return rows

    def terms(self) -> list[tuple[str, str, int, int, float]]:
        """(academic year, term, start, end, share elapsed) for the census: six complete terms and any in progress."""
        out = []
        for year, term in reversed(last_terms(self.w.as_of, 6)):
            start, end = term_bounds(year, term)
            out.append((year, term, to_days(start), to_days(end), 1.0))
        year, term = term_containing(self.w.as_of)
        start, end = term_bounds(year, term)
        if end > self.w.as_of:
            share = (self.w.as_of - start).days / ((end - start).days + 1)
            out.append((year, term, to_days(start), to_days(end), share))
        return out

    def school(self) -> tuple[Rows, Rows]:
        rng = self.rng
        n_p = self.n_p
        a = np.array([[0.5, 35.0], [0.9, 14.0], [1.3, 9.0]])[self.tier]
        p_abs = rng.beta(a[:, 0], a[:, 1])
        target = self.pick_one(self.in_members(self.edu_absence | self.edu_fixed | self.edu_provision
                                              | self.edu_permanent) & self.school_age)
        absent = target[self.edu_absence[self.hh[target]]]
        p_abs[absent] = rng.uniform(0.17, 0.40, len(absent))
        sixth = rng.random(n_p) < 0.55
        index = {name: i for i, name in enumerate(DISTRICT_ABBR)}
        district = np.array([index[d] for d in self.w.d_district], dtype=np.int64)
        home = self.w.h_dwelling[self.hh]
        home_district = np.where(home >= 0, district[np.maximum(home, 0)], 0)
        primary = 100000 + home_district * 1000 + rng.integers(0, 60, n_p)
        secondary = 100000 + home_district * 1000 + 500 + rng.integers(0, 15, n_p)
        # UPN: check letter, Kent's LA code 886, then nine digits unique per child.
        upn_letter = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))[rng.integers(0, 23, n_p)]
        serial = (np.arange(n_p) * 7919 + int(rng.integers(0, 10**9))) % 10**9
        upn = np.char.add(np.char.add(upn_letter, "886"), np.char.zfill(serial.astype(str), 9))

        parts = []
        terms = self.terms()
        last3 = set(last_terms(self.w.as_of, 3))
        newest = last_terms(self.w.as_of, 1)[0]
        for year, term, start, end, share in terms:
            aug = to_days(date(int(year[:4]), 8, 31))
            age = age_at(self.dob, np.full(n_p, aug))
            enrolled = ((age >= 4) & (age <= 15)) | ((age >= 16) & (age <= 17) & sixth)
            enrolled &= rng.random(n_p) >= 0.02
            pid = np.nonzero(enrolled)[0]
            lo, hi = SESSIONS[term]
            possible = np.floor(rng.integers(lo, hi, len(pid)) * share).astype(np.int64)
            keep = possible > 0
            pid, possible = pid[keep], possible[keep]
            unauth = rng.binomial(possible, p_abs[pid])
            urn = np.where(age[pid] <= 10, primary[pid], secondary[pid]).astype(str)
            parts.append({
                "pid": pid, "academic_year": np.full(len(pid), year), "term": np.full(len(pid), term),
                "provision": np.full(len(pid), "mainstream"), "sessions_possible": possible,
                "sessions_unauthorised": unauth, "school_urn": urn, "term_end": np.full(len(pid), end),
                "in_last3": np.full(len(pid), (year, term) in last3),
                "newest": np.full(len(pid), (year, term) == newest),
            })
        census = _cat(parts).cols
        census["upn"] = upn[census["pid"]]

        # A problem provision in the newest complete term; not on roll means no sessions.
        prov = target[self.edu_provision[self.hh[target]]]
        rows = np.isin(census["pid"], prov) & census["newest"]
        kind = rng.choice(PROVISION_PROBLEMS, len(census["pid"]))
        census["provision"] = np.where(rows, kind, census["provision"])
        nor = census["provision"] == "not_on_roll"
        census["sessions_possible"] = np.where(nor, 0, census["sessions_possible"])
        census["sessions_unauthorised"] = np.where(nor, 0, census["sessions_unauthorised"])
        census["school_urn"] = np.where(nor, "", census["school_urn"])
        pru = (census["provision"] == "pru") | (census["provision"] == "alternative_provision")
        census["school_urn"] = np.where(pru, (135000 + rng.integers(0, 40, len(pru))).astype(str), census["school_urn"])

        # Exactly 15 % (60 of 400) and just under (59 of 400) over the last three terms.
        edge = np.nonzero(self.school_age & (rng.random(n_p) < self.mess.boundary))[0]
        edge = edge[~np.isin(edge, target)]
        exact = np.zeros(n_p, dtype=np.int64)
        exact[edge] = rng.integers(1, 3, len(edge))  # 1: exactly 15 %, 2: just under
        sel = (exact[census["pid"]] > 0) & census["in_last3"] & (census["provision"] == "mainstream")
        plan_possible = {"autumn": 140, "spring": 120, "summer": 140}
        plan_unauth = {"autumn": 21, "spring": 18, "summer": 21}
        for term, pos in plan_possible.items():
            rows = sel & (census["term"] == term)
            census["sessions_possible"] = np.where(rows, pos, census["sessions_possible"])
            under = rows & (exact[census["pid"]] == 2) & (term == "spring")
            census["sessions_unauthorised"] = np.where(rows, plan_unauth[term] - under, census["sessions_unauthorised"])
        for k in ("in_last3", "newest"):
            del census[k]

        exclusions = self._exclusions(target, terms)
        exclusions.cols["upn"] = upn[exclusions.cols["pid"]]
        return Rows(census), exclusions

    def _exclusions(self, target: np.ndarray, terms: list) -> Rows:
        rng = self.rng
        last3 = last_terms(self.w.as_of, 3)
        s3 = to_days(term_bounds(*last3[-1])[0])
        e3 = to_days(term_bounds(*last3[0])[1])
        s_all = terms[0][2]
        parts = []
        fixed = target[self.edu_fixed[self.hh[target]]]
        n = rng.integers(3, 6, len(fixed))
        pid = np.repeat(fixed, n)
        day = s3 + rng.integers(0, e3 - s3 + 1, len(pid))
        # A few planned third exclusions fall just before the three terms, leaving two that count.
        first_of_each = np.r_[0, np.cumsum(n)[:-1]]
        early = first_of_each[(n == 3) & (rng.random(len(fixed)) < self.mess.boundary * 5)]
        day[early] = s3 - rng.integers(1, 20, len(early))
        parts.append({"pid": pid, "exclusion_date": day, "exclusion_type": np.full(len(pid), "fixed")})
        perm = target[self.edu_permanent[self.hh[target]]]
        parts.append({"pid": perm, "exclusion_date": s3 + rng.integers(0, e3 - s3 + 1, len(perm)),
                      "exclusion_type": np.full(len(perm), "permanent")})
        lam = np.where(self.school_age, np.array([0.03, 0.3, 0.7])[self.tier], 0.0)
        pid = np.repeat(np.arange(self.n_p), rng.poisson(lam))
        parts.append({"pid": pid, "exclusion_date": s_all + rng.integers(0, self.t - s_all + 1, len(pid)),
                      "exclusion_type": np.full(len(pid), "fixed")})
        rows = _cat(parts).cols
        days = weekday_in_term(rows["exclusion_date"])
        rows["exclusion_date"] = np.minimum(days, self.t)
        rows["sessions"] = np.where(rows["exclusion_type"] == "fixed", rng.integers(1, 11, len(days)), NULL)
        return Rows(rows)

    def dwp(self) -> tuple[Rows, Rows]:
        rng = self.rng
        first = self.pick_one(self.in_members(self.work) & self.adult)
        both = np.zeros(self.n_h, dtype=bool)
        both[self.hh[first]] = rng.random(len(first)) < 0.3
        taken = np.zeros(self.n_p, dtype=bool)
        taken[first] = True
        second = self.pick_one(self.in_members(both) & self.adult & ~taken)
        # 17-year-olds can hold an open spell too, but they are not adults for criterion 3.
        young = np.nonzero((self.age_t == 17) & (self.tier >= 1) & (rng.random(self.n_p) < self.mess.boundary * 2))[0]
        open_pid = np.concatenate([first, second, young])
        n = len(open_pid)
        start = self.t - rng.integers(0, 2500, n)
        # Not before 16 (plus a little, so spells do not pile up on birthdays), not after T.
        start = np.minimum(np.maximum(start, birthday(self.dob[open_pid], 16) + rng.integers(0, 365, n)), self.t)
        start[rng.random(n) < self.mess.boundary / 2] = self.t
        end = np.full(n, NULL)
        end[rng.random(n) < self.mess.boundary] = self.t  # ended on T: still open on T
        benefit = rng.choice(BENEFITS, n, p=BENEFIT_WEIGHTS / BENEFIT_WEIGHTS.sum())
        benefit[len(first) + len(second):] = "IS"
        open_start = np.full(self.n_p, NULL)
        open_start[open_pid] = start

        lam = np.where(self.age_t >= 18, np.array([0.25, 0.5, 0.8])[self.tier], 0.0)
        pid = np.repeat(np.arange(self.n_p), rng.poisson(lam))
        c_end = self.t - rng.integers(1, 2000, len(pid))
        near = rng.random(len(pid)) < self.mess.boundary
        c_end[near] = self.t - 1  # ended the day before T: not open
        limit = open_start[pid]
        clash = (limit != NULL) & (c_end >= limit)
        c_end = np.where(clash, limit - rng.integers(1, 200, len(pid)), c_end)
        c_start = c_end - rng.integers(14, 600, len(pid))
        ok = c_start >= birthday(self.dob[pid], 16)
        pid, c_start, c_end = pid[ok], c_start[ok], c_end[ok]
        c_benefit = rng.choice(BENEFITS, len(pid), p=BENEFIT_WEIGHTS / BENEFIT_WEIGHTS.sum())
        benefits = Rows({
            "pid": np.concatenate([open_pid, pid]),
            "benefit": np.concatenate([benefit, c_benefit]),
            "spell_start": np.concatenate([start, c_start]),
            "spell_end": np.concatenate([end, c_end]),
        })

        parts = []
        got_job = rng.random(len(pid)) < 0.35
        job = c_end[got_job] + rng.integers(0, 31, got_job.sum())
        ok = job <= self.t
        jp, job = pid[got_job][ok], job[ok]
        parts.append({"pid": jp, "event": np.full(len(jp), "employment_start"), "event_date": job})
        left = rng.random(len(jp)) < 0.4
        quit_day = job[left] + rng.integers(30, 500, left.sum())
        ok = quit_day <= self.t
        parts.append({"pid": jp[left][ok], "event": np.full(ok.sum(), "employment_end"), "event_date": quit_day[ok]})
        long_open = (start <= self.t - 365) & np.isin(benefit, ["JSA", "ESA"]) & (rng.random(n) < 0.35)
        lo = start[long_open] + 270
        wp = lo + (rng.random(long_open.sum()) * (self.t - lo + 1)).astype(np.int64)
        parts.append({"pid": open_pid[long_open], "event": np.full(long_open.sum(), "work_programme_start"),
                      "event_date": wp})
        esf = rng.random(n) < 0.04
        parts.append({"pid": open_pid[esf], "event": np.full(esf.sum(), "esf_start"),
                      "event_date": np.maximum(start[esf], self.t - rng.integers(0, 700, esf.sum()))})
        recent = rng.random(len(first)) < 0.08
        parts.append({"pid": first[recent], "event": np.full(recent.sum(), "employment_start"),
                      "event_date": self.t - rng.integers(0, 200, recent.sum())})
        self.claimants, self.claim_start = first, start[: len(first)]
        return benefits, _cat(parts)

    def housing(self) -> tuple[Rows, Rows]:
        """Tenancy rows (one per listed person) and housing ASB interventions."""
        rng, w = self.rng, self.w
        head = np.full(self.n_h, -1)
        heads = np.nonzero(self.w.p_role == ROLE_HEAD)[0]
        head[self.hh[heads]] = heads
        moved = w.h_move != NO_DATE
        social = self.social & (head >= 0)
        h_cur = np.nonzero(social)[0]
        h_old = h_cur[moved[h_cur] & (rng.random(len(h_cur)) < 0.5) & (w.h_old_dwelling[h_cur] >= 0)]
        adult_from = birthday(self.dob[head], 18) + rng.integers(0, 730, self.n_h)

        cur_start = np.where(moved[h_cur], w.h_move[h_cur], self.t - rng.integers(60, 5500, len(h_cur)))
        cur_start = np.minimum(np.maximum(cur_start, adult_from[h_cur]), self.t)
        cur_end = np.full(len(h_cur), NULL)
        u = rng.random(len(h_cur))
        cur_end[u < self.mess.boundary] = self.t
        notice = (u >= self.mess.boundary) & (u < 2 * self.mess.boundary)
        cur_end[notice] = self.t + rng.integers(1, 90, notice.sum())
        h_old = h_old[adult_from[h_old] < w.h_move[h_old] - 60]  # the lead was an adult before moving
        old_end = w.h_move[h_old] - 1
        old_start = np.maximum(old_end - rng.integers(365, 4000, len(h_old)), adult_from[h_old])
        ten_h = np.concatenate([h_cur, h_old])
        ten_start = np.concatenate([cur_start, old_start])
        ten_end = np.concatenate([cur_end, old_end])
        ten_dwelling = np.concatenate([w.h_dwelling[h_cur], w.h_old_dwelling[h_old]])
        n_t = len(ten_h)
        district = np.array([DISTRICT_ABBR[w.d_district[d]] for d in ten_dwelling], dtype=object)
        ten_ref = np.array([f"{district[i]}/{100000 + i * 13 % 900000:06d}" for i in range(n_t)], dtype=object)

        # Members of each tenancy: the head leads, a partner is often joint, others listed.
        order = np.argsort(self.hh, kind="stable")
        counts = np.bincount(self.hh, minlength=self.n_h)
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        size = counts[ten_h]
        t_of = np.repeat(np.arange(n_t), size)
        within = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
        pid = order[np.repeat(starts[ten_h], size) + within]
        role = np.where(pid == head[self.hh[pid]], "lead_tenant",
                        np.where((self.w.p_role[pid] == ROLE_PARTNER) & (rng.random(len(pid)) < 0.6),
                                 "joint_tenant", "household_member"))
        end_or_t = np.where(ten_end[t_of] == NULL, self.t, np.minimum(ten_end[t_of], self.t))
        listed = (role != "household_member") | (rng.random(len(pid)) < 0.88)
        listed &= self.dob[pid] <= end_or_t
        pid, t_of, role = pid[listed], t_of[listed], role[listed]
        housing = Rows({
            "pid": pid, "tenancy_ref": ten_ref[t_of], "dwelling": ten_dwelling[t_of], "role": role,
            "tenancy_start": ten_start[t_of], "tenancy_end": ten_end[t_of],
            "with_nino": self.adult[pid] & (rng.random(len(pid)) < 0.35),
        })

        parts = []
        aim = self.crime_housing[ten_h[: len(h_cur)]]
        tix = np.nonzero(aim)[0]
        day = np.maximum(self.window_dates(len(tix)), ten_start[tix])
        parts.append({"t": tix, "intervention_date": day})
        lam = np.array([0.02, 0.12, 0.35])[self.h_tier[ten_h]]
        tix = np.repeat(np.arange(n_t), rng.poisson(lam))
        last = np.where(ten_end[tix] == NULL, self.t, np.minimum(ten_end[tix], self.t))
        day = ten_start[tix] + (rng.random(len(tix)) * (last - ten_start[tix] + 1)).astype(np.int64)
        parts.append({"t": tix, "intervention_date": day})
        asb = _cat(parts).cols
        tix = asb["t"]
        asb_rows = Rows({
            "tenancy_ref": ten_ref[tix],
            "district": district[tix],
            "intervention": rng.choice(HOUSING_ASB, len(tix), p=HOUSING_ASB_WEIGHTS / HOUSING_ASB_WEIGHTS.sum()),
            "intervention_date": asb["intervention_date"],
        })
        return housing, asb_rows

    def social_care(self) -> Rows:
        rng = self.rng
        child = (self.age_t <= 16) & self.in_members(self.care) & (rng.random(self.n_p) < 0.8)
        pid = np.nonzero(child)[0]
        n = len(pid)
        status = rng.choice(CARE_STATUSES, n, p=[0.55, 0.3, 0.15])
        la = status == "looked_after"
        start = np.maximum(self.t - rng.integers(0, 1400, n), self.dob[pid])
        end = start + rng.integers(60, 700, n)
        end = np.where(end > self.t, NULL, end)
        # Looked-after episodes always reach into the window, so "or looked_after" reads
        # the same whether or not the window applies to it.
        from_ = np.maximum(start, self.ws)
        la_end = np.minimum(from_ + 1 + (rng.random(n) * (self.t - from_)).astype(np.int64), self.t)
        end = np.where(la, np.where(rng.random(n) < 0.7, NULL, la_end), end)
        # Episodes ending exactly on the window's start (outside) or the day after (inside).
        edge_start = np.maximum(self.ws - rng.integers(60, 400, n), self.dob[pid])
        edge = ~la & (rng.random(n) < self.mess.boundary * 3) & (edge_start < self.ws)
        start = np.where(edge, edge_start, start)
        end = np.where(edge, self.ws + rng.integers(0, 2, n), end)

        older = pid[rng.random(n) < 0.2]
        o_start = np.maximum(self.t - rng.integers(800, 2000, len(older)), self.dob[older])
        o_end = np.minimum(o_start + rng.integers(60, 400, len(older)), self.ws)
        ok = o_end > o_start
        return Rows({
            "pid": np.concatenate([pid, older[ok]]),
            "status": np.concatenate([status, np.full(ok.sum(), "child_in_need")]),
            "start_date": np.concatenate([start, o_start[ok]]),
            "end_date": np.concatenate([end, o_end[ok]]),
        })

    def health(self) -> Rows:
        rng = self.rng
        parts = []
        who = self.pick_one(self.in_members(self.substance) & (self.age_t >= 16))
        parts.append({"pid": who, "issue": rng.choice(["drug_misuse", "alcohol_misuse"], len(who)),
                      "recorded_date": self.window_dates(len(who))})
        for issue, p, span in (("mental_health", (0.04, 0.12, 0.25), 1095), ("long_term_condition", (0.05, 0.07, 0.1), 1095)):
            pid = np.nonzero(self.adult & (rng.random(self.n_p) < np.array(p)[self.tier]))[0]
            parts.append({"pid": pid, "issue": np.full(len(pid), issue), "recorded_date": self.spread(len(pid), span)})
        old = np.nonzero(self.adult & (rng.random(self.n_p) < np.array([0.01, 0.05, 0.15])[self.tier]))[0]
        parts.append({"pid": old, "issue": rng.choice(["drug_misuse", "alcohol_misuse"], len(old)),
                      "recorded_date": self.ws - rng.integers(0, 730, len(old))})
        base = np.nonzero(self.adult & (rng.random(self.n_p) < 0.004))[0]
        parts.append({"pid": base, "issue": rng.choice(["drug_misuse", "alcohol_misuse"], len(base)),
                      "recorded_date": self.spread(len(base), 364)})
        teen = np.nonzero(self.w.p_female & (self.age_t >= 14) & (self.age_t <= 17)
                          & (rng.random(self.n_p) < np.array([0.0, 0.04, 0.1])[self.tier]))[0]
        day = self.t - rng.integers(0, 700, len(teen))
        ok = age_at(self.dob[teen], day) >= 13
        parts.append({"pid": teen[ok], "issue": np.full(ok.sum(), "under_18_conception"), "recorded_date": day[ok]})
        return _cat(parts)

    def turnaround(self, rows: dict[str, Rows]) -> None:
        """Results intents: some troubled households are worked with from an attachment day
        (`h_attach`, 1 to 21 months before T). Some had a burst of ASB incidents in the six
        months before it and fewer, or none, since; some claimants start work after it, a
        share of them 13 weeks before T to the day (or a day short). Only police ASB incidents
        and employment starts are added: no identification criterion reads them, though a
        police row can still be someone's most recent address. Whether a result is achieved
        is decided by the oracle reading the rows, never by these intents.
        """
        rng, t = self.results_rng, self.t
        troubled = self.h_tier >= 1
        self.h_attach = np.where(troubled, t - rng.integers(30, 640, self.n_h), NULL)
        if self.attach_months:
            days = np.array([to_days(months_before(self.w.as_of, m)) for m in self.attach_months])
            pick = self.attach_rng.integers(0, len(days), self.n_h)
            self.h_attach = np.where(troubled, days[pick], NULL)

        burst = troubled & (rng.random(self.n_h) < 0.35)
        idx = np.nonzero(self.in_members(burst) & (self.age_t >= 12))[0]
        order = np.lexsort((rng.random(len(idx)), self.hh[idx]))
        idx = idx[order]
        _, first = np.unique(self.hh[idx], return_index=True)
        who = idx[first]
        attach = self.h_attach[self.hh[who]]
        n_before = rng.integers(2, 6, len(who))
        n_after = rng.choice([0, 0, 1, 1, 2, 3], len(who))
        pid_b = np.repeat(who, n_before)
        day_b = np.repeat(attach, n_before) - rng.integers(0, 182, len(pid_b))
        pid_a = np.repeat(who, n_after)
        day_a = t - rng.integers(0, 182, len(pid_a))
        pid = np.concatenate([pid_b, pid_a])
        day = np.concatenate([day_b, day_a])
        keep = age_at(self.dob[pid], day) >= 10
        police = rows["police"].cols
        extra = {"pid": pid[keep], "event_date": day[keep], "event_type": np.full(keep.sum(), "asb_incident")}
        rows["police"] = Rows({k: np.concatenate([police[k], extra[k]]) for k in police})

        claimant_attach = self.h_attach[self.hh[self.claimants]]
        can = ((claimant_attach != NULL) & (self.claim_start <= claimant_attach)
               & (rng.random(len(self.claimants)) < 0.3))
        who = self.claimants[can]
        start = t - rng.integers(60, 300, len(who))
        edge = rng.random(len(who)) < self.mess.boundary * 5
        start[edge] = t - 91 + rng.integers(0, 2, edge.sum())  # 13 weeks on T, or a day short
        ok = start > claimant_attach[can]
        employment = rows["dwp_employment"].cols
        extra = {"pid": who[ok], "event": np.full(ok.sum(), "employment_start"), "event_date": start[ok]}
        rows["dwp_employment"] = Rows({k: np.concatenate([employment[k], extra[k]]) for k in employment})
        if self.attach_months:
            # The work succeeded: the claim ends the day before the job starts, so the family
            # met "work" on the attachment date and may not at T (issue 10's new-county case).
            # Claimant i's open spell is row i of dwp_benefits (see dwp()).
            claim = np.nonzero(can)[0][ok]
            rows["dwp_benefits"].cols["spell_end"][claim] = start[ok] - 1

    def all(self) -> dict[str, Rows]:
        """Every extract's clean rows (housing_asb has no pid: it is per tenancy)."""
        census, exclusions = self.school()
        benefits, employment = self.dwp()
        housing, housing_asb = self.housing()
        rows = {
            "police": self.police(),
            "youth_offending": self.youth_offending(),
            "school_census": census,
            "school_exclusions": exclusions,
            "dwp_benefits": benefits,
            "dwp_employment": employment,
            "housing": housing,
            "housing_asb": housing_asb,
            "social_care": self.social_care(),
            "health": self.health(),
        }
        self.turnaround(rows)
        return rows
