"""The clean synthetic world: households, the people in them and the dwellings they live in.

Built once per seed before any extract row exists, so that every row can be traced back
to a true person and a true dwelling. Household structure is drawn per household in
plain Python (a few random calls each, fast enough for 200k households); dates are held
as days since 1970-01-01 so the event code can work on numpy arrays.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date

import numpy as np
from rapidfuzz.distance import OSA

from cohort.core.reference import DISTRICT_COHORTS, DISTRICT_OUTWARD, OUT_OF_AREA, district_for_postcode
from cohort.data_samples import names
from cohort.data_samples.mess import MessRates

EPOCH = date(1970, 1, 1).toordinal()
NO_DATE = np.iinfo(np.int32).max

HH_TYPES = ("single", "couple", "single_parent", "couple_kids", "multigen", "shared")
HH_TYPE_WEIGHTS = (27, 13, 22, 26, 5, 7)
# Probability of tiers 0 (few problems), 1 (some), 2 (many) by household type: families
# with children carry most of the troubles the programme looks for.
TIER_WEIGHTS = {
    "single": (0.86, 0.11, 0.03),
    "couple": (0.88, 0.10, 0.02),
    "single_parent": (0.56, 0.28, 0.16),
    "couple_kids": (0.66, 0.23, 0.11),
    "multigen": (0.60, 0.27, 0.13),
    "shared": (0.80, 0.15, 0.05),
}
KIDS_CW = (34, 69, 88, 96)  # 1-5 children: 34, 35, 19, 8, 4 %
ROLE_HEAD, ROLE_PARTNER, ROLE_CHILD, ROLE_OTHER = 0, 1, 2, 3
RURAL_OUTWARD = frozenset({
    "TN25", "TN26", "TN27", "TN17", "TN18", "TN29", "ME17", "ME18", "CT3", "CT4",
    "CT15", "TN14", "TN15", "TN3", "TN12", "DA13", "TN11", "ME9",
})
DISTRICT_ABBR = {
    "Ashford": "ASH", "Canterbury": "CAN", "Dartford": "DAR", "Dover": "DOV",
    "Gravesham": "GRA", "Maidstone": "MAI", "Sevenoaks": "SEV", "Shepway": "SHE",
    "Swale": "SWA", "Thanet": "THA", "Tonbridge and Malling": "TMB", "Tunbridge Wells": "TWB",
    OUT_OF_AREA: "MED",
}
ADDRESS_VARIANTS = 6
SIMILAR_STREETS = 0.05  # streets named like the one before, of another type
LETTERED = 0.3  # of buildings of flats: flats A, B, C rather than 1, 2, 3


def to_days(d: date) -> int:
    return d.toordinal() - EPOCH


def from_days(n: int) -> date:
    return date.fromordinal(int(n) + EPOCH)


@dataclass
class World:
    as_of: date
    # persons, indexed by person number
    p_household: np.ndarray
    p_forename: list[str]
    p_middle: list[str]  # "" when none
    p_surname: list[str]  # current surname
    p_maiden: list[str]  # surname before p_marriage, "" when unchanged
    p_marriage: np.ndarray  # days; NO_DATE when the surname never changed
    p_dob: np.ndarray  # days
    p_female: np.ndarray
    p_role: np.ndarray
    p_kind: list[str]
    # households
    h_type: list[str]
    h_tier: np.ndarray
    h_dwelling: np.ndarray  # -1: no fixed abode
    h_old_dwelling: np.ndarray  # -1 unless the household moved
    h_move: np.ndarray  # days; NO_DATE unless moved
    # dwellings
    d_postcode: list[str]
    d_district: list[str]
    d_uprn: list[str]
    d_variants: list[tuple[str, ...]]  # ADDRESS_VARIANTS ways of writing the address
    d_parts: list[Dwelling]  # the address's parts, for the row-level ways of writing it (mess.py)

    @property
    def persons(self) -> int:
        return len(self.p_household)


def _cum_zipf(n: int, s: float = 0.9) -> list[float]:
    return list(np.cumsum([1.0 / (i + 1) ** s for i in range(n)]))


def _nickname_groups() -> dict[str, set[str]]:
    """name -> every form it shares a group with: the formal names it may stand for and
    their other short forms (Millie -> Emily, Amelia, Em, Emmy, Millie...)."""
    stands_for: dict[str, set[str]] = {}
    lists = {**names.NICKNAMES, **names.DIMINUTIVES}
    for formal, short in lists.items():
        for n in (formal, *short):
            stands_for.setdefault(n, set()).add(formal)
    return {n: {f for formal in formals for f in (formal, *lists[formal])} for n, formals in stands_for.items()}


def with_kind(kind: str, new: str) -> str:
    parts = [k for k in kind.split(";") if k]
    if new not in parts:
        parts.append(new)
    return ";".join(parts)


class _Builder:
    """Accumulates people household by household (column lists, one entry per person)."""

    def __init__(self, r: random.Random, as_of: date, mess: MessRates):
        self.r = r
        self.mess = mess
        self.t_days = to_days(as_of)
        self.fore = {sex: [(pool, _cum_zipf(len(pool))) for pool in eras] for sex, eras in names.FORENAMES.items()}
        self.common = list(names.SURNAMES_COMMON)
        self.common_cw = _cum_zipf(len(self.common), 0.75)
        self.rare = [p + s for p in names.RARE_PREFIXES for s in names.RARE_SUFFIXES]
        self.cols: dict[str, list] = {k: [] for k in (
            "household", "forename", "middle", "surname", "maiden", "marriage", "dob", "female", "role", "kind")}
        self.origin = "english"  # the naming tradition of the household being built
        self.origin_cw = list(np.cumsum(list(names.ORIGIN_SHARES.values())))
        self.groups = _nickname_groups()

    def forename(self, female: bool, birth_year: int, avoid: set[str] | None = None, english: bool = False) -> str:
        """A forename of the household's origin (English when `english`), never one that
        `avoid` (the siblings' names) makes confusable: within two edits, or a nickname of
        the same name. Parents do not name two children Ella and Ellie."""
        sex = "F" if female else "M"
        if self.origin != "english" and not english:
            pool = names.ORIGIN_FORENAMES[self.origin][sex]
            cw = _cum_zipf(len(pool), 0.5)
        else:
            era = sum(birth_year >= b for b in names.ERA_BOUNDS)
            pool, cw = self.fore[sex][era]
        name = pool[0]
        for _ in range(20):
            name = pool[bisect(cw, self.r.random() * cw[-1])]
            if not avoid or not any(self.confusable(name, other) for other in avoid):
                break
        return name

    def confusable(self, a: str, b: str) -> bool:
        """Within two edits, or sharing a form (Emily and Amelia both go by Millie)."""
        return OSA.distance(a.upper(), b.upper()) <= 2 or bool(self.groups.get(a, {a}) & self.groups.get(b, {b}))

    def draw_origin(self) -> str:
        x = self.r.random()
        if x >= self.origin_cw[-1]:
            return "english"
        return list(names.ORIGIN_SHARES)[bisect(self.origin_cw, x)]

    def surname(self, allow_double: bool = True) -> str:
        r = self.r
        if self.origin != "english":
            return r.choice(names.ORIGIN_SURNAMES[self.origin])
        if allow_double and r.random() < self.mess.double_barrelled:
            a, b = self.surname(False), self.surname(False)
            if a != b:
                return f"{a}-{b}"
        if r.random() < 0.12:
            return r.choice(self.rare)
        return self.common[bisect(self.common_cw, r.random() * self.common_cw[-1])]

    def add(self, h: int, female: bool, age: int | None, surname: str, role: int, *,
            dob: int | None = None, avoid: set[str] | None = None, kind: str = "") -> int:
        r = self.r
        if dob is None:
            dob = self.t_days - int((age or 0) * 365.25) - r.randrange(365)
        year = 1970 + int(dob // 365.2425)  # birth year, near enough to pick a name era
        english = role == ROLE_CHILD and r.random() < names.ENGLISH_CHILD
        fore = self.forename(female, year, avoid, english)
        has_middle = r.random() < (0.55 if role == ROLE_CHILD else 0.4)
        middle = self.forename(female, year, {fore} | (avoid or set()), english) if has_middle else ""
        if self.origin == "polish":
            surname = names.feminine_surname(surname) if female else names.masculine_surname(surname)
        c = self.cols
        c["household"].append(h)
        c["forename"].append(fore)
        c["middle"].append(middle)
        c["surname"].append(surname)
        c["maiden"].append("")
        c["marriage"].append(int(NO_DATE))
        c["dob"].append(dob)
        c["female"].append(female)
        c["role"].append(role)
        c["kind"].append(kind)
        return len(c["household"]) - 1

    def couple(self, h: int, age: int, family: str, head_role: int = ROLE_HEAD) -> tuple[int | None, int]:
        """A man and a woman (sometimes two women); returns (man, woman)."""
        r = self.r
        if r.random() < 0.04:
            self.add(h, True, max(18, age + r.randrange(-4, 5)), family, head_role)
            return None, self.add(h, True, max(18, age), self.surname(), ROLE_PARTNER)
        man = self.add(h, False, max(18, age + r.randrange(-2, 7)), family, head_role)
        married = r.random() < 0.65
        origin = self.origin
        if origin != "english" and r.random() < names.MIXED_PARTNER:
            self.origin = "english"  # a partner of another origin
        woman = self.add(h, True, max(18, age), family if married else self.surname(), ROLE_PARTNER)
        self.origin = origin
        if married and r.random() < self.mess.surname_changed:
            # She took his name recently: records dated before the wedding carry her maiden name.
            c = self.cols
            maiden = self.surname()
            if maiden != family:
                c["maiden"][woman] = maiden
                c["marriage"][woman] = self.t_days - r.randrange(60, 1100)
                c["kind"][woman] = with_kind(c["kind"][woman], "surname_changed")
        return man, woman

    def same_name(self, kids: list[int], father: int | None, mother: int | None) -> None:
        """A son named after his father (or a daughter after her mother)."""
        c = self.cols
        for parent, female in ((father, False), (mother, True)):
            if parent is None:
                continue
            same = [k for k in kids if c["female"][k] == female and c["surname"][k] == c["surname"][parent]
                    and "twin" not in c["kind"][k]]
            if same:
                k = self.r.choice(same)
                c["forename"][k] = c["forename"][parent]
                if c["middle"][k] == c["middle"][parent] or c["middle"][k] == c["forename"][k]:
                    c["middle"][k] = ""
                c["kind"][parent] = with_kind(c["kind"][parent], "same_name_parent")
                c["kind"][k] = with_kind(c["kind"][k], "same_name_child")
                return

    def twins(self, h: int, kids: list[int], surname: str, taken: set[str]) -> None:
        """Twins of one of the children: mostly named as any two siblings, some with names
        chosen to go together (MessRates.twins_close, twins_nicknamed, twins_alike)."""
        r, c = self.r, self.cols
        k = r.choice(kids)
        x, pair = r.random(), None
        for share, pairs in ((self.mess.twins_close, names.TWIN_NAMES_CLOSE),
                             (self.mess.twins_nicknamed, names.TWIN_NAMES_NICKNAMED),
                             (self.mess.twins_alike, names.TWIN_NAMES_ALIKE)):
            x -= share
            if x < 0:
                pair = r.choice(pairs)
                break
        if pair is None:
            twin = self.add(h, r.random() < 0.5, None, surname, ROLE_CHILD, dob=c["dob"][k], avoid=taken, kind="twin")
        else:
            first, first_sex, second, second_sex = pair if r.random() < 0.5 else (*pair[2:], *pair[:2])
            c["forename"][k], c["female"][k] = first, first_sex == "F"
            if self.origin == "polish":
                c["surname"][k] = (names.feminine_surname if first_sex == "F" else names.masculine_surname)(surname)
            twin = self.add(h, second_sex == "F", None, surname, ROLE_CHILD, dob=c["dob"][k], kind="twin")
            c["forename"][twin] = second
            # No twin's middle name may be confused with the other twin's names.
            for one, other in ((k, twin), (twin, k)):
                if c["middle"][one] and any(self.confusable(c["middle"][one], n)
                                            for n in (c["forename"][other], c["middle"][other], c["forename"][one]) if n):
                    c["middle"][one] = ""
        c["kind"][k] = with_kind(c["kind"][k], "twin")
        kids.append(twin)

    def household(self, h: int, kind: str) -> None:
        r, c = self.r, self.cols
        self.origin = self.draw_origin()
        family = self.surname()
        coin = lambda: r.random() < 0.5  # noqa: E731
        if kind == "single":
            age = r.choice((18, 19, 20, 22, 25, 28, 31, 35, 40, 45, 50, 55, 62, 70, 78, 85)) + r.randrange(3)
            self.add(h, coin(), age, family, ROLE_HEAD)
            return
        if kind == "shared":
            for i in range(r.choice((2, 2, 3, 3, 4))):
                self.add(h, coin(), r.randrange(18, 56), family if i == 0 else self.surname(),
                         ROLE_HEAD if i == 0 else ROLE_OTHER)
            return
        if kind == "couple":
            self.couple(h, r.randrange(19, 80), family)
            return
        n_kids = 1 + bisect(KIDS_CW, r.random() * 100)
        oldest = r.randrange(0, 18)
        mother_age = oldest + r.randrange(17, 38)
        father = mother = None
        if kind == "multigen":
            g_age = min(95, mother_age + r.randrange(18, 31))
            self.add(h, True, g_age, family, ROLE_HEAD)
            if r.random() < 0.4:
                self.add(h, False, min(97, g_age + r.randrange(0, 6)), family, ROLE_OTHER)
        if kind == "couple_kids" or (kind == "multigen" and coin()):
            father, mother = self.couple(h, mother_age, family, ROLE_HEAD if kind == "couple_kids" else ROLE_OTHER)
            kid_surname = c["surname"][father if father is not None and r.random() < 0.85 else mother]
        else:
            female_parent = r.random() < 0.9
            parent = self.add(h, female_parent, mother_age, family, ROLE_HEAD if kind == "single_parent" else ROLE_OTHER)
            father, mother = (None, parent) if female_parent else (parent, None)
            kid_surname = family if r.random() < 0.65 else self.surname()
        kids: list[int] = []
        taken: set[str] = set()
        age = oldest
        for _ in range(n_kids):
            if age < 0:
                break
            k = self.add(h, coin(), age, kid_surname, ROLE_CHILD, avoid=taken)
            taken.update(n for n in (c["forename"][k], c["middle"][k]) if n)
            kids.append(k)
            age -= r.randrange(1, 4)
        if mother_age - oldest > 36 and r.random() < 0.25:
            self.add(h, coin(), r.randrange(18, 21), kid_surname, ROLE_OTHER, avoid=taken)
        if kids and r.random() < self.mess.twins:
            self.twins(h, kids, kid_surname, taken)
        if r.random() < self.mess.same_name_parent:
            self.same_name(kids, father, mother)


def build_world(households: int, seed: int, as_of: date, mess: MessRates) -> World:
    """Draw households, people and dwellings for one seed."""
    r = random.Random(seed * 1_000_003 + 17)
    b = _Builder(r, as_of, mess)
    t_days = to_days(as_of)
    h_type, h_tier, h_move, h_nfa = [], [], [], []
    type_cw = list(np.cumsum(HH_TYPE_WEIGHTS))
    tier_cw = {k: list(np.cumsum(v)) for k, v in TIER_WEIGHTS.items()}
    for h in range(households):
        kind = HH_TYPES[bisect(type_cw, r.random() * type_cw[-1])]
        h_type.append(kind)
        h_tier.append(min(2, bisect(tier_cw[kind], r.random() * tier_cw[kind][-1])))
        h_nfa.append(kind == "single" and r.random() < mess.no_fixed_abode)
        h_move.append(t_days - r.randrange(30, 900) if r.random() < mess.moved else int(NO_DATE))
        b.household(h, kind)
    c = b.cols
    move = np.array(h_move, dtype=np.int64)
    moved = move != NO_DATE
    kinds = [with_kind(k, "moved") if moved[hh] else k for k, hh in zip(c["kind"], c["household"])]
    dw = _dwellings(r, np.array(h_nfa, dtype=bool), moved, mess)
    return World(
        as_of=as_of,
        p_household=np.array(c["household"], dtype=np.int64),
        p_forename=c["forename"],
        p_middle=c["middle"],
        p_surname=c["surname"],
        p_maiden=c["maiden"],
        p_marriage=np.array(c["marriage"], dtype=np.int64),
        p_dob=np.array(c["dob"], dtype=np.int64),
        p_female=np.array(c["female"], dtype=bool),
        p_role=np.array(c["role"], dtype=np.int8),
        p_kind=kinds,
        h_type=h_type,
        h_tier=np.array(h_tier, dtype=np.int8),
        h_dwelling=dw["current"],
        h_old_dwelling=dw["old"],
        h_move=move,
        d_postcode=dw["postcode"],
        d_district=dw["district"],
        d_uprn=dw["uprn"],
        d_variants=dw["variants"],
        d_parts=dw["parts"],
    )


@dataclass(frozen=True)
class Dwelling:
    """One dwelling's address in parts: flat ("2", "B" or ""), house number and suffix
    ("a" for 12a), house name, street name and type, locality ("" when none) and town."""

    flat: str
    number: int
    suffix: str
    house: str
    street: str
    stype: str
    locality: str
    town: str


class _Street:
    """Numbering state of one street, so that every dwelling on it is a distinct address."""

    def __init__(self, name: str, stype: str, abbr: str, town: str, locality: str = ""):
        self.name, self.stype, self.abbr, self.town, self.locality = name, stype, abbr, town, locality
        self.next_number = 1
        self.building: list = []  # [number, next flat, flats left, lettered]
        self.last_plain: int | None = None
        self.house_names: set[str] = set()
        self.count = 0
        self.postcodes: list[str] = []


def _address_variants(flat: str, number: int, suffix: str, house: str, st: _Street) -> tuple[str, ...]:
    """The same dwelling as different agencies write it (flat styles, St/Street, 12a/12A),
    the locality between street and town where the street has one."""
    full = f"{st.name} {st.stype}"
    short = f"{st.name} {st.abbr}"
    dotted = short if short.endswith(".") else f"{short}."
    town = f"{st.locality}, {st.town}" if st.locality else st.town
    if house:
        return (f"{house}, {full}, {town}", f"{house} {short}", f"{house}, {full}, {town}, Kent",
                f"{house} {full} {st.town}", f"{house}, {dotted}", f"{house}, {full}")
    num, num_up = f"{number}{suffix}", f"{number}{suffix.upper()}"
    if flat:
        pair = f"{number}{flat} {short}" if flat.isalpha() else f"{flat}/{num_up} {short}"
        return (f"Flat {flat}, {num} {full}, {town}", pair, f"Flat {flat} {num} {dotted}",
                f"{num_up} {full} Flat {flat}, {st.town}", f"Flat {flat}, {num} {full}",
                f"Flat {flat} {num_up} {full} {st.town}")
    return (f"{num} {full}, {town}", f"{num_up} {short}", f"{num}, {full}, {town}, Kent",
            f"{num_up} {full} {st.town}", f"{num} {dotted}", f"{num} {full}")


def _dwellings(r: random.Random, nfa: np.ndarray, moved: np.ndarray, mess: MessRates) -> dict:
    """Give each household a dwelling (and moved households an old one) in Kent or Medway."""
    districts = list(DISTRICT_COHORTS)
    district_cw = list(np.cumsum([y1 + y2 + 60 for y1, y2 in DISTRICT_COHORTS.values()]))

    def pick_outward() -> str:
        if r.random() < mess.out_of_area:
            return r.choice(names.OUT_OF_AREA_OUTWARD)
        return r.choice(DISTRICT_OUTWARD[r.choices(districts, cum_weights=district_cw)[0]])

    n = len(nfa)
    current = np.full(n, -1, dtype=np.int64)
    old = np.full(n, -1, dtype=np.int64)
    requests: list[tuple[int, bool, str]] = []  # (household, is_old, outward)
    for h in range(n):
        if nfa[h]:
            continue
        here = pick_outward()
        requests.append((h, False, here))
        if moved[h]:
            u = r.random()
            if u < 0.6:
                there = here
            elif u < 0.85 and district_for_postcode(here + " 1AA") != OUT_OF_AREA:
                there = r.choice(DISTRICT_OUTWARD[district_for_postcode(here + " 1AA")])
            else:
                there = pick_outward()
            requests.append((h, True, there))

    by_outward: dict[str, list[int]] = {}
    for i, (_, _, outward) in enumerate(requests):
        by_outward.setdefault(outward, []).append(i)
    streets: dict[str, list[_Street]] = {}
    taken: dict[str, set[tuple[str, str]]] = {}  # street names used per post town
    for outward, idx in by_outward.items():
        seen = taken.setdefault(names.POST_TOWNS[outward], set())
        streets[outward] = _make_streets(r, outward, max(1, math.ceil(len(idx) / r.uniform(8, 20))), seen)

    postcode, district, uprn, variants = [], [], [], []
    parts: list[Dwelling] = []
    used_inward: dict[str, set[str]] = {}
    district_of: dict[str, str] = {}
    for i, (h, is_old, outward) in enumerate(requests):
        st = r.choice(streets[outward])
        flat, number, suffix, house = _next_dwelling(r, st, outward in RURAL_OUTWARD)
        segment = st.count // 14
        st.count += 1
        if segment >= len(st.postcodes):
            st.postcodes.append(_new_postcode(r, outward, used_inward.setdefault(outward, set())))
        pc = st.postcodes[segment]
        d = len(postcode)
        postcode.append(pc)
        if outward not in district_of:
            district_of[outward] = district_for_postcode(pc)
        district.append(district_of[outward])
        variants.append(_address_variants(flat, number, suffix, house, st))
        parts.append(Dwelling(flat, number, suffix, house, st.name, st.stype, st.locality, st.town))
        (old if is_old else current)[h] = d
    ids = list(range(len(postcode)))
    r.shuffle(ids)
    uprn = [f"{100_000_000_000 + k * 7 + r.randrange(7)}" for k in ids]
    return {"current": current, "old": old, "postcode": postcode, "district": district,
            "uprn": uprn, "variants": variants, "parts": parts}


def _make_streets(r: random.Random, outward: str, count: int, seen: set[tuple[str, str]]) -> list[_Street]:
    """Streets for one outward code, their names unique within the post town. Half the
    streets of a town with localities are in one of them; SIMILAR_STREETS of streets share
    their name with the one before (Church Road and Church Lane, each its own postcode)."""
    town = names.POST_TOWNS[outward]
    localities = names.LOCALITIES.get(town, ())
    type_cw = list(np.cumsum(names.STREET_TYPE_WEIGHTS))
    out: list[_Street] = []
    misses = 0
    while len(out) < count:
        name = r.choice(names.STREET_NAMES)
        if out and r.random() < SIMILAR_STREETS:
            name = out[-1].name
        stype, abbrs = r.choices(names.STREET_TYPES, cum_weights=type_cw)[0]
        if name.split()[-1] == stype:
            continue
        if (name, stype) in seen:
            name = f"{r.choice(('Upper', 'Lower', 'Old', 'Little', 'Great', 'Back'))} {name}"
        if (name, stype) in seen:
            misses += 1
            if misses > 10_000:  # about 15,000 names a town: far beyond a million households
                raise ValueError(f"ran out of street names for {town}")
            continue
        seen.add((name, stype))
        locality = r.choice(localities) if localities and r.random() < 0.5 else ""
        out.append(_Street(name, stype, r.choice(abbrs), town, locality))
    return out


def _flat_label(k: int, lettered: bool) -> str:
    return "ABCDEFGH"[k - 1] if lettered else str(k)


def _next_dwelling(r: random.Random, st: _Street, rural: bool) -> tuple[str, int, str, str]:
    """(flat, number, suffix, house name) of the street's next distinct dwelling."""
    if r.random() < (0.12 if rural else 0.01):
        free = [h for h in names.HOUSE_NAMES if h not in st.house_names]
        if free:
            house = r.choice(free)
            st.house_names.add(house)
            return "", 0, "", house
    if st.building and st.building[2] > 0 and r.random() < 0.7:
        number, flat, left, lettered = st.building
        st.building = [number, flat + 1, left - 1, lettered]
        return _flat_label(flat, lettered), number, "", ""
    number = st.next_number
    st.next_number += r.choice((1, 2, 2))
    if r.random() < 0.13:
        lettered = r.random() < LETTERED
        st.building = [number, 2, r.randrange(1, 4 if lettered else 8), lettered]
        return _flat_label(1, lettered), number, "", ""
    if st.last_plain is not None and r.random() < 0.03:
        number, st.last_plain = st.last_plain, None
        return "", number, "a", ""
    st.last_plain = number
    return "", number, "", ""


def _new_postcode(r: random.Random, outward: str, used: set[str]) -> str:
    while True:
        inward = f"{r.randrange(10)}{r.choice(names.INWARD_LETTERS)}{r.choice(names.INWARD_LETTERS)}"
        if inward not in used:
            used.add(inward)
            return f"{outward} {inward}"
