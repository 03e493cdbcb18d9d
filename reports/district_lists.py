"""The district identification workbooks: `<District>.xlsx`, the list each local operational group works from.

Sheets: Summary (the front sheet, `district_front`), Families (one row per family),
Members, Evidence (`district_rows` builds all three), and "Changes since last run".

Need to know: a district's book holds only the families whose dwelling is in that
district. Its "Changes since last run" sheet names only family ids and statuses of
families the district has or had (one that moved away shows as "moved out", without
saying where). Families out of area are in no district book: they are in the county
team's `out_of_area.xlsx` (`cohort.reports.out_of_area`). Every district gets a book,
even an empty one, so a district sees "no families" rather than a missing file.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import polars as pl

from cohort.core.reference import DISTRICTS, OUT_OF_AREA, PROGRAMME_CRITERIA
from cohort.reports.district_front import Front, missing_extract_warning, write_front
from cohort.reports.district_rows import (
    EVIDENCE_COLUMNS,
    LISTED_STATUSES,
    MEMBER_COLUMNS,
    DistrictRows,
    build_rows,
    family_columns,
)
from cohort.reports.labels import CHANGE_LABELS, STATUS_LABELS, label
from cohort.reports.xlsx_book import Book, Column

log = logging.getLogger(__name__)

SHEET_SUMMARY, SHEET_FAMILIES, SHEET_MEMBERS, SHEET_EVIDENCE = "Summary", "Families", "Members", "Evidence"
SHEET_CHANGES = "Changes since last run"
CHANGE_ORDER = tuple(CHANGE_LABELS)
CHANGE_COLUMNS: list[Column] = [
    Column("family_id", "Family ID", 13),
    Column("change", "Change", 16),
    Column("detail", "Detail", 60, "wrap"),
    Column("previous_status", "Previous status", 15),
    Column("status", "Status", 15),
]

__all__ = ["missing_extract_warning", "out_of_area_families", "write_district_lists", "SHEET_CHANGES"]


def out_of_area_families(families: pl.DataFrame) -> pl.DataFrame:
    """Listed families whose dwelling is outside Kent's districts (the county's out-of-area list)."""
    return (
        families.filter(pl.col("district") == OUT_OF_AREA, pl.col("status").is_in(LISTED_STATUSES))
        .select("family_id", "status", "criteria_met", "members")
        .sort("family_id")
    )


def write_district_lists(
    out_dir: Path,
    *,
    families: pl.DataFrame,
    members: pl.DataFrame,
    evidence: pl.DataFrame,
    programme: str,
    as_of: date,
    missing_extracts: list[str],
    run_id: str,
    changes: pl.DataFrame | None = None,
    previous_as_of: date | None = None,
    addresses: pl.DataFrame | None = None,
    rows: DistrictRows | None = None,
) -> list[Path]:
    """Write `out_dir/<District>.xlsx` for each of the 12 districts; returns the paths in DISTRICTS order.

    `addresses` (families_base: family_id, address, postcode) gives each family's address.
    `changes` (sql/marts/family_changes.sql) fills each book's "Changes since last run"
    sheet with its own district's rows; `previous_as_of` is the run they compare with
    (None: no earlier run). `rows` reuses rows already built by `build_rows`.
    """
    if programme not in PROGRAMME_CRITERIA:
        raise ValueError(f"unknown programme {programme!r}; expected one of {sorted(PROGRAMME_CRITERIA)}")
    criteria = PROGRAMME_CRITERIA[programme]
    rows = rows or build_rows(families, members, evidence, addresses, criteria, as_of)
    parts = {
        name: frame.partition_by("district", as_dict=True, maintain_order=True)
        for name, frame in (("families", rows.families), ("members", rows.members), ("evidence", rows.evidence))
    }
    empty = {"families": rows.families.clear(), "members": rows.members.clear(), "evidence": rows.evidence.clear()}
    change_rows = _change_rows(changes)
    changes_by_district = change_rows.partition_by("district", as_dict=True, maintain_order=True)
    counts = _status_counts(families)

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for district in DISTRICTS:
        own = {k: v.get((district,), empty[k]) for k, v in parts.items()}
        front = Front(district=district, programme=programme, as_of=as_of, run_id=run_id,
                      missing_extracts=list(missing_extracts), by_status=counts.get(district, {}),
                      changes=changes_by_district.get((district,), change_rows.clear()), previous_as_of=previous_as_of)
        paths.append(_write_book(out_dir / f"{district}.xlsx", front, criteria, **own))
        log.info("district list %s: %d families listed", district, own["families"].height)
    outside = rows.families.filter(pl.col("district") == OUT_OF_AREA).height
    if outside:
        log.info("%d listed families are out of area: they are in out_of_area.xlsx", outside)
    return paths


def _status_counts(families: pl.DataFrame) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for district, status, n in families.group_by("district", "status").len().iter_rows():
        counts.setdefault(district, {})[status] = n
    return counts


def _write_book(path: Path, front: Front, criteria: tuple[str, ...], *, families: pl.DataFrame,
                members: pl.DataFrame, evidence: pl.DataFrame) -> Path:
    book = Book(path, title=f"{front.district}: Troubled Families identification list at {front.as_of.isoformat()}",
                when=front.as_of, footer=front.district)
    write_front(book, front)
    warnings = [missing_extract_warning(x) for x in sorted(front.missing_extracts)]
    book.table_sheet(SHEET_FAMILIES, families, family_columns(criteria), preamble=warnings, freeze_columns=1,
                     empty_note="No families are listed for this district this month.")
    book.table_sheet(SHEET_MEMBERS, members, MEMBER_COLUMNS, empty_note="none", landscape=False)  # narrow
    book.table_sheet(SHEET_EVIDENCE, evidence, EVIDENCE_COLUMNS, empty_note="none")
    book.table_sheet(SHEET_CHANGES, front.changes, CHANGE_COLUMNS,
                     notes=[_changes_note(front.previous_as_of, front.changes.height)], empty_note=None)
    return book.close()


def _change_rows(changes: pl.DataFrame | None) -> pl.DataFrame:
    """Every district's changes in reading order (arrivals and status changes before departures), in words."""
    schema = {"district": pl.String, **{c.key: pl.String for c in CHANGE_COLUMNS}}
    if changes is None or changes.height == 0:
        return pl.DataFrame(schema=schema)
    rank = pl.col("change").replace_strict({c: i for i, c in enumerate(CHANGE_ORDER)}, default=len(CHANGE_ORDER),
                                           return_dtype=pl.Int32)
    return (
        changes.select([pl.col(c).cast(pl.String) for c in schema])
        .sort(pl.col("district"), rank, pl.col("family_id"), pl.col("detail"), nulls_last=True)
        .with_columns(label(pl.col("change"), CHANGE_LABELS),
                      label(pl.col("previous_status"), STATUS_LABELS), label(pl.col("status"), STATUS_LABELS))
    )


def _changes_note(previous_as_of: date | None, n: int) -> str:
    if previous_as_of is None:
        return "No earlier run to compare with: this is the first run of this programme in this warehouse."
    when = previous_as_of.strftime("%d/%m/%Y")
    if n == 0:
        return f"No listed family changed since the run as of {when}."
    return (f"Families listed now or at the run as of {when} that are new, left, changed status, "
            "moved, merged or split since then.")
