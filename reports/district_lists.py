"""The district identification workbooks: `<District>.xlsx`, the list each local operational group works from.

Need to know: a district's book holds only the families whose dwelling is in that
district, and of their members only name, date of birth and role. Its "Changes since
last run" sheet names only family ids and statuses of families the district has or had
(one that moved away shows as "moved out", without saying where). Families out of area
are in no district book (`out_of_area_families` hands them to the run summary). Every
district gets a book, even an empty one, so a district sees "no families" rather than a
missing file.

Text cells are built with polars column operations for all districts at once; the only
per-row Python is openpyxl streaming the rows out (write-only workbooks keep memory flat).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.shapes import GraphicalProperties

from cohort.core.reference import (
    DISTRICT_COHORTS,
    DISTRICT_TARGETS,
    DISTRICTS,
    OUT_OF_AREA,
    PROGRAMME_CRITERIA,
    STATED_TARGETS,
)
from cohort.reports.xlsx_style import (
    LABEL_FONT,
    PERCENT_FORMAT,
    TITLE_FONT,
    WARNING_FONT,
    WRAP_ALIGNMENT,
    append_table,
    cell,
    header_cell,
    save_workbook,
    set_column_widths,
)
from cohort.core.statuses import LISTED_STATUSES, STATUSES

log = logging.getLogger(__name__)

ROLE_ORDER: tuple[str, ...] = ("lead_tenant", "joint_tenant", "adult", "child")

CRITERION_LABELS: dict[str, str] = {
    "crime_asb": "Crime / ASB",
    "education": "Education",
    "work": "Work",
    "local_discretion": "Local discretion",
    "school_attendance": "School attendance",
    "children_need_help": "Children who need help",
    "worklessness": "Worklessness",
    "domestic_abuse": "Domestic abuse",
    "health": "Health",
}

PROGRAMME_TITLES = {
    "phase1": "Phase 1 (2012-2015): automatic = crime/ASB, education and work all met; "
    "discretionary = two of them plus a local discretion indicator; candidate = two of them",
    "phase2": "Phase 2 (2015-2020): automatic = at least two of the six headline problems; "
    "candidate = one",
}

# Kent's Phase 2 target (seed 003) is county-wide; no district split is published.
PHASE2_NOTE = (
    "Phase 2 has a Kent-wide target (8,960 families over 5 years) that is not split by "
    "district; the district's Phase 1 allocation is shown for scale only."
)

MAX_EVIDENCE_PER_CELL = 20
SHEET_FAMILIES, SHEET_MEMBERS, SHEET_EVIDENCE, SHEET_SUMMARY = "Families", "Members", "Evidence", "Summary"
SHEET_CHANGES = "Changes since last run"
CHANGE_COLUMNS = {
    "family_id": "Family ID", "change": "Change", "detail": "Detail",
    "previous_status": "Previous status", "status": "Status",
}
CHANGE_ORDER = ("new", "status_changed", "moved_in", "merged", "split", "split_off", "moved_out", "left")

FAMILY_COLUMNS = ("family_id", "district", "members", "criteria_met", "status")
MEMBER_COLUMNS = {
    "family_id": pl.String, "person_id": pl.String, "forename": pl.String, "surname": pl.String,
    "dob": pl.Date, "age": pl.Int64, "role": pl.String,
}
EVIDENCE_COLUMNS = {
    "family_id": pl.String, "criterion": pl.String, "source": pl.String, "record_id": pl.String,
    "person_id": pl.String, "event_date": pl.Date, "value": pl.String, "detail": pl.String,
}


def missing_extract_warning(extract: str) -> str:
    return (
        f"Extract {extract} was not supplied: indicators that depend on it show 0 "
        "meaning NOT KNOWN, not 'not met'"
    )


def out_of_area_families(families: pl.DataFrame) -> pl.DataFrame:
    """Listed families whose dwelling is outside Kent's districts: in no district book, reported apart."""
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
) -> list[Path]:
    """Write `out_dir/<District>.xlsx` for each of the 12 districts; returns the paths in DISTRICTS order.

    `changes` (sql/marts/family_changes.sql: family_id, district, change, detail,
    previous_status, status) fills each book's "Changes since last run" sheet with its own
    district's rows; `previous_as_of` is the run they compare with (None: no earlier run).
    """
    if programme not in PROGRAMME_CRITERIA:
        raise ValueError(f"unknown programme {programme!r}; expected one of {sorted(PROGRAMME_CRITERIA)}")
    criteria = PROGRAMME_CRITERIA[programme]
    _check_families(families, criteria)
    members = _conform(members, MEMBER_COLUMNS, "members", optional=())
    evidence = _conform(evidence, EVIDENCE_COLUMNS, "evidence", optional=("detail",))

    listed = _listed_families(families, criteria)
    member_rows = _member_rows(members, listed)
    evidence_rows = _evidence_rows(evidence, listed, member_rows, criteria)
    family_rows = _family_rows(listed, member_rows, evidence_rows, criteria)

    warnings = [missing_extract_warning(x) for x in sorted(missing_extracts)]
    by_district = {
        "families": family_rows.partition_by("district", as_dict=True, maintain_order=True),
        "members": member_rows.partition_by("district", as_dict=True, maintain_order=True),
        "evidence": evidence_rows.partition_by("district", as_dict=True, maintain_order=True),
    }
    empty = {"families": family_rows.clear(), "members": member_rows.clear(), "evidence": evidence_rows.clear()}
    change_rows = _change_rows(changes)
    changes_by_district = change_rows.partition_by("district", as_dict=True, maintain_order=True)

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for district in DISTRICTS:
        parts = {k: v.get((district,), empty[k]).drop("district", "_rank") for k, v in by_district.items()}
        path = _write_book(
            out_dir / f"{district}.xlsx",
            district=district,
            programme=programme,
            criteria=criteria,
            as_of=as_of,
            run_id=run_id,
            warnings=warnings,
            changes=changes_by_district.get((district,), change_rows.clear()).drop("district"),
            previous_as_of=previous_as_of,
            **parts,
        )
        log.info("district list %s: %d families listed", district, parts["families"].height)
        paths.append(path)

    outside = listed.filter(pl.col("district") == OUT_OF_AREA).height
    if outside:
        log.info("%d listed families are out of area and in no district list", outside)
    return paths


def _check_families(families: pl.DataFrame, criteria: tuple[str, ...]) -> None:
    """Unknown districts or statuses would silently drop families from every list: refuse them."""
    missing = [c for c in (*FAMILY_COLUMNS, *criteria) if c not in families.columns]
    if missing:
        raise ValueError(f"families frame lacks columns {missing}")
    districts = set(families.get_column("district").unique().to_list())
    unknown = sorted(str(d) for d in districts - set(DISTRICTS) - {OUT_OF_AREA})
    if unknown:
        raise ValueError(f"families with unknown district values: {unknown}")
    statuses = set(families.get_column("status").unique().to_list())
    bad = sorted(str(s) for s in statuses - set(STATUSES))
    if bad:
        raise ValueError(f"families with unknown status values: {bad}")


def _conform(frame: pl.DataFrame, columns: dict[str, pl.DataType], name: str,
             optional: tuple[str, ...]) -> pl.DataFrame:
    """The columns this module reads, cast to their types (empty frames often arrive untyped)."""
    missing = [c for c in columns if c not in frame.columns and c not in optional]
    if missing:
        raise ValueError(f"{name} frame lacks columns {missing}")
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c) for c, t in columns.items()
    )


def _status_rank() -> pl.Expr:
    return pl.col("status").replace_strict(
        {s: i for i, s in enumerate(LISTED_STATUSES)}, default=len(LISTED_STATUSES), return_dtype=pl.Int32
    )


def _listed_families(families: pl.DataFrame, criteria: tuple[str, ...]) -> pl.DataFrame:
    """Families of the 12 districts the lists show, in list order, with a rank to keep that order."""
    return (
        families.filter(pl.col("status").is_in(LISTED_STATUSES))
        .select(
            pl.col("family_id").cast(pl.String),
            pl.col("district").cast(pl.String),
            pl.col("status").cast(pl.String),
            pl.col("criteria_met").cast(pl.Int64),
            *[
                pl.when(pl.col(c).cast(pl.Int8) == 1).then(pl.lit("Yes")).otherwise(None).alias(c)
                for c in criteria
            ],
            pl.col("members").cast(pl.Int64),
        )
        .sort(_status_rank(), "family_id")
        .with_columns(pl.int_range(pl.len()).alias("_rank"))
    )


def _member_rows(members: pl.DataFrame, listed: pl.DataFrame) -> pl.DataFrame:
    """One row per member of a listed family, ordered as the families then tenants, adults, children."""
    role_rank = pl.col("role").replace_strict(
        {r: i for i, r in enumerate(ROLE_ORDER)}, default=len(ROLE_ORDER), return_dtype=pl.Int32
    )
    return (
        members.join(listed.select("family_id", "district", "_rank"), on="family_id", how="inner")
        .sort("_rank", role_rank, "dob", "person_id", nulls_last=True)
        .select("family_id", "person_id", "forename", "surname", "dob", "age", "role", "district", "_rank")
        .with_columns(pl.col("forename").str.to_titlecase(), pl.col("surname").str.to_uppercase())
    )


def _display_name() -> pl.Expr:
    return pl.concat_str(
        [pl.col("forename").str.to_titlecase(), pl.col("surname").str.to_uppercase()],
        separator=" ",
        ignore_nulls=True,
    )


def _evidence_rows(evidence: pl.DataFrame, listed: pl.DataFrame, member_rows: pl.DataFrame,
                   criteria: tuple[str, ...]) -> pl.DataFrame:
    """Evidence of listed families, with the member's name; programme criteria first, newest first."""
    names = member_rows.select("family_id", "person_id", _display_name().alias("member"))
    criterion_rank = pl.col("criterion").replace_strict(
        {c: i for i, c in enumerate(criteria)}, default=len(criteria), return_dtype=pl.Int32
    )
    return (
        evidence.join(listed.select("family_id", "district", "_rank"), on="family_id", how="inner")
        .join(names, on=["family_id", "person_id"], how="left")
        .sort(
            "_rank", criterion_rank, "criterion", "event_date", "source", "record_id", "person_id", "value",
            descending=[False, False, False, True, False, False, False, False],
            nulls_last=True,
        )
        .select(
            "family_id", "criterion", "source", "record_id", "person_id", "member", "event_date",
            "value", "detail", "district", "_rank",
        )
    )


def _family_rows(listed: pl.DataFrame, member_rows: pl.DataFrame, evidence_rows: pl.DataFrame,
                 criteria: tuple[str, ...]) -> pl.DataFrame:
    """The Families sheet rows: flags, a readable members cell and one evidence cell per criterion."""
    member_text = pl.concat_str(
        [
            _display_name().fill_null("(no name)"),
            pl.lit(" ("),
            pl.concat_str(
                [pl.col("dob").dt.strftime("%d/%m/%Y").fill_null("date of birth not known"), pl.col("role")],
                separator=", ",
                ignore_nulls=True,
            ),
            pl.lit(")"),
        ]
    )
    member_cells = member_rows.group_by("family_id", maintain_order=True).agg(
        member_text.str.join("; ").alias("member_list")
    )

    item_text = pl.concat_str(
        [
            pl.concat_str(
                [pl.col("source"), pl.col("value").cast(pl.String), pl.col("event_date").dt.strftime("%d/%m/%Y")],
                separator=" ",
                ignore_nulls=True,
            ),
            pl.lit(" – ") + pl.col("member"),
            pl.lit(" (record ") + pl.col("record_id") + pl.lit(")"),
        ],
        ignore_nulls=True,
    )
    shown = (
        evidence_rows.filter(pl.col("criterion").is_in(criteria))
        .with_columns(
            item_text.alias("item"),
            pl.int_range(pl.len()).over("family_id", "criterion").alias("n"),
            pl.len().over("family_id", "criterion").alias("total"),
        )
        .filter(pl.col("n") < MAX_EVIDENCE_PER_CELL)
        .group_by("family_id", "criterion", maintain_order=True)
        .agg(pl.col("item").str.join("\n"), pl.col("total").first())
        .with_columns(
            pl.when(pl.col("total") > MAX_EVIDENCE_PER_CELL)
            .then(
                pl.col("item")
                + pl.format("\n… and {} more on the Evidence sheet", pl.col("total") - MAX_EVIDENCE_PER_CELL)
            )
            .otherwise(pl.col("item"))
            .alias("item")
        )
    )
    evidence_cells = (
        shown.pivot(on="criterion", index="family_id", values="item", on_columns=list(criteria))
        if shown.height
        else pl.DataFrame(schema={"family_id": pl.String})
    )
    evidence_cells = evidence_cells.select(
        "family_id",
        *[
            (pl.col(c) if c in evidence_cells.columns else pl.lit(None, pl.String)).alias(f"evidence_{c}")
            for c in criteria
        ],
    )
    return (
        listed.join(member_cells, on="family_id", how="left")
        .join(evidence_cells, on="family_id", how="left")
        .sort("_rank")
        .select(
            "family_id", "status", "criteria_met", *criteria, "members", "member_list",
            *[f"evidence_{c}" for c in criteria], "district", "_rank",
        )
    )


def _headline_count(criteria: tuple[str, ...]) -> int:
    return len([c for c in criteria if c != "local_discretion"])


def _write_book(path: Path, *, district: str, programme: str, criteria: tuple[str, ...], as_of: date,
                run_id: str, warnings: list[str], families: pl.DataFrame, members: pl.DataFrame,
                evidence: pl.DataFrame, changes: pl.DataFrame, previous_as_of: date | None) -> Path:
    wb = Workbook(write_only=True)
    wb.properties.title = f"{district}: Troubled Families identification list at {as_of.isoformat()}"
    wb.properties.creator = "cohort"
    wb.properties.lastModifiedBy = "cohort"

    _summary_sheet(wb.create_sheet(SHEET_SUMMARY), district, programme, as_of, run_id, warnings, families)

    labels = {c: CRITERION_LABELS.get(c, c) for c in criteria}
    family_headers = {
        "family_id": "Family ID",
        "status": "Status",
        "criteria_met": f"Criteria met (of {_headline_count(criteria)})",
        **labels,
        "members": "Members",
        "member_list": "Members (name, date of birth, role)",
        **{f"evidence_{c}": f"Evidence: {label}" for c, label in labels.items()},
    }
    append_table(
        wb.create_sheet(SHEET_FAMILIES),
        families,
        headers=family_headers,
        wrap=["member_list", *[f"evidence_{c}" for c in criteria]],
        preamble=warnings,
        freeze_first_column=True,
    )
    append_table(
        wb.create_sheet(SHEET_MEMBERS),
        members,
        headers={
            "family_id": "Family ID", "person_id": "Person ID", "forename": "Forename", "surname": "Surname",
            "dob": "Date of birth", "age": "Age", "role": "Role",
        },
    )
    append_table(
        wb.create_sheet(SHEET_EVIDENCE),
        evidence.with_columns(pl.col("criterion").replace(CRITERION_LABELS)),
        headers={
            "family_id": "Family ID", "criterion": "Criterion", "source": "Source", "record_id": "Record ID",
            "person_id": "Person ID", "member": "Member", "event_date": "Date", "value": "Value",
            "detail": "Detail",
        },
    )
    append_table(
        wb.create_sheet(SHEET_CHANGES),
        changes,
        headers=CHANGE_COLUMNS,
        wrap=["detail"],
        preamble=[_changes_note(previous_as_of, changes.height)],
    )
    return save_workbook(wb, path, datetime(as_of.year, as_of.month, as_of.day))


def _change_rows(changes: pl.DataFrame | None) -> pl.DataFrame:
    """The district's changes in reading order: arrivals and status changes before departures."""
    schema = {"district": pl.String, **{c: pl.String for c in CHANGE_COLUMNS}}
    if changes is None or changes.height == 0:
        return pl.DataFrame(schema=schema)
    rank = pl.col("change").replace_strict({c: i for i, c in enumerate(CHANGE_ORDER)}, default=len(CHANGE_ORDER),
                                           return_dtype=pl.Int32)
    return (
        changes.select([pl.col(c).cast(pl.String) for c in schema])
        .sort(pl.col("district"), rank, pl.col("family_id"), pl.col("detail"))
        .with_columns(pl.col("change").str.replace_all("_", " "))
    )


def _changes_note(previous_as_of: date | None, n: int) -> str:
    if previous_as_of is None:
        return "No earlier run to compare with: this is the first run of this programme in this warehouse."
    when = previous_as_of.strftime("%d/%m/%Y")
    if n == 0:
        return f"No listed family changed since the run as of {when}."
    return (f"Families listed now or at the run as of {when} that are new, left, changed status, "
            "moved, merged or split since then.")


def _target_note(district: str, programme: str) -> str:
    year1, year2 = DISTRICT_COHORTS[district]
    derived = round((year1 + year2) / 0.85)
    target = DISTRICT_TARGETS[district]
    if district not in STATED_TARGETS:
        note = (
            f"Kent set years 1 and 2 ({year1} + {year2} = {year1 + year2} families) to reach 85% of "
            f"the 3-year Phase 1 allocation, so the target is ({year1 + year2}) / 0.85 = {target}, rounded."
        )
    else:
        note = (
            f"{target} is the 3-year Phase 1 target stated in the district's own report; the Kent "
            f"reading (years 1 + 2 = {year1 + year2} as 85% of the allocation) would give {derived}."
        )
    return f"{note} {PHASE2_NOTE}" if programme == "phase2" else note


def _summary_sheet(ws, district: str, programme: str, as_of: date, run_id: str, warnings: list[str],
                   families: pl.DataFrame) -> None:
    """Key facts as label/value rows, the counts table the chart reads, and the chart."""
    set_column_widths(ws, [44, 70])
    counts = dict(families.group_by("status").len().iter_rows())
    by_status = {s: counts.get(s, 0) for s in LISTED_STATUSES}
    identified = by_status["automatic"] + by_status["discretionary"]
    target = DISTRICT_TARGETS[district]
    year1, year2 = DISTRICT_COHORTS[district]

    def pair(label: str, value, **style) -> list:
        return [cell(ws, label, font=LABEL_FONT), cell(ws, value, **style) if value is not None else None]

    rows: list[list] = [[cell(ws, f"Troubled Families identification list: {district}", font=TITLE_FONT)], []]
    rows += [[cell(ws, w, font=WARNING_FONT)] for w in warnings]
    rows += [[]] if warnings else []
    rows += [
        pair("District", district),
        pair("Programme", f"{programme}: {PROGRAMME_TITLES[programme]}", alignment=WRAP_ALIGNMENT),
        pair("As-of date", as_of),
        pair("Run id", run_id),
        [],
    ]
    table_header = len(rows) + 1
    target_label = "Target (Phase 1 allocation, 3 years)"
    rows += [
        [header_cell(ws, "Status"), header_cell(ws, "Families")],
        *[[cell(ws, s.capitalize()), by_status[s]] for s in LISTED_STATUSES],
        [cell(ws, "Identified (automatic + discretionary)"), identified],
        [cell(ws, target_label), target],
        [],
    ]
    table_last = table_header + len(LISTED_STATUSES) + 2
    percent = (
        cell(ws, identified / target, number_format=PERCENT_FORMAT)
        if programme == "phase1"
        else cell(ws, "not applicable: no district Phase 2 target")
    )
    rows += [
        pair("Year 1 cohort (families)", year1),
        pair("Year 2 cohort (families)", year2),
        [cell(ws, "Identified as % of target", font=LABEL_FONT), percent],
        pair("How the target was derived", _target_note(district, programme), alignment=WRAP_ALIGNMENT),
    ]

    chart = BarChart()
    chart.type = "col"
    chart.title = f"{district}: families by status and target"
    chart.y_axis.title = "Families"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend = None
    chart.add_data(Reference(ws, min_col=2, min_row=table_header, max_row=table_last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=table_header + 1, max_row=table_last))
    target_bar = DataPoint(idx=table_last - table_header - 1)
    target_bar.graphicalProperties = GraphicalProperties(solidFill="C00000")
    chart.series[0].dPt.append(target_bar)
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, "D2")

    for row in rows:
        ws.append(row)
