"""How much, and which, mess the generator puts into the extracts.

Every kind of mess has its own rate in `MessRates`, drawn from the seeded generator, so
a test can switch one kind off, turn it up, or ask for clean extracts
(`MessRates().scaled(0)`). Row-level rates apply to each person-level row
independently; population rates (twins, moves, marriages) shape the world itself and
are not touched by `scaled`.

The string functions here change one value at a time and are only called on the few
percent of rows a rate selects, so per-value Python stays cheap.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from cohort.data_samples import names

ROW_LEVEL = (
    "nickname", "forename_typo", "surname_typo", "middle_swap", "name_format", "double_barrel_part",
    "dob_transposed", "dob_typo", "dob_blank", "gender_blank", "address_blank", "postcode_blank",
    "postcode_typo", "postcode_nospace", "postcode_lower", "id_blank", "id_wrong",
    "name_swap", "forename_keyed", "diminutive", "diacritics_dropped",
    "flat_pair", "flat_letter", "street_abbrev", "locality_glued", "street_typo",
    "postcode_truncated", "postcode_confused", "nfa_written", "nfa_housed", "postcode_recoded",
)


@dataclass(frozen=True)
class MessRates:
    # population (shape of the world; not scaled)
    twins: float = 0.04  # households with children that have a pair of twins
    twins_close: float = 0.10  # of twin pairs: names alike but more than two edits apart (Freddie, Frankie)
    twins_nicknamed: float = 0.10  # ... formal names whose nicknames are alike (Thomas/Tom, Timothy/Tim)
    twins_alike: float = 0.0  # ... two names within two edits (Jack, Jake): siblings almost never are
    same_name_parent: float = 0.06  # households with a son named after his father (or daughter/mother)
    moved: float = 0.06  # households that moved in the last 2.5 years
    surname_changed: float = 0.12  # married women who took their partner's name recently
    double_barrelled: float = 0.02  # surnames drawn double-barrelled
    out_of_area: float = 0.015  # households living in Medway
    no_fixed_abode: float = 0.02  # single adults with no address on any record
    boundary: float = 0.04  # window-targeted events placed exactly on a window edge
    late_events: float = 0.005  # police events dated just after T (extract lag)
    # per person-level row
    nickname: float = 0.06  # of rows whose forename has a nickname
    forename_typo: float = 0.015
    surname_typo: float = 0.015
    middle_swap: float = 0.04  # of rows of people with a middle name
    name_format: float = 0.02  # case, spacing, hyphen, apostrophe variants
    double_barrel_part: float = 0.35  # of rows of double-barrelled people: one part only, spaced
    dob_transposed: float = 0.02  # day and month swapped, of rows whose day is 12 or less (and not the month)
    dob_typo: float = 0.01  # one digit of day or year mistyped
    dob_blank: float = 0.02
    gender_blank: float = 0.03
    address_blank: float = 0.01  # address and postcode both blank
    postcode_blank: float = 0.02
    postcode_typo: float = 0.01
    postcode_nospace: float = 0.08
    postcode_lower: float = 0.04
    id_blank: float = 0.03  # upn, nino, pnc_id, uprn left blank
    id_wrong: float = 0.01  # ... or another person's
    name_swap: float = 0.005  # forename and surname keyed into each other's fields ("PORTER ERIC")
    forename_keyed: float = 0.01  # one or two keying slips anywhere, first letter too ("Rric" for Eric)
    diminutive: float = 0.15  # of rows of people whose (Polish, South Asian, West African) name has one
    diacritics_dropped: float = 0.5  # of rows with a letter such as ł or ś: written without it
    # addresses as agencies write them (issue 11)
    flat_pair: float = 0.2  # of rows of numbered flats: "2, 35 Coronation Crescent", "2 35 Coronation Crescent"
    flat_letter: float = 0.3  # of rows of lettered flats and 12a houses: "18B Foxglove St" <-> "Flat B, 18 Foxglove St"
    street_abbrev: float = 0.1  # street type by a Royal Mail abbreviation (La, Gr, Wk, Cres...)
    locality_glued: float = 0.1  # of rows on a street in a locality: "35 Coronation Crescent Kings Hill"
    street_typo: float = 0.01  # one slip in the street name, two a quarter of the time
    postcode_truncated: float = 0.005  # last character lost, space too: "CT96P" for "CT9 6PR"
    postcode_confused: float = 0.005  # a 0 keyed as O or a 1 as I
    nfa_written: float = 0.7  # of rows of people of no fixed abode: "NFA", "N.F.A.", "No Fixed Abode" (else blank)
    nfa_housed: float = 0.002  # of police and youth offending rows of housed people: no fixed abode written
    # of (person, agency) pairs outside housing: the agency still writes the postcode the person's street had
    # before Royal Mail recoded it (same sector, both inward letters different), on every row (decision 74)
    postcode_recoded: float = 0.01

    def scaled(self, factor: float) -> MessRates:
        """Row-level rates times `factor` (0 gives clean values in every row)."""
        return replace(self, **{k: min(1.0, getattr(self, k) * factor) for k in ROW_LEVEL})

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


assert set(ROW_LEVEL) <= {f.name for f in fields(MessRates)}

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(s: str, r: random.Random) -> str:
    """One keying error: insert, delete, substitute or transpose a letter (not the first)."""
    spots = [i for i in range(1, len(s)) if s[i].isalpha()]
    if len(s) < 3 or not spots:
        return s
    i = r.choice(spots)
    op = r.randrange(4)
    letter = r.choice(LETTERS)
    if s[i].isupper():
        letter = letter.upper()
    if op == 0:
        out = s[:i] + letter + s[i:]
    elif op == 1:
        out = s[:i] + s[i + 1:]
    elif op == 2:
        while letter.lower() == s[i].lower():
            letter = r.choice(LETTERS)
        out = s[:i] + letter + s[i + 1:]
    else:
        j = i - 1 if s[i - 1].isalpha() and i - 1 >= 1 else i + 1
        if j >= len(s) or not s[j].isalpha() or s[j] == s[i]:
            return s[:i] + s[i + 1:]
        a, b = min(i, j), max(i, j)
        out = s[:a] + s[b] + s[a] + s[b + 1:]
    return out if out != s else s[:i] + s[i + 1:]


# Keys next to each key on a UK QWERTY keyboard: slips land on a neighbour.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
NEIGHBOURS = {
    ch: "".join(
        _ROWS[rr][cc] for rr in (i - 1, i, i + 1) if 0 <= rr < 3
        for cc in (j - 1, j, j + 1) if 0 <= cc < len(_ROWS[rr]) and (rr, cc) != (i, j)
    )
    for i, row in enumerate(_ROWS) for j, ch in enumerate(row)
}


def keyed_typo(s: str, r: random.Random) -> str:
    """One keying slip, two a quarter of the time, anywhere in the name (the first letter
    too): a neighbouring key struck instead or as well, a letter dropped, or two swapped.
    "Eric" -> "Rric", "Erix", "Eeric", "Eirc"."""
    out = s
    for _ in range(2 if r.random() < 0.25 else 1):
        letters = [i for i, ch in enumerate(out) if ch.lower() in NEIGHBOURS]
        if len(out) < 3 or not letters:
            return out
        i = r.choice(letters)
        near = r.choice(NEIGHBOURS[out[i].lower()])
        near = near.upper() if out[i].isupper() else near
        op = r.random()
        if op < 0.6:
            out = out[:i] + near + out[i + 1:]
        elif op < 0.75:
            out = out[:i] + near + out[i:]
        elif op < 0.9 and len(out) > 3:
            out = out[:i] + out[i + 1:]
        elif i + 1 < len(out) and out[i + 1] != out[i]:
            out = out[:i] + out[i + 1] + out[i] + out[i + 2:]
        else:
            out = out[:i] + near + out[i + 1:]
    return out


_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss"})


def strip_diacritics(s: str, r: random.Random) -> str:
    """Małgorzata -> Malgorzata, Wiśniewski -> Wisniewski: how systems without the letters
    keep them."""
    folded = unicodedata.normalize("NFKD", s.translate(_FOLD))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def diminutive(forename: str, r: random.Random) -> str:
    options = names.DIMINUTIVES.get(forename)
    return r.choice(options) if options else forename


def nickname(forename: str, r: random.Random) -> str:
    options = names.NICKNAMES.get(forename)
    return r.choice(options) if options else forename


def name_format(s: str, r: random.Random) -> str:
    """Same name, different writing: apostrophes, hyphens, Mc spacing, case, double spaces."""
    options = []
    if "'" in s:
        options += [s.replace("'", ""), s.replace("'", " "), s.replace("'", "").title()]
    if "-" in s:
        options += [s.replace("-", " "), s.replace("-", " - "), s.replace("-", "")]
    if s.startswith("Mc") and len(s) > 3:
        options += [f"Mc {s[2:]}", f"Mac{s[2:]}"]
    if " " in s:
        options += [s.replace(" ", "  "), s.replace(" ", "-")]
    options += [s.lower(), s.upper(), f" {s}"]
    return r.choice(options)


def double_barrel_part(s: str, r: random.Random) -> str:
    """A double-barrelled surname written with one part only, spaced, or run together."""
    a, _, b = s.partition("-")
    return r.choice((a, b, f"{a} {b}", f"{a}{b}", a))


def swap_middle(forename: str, middle: str, r: random.Random) -> str:
    """The middle name used as the first name, alone or in front."""
    return r.choice((f"{middle} {forename}", middle))


def postcode_typo(pc: str, r: random.Random) -> str:
    """One plausible keying error that keeps the postcode's shape."""
    outward, _, inward = pc.partition(" ")
    op = r.randrange(4)
    if op == 0 and inward[1] != inward[2]:
        inward = inward[0] + inward[2] + inward[1]
    elif op == 1:
        inward = str((int(inward[0]) + r.randrange(1, 10)) % 10) + inward[1:]
    elif op == 2:
        k = r.randrange(1, 3)
        letter = r.choice([c for c in names.INWARD_LETTERS if c != inward[k]])
        inward = inward[:k] + letter + inward[k + 1:]
    else:
        digits = [i for i, c in enumerate(outward) if c.isdigit()]
        i = digits[-1]
        outward = outward[:i] + str((int(outward[i]) + r.randrange(1, 10)) % 10) + outward[i + 1:]
        if outward.endswith("0") and len(digits) == 1:
            outward = outward[:-1] + "1"
    return f"{outward} {inward}"


def is_no_fixed_abode(text: str) -> bool:
    return text.strip().upper().replace(".", "").replace(" ", "") in {"NFA", "NOFIXEDABODE"}


def no_fixed_abode(_: str, r: random.Random) -> str:
    return r.choice(names.NO_FIXED_ABODE)


def _premise(d) -> str:
    """"Rose Cottage", "35", "12a" or "Flat 2, 35": the dwelling before its street."""
    if d.house:
        return d.house
    return f"Flat {d.flat}, {d.number}{d.suffix}" if d.flat else f"{d.number}{d.suffix}"


def _with_town(text: str, d, r: random.Random) -> str:
    return r.choice((text, f"{text}, {d.town}"))


def flat_pair(_: str, d, r: random.Random) -> str:
    """Flat 2 of number 35 as a bare number pair: "2, 35 Coronation Crescent", "2 35 ..."."""
    sep = r.choice((", ", " "))
    return _with_town(f"{d.flat}{sep}{d.number} {d.street} {d.stype}", d, r)


def flat_letter(_: str, d, r: random.Random) -> str:
    """A lettered flat or a 12a house the other way round: "18B Foxglove Street" for
    "Flat B, 18 Foxglove Street" and back; one dwelling in UK practice."""
    letter = d.flat or d.suffix.upper()
    forms = (f"{d.number}{letter} {d.street} {d.stype}", f"{d.number}{letter.lower()} {d.street} {d.stype}",
             f"Flat {letter}, {d.number} {d.street} {d.stype}", f"Flat {letter} {d.number} {d.street} {d.stype}")
    return _with_town(r.choice(forms), d, r)


def street_abbrev(_: str, d, r: random.Random) -> str:
    """The street type by one of its Royal Mail abbreviations: "4 Mill La", "9 Ash Gr."."""
    abbrs = dict(names.STREET_TYPES)[d.stype]
    abbr = r.choice(abbrs)
    dot = r.choice(("", ".")) if abbr != d.stype and not abbr.endswith(".") else ""
    return _with_town(f"{_premise(d)} {d.street} {abbr}{dot}", d, r)


def locality_glued(_: str, d, r: random.Random) -> str:
    """The locality run onto the street without commas: "35 Coronation Crescent Kings Hill"."""
    text = f"{_premise(d)} {d.street} {d.stype} {d.locality}"
    return r.choice((text, f"{text}, {d.town}", f"{text} {d.town}"))


def street_typo(address: str, d, r: random.Random) -> str:
    """One keying slip in the street's name, two a quarter of the time."""
    for name in (d.street, d.street.upper()):
        if name and name in address:
            bad = typo(name, r)
            if r.random() < 0.25:
                bad = typo(bad, r)
            return address.replace(name, bad, 1)
    return address


def person_agency_draw(pid: np.ndarray, agency: str) -> np.ndarray:
    """A uniform number in [0, 1) per (person, agency), the same on every row of the pair
    and drawn from no random stream (so adding a mess moves no other row's draws)."""
    salt = np.uint64(sum(ord(c) * 131 ** i for i, c in enumerate(agency)) % (1 << 31))
    x = (pid.astype(np.uint64) + salt) * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(31)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(29)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def postcode_recoded(pc: str, draw: float) -> str:
    """The street's postcode before a recoding: both inward letters different and, half
    the time, the sector too (a recoding often splits a sector in two), in the same
    postcode district."""
    outward, _, inward = pc.partition(" ")
    if len(inward) != 3 or not inward[0].isdigit():
        return pc
    k = int(draw * 1e6)
    letters = [c for c in names.INWARD_LETTERS if c not in inward[1:]]
    sector = inward[0] if k % 2 == 0 else str((int(inward[0]) + 1 + (k // 2) % 9) % 10)
    return f"{outward} {sector}{letters[k % len(letters)]}{letters[(k // 7 + 3) % len(letters)]}"


def postcode_truncated(pc: str, r: random.Random) -> str:
    return pc.replace(" ", "")[:-1]


def postcode_confused(pc: str, r: random.Random) -> str:
    """A 0 keyed as the letter O or a 1 as I (one place)."""
    spots = [i for i, c in enumerate(pc) if c in "01"]
    if not spots:
        return pc
    i = r.choice(spots)
    return pc[:i] + {"0": "O", "1": "I"}[pc[i]] + pc[i + 1:]


def apply_each(values: np.ndarray, mask: np.ndarray, fn, r: random.Random, *extra: np.ndarray) -> None:
    """values[mask] = fn(value, [extra values...], r), in place, in row order."""
    idx = np.nonzero(mask)[0]
    if len(idx) == 0:
        return
    cols = [values[idx]] + [e[idx] for e in extra]
    values[idx] = [fn(*vals, r) for vals in zip(*cols)]


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (dt - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    months = (np.asarray(y) - 1970) * 12 + (np.asarray(m) - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + (np.asarray(d) - 1)


def transpose_dob(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Day and month swapped; returns (new days, whether the swap gives a different valid date)."""
    y, m, d = ymd(days)
    ok = (d <= 12) & (d != m)
    return np.where(ok, from_ymd(y, np.where(ok, d, m), np.where(ok, m, d)), days), ok


def mistype_dob(days: np.ndarray, rng: np.random.Generator, latest: int) -> tuple[np.ndarray, np.ndarray]:
    """One digit of the day or of the year's last digit keyed wrong; stays a real past date."""
    y, m, d = ymd(days)
    shift = rng.integers(1, 10, len(days))
    on_year = rng.random(len(days)) < 0.5
    y2 = np.where(on_year, y - y % 10 + (y % 10 + shift) % 10, y)
    d2 = np.where(on_year, d, d - d % 10 + (d % 10 + shift) % 10)
    day_ok = ((d2 >= 1) & (d2 <= 28)) | (on_year & ~((m == 2) & (d == 29)))
    ok = day_ok & ((y2 != y) | (d2 != d))
    out = from_ymd(y2, m, np.where(ok, d2, 1))
    ok &= out <= latest
    return np.where(ok, out, days), ok
