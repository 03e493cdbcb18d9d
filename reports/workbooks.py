"""The district lists, the out-of-area list and the claim workbook, in one call.

The export stage runs this in a second process while it builds the review (decision 86),
so it takes plain values and frames already read, never the warehouse, and imports only
the writers: a fresh process pays for every module it imports.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from cohort.core.reference import PROGRAMME_CRITERIA
from cohort.reports.claims import write_claim_workbook
from cohort.reports.district_rows import build_rows
from cohort.reports.district_lists import write_district_lists
from cohort.reports.out_of_area import FILE_NAME as OUT_OF_AREA_FILE, write_out_of_area


def write_workbooks(staging: Path, *, programme: str, as_of: date, run_id: str, families: pl.DataFrame,
                    members: pl.DataFrame, evidence: pl.DataFrame, addresses: pl.DataFrame, missing: list[str],
                    changes: pl.DataFrame, previous_as_of: date | None,
                    claim: dict[str, Any] | None) -> tuple[list[Path], list[Path]]:
    """Write the workbooks into `staging`; returns the district lists' paths and the claim
    workbook's (none when the programme has no claims). The lists' rows are built here
    too, off the export's longest path (the review, in the other process)."""
    rows = build_rows(families, members, evidence, addresses, PROGRAMME_CRITERIA[programme], as_of)
    paths = write_district_lists(
        staging / "district_lists", families=families, members=members, evidence=evidence,
        programme=programme, as_of=as_of, missing_extracts=missing, run_id=run_id, changes=changes,
        previous_as_of=previous_as_of, rows=rows)
    write_out_of_area(staging / OUT_OF_AREA_FILE, rows, programme=programme, as_of=as_of, run_id=run_id)
    claim_books = [write_claim_workbook(staging / "claims" / f"{as_of.isoformat()}.xlsx", **claim,
                                        as_of=as_of, run_id=run_id)] if claim else []
    return paths, claim_books
