"""Seeded synthetic monthly drop with its ground truth.

    python -m data_samples.generator --households 5000 --seed 1 --as-of 2014-03-31 --out DIR

writes `DIR/extracts/<extract>.csv` (or `.xlsx` for the extracts named in `--xlsx`)
shaped exactly as data-contract section 1 and messy the way agency data is, and
`DIR/truth/` with the true person and family behind every row and the criteria an
independent reading of rules.md gives on the clean truth (`data_samples.oracle`).
Same seed, same bytes. See data_samples/README.md for the kinds and rates of mess.

Payment by results: `extracts/engagements.csv` (family_id, attached_on, key_worker) engages
ENGAGED_SHARE of the families automatic or discretionary at T, under the family_id the
pipeline publishes for them when it links every row right (`expected_family_ids`), and
`truth/results.csv` (true_family_id, result, achieved_on, payment_gbp) holds the results
of the claim window ending on T for a first run on an empty warehouse and ledger
(`oracle.family_results`): families not engaged are attached on T.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from cohort.core.ruleset import RuleSet, load_ruleset
from cohort.data_samples import mess as m
from cohort.data_samples import names
from cohort.data_samples.events import NULL, PERSON_SOURCES, EventGenerator, Rows
from cohort.data_samples.mess import MessRates
from cohort.data_samples.oracle import (
    PROGRAMME_STATUSES,
    PersonEvents,
    Record,
    Tenancy,
    engagement_truth,
    evaluate,
    family_results,
)
from cohort.data_samples.world import ADDRESS_VARIANTS, NO_DATE, World, build_world, to_days

PERSON_COLUMNS = ("record_id", "forename", "surname", "dob", "gender", "address", "postcode")
ENGAGED_SHARE = 0.75  # of the families in the programme at T, given an engagements row
# With attachments a whole number of months before T (`attach_months`): the share of the
# families in the programme on their attachment date that are engaged, and of those in the
# programme at T but not on that date (engaged early: listed as not admitted).
ENGAGED_ON_ATTACHMENT_SHARE = 0.75
ENGAGED_EARLY_SHARE = 0.1
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "police": ("pnc_id", "event_date", "event_type"),
    "youth_offending": ("pnc_id", "offence_date", "outcome_date", "outcome"),
    "school_census": ("upn", "school_urn", "academic_year", "term", "provision", "sessions_possible",
                      "sessions_unauthorised"),
    "school_exclusions": ("upn", "exclusion_date", "exclusion_type", "sessions"),
    "dwp_benefits": ("nino", "benefit", "spell_start", "spell_end"),
    "dwp_employment": ("nino", "event", "event_date"),
    "housing": ("tenancy_ref", "uprn", "nino", "role", "tenancy_start", "tenancy_end"),
    "social_care": ("status", "start_date", "end_date"),
    "health": ("issue", "recorded_date"),
}
EXTRACTS = ("police", "youth_offending", "school_census", "school_exclusions", "dwp_benefits",
            "dwp_employment", "housing", "housing_asb", "social_care", "health")
HOUSING_ASB_COLUMNS = ("record_id", "tenancy_ref", "intervention", "intervention_date")


def contract_columns(extract: str) -> tuple[str, ...]:
    """The data contract's columns for an extract (lower-case, contract order)."""
    if extract == "housing_asb":
        return HOUSING_ASB_COLUMNS
    return PERSON_COLUMNS + EXTRA_COLUMNS[extract]


@dataclass(frozen=True)
class Style:
    """How one agency writes its file: dates, case, middle names, address habits, headers."""

    prefix: str
    dates: str  # "iso", "dmy", "landlord" (per district landlord), "mixed" (per row)
    upper: bool = False  # names and address in capitals
    middle: float = 0.1  # share of rows writing the middle name after the forename
    variants: tuple[float, ...] = (0.4, 0.1, 0.2, 0.1, 0.1, 0.1)  # address writing styles
    nospace: float = 0.0  # extra share of postcodes written without the space
    header: str = "lower"  # lower, upper, title, padded
    shuffle: bool = False
    extra: tuple[str, ...] = ()  # columns outside the contract (kept raw, ignored)
    upper_enums: bool = False
    lower_gender: bool = False


STYLES: dict[str, Style] = {
    "police": Style("KP", "dmy", upper=True, variants=(0.1, 0.3, 0.1, 0.3, 0.1, 0.1), header="upper",
                    shuffle=True, extra=("beat_code",), upper_enums=True),
    "youth_offending": Style("YOS", "dmy", middle=0.2, header="title"),
    "school_census": Style("SC", "iso", middle=0.5, variants=(0.5, 0.0, 0.3, 0.0, 0.0, 0.2), shuffle=True,
                           extra=("enrol_status",)),
    "school_exclusions": Style("SX", "iso", middle=0.5, variants=(0.5, 0.0, 0.3, 0.0, 0.0, 0.2)),
    "dwp_benefits": Style("DB", "iso", upper=True, middle=0.4, variants=(0.1, 0.2, 0.2, 0.3, 0.1, 0.1),
                          nospace=0.3, header="upper"),
    "dwp_employment": Style("DE", "iso", upper=True, middle=0.4, variants=(0.1, 0.2, 0.2, 0.3, 0.1, 0.1),
                            nospace=0.3),
    "housing": Style("HO", "landlord", middle=0.15, variants=(0.6, 0.05, 0.1, 0.05, 0.05, 0.15), header="title",
                     shuffle=True, extra=("landlord",)),
    "housing_asb": Style("HA", "landlord"),
    "social_care": Style("CS", "dmy", middle=0.3, header="title"),
    "health": Style("HL", "mixed", middle=0.1, variants=(0.3, 0.2, 0.2, 0.1, 0.1, 0.1), header="padded",
                    lower_gender=True),
}
DMY_LANDLORDS = frozenset({"THA", "SWA", "DOV", "SHE", "CAN", "MED"})
MAIN_DATE = {
    "police": "event_date", "youth_offending": "outcome_date", "school_census": "term_end",
    "school_exclusions": "exclusion_date", "dwp_benefits": "spell_start", "dwp_employment": "event_date",
    "housing": "tenancy_start", "housing_asb": "intervention_date", "social_care": "start_date",
    "health": "recorded_date",
}
DATE_COLUMNS = frozenset({"event_date", "offence_date", "outcome_date", "exclusion_date", "spell_start",
                          "spell_end", "tenancy_start", "tenancy_end", "intervention_date", "start_date",
                          "end_date", "recorded_date", "dob"})
ID_COLUMNS = ("upn", "nino", "pnc_id", "uprn")
NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
NINO_BAD = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


@dataclass
class Drop:
    """Everything one generation produced, before it is written."""

    world: World
    rows: dict[str, Rows]
    written: dict[str, pl.DataFrame]  # extract -> frame with contract column names
    records: pl.DataFrame  # source, record_id, pid
    person_family: dict[int, int]
    families: list[dict]
    counts: dict = field(default_factory=dict)
    engagements: pl.DataFrame | None = None  # family_id, attached_on, key_worker
    results: list[dict] = field(default_factory=list)  # dwelling, result, achieved_on, payment_gbp
    # engaged dwelling -> (family_id as published, attached_on, its phase 1 criteria and status that day)
    attachments: dict[int, tuple[str, date, dict]] = field(default_factory=dict)


def person_id(pid: int) -> str:
    return f"TP{pid:07d}"


def family_id(dwelling: int) -> str:
    return f"TF{dwelling:07d}"


def _assign_record_ids(name: str, rows: Rows, rng: np.random.Generator) -> None:
    """Sort by the row's main date (as an agency's ids grow with time) and number them."""
    cols = rows.cols
    n = len(rows)
    keys = [cols[MAIN_DATE[name]]]
    if "pid" in cols:
        keys.insert(0, cols["pid"])
    order = np.lexsort(tuple(keys))
    for k in list(cols):
        cols[k] = cols[k][order]
    start = int(rng.integers(100_000, 900_000))
    numbers = np.char.zfill((start + np.arange(n)).astype(str), 7) if n else np.zeros(0, dtype=str)
    cols["record_id"] = np.char.add(STYLES[name].prefix, numbers).astype(object)


def _address_date(name: str, cols: dict[str, np.ndarray], t: int) -> np.ndarray:
    """The date whose address a row carries: the event's, or T for what is still open on T."""
    if name in ("dwp_benefits", "social_care", "housing"):
        end = cols["spell_end" if name == "dwp_benefits" else "end_date" if name == "social_care" else "tenancy_end"]
        return np.where((end != NULL) & (end <= t), end, t)
    if name == "school_census":
        return np.minimum(cols["term_end"], t)
    return np.minimum(cols[MAIN_DATE[name]], t)


def _identifiers(world: World, rows: dict[str, Rows], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per person: a NINO, and a PNC id for most people arrested, convicted or given an order."""
    n = world.persons
    pairs = [a + b for a in NINO_FIRST for b in NINO_SECOND if a + b not in NINO_BAD]
    k = np.arange(n)
    prefix = np.array(pairs, dtype=object)[k % len(pairs)]
    serial = (k // len(pairs) * 7919 + int(rng.integers(0, 10**6))) % 10**6
    suffix = np.array(list("ABCD"), dtype=object)[rng.integers(0, 4, n)]
    nino = prefix + np.char.zfill(serial.astype(str), 6).astype(object) + suffix
    year = np.char.zfill(rng.integers(0, 14, n).astype(str), 2).astype(object)
    pnc_serial = np.char.zfill(((k * 104729 + int(rng.integers(0, 10**6))) % 10**6).astype(str), 6).astype(object)
    pnc = year + "/" + pnc_serial + np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"), dtype=object)[rng.integers(0, 23, n)]
    charged = np.zeros(n, dtype=bool)
    police = rows["police"].cols
    serious = np.isin(police["event_type"], ["arrest", "adult_offence", "asbo", "asb_injunction", "asb_contract"])
    charged[police["pid"][serious]] = True
    charged[rows["youth_offending"].cols["pid"]] = True
    has_pnc = charged & (rng.random(n) < 0.9)
    return {"nino": nino, "pnc": np.where(has_pnc, pnc, "")}


@dataclass
class _People:
    """Person columns as numpy object arrays, built once and gathered per extract."""

    forename: np.ndarray
    middle: np.ndarray
    surname: np.ndarray
    maiden: np.ndarray
    has_nickname: np.ndarray
    has_diminutive: np.ndarray
    postcode: np.ndarray
    uprn: np.ndarray
    variants: np.ndarray
    parts: np.ndarray  # world.Dwelling per dwelling
    flat_kind: np.ndarray  # per dwelling: 0 none, 1 numbered flat, 2 lettered flat or 12a house
    has_locality: np.ndarray
    has_street: np.ndarray  # not a named house (which has no number to write)

    @classmethod
    def of(cls, w: World) -> _People:
        obj = lambda xs: np.array(xs, dtype=object)  # noqa: E731
        return cls(obj(w.p_forename), obj(w.p_middle), obj(w.p_surname), obj(w.p_maiden),
                   np.array([f in names.NICKNAMES for f in w.p_forename], dtype=bool),
                   np.array([f in names.DIMINUTIVES for f in w.p_forename], dtype=bool),
                   obj(w.d_postcode), obj(w.d_uprn), obj(w.d_variants).reshape(-1, ADDRESS_VARIANTS),
                   obj(w.d_parts),
                   np.array([0 if not (d.flat or d.suffix) else 1 if d.flat.isdigit() else 2 for d in w.d_parts],
                            dtype=np.int8),
                   np.array([bool(d.locality) and not d.house for d in w.d_parts], dtype=bool),
                   np.array([not d.house for d in w.d_parts], dtype=bool))


def _render(world: World, people: _People, name: str, rows: Rows, ids: dict[str, np.ndarray], rates: MessRates,
            rng: np.random.Generator, r: random.Random) -> dict[str, np.ndarray]:
    """Written person columns for one extract's rows, with its agency's habits and the mess."""
    style = STYLES[name]
    cols = rows.cols
    pid = cols["pid"]
    n = len(pid)
    t = to_days(world.as_of)
    hh = world.p_household[pid]
    adate = _address_date(name, cols, t)
    if name == "housing":
        dwelling = cols["dwelling"]
    else:
        moved = (world.h_move[hh] != NO_DATE) & (adate < world.h_move[hh])
        dwelling = np.where(moved, world.h_old_dwelling[hh], world.h_dwelling[hh])
    u = lambda: rng.random(n)  # noqa: E731

    fore = people.forename[pid]
    middle = people.middle[pid]
    has_middle = middle != ""
    dimin = people.has_diminutive[pid] & (u() < rates.diminutive)
    nick = people.has_nickname[pid] & ~dimin & (u() < rates.nickname)
    swap = has_middle & ~nick & ~dimin & (u() < rates.middle_swap)
    with_middle = has_middle & ~nick & ~dimin & ~swap & (u() < style.middle)
    forename = fore.copy()
    forename[with_middle] = fore[with_middle] + " " + middle[with_middle]
    m.apply_each(forename, nick, m.nickname, r)
    m.apply_each(forename, dimin, m.diminutive, r)
    m.apply_each(forename, swap, m.swap_middle, r, middle)
    m.apply_each(forename, u() < rates.forename_typo, m.typo, r)
    m.apply_each(forename, u() < rates.forename_keyed, m.keyed_typo, r)
    m.apply_each(forename, u() < rates.name_format, m.name_format, r)

    surname = people.surname[pid]
    maiden = people.maiden[pid]
    before = (maiden != "") & (adate < world.p_marriage[pid])
    surname[before] = maiden[before]
    double = np.array(["-" in s for s in surname], dtype=bool)
    m.apply_each(surname, double & (u() < rates.double_barrel_part), m.double_barrel_part, r)
    m.apply_each(surname, u() < rates.surname_typo, m.typo, r)
    m.apply_each(surname, u() < rates.name_format, m.name_format, r)
    _swap_and_fold(forename, surname, rates, u)

    dob = world.p_dob[pid].copy()
    swapped, ok = m.transpose_dob(dob)
    sel = ok & (swapped <= t) & (u() < rates.dob_transposed)  # rate among rows where a swap is possible
    dob[sel] = swapped[sel]
    typed, ok = m.mistype_dob(dob, rng, t)
    sel = ok & ~sel & (u() < rates.dob_typo)
    dob[sel] = typed[sel]
    dob[u() < rates.dob_blank] = NULL

    gender = np.where(world.p_female[pid], "F", "M").astype(object)
    gender[u() < rates.gender_blank] = ""
    gender[u() < rates.gender_blank / 6] = "U"

    k = rng.choice(ADDRESS_VARIANTS, n, p=np.array(style.variants) / sum(style.variants))
    housed = dwelling >= 0
    address = np.full(n, "", dtype=object)
    address[housed] = people.variants[dwelling[housed], k[housed]]
    at = np.where(housed, dwelling, 0)
    parts = people.parts[at]
    kind, street = people.flat_kind[at], housed & people.has_street[at]
    m.apply_each(address, street & (u() < rates.street_abbrev), m.street_abbrev, r, parts)
    m.apply_each(address, housed & people.has_locality[at] & (u() < rates.locality_glued), m.locality_glued, r, parts)
    m.apply_each(address, housed & (kind == 1) & (u() < rates.flat_pair), m.flat_pair, r, parts)
    m.apply_each(address, housed & (kind == 2) & (u() < rates.flat_letter), m.flat_letter, r, parts)
    m.apply_each(address, housed & (u() < rates.street_typo), m.street_typo, r, parts)
    postcode = np.full(n, "", dtype=object)
    postcode[housed] = people.postcode[dwelling[housed]]
    draw = m.person_agency_draw(pid, name)
    recoded = np.nonzero(housed & (draw < rates.postcode_recoded) & (name != "housing"))[0]
    postcode[recoded] = [m.postcode_recoded(postcode[i], draw[i] / rates.postcode_recoded) for i in recoded]
    m.apply_each(postcode, housed & (u() < rates.postcode_typo), m.postcode_typo, r)
    m.apply_each(postcode, housed & (u() < rates.postcode_confused), m.postcode_confused, r)
    m.apply_each(postcode, housed & (u() < rates.postcode_truncated), m.postcode_truncated, r)
    postcode[u() < rates.postcode_blank] = ""
    nospace = u() < min(1.0, rates.postcode_nospace + style.nospace * (rates.postcode_nospace > 0))
    postcode[nospace] = [p.replace(" ", "") for p in postcode[nospace]]
    lower = u() < rates.postcode_lower
    postcode[lower] = [p.lower() for p in postcode[lower]]
    blank = u() < rates.address_blank
    address[blank] = ""
    postcode[blank] = ""
    custody = name in ("police", "youth_offending")
    nfa = (~housed & (u() < rates.nfa_written)) | (housed & (u() < rates.nfa_housed * custody))
    m.apply_each(address, nfa, m.no_fixed_abode, r)
    postcode[nfa] = ""

    out = {"pid": pid, "dwelling": dwelling, "forename": forename, "surname": surname, "dob": dob,
           "gender": gender, "address": address, "postcode": postcode}
    if name in ("school_census", "school_exclusions"):
        out["upn"] = cols["upn"].astype(object)
    if name in ("dwp_benefits", "dwp_employment"):
        out["nino"] = ids["nino"][pid]
    if name == "housing":
        out["nino"] = np.where(cols["with_nino"], ids["nino"][pid], "").astype(object)
        out["uprn"] = people.uprn[dwelling]
    if name in ("police", "youth_offending"):
        keep = np.full(n, 0.95)
        if name == "police":
            keep = np.where(np.isin(cols["event_type"], ["asb_incident", "call_out", "domestic_abuse"]), 0.5, 0.95)
        out["pnc_id"] = np.where(u() < keep, ids["pnc"][pid], "").astype(object)
    for col in ID_COLUMNS:
        if col in out:
            _mess_ids(out[col], rates, rng)
    return out


def _swap_and_fold(forename: np.ndarray, surname: np.ndarray, rates: MessRates, u) -> None:
    """In place: letters such as ł and ś dropped by systems without them; and forename and
    surname keyed into each other's fields ("PORTER ERIC"), on rows without a middle name."""
    accented = np.array([not (f + s).isascii() for f, s in zip(forename, surname)], dtype=bool)
    fold = accented & (u() < rates.diacritics_dropped)
    forename[fold] = [m.strip_diacritics(f, None) for f in forename[fold]]
    surname[fold] = [m.strip_diacritics(s, None) for s in surname[fold]]
    single = np.array([" " not in f.strip() and f != "" and s != "" for f, s in zip(forename, surname)], dtype=bool)
    swap = single & (u() < rates.name_swap)
    forename[swap], surname[swap] = surname[swap], forename[swap].copy()


def _mess_ids(values: np.ndarray, rates: MessRates, rng: np.random.Generator) -> None:
    """Blank some identifiers and replace some with another row's (another person's, mostly)."""
    n = len(values)
    present = np.nonzero(values != "")[0]
    if len(present) == 0:
        return
    wrong = (rng.random(n) < rates.id_wrong) & (values != "")
    values[wrong] = values[present[rng.integers(0, len(present), wrong.sum())]]
    values[rng.random(n) < rates.id_blank] = ""


def _as_date(col: str) -> pl.Expr:
    return pl.when(pl.col(col) == NULL).then(None).otherwise(pl.col(col)).cast(pl.Int32).cast(pl.Date).alias(col)


def _date_strings(days: np.ndarray, dmy: np.ndarray | bool) -> pl.Series:
    """Format day numbers as YYYY-MM-DD or DD/MM/YYYY (per row when dmy is an array); NULL -> null."""
    frame = pl.DataFrame({"d": pl.Series(days, dtype=pl.Int64),
                          "dmy": np.broadcast_to(np.asarray(dmy, dtype=bool), len(days)).copy()})
    d = _as_date("d")
    return frame.select(
        pl.when(pl.col("dmy")).then(d.dt.strftime("%d/%m/%Y")).otherwise(d.dt.strftime("%Y-%m-%d")).alias("d")
    )["d"]


def _dmy(name: str, cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> np.ndarray | bool:
    style = STYLES[name]
    if style.dates == "dmy":
        return True
    if style.dates == "mixed":
        return rng.random(n) < 0.5
    if style.dates == "landlord":
        return np.array([ref[:3] in DMY_LANDLORDS for ref in cols["tenancy_ref"]], dtype=bool)
    return False


def _frame(name: str, cols: dict[str, np.ndarray], person: dict[str, np.ndarray] | None,
           rng: np.random.Generator) -> pl.DataFrame:
    """The extract's rows with exactly the contract's columns (values as written)."""
    style = STYLES[name]
    n = len(cols["record_id"])
    dmy = _dmy(name, cols, rng, n)
    data: dict[str, pl.Series] = {}
    for col in contract_columns(name):
        if col == "record_id":
            values = cols["record_id"]
        elif person is not None and col in person:
            values = person[col]
        else:
            values = cols[col]
        if col in DATE_COLUMNS:
            data[col] = _date_strings(values, dmy)
        elif col in ("sessions_possible", "sessions_unauthorised", "sessions"):
            data[col] = pl.DataFrame({col: pl.Series(values, dtype=pl.Int64)}).select(
                pl.when(pl.col(col) == NULL).then(None).otherwise(pl.col(col)).alias(col))[col]
        else:
            data[col] = pl.Series(col, list(values), dtype=pl.String)
    frame = pl.DataFrame(data) if n else pl.DataFrame(schema={c: pl.String for c in contract_columns(name)})
    upper_cols = [c for c in ("forename", "surname", "address") if c in frame.columns] if style.upper else []
    exprs = [pl.col(c).str.to_uppercase() for c in upper_cols]
    if style.upper_enums:
        exprs.append(pl.col("event_type").str.to_uppercase())
    if style.lower_gender:
        exprs.append(pl.col("gender").str.to_lowercase())
    if exprs:
        frame = frame.with_columns(exprs)
    return frame.with_columns(pl.when(pl.col(pl.String) == "").then(None).otherwise(pl.col(pl.String)).name.keep())


def _decorate(name: str, frame: pl.DataFrame, r: random.Random) -> pl.DataFrame:
    """Agency file habits: extra columns, column order, header case."""
    style = STYLES[name]
    n = frame.height
    for extra in style.extra:
        if extra == "beat_code":
            values = [f"{r.choice('ABCDEFGHJK')}{r.randrange(1, 40):02d}" for _ in range(n)]
        elif extra == "enrol_status":
            values = [r.choice("CCCCM") for _ in range(n)]
        else:
            values = [r.choice(("Council", "Housing Association", "ALMO")) for _ in range(n)]
        frame = frame.with_columns(pl.Series(extra, values, dtype=pl.String))
    columns = list(frame.columns)
    if style.shuffle:
        r.shuffle(columns)
    frame = frame.select(columns)
    rename = {
        "upper": str.upper,
        "title": lambda c: "_".join(p.capitalize() for p in c.split("_")),
        "padded": lambda c: f" {c} " if c in ("issue", "postcode") else c,
        "lower": lambda c: c,
    }[style.header]
    return frame.rename({c: rename(c) for c in columns})


def _dates(days: np.ndarray) -> list[date | None]:
    """Day numbers as Python dates, one shared object per distinct day (keeps 1M rows small)."""
    unique, inverse = np.unique(np.asarray(days, dtype=np.int64), return_inverse=True)
    as_dates = pl.DataFrame({"d": pl.Series(unique, dtype=pl.Int64)}).select(_as_date("d"))["d"].to_list()
    return [as_dates[i] for i in inverse.tolist()]


def _placed(person: dict[str, np.ndarray]) -> np.ndarray:
    """Each row's true dwelling where the row as written has an address or a UPRN, else -1."""
    written = np.array([a != "" and not m.is_no_fixed_abode(a) for a in person["address"]], dtype=bool)
    has_place = written | ((person["uprn"] != "") if "uprn" in person else False)
    return np.where(has_place, person["dwelling"], -1)


def _oracle(world: World, rows: dict[str, Rows], placed: dict[str, np.ndarray], rs: RuleSet):
    """Feed the clean truth to the oracle: true people, true dwellings, true event dates."""
    dob = _dates(world.p_dob)
    seen = np.unique(np.concatenate([rows[name].cols["pid"] for name in PERSON_SOURCES]))
    people = {p: PersonEvents(dob=dob[p]) for p in seen.tolist()}
    record_parts = []
    for name in PERSON_SOURCES:
        cols = rows[name].cols
        pids = cols["pid"].tolist()
        dwell = [d if d >= 0 else None for d in placed[name].tolist()]
        if name == "school_census":
            dates = list(zip(cols["academic_year"].tolist(), cols["term"].tolist()))
        elif name in ("dwp_benefits", "housing", "social_care"):
            s_col, e_col = {"dwp_benefits": ("spell_start", "spell_end"), "housing": ("tenancy_start", "tenancy_end"),
                            "social_care": ("start_date", "end_date")}[name]
            dates = list(zip(_dates(cols[s_col]), _dates(cols[e_col])))
        else:
            dates = [(d,) for d in _dates(cols[MAIN_DATE[name]])]
        record_parts.append((name, cols["record_id"].tolist(), pids, dates, dwell))
        if name == "police":
            for p, d, k in zip(pids, _dates(cols["event_date"]), cols["event_type"].tolist()):
                people[p].police.append((d, k))
        elif name == "youth_offending":
            for p, a, b in zip(pids, _dates(cols["offence_date"]), _dates(cols["outcome_date"])):
                people[p].youth.append((a, b))
        elif name == "school_census":
            for p, y, term, prov, pos, una in zip(pids, cols["academic_year"].tolist(), cols["term"].tolist(),
                                                  cols["provision"].tolist(), cols["sessions_possible"].tolist(),
                                                  cols["sessions_unauthorised"].tolist()):
                people[p].census.append((y, term, prov, pos, una))
        elif name == "school_exclusions":
            for p, d, k in zip(pids, _dates(cols["exclusion_date"]), cols["exclusion_type"].tolist()):
                people[p].exclusions.append((d, k))
        elif name == "dwp_benefits":
            for p, b, (s, e) in zip(pids, cols["benefit"].tolist(), dates):
                people[p].benefits.append((b, s, e))
        elif name == "social_care":
            for p, st, (s, e) in zip(pids, cols["status"].tolist(), dates):
                people[p].social_care.append((st, s, e))
        elif name == "health":
            for p, k, d in zip(pids, cols["issue"].tolist(), _dates(cols["recorded_date"])):
                people[p].health.append((k, d))
        elif name == "dwp_employment":
            for p, k, d in zip(pids, cols["event"].tolist(), _dates(cols["event_date"])):
                people[p].employment.append((k, d))

    h = rows["housing"].cols
    by_ref: dict[str, list] = {}
    for ref, p, dw, s, e in zip(h["tenancy_ref"].tolist(), h["pid"].tolist(), h["dwelling"].tolist(),
                                _dates(h["tenancy_start"]), _dates(h["tenancy_end"])):
        entry = by_ref.setdefault(ref, [s, e, int(dw), set()])
        entry[3].add(p)
    tenancies = [Tenancy(ref, s, e, dw, frozenset(ps)) for ref, (s, e, dw, ps) in by_ref.items()]
    a = rows["housing_asb"].cols
    interventions: dict[str, list] = {}
    for ref, k, d in zip(a["tenancy_ref"].tolist(), a["intervention"].tolist(), _dates(a["intervention_date"])):
        interventions.setdefault(ref, []).append((k, d))
    records = (Record(name, rid, p, d, dw) for name, *parts in record_parts for rid, p, d, dw in zip(*parts))
    postcodes = dict(enumerate(world.d_postcode))
    dwelling_of, families = evaluate(world.as_of, records, tenancies, people, interventions, postcodes, rs)
    return dwelling_of, families, _OracleInputs(tenancies, people, interventions)


@dataclass
class _OracleInputs:
    """The clean truth the oracle read, kept for the results truth."""

    tenancies: list[Tenancy]
    people: dict[int, PersonEvents]
    interventions: dict[str, list]


def expected_family_ids(records: pl.DataFrame, person_family: dict[int, int]) -> dict[int, str]:
    """Dwelling -> the family_id the pipeline gives that family when it links every row right.

    architecture.md: person_id = "P" + sha1(smallest "source:record_id" of the person)[:10],
    family_id = "F" + sha1(smallest person_id of the family)[:10]. A programme's
    engagements extract names families by these published ids, so the generator can only
    write engagements the pipeline recognises by computing them from the truth; where the
    pipeline links a family differently, the engagement names an id it does not have and
    the family falls back to its first identification, as in real data.
    """
    def sha(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]

    keys = records.group_by("pid").agg(pl.concat_str(["source", pl.lit(":"), "record_id"]).min().alias("key"))
    pid_of = {p: "P" + sha(k) for p, k in keys.iter_rows()}
    smallest: dict[int, str] = {}
    for p, dw in person_family.items():
        if p in pid_of and (dw not in smallest or pid_of[p] < smallest[dw]):
            smallest[dw] = pid_of[p]
    return {dw: "F" + sha(p) for dw, p in smallest.items()}


def _engagements(families: list[dict], ids: dict[int, str], world: World, h_attach: np.ndarray, as_of: date,
                 seed: int) -> tuple[pl.DataFrame, dict[int, date]]:
    """Engagement rows for ENGAGED_SHARE of the families in the programme at T, under the
    family_id the pipeline publishes, attached on the household's attachment day from the
    events' results intents (else 1 to 21 months before T)."""
    rng = np.random.default_rng([seed, 555])
    household_of = {int(d): h for h, d in enumerate(world.h_dwelling.tolist()) if d >= 0}
    programme = [f["dwelling"] for f in families if f["status"] in ("automatic", "discretionary")]
    chosen = [dw for dw, u in zip(programme, rng.random(len(programme))) if u < ENGAGED_SHARE]
    back = rng.integers(30, 640, len(chosen))
    days = [int(h_attach[household_of[dw]]) if dw in household_of and h_attach[household_of[dw]] != NULL
            else to_days(as_of) - int(b) for dw, b in zip(chosen, back)]
    attached = {dw: day for dw, day in zip(chosen, _dates(np.array(days, dtype=np.int64)))}
    return _engagement_rows(chosen, attached, ids, rng), attached


def _engagement_rows(chosen: list[int], attached_on: dict[int, date], ids: dict[int, str],
                     rng: np.random.Generator) -> pl.DataFrame:
    """The engagements extract: one row per chosen dwelling, with a key worker drawn from `rng`."""
    workers = rng.integers(1, 60, len(chosen))
    return pl.DataFrame(
        {"family_id": [ids[dw] for dw in chosen], "attached_on": [attached_on[dw] for dw in chosen],
         "key_worker": [f"KW{w:03d}" for w in workers]},
        schema={"family_id": pl.String, "attached_on": pl.Date, "key_worker": pl.String},
    ).sort("family_id")


def _engagements_as_at(families: list[dict], ids: dict[int, str], world: World, h_attach: np.ndarray,
                       as_of: date, seed: int, person_family: dict[int, int], inputs: "_OracleInputs",
                       rs: RuleSet) -> tuple[pl.DataFrame, dict[int, date]]:
    """Engagement rows when attachments are months before T: each troubled family is judged
    by the oracle as at its attachment day; ENGAGED_ON_ATTACHMENT_SHARE of those in the
    programme that day are engaged, and ENGAGED_EARLY_SHARE of those in it at T only."""
    household_of = {int(d): h for h, d in enumerate(world.h_dwelling.tolist()) if d >= 0}
    day_of = {f["dwelling"]: int(h_attach[household_of[f["dwelling"]]]) for f in families
              if f["dwelling"] in household_of and h_attach[household_of[f["dwelling"]]] != NULL}
    candidates = dict(zip(day_of, _dates(np.array(list(day_of.values()), dtype=np.int64))))
    then = engagement_truth(as_of, person_family, inputs.tenancies, inputs.people, inputs.interventions,
                            candidates, rs)
    at_t = {f["dwelling"]: f["status"] in PROGRAMME_STATUSES for f in families}
    rng = np.random.default_rng([seed, 556])
    chosen = []
    for dw, u in zip(sorted(then), rng.random(len(then))):
        in_then = then[dw]["status"] in PROGRAMME_STATUSES
        if u < (ENGAGED_ON_ATTACHMENT_SHARE if in_then else ENGAGED_EARLY_SHARE if at_t[dw] else 0):
            chosen.append(dw)
    return _engagement_rows(chosen, candidates, ids, rng), {dw: candidates[dw] for dw in chosen}


def build(households: int, seed: int = 1, as_of: date = date(2014, 3, 31), mess: MessRates | None = None,
          ruleset: RuleSet | None = None, attach_months: tuple[int, ...] = ()) -> Drop:
    """Generate a drop in memory (no files): world, extract frames, truth. `attach_months`
    (e.g. (3, 9, 14)): engage families on days that many months before T, as judged then
    (`_engagements_as_at`); empty: the default engagements (`_engagements`)."""
    rates = mess or MessRates()
    rs = ruleset or load_ruleset()
    world = build_world(households, seed, as_of, rates)
    events = EventGenerator(world, seed, rates, rs.identification.crime_window_months, attach_months)
    rows = events.all()
    rng = np.random.default_rng([seed, 4242])
    r = random.Random(seed * 7_919 + 3)
    for name in EXTRACTS:
        _assign_record_ids(name, rows[name], rng)
    ids = _identifiers(world, rows, rng)
    people = _People.of(world)
    person_cols = {name: _render(world, people, name, rows[name], ids, rates, rng, r) for name in PERSON_SOURCES}
    written = {name: _frame(name, rows[name].cols, person_cols.get(name), rng) for name in EXTRACTS}
    placed = {name: _placed(cols) for name, cols in person_cols.items()}
    del person_cols
    person_family, families, inputs = _oracle(world, rows, placed, rs)
    records = pl.concat([
        pl.DataFrame({"source": [name] * len(rows[name]), "record_id": rows[name].cols["record_id"].tolist(),
                      "pid": rows[name].cols["pid"]}, schema={"source": pl.String, "record_id": pl.String,
                                                              "pid": pl.Int64})
        for name in PERSON_SOURCES
    ])
    published = expected_family_ids(records, person_family)
    if attach_months:
        engagements, attached = _engagements_as_at(families, published, world, events.h_attach, as_of, seed,
                                                   person_family, inputs, rs)
    else:
        engagements, attached = _engagements(families, published, world, events.h_attach, as_of, seed)
    results = family_results(as_of, person_family, families, inputs.tenancies, inputs.people,
                             inputs.interventions, attached, rs)
    then = engagement_truth(as_of, person_family, inputs.tenancies, inputs.people, inputs.interventions,
                            attached, rs)
    drop = Drop(world, rows, written, records, person_family, families, engagements=engagements, results=results,
                attachments={dw: (published[dw], attached[dw], row) for dw, row in then.items()})
    drop.counts = {
        "households": households,
        "persons": int(records["pid"].n_unique()),
        "families": len(families),
        "person_level_rows": records.height,
        "extracts": {name: written[name].height for name in EXTRACTS},
        "status": dict(sorted(Counter(f["status"] for f in families).items())),
        "p2_status": dict(sorted(Counter(f["p2_status"] for f in families).items())),
        "engagements": engagements.height,
        "engagements_admitted": sum(row["status"] in PROGRAMME_STATUSES for *_, row in drop.attachments.values()),
        "results": dict(sorted(Counter(r["result"] for r in results).items())),
    }
    return drop


def generate(out_dir: str | Path, households: int, seed: int = 1, as_of: date = date(2014, 3, 31),
             xlsx: tuple[str, ...] = (), mess: MessRates | None = None, ruleset: RuleSet | None = None,
             attach_months: tuple[int, ...] = ()) -> dict:
    """Write `out_dir/extracts/`, `out_dir/truth/` and `out_dir/manifest.json`; return the counts."""
    if households < 1:
        raise ValueError("households must be at least 1")
    unknown = set(xlsx) - set(EXTRACTS)
    if unknown:
        raise ValueError(f"unknown extract(s) for --xlsx: {', '.join(sorted(unknown))}")
    rates = mess or MessRates()
    drop = build(households, seed, as_of, rates, ruleset, attach_months)
    out = Path(out_dir)
    extracts = out / "extracts"
    truth = out / "truth"
    extracts.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed * 31 + 5)
    for name in EXTRACTS:
        frame = _decorate(name, drop.written[name], r)
        for stale in (extracts / f"{name}.csv", extracts / f"{name}.xlsx"):
            stale.unlink(missing_ok=True)
        if name in xlsx:
            _write_xlsx(frame, extracts / f"{name}.xlsx")
        else:
            frame.write_csv(extracts / f"{name}.csv")
    (extracts / "engagements.xlsx").unlink(missing_ok=True)
    drop.engagements.write_csv(extracts / "engagements.csv", date_format="%Y-%m-%d")
    _write_truth(drop, truth)
    manifest = {
        "generator": "data_samples.generator",
        "households": households,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "xlsx": sorted(xlsx),
        "attach_months": list(attach_months),
        "mess": rates.to_dict(),
        "counts": drop.counts,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return drop.counts


def _write_truth(drop: Drop, truth: Path) -> None:
    w = drop.world
    fam = drop.person_family
    pids = drop.records["pid"].to_numpy()
    fam_of = np.array([family_id(fam[p]) if p in fam else None for p in range(w.persons)], dtype=object)
    pid_str = np.array([person_id(p) for p in range(w.persons)], dtype=object)
    pl.DataFrame({
        "source": drop.records["source"],
        "record_id": drop.records["record_id"],
        "true_person_id": pid_str[pids].tolist(),
        "true_family_id": fam_of[pids].tolist(),
    }).sort("source", "record_id").write_csv(truth / "records.csv")
    seen = np.unique(pids)
    pl.DataFrame({
        "true_person_id": pid_str[seen].tolist(),
        "true_family_id": fam_of[seen].tolist(),
        "forename": [w.p_forename[p] for p in seen],
        "surname": [w.p_surname[p] for p in seen],
        "dob": _date_strings(w.p_dob[seen], False),
        "sex": ["F" if w.p_female[p] else "M" for p in seen],
        "kind": [w.p_kind[p] or None for p in seen],
    }).write_csv(truth / "persons.csv")
    columns = ["true_family_id", "district", "members", "crime_asb", "education", "work", "local_discretion",
               "criteria_met", "status", "p2_crime_asb", "p2_school_attendance", "p2_children_need_help",
               "p2_worklessness", "p2_domestic_abuse", "p2_health", "p2_criteria_met", "p2_status"]
    rows = [{**f, "true_family_id": family_id(f["dwelling"])} for f in drop.families]
    schema = {c: (pl.String if c in ("true_family_id", "district", "status", "p2_status") else pl.Int64)
              for c in columns}
    pl.DataFrame([{c: row[c] for c in columns} for row in rows], schema=schema).write_csv(truth / "families.csv")
    pl.DataFrame(
        [{"true_family_id": family_id(r["dwelling"]), "result": r["result"], "achieved_on": r["achieved_on"],
          "payment_gbp": float(r["payment_gbp"])} for r in drop.results],
        schema={"true_family_id": pl.String, "result": pl.String, "achieved_on": pl.Date, "payment_gbp": pl.Float64},
    ).sort("true_family_id", "result").write_csv(truth / "results.csv", date_format="%Y-%m-%d", float_precision=2)
    pl.DataFrame(
        [{"true_family_id": family_id(dw), "family_id": published, "attached_on": day,
          "status_on_attachment": row["status"], "education_on_attachment": int(row["education"]),
          "admitted": int(row["status"] in PROGRAMME_STATUSES)}
         for dw, (published, day, row) in drop.attachments.items()],
        schema={"true_family_id": pl.String, "family_id": pl.String, "attached_on": pl.Date,
                "status_on_attachment": pl.String, "education_on_attachment": pl.Int64, "admitted": pl.Int64},
    ).sort("true_family_id").write_csv(truth / "engagements.csv", date_format="%Y-%m-%d")


def _write_xlsx(frame: pl.DataFrame, path: Path) -> None:
    """First sheet, header row, text cells; zip entry times fixed so the bytes are reproducible."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    fixed = datetime(2014, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    ws = wb.create_sheet("Sheet1")
    ws.append(frame.columns)
    for row in frame.iter_rows():
        ws.append(list(row))
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _fix_core_times(data)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2014, 1, 1, 0, 0, 0)), data,
                         compress_type=zipfile.ZIP_DEFLATED)
    tmp.unlink()


def _fix_core_times(data: bytes) -> bytes:
    import re

    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>2014-01-01T00:00:00Z\g<2>", data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_samples.generator", description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2014, 3, 31))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--xlsx", default="", help="comma-separated extracts to write as .xlsx instead of .csv")
    parser.add_argument("--mess-scale", type=float, default=1.0, help="multiply every row-level mess rate (0: clean)")
    parser.add_argument("--attach-months", default="",
                        help="comma-separated months before T to attach engaged families on (e.g. 3,9,14)")
    args = parser.parse_args(argv)
    xlsx = tuple(x.strip() for x in args.xlsx.split(",") if x.strip())
    months = tuple(int(m) for m in args.attach_months.split(",") if m.strip())
    counts = generate(args.out, args.households, args.seed, args.as_of, xlsx, MessRates().scaled(args.mess_scale),
                      attach_months=months)
    print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
