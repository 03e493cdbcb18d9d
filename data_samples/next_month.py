"""The month after a generated drop: the same agencies' files one month on, with truth.

    python -m data_samples.next_month --prev DIR --out DIR2 [--new-share 0.01] [--move-share 0.005]

Agencies send their whole extract every month, so the next month's files are last month's
rows unchanged (same record ids, same spelling) plus:

- new households (`new_share` of the households): a separate small world drawn with
  another seed, its dwellings, postcodes, identifiers and tenancies checked not to clash
  with last month's, record ids continuing each agency's numbering;
- moves (`move_share` of the households, chosen among households with a dwelling and no
  social tenancy): every member gets a `health` row (`long_term_condition`) dated on the
  new as-of date at a new dwelling, which becomes their current address;
- a month more events: about 1/36 of the police, health, school exclusion and DWP
  employment rows copied as written (names, dates of birth and identifiers with their
  mess) to a new record id dated in the new month, carrying the address of the person's
  dwelling at the new as-of date.

The new as-of date is the last day of the following month. `truth/records.csv` and
`truth/persons.csv` are rewritten for the new month (a moved person's `true_family_id`
is the new dwelling's, `TFM...`; new households' ids are `TPN...`/`TFN...`).
`truth/families.csv` (criteria and status) is not recomputed and not written. The
engagements file is carried over as it was: it names the family ids published for the
first month. Works on a drop made by `data_samples.generator` (one step; it rebuilds that
world from the manifest). The first month's files are only read.
"""

from __future__ import annotations

import argparse
import calendar
import json
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from cohort.data_samples.generator import (
    EXTRACTS,
    STYLES,
    Drop,
    _write_xlsx,
    build,
    contract_columns,
    family_id,
    person_id,
)
from cohort.data_samples.mess import MessRates
from cohort.data_samples.world import ADDRESS_VARIANTS, from_days
from cohort.data_samples.events import PERSON_SOURCES

EVENT_EXTRACTS = {"police": "event_date", "health": "recorded_date", "school_exclusions": "exclusion_date",
                  "dwp_employment": "event_date"}
DMY_EXTRACTS = ("police", "youth_offending", "social_care")
ID_FIELDS = ("nino", "upn", "pnc_id", "uprn", "tenancy_ref")


def month_end_after(d: date) -> date:
    y, m = (d.year + (d.month == 12), d.month % 12 + 1)
    return date(y, m, calendar.monthrange(y, m)[1])


def _read_extract(folder: Path, name: str) -> tuple[pl.DataFrame, str]:
    """(frame with the file's own headers, all text; suffix)."""
    csv, xlsx = folder / f"{name}.csv", folder / f"{name}.xlsx"
    if csv.exists():
        return pl.read_csv(csv, infer_schema=False), ".csv"
    import openpyxl

    wb = openpyxl.load_workbook(xlsx, read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    header = [str(h) for h in rows[0]]
    # A row whose last cells are blank comes back shorter than the header.
    body = [[None if v is None else str(v) for v in r] + [None] * (len(header) - len(r)) for r in rows[1:]]
    return pl.DataFrame(body, schema={h: pl.String for h in header}, orient="row"), ".xlsx"


def _headers(frame: pl.DataFrame) -> dict[str, str]:
    """Contract name -> the file's header (matched as the contract says: trimmed, any case)."""
    return {c.strip().lower(): c for c in frame.columns}


def _pc(p: str | None) -> str:
    return (p or "").replace(" ", "").upper()


def _record_number(record_id: str) -> int:
    digits = "".join(ch for ch in record_id if ch.isdigit())
    return int(digits) if digits else 0


class _Ids:
    """Next record ids per extract, continuing each agency's numbering."""

    def __init__(self, frames: dict[str, pl.DataFrame]):
        self.next = {}
        for name, frame in frames.items():
            col = _headers(frame)["record_id"]
            ids = frame[col].drop_nulls().to_list()
            self.next[name] = max((_record_number(i) for i in ids), default=100_000) + 1

    def take(self, name: str, n: int) -> list[str]:
        start = self.next[name]
        self.next[name] += n
        return [f"{STYLES[name].prefix}{i:07d}" for i in range(start, start + n)]


def _day_in(rng: np.random.Generator, after: date, until: date, n: int) -> list[date]:
    span = (until - after).days
    return [after + timedelta(days=int(d)) for d in rng.integers(1, span + 1, n)]


def _fmt(d: date, name: str) -> str:
    return d.strftime("%d/%m/%Y") if name in DMY_EXTRACTS else d.isoformat()


def _address(world, dwelling: int, name: str, rng: np.random.Generator) -> tuple[str, str]:
    style = STYLES[name]
    k = int(rng.choice(ADDRESS_VARIANTS, p=np.array(style.variants) / sum(style.variants)))
    text = world.d_variants[dwelling][k]
    return (text.upper() if style.upper else text), world.d_postcode[dwelling]


def _household_pids(drop: Drop) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    seen = set(drop.records["pid"].unique().to_list())
    for p, h in enumerate(drop.world.p_household.tolist()):
        if p in seen:
            out.setdefault(h, []).append(p)
    return out


def _rows_of(drop: Drop, name: str, pids: set[int]) -> pl.DataFrame:
    """The written rows (contract columns) of an extract whose person is in `pids`."""
    frame = drop.written[name]
    if name == "housing_asb":
        refs = set(_rows_of(drop, "housing", pids)["tenancy_ref"].to_list())
        return frame.filter(pl.col("tenancy_ref").is_in(list(refs)))
    mask = np.isin(drop.rows[name].cols["pid"], np.array(sorted(pids), dtype=np.int64))
    return frame.with_columns(pl.Series("_pid", drop.rows[name].cols["pid"])).filter(pl.Series(mask))


def _clashes(drop: Drop, hh_pids: list[int], used: dict[str, set[str]]) -> bool:
    pids = set(hh_pids)
    for name in PERSON_SOURCES:
        rows = _rows_of(drop, name, pids)
        for column in ("postcode", *ID_FIELDS):
            if column in rows.columns:
                values = {(_pc(v) if column == "postcode" else v) for v in rows[column].drop_nulls().to_list()}
                if values & used[column]:
                    return True
    return False


@dataclass
class _Month:
    """What the month's steps share: last month's world, the small world new households come
    from, record ids, the random stream, and the rows and truth added so far."""

    drop: Drop
    mini: Drop
    mini_pids: dict[int, list[int]]
    ids: _Ids
    rng: np.random.Generator
    as_of1: date
    as_of2: date
    added: dict[str, list[pl.DataFrame]] = field(default_factory=lambda: {name: [] for name in EXTRACTS})
    truth_rows: list[dict] = field(default_factory=list)
    new_home: dict[int, tuple[int, str]] = field(default_factory=dict)  # pid -> (mini dwelling, true family)


def generate_next_month(prev_dir: str | Path, out_dir: str | Path, *, new_share: float = 0.01,
                        move_share: float = 0.005, event_share: float = 1 / 36, seed: int | None = None) -> dict:
    """Write `out_dir/extracts`, `out_dir/truth` and `out_dir/manifest.json` for the month
    after the drop in `prev_dir`; return the counts."""
    prev_dir, out = Path(prev_dir), Path(out_dir)
    manifest = json.loads((prev_dir / "manifest.json").read_text())
    if manifest.get("generator") != "data_samples.generator":
        raise ValueError(f"{prev_dir} was not made by data_samples.generator (one month step only)")
    as_of1 = date.fromisoformat(manifest["as_of"])
    as_of2 = month_end_after(as_of1)
    households, base_seed = manifest["households"], manifest["seed"]
    mess = MessRates(**manifest["mess"])
    seed = base_seed if seed is None else seed
    rng = np.random.default_rng([seed, 2024, as_of2.toordinal()])
    drop = build(households, base_seed, as_of1, mess)

    frames, suffix = {}, {}
    for name in EXTRACTS:
        frames[name], suffix[name] = _read_extract(prev_dir / "extracts", name)
    n_new = max(1, round(households * new_share))
    n_move = max(1, round(households * move_share))
    mini = build(3 * (n_new + n_move) + 10, seed * 7_919 + as_of2.toordinal(), as_of2, mess)
    month = _Month(drop, mini, _household_pids(mini), _Ids(frames), rng, as_of1, as_of2)
    fresh = _fresh_households(month, _used_values(frames, drop), n_new + n_move)
    arrival_pids = _add_arrivals(month, fresh[:n_new])
    movers = _add_moves(month, fresh[n_new:n_new + n_move], n_move)
    _add_month_events(month, event_share)

    counts = {"as_of": as_of2.isoformat(), "new_households": n_new, "moved_households": len(movers),
              "rows_added": _write_extracts(prev_dir, out / "extracts", frames, suffix, month.added)}
    counts["person_level_rows"] = _write_truth(prev_dir, out / "truth", month, arrival_pids)
    (out / "manifest.json").write_text(json.dumps({
        "generator": "data_samples.next_month",
        "as_of": as_of2.isoformat(),
        "previous": manifest,
        "new_share": new_share, "move_share": move_share, "event_share": event_share, "seed": seed,
        "counts": counts,
    }, indent=2) + "\n", encoding="utf-8")
    return counts


def _used_values(frames: dict[str, pl.DataFrame], drop: Drop) -> dict[str, set[str]]:
    """Postcodes and identifiers last month's files (and world) already use."""
    used: dict[str, set[str]] = {f: set() for f in ("postcode", *ID_FIELDS)}
    for frame in frames.values():
        h = _headers(frame)
        for column in used:
            if column in h:
                values = frame[h[column]].drop_nulls().to_list()
                used[column] |= {_pc(v) for v in values} if column == "postcode" else set(values)
    used["postcode"] |= {_pc(p) for p in drop.world.d_postcode}
    return used


def _fresh_households(month: _Month, used: dict[str, set[str]], need: int) -> list[int]:
    """The small world's households with a dwelling and nothing that clashes with last month."""
    fresh = []
    for h in range(len(month.mini.world.h_dwelling)):
        pids = month.mini_pids.get(h)
        if pids and month.mini.world.h_dwelling[h] >= 0 and not _clashes(month.mini, pids, used):
            fresh.append(h)
    if len(fresh) < need:
        raise RuntimeError("not enough clash-free new households; try another seed")
    return fresh


def _add_arrivals(month: _Month, arrivals: list[int]) -> set[int]:
    """New households: all their rows, with record ids continuing the agencies' numbering."""
    arrival_pids = {p for h in arrivals for p in month.mini_pids[h]}
    for name in EXTRACTS:
        rows = _rows_of(month.mini, name, arrival_pids)
        if rows.height == 0:
            continue
        new_ids = month.ids.take(name, rows.height)
        if name != "housing_asb":
            for rid, pid in zip(new_ids, rows["_pid"].to_list()):
                dw = month.mini.person_family.get(pid)
                month.truth_rows.append({"source": name, "record_id": rid, "true_person_id": f"TN{pid:07d}",
                                         "true_family_id": None if dw is None else f"TFN{dw:07d}"})
        month.added[name].append(rows.with_columns(pl.Series("record_id", new_ids)).select(contract_columns(name)))
    return arrival_pids


def _add_moves(month: _Month, destinations: list[int], n_move: int) -> list[int]:
    """Moves: each member of a chosen household gets a health row at the new dwelling, dated T2."""
    drop = month.drop
    tenants = set(drop.rows["housing"].cols["pid"].tolist())
    movable = sorted(
        dw for dw in set(drop.person_family.values())
        if not any(p in tenants for p in _members(drop, dw)) and _members(drop, dw)
    )
    movers = sorted(month.rng.choice(movable, size=min(n_move, len(movable)), replace=False).tolist())
    for dw, dest_h in zip(movers, destinations):
        dest = int(month.mini.world.h_dwelling[dest_h])
        for p in _members(drop, dw):
            month.new_home[p] = (dest, f"TFM{dest:07d}")
    if not month.new_home:
        return movers
    latest = _latest_written(drop, set(month.new_home))
    pids = sorted(month.new_home)
    rows = []
    for rid, p in zip(month.ids.take("health", len(pids)), pids):
        address, postcode = _address(month.mini.world, month.new_home[p][0], "health", month.rng)
        fore, sur, dob, gender = latest[p]
        rows.append({"record_id": rid, "forename": fore, "surname": sur, "dob": dob, "gender": gender,
                     "address": address, "postcode": postcode, "issue": "long_term_condition",
                     "recorded_date": month.as_of2.isoformat()})
        month.truth_rows.append({"source": "health", "record_id": rid, "true_person_id": person_id(p),
                                 "true_family_id": month.new_home[p][1]})
    month.added["health"].append(pl.DataFrame(rows, schema={c: pl.String for c in contract_columns("health")}))
    return movers


def _add_month_events(month: _Month, event_share: float) -> None:
    """A month more events, at each person's dwelling on T2."""
    drop, rng, new_home = month.drop, month.rng, month.new_home
    for name, date_col in EVENT_EXTRACTS.items():
        frame = drop.written[name]
        k = round(frame.height * event_share)
        if k == 0:
            continue
        pick = np.sort(rng.choice(frame.height, size=k, replace=False))
        pids = drop.rows[name].cols["pid"][pick].tolist()
        rows = frame[pick.tolist()]
        new_ids = month.ids.take(name, k)
        addresses, postcodes = [], []
        for p, old_a, old_pc in zip(pids, rows["address"].to_list(), rows["postcode"].to_list()):
            if p in new_home:
                a, pc = _address(month.mini.world, new_home[p][0], name, rng)
            elif p in drop.person_family:
                a, pc = _address(drop.world, drop.person_family[p], name, rng)
            else:
                a, pc = old_a, old_pc
            addresses.append(a)
            postcodes.append(pc)
        days = [_fmt(d, name) for d in _day_in(rng, month.as_of1, month.as_of2, k)]
        rows = rows.with_columns(
            pl.Series("record_id", new_ids), pl.Series("address", addresses, dtype=pl.String),
            pl.Series("postcode", postcodes, dtype=pl.String), pl.Series(date_col, days),
        )
        month.added[name].append(rows.select(contract_columns(name)))
        for rid, p in zip(new_ids, pids):
            fam = new_home[p][1] if p in new_home else (
                family_id(drop.person_family[p]) if p in drop.person_family else None)
            month.truth_rows.append({"source": name, "record_id": rid, "true_person_id": person_id(p),
                                     "true_family_id": fam})


def _write_extracts(prev_dir: Path, extracts: Path, frames: dict[str, pl.DataFrame], suffix: dict[str, str],
                    added: dict[str, list[pl.DataFrame]]) -> dict[str, int]:
    """Each extract as last month's file plus its added rows, in the file's own headers and
    format; the engagements file carried over. Returns the rows added per extract."""
    extracts.mkdir(parents=True, exist_ok=True)
    rows_added = {}
    for name in EXTRACTS:
        frame = frames[name]
        h = _headers(frame)
        extra = pl.concat(added[name], how="vertical_relaxed") if added[name] else None
        if extra is not None and extra.height:
            extra = extra.rename({c: h[c] for c in extra.columns if c in h})
            extra = extra.select(
                pl.col(col) if col in extra.columns else pl.lit(None, pl.String).alias(col) for col in frame.columns
            )
            frame = pl.concat([frame, extra.cast({c: pl.String for c in extra.columns})], how="vertical_relaxed")
        rows_added[name] = frame.height - frames[name].height
        for stale in (extracts / f"{name}.csv", extracts / f"{name}.xlsx"):
            stale.unlink(missing_ok=True)
        if suffix[name] == ".xlsx":
            _write_xlsx(frame, extracts / f"{name}.xlsx")
        else:
            frame.write_csv(extracts / f"{name}.csv")
    for f in ("engagements.csv", "engagements.xlsx"):
        if (prev_dir / "extracts" / f).exists():
            shutil.copy2(prev_dir / "extracts" / f, extracts / f)
    return rows_added


def _write_truth(prev_dir: Path, truth: Path, month: _Month, arrival_pids: set[int]) -> int:
    """records.csv and persons.csv for the new month (movers in their new families, the new
    households' people added); returns the person-level rows."""
    truth.mkdir(parents=True, exist_ok=True)
    mini = month.mini
    old_truth = pl.read_csv(prev_dir / "truth" / "records.csv", infer_schema=False)
    moved_ids = {person_id(p): fam for p, (_, fam) in month.new_home.items()}
    moved = pl.DataFrame({"true_person_id": list(moved_ids), "_fam": list(moved_ids.values())},
                         schema={"true_person_id": pl.String, "_fam": pl.String})
    old_truth = old_truth.join(moved, on="true_person_id", how="left").with_columns(
        pl.coalesce("_fam", "true_family_id").alias("true_family_id")).drop("_fam")
    new_truth = pl.DataFrame(month.truth_rows, schema={c: pl.String for c in old_truth.columns})
    pl.concat([old_truth, new_truth]).sort("source", "record_id").write_csv(truth / "records.csv")
    persons = pl.read_csv(prev_dir / "truth" / "persons.csv", infer_schema=False).join(
        moved.rename({"_fam": "_new"}), on="true_person_id", how="left"
    ).with_columns(pl.coalesce("_new", "true_family_id").alias("true_family_id")).drop("_new")
    arrivals_people = pl.DataFrame(
        [{"true_person_id": f"TN{p:07d}",
          "true_family_id": (f"TFN{mini.person_family[p]:07d}" if p in mini.person_family else None),
          "forename": mini.world.p_forename[p], "surname": mini.world.p_surname[p],
          "dob": from_days(mini.world.p_dob[p]).isoformat(),
          "sex": "F" if mini.world.p_female[p] else "M", "kind": mini.world.p_kind[p] or None}
         for p in sorted(arrival_pids)],
        schema={c: pl.String for c in persons.columns},
    )
    pl.concat([persons, arrivals_people]).write_csv(truth / "persons.csv")
    return old_truth.height + new_truth.height

def _members(drop: Drop, dwelling: int) -> list[int]:
    if not hasattr(drop, "_members_by_dwelling"):
        by: dict[int, list[int]] = {}
        for p, dw in drop.person_family.items():
            by.setdefault(dw, []).append(p)
        drop._members_by_dwelling = by  # type: ignore[attr-defined]
    return sorted(drop._members_by_dwelling.get(dwelling, []))  # type: ignore[attr-defined]


def _latest_written(drop: Drop, pids: set[int]) -> dict[int, tuple]:
    """Per person, the name, date of birth and gender as written on one of their rows
    (the last of the person's rows in the first person-level extract that has one)."""
    out: dict[int, tuple] = {}
    for name in PERSON_SOURCES:
        frame = _rows_of(drop, name, pids)
        for fore, sur, dob, gender, p in frame.select("forename", "surname", "dob", "gender", "_pid").iter_rows():
            out.setdefault(p, (fore, sur, _iso(dob), gender))
    return out


def _iso(text: str | None) -> str | None:
    if text and "/" in text:
        d, m, y = text.split("/")
        return f"{y}-{m}-{d}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_samples.next_month", description=__doc__.split("\n\n")[0])
    parser.add_argument("--prev", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--new-share", type=float, default=0.01)
    parser.add_argument("--move-share", type=float, default=0.005)
    args = parser.parse_args(argv)
    print(json.dumps(generate_next_month(args.prev, args.out, new_share=args.new_share,
                                         move_share=args.move_share), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
