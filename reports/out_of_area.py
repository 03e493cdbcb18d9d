"""`out_of_area.xlsx`: listed families whose home is outside Kent's twelve districts, for the county team.

They are in no district list (no district can work with them), so without this list
they would be a log line. One row per family listed in `families.csv` with district
`out_of_area`: the same columns as a district's Families sheet (status, address,
criteria and why), then the postcode's outward code and the neighbouring authority
where the reference data knows it (`cohort.core.reference.NEIGHBOUR_OUTWARD`), so the
county team can pass the family on. Members and Evidence sheets as in a district list.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from cohort.core.reference import OUT_OF_AREA, PROGRAMME_CRITERIA, neighbouring_authority, outward_code
from cohort.reports.district_rows import EVIDENCE_COLUMNS, MEMBER_COLUMNS, DistrictRows, family_columns
from cohort.reports.xlsx_book import Book, Column

FILE_NAME = "out_of_area.xlsx"
PLACE_COLUMNS: list[Column] = [
    Column("outward_code", "Outward code", 10),
    Column("authority", "Neighbouring authority", 24),
]


def out_of_area_columns(criteria: tuple[str, ...]) -> list[Column]:
    """A district list's Families columns with the place after the postcode; no Key worker."""
    columns = [c for c in family_columns(criteria) if c.key != "key_worker"]
    at = next(i for i, c in enumerate(columns) if c.key == "postcode") + 1
    return [*columns[:at], *PLACE_COLUMNS, *columns[at:]]


def _with_place(families: pl.DataFrame) -> pl.DataFrame:
    postcode = pl.col("postcode")
    return families.with_columns(
        postcode.map_elements(outward_code, return_dtype=pl.String).fill_null("not readable").alias("outward_code"),
        postcode.map_elements(neighbouring_authority, return_dtype=pl.String).fill_null("not known").alias("authority"),
    )


def write_out_of_area(path: Path, rows: DistrictRows, *, programme: str, as_of: date, run_id: str) -> Path:
    """Write the county's out-of-area list from the rows the district lists were built from."""
    criteria = PROGRAMME_CRITERIA[programme]
    own = {name: frame.filter(pl.col("district") == OUT_OF_AREA)
           for name, frame in (("families", rows.families), ("members", rows.members), ("evidence", rows.evidence))}
    book = Book(path, title=f"Out-of-area families, Troubled Families identification at {as_of.isoformat()}",
                when=as_of, footer="Kent County Council: out-of-area families")
    note = (f"Families the run as of {as_of:%d/%m/%Y} (run {run_id}) lists whose home is outside Kent's twelve "
            "districts: in no district's list. Pass each to the authority it now lives in.")
    book.table_sheet("Families", _with_place(own["families"]), out_of_area_columns(criteria), notes=[note],
                     freeze_columns=1, empty_note="No listed family lives outside Kent's districts this month.")
    book.table_sheet("Members", own["members"], MEMBER_COLUMNS, landscape=False)
    book.table_sheet("Evidence", own["evidence"], EVIDENCE_COLUMNS)
    return book.close()
