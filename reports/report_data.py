"""What `report.html` shows, read from the run's warehouse as small frames.

Every query orders its rows, so the same warehouse gives the same report. Counts only:
no names, dates of birth or addresses are read here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from cohort.core.sqlrunner import run_sql
from cohort.core.warehouse import query, table_exists

WEIGHT_BIN = 2  # match-weight histogram bin width (log2 odds)
WEIGHT_RANGE = (-30, 40)  # pairs beyond are counted in the end bins


@dataclass(frozen=True)
class ReportData:
    as_of: date
    programme: str
    run_id: str
    link_threshold: float
    districts: pl.DataFrame  # district, status, families
    history: pl.DataFrame  # as_of, status, families (listed statuses, every run of the programme)
    changes: pl.DataFrame  # district, change, families (since the previous run)
    previous_as_of: date | None
    weights: pl.DataFrame  # bin (lower edge), pairs, guarded
    mu: pl.DataFrame  # match_weights as the run estimated them
    blocking: pl.DataFrame  # rule, description, candidate_pairs, new_pairs
    unlinked: pl.DataFrame  # source, records, unlinked
    error_estimate: pl.DataFrame | None  # match_error_estimate, all its columns, when the table exists
    rejected: pl.DataFrame  # file, reason, rows
    seconds: dict[str, float]


def _empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _if_table(con: duckdb.DuckDBPyConnection, table: str, sql: str, schema: dict[str, pl.DataType],
              params: dict[str, Any] | None = None) -> pl.DataFrame:
    return query(con, sql, params) if table_exists(con, table) else _empty(schema)


def stage_seconds(summary: dict[str, Any]) -> dict[str, float]:
    """Seconds per stage from the run summary: `seconds` when it holds them, else `stage_seconds`."""
    seconds = summary.get("seconds")
    if not isinstance(seconds, dict):
        seconds = summary.get("stage_seconds") or {}
    return {str(k): float(v) for k, v in seconds.items()}


def weight_bins(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Scored pairs by match weight, in bins of WEIGHT_BIN, ends gathered into the end bins;
    `guarded` counts the pairs a guard kept apart whatever their weight."""
    lo, hi = WEIGHT_RANGE
    if not table_exists(con, "match_pairs"):
        return _empty({"bin": pl.Int64, "pairs": pl.Int64, "guarded": pl.Int64})
    counts = query(con, """
        select
            cast(least(greatest(floor(match_weight / $w) * $w, $lo), $hi - $w) as bigint) as bin,
            count(*) as pairs,
            count(*) filter (where guard is not null) as guarded
        from match_pairs
        where match_weight is not null
        group by 1
        order by 1
        """, {"w": WEIGHT_BIN, "lo": lo, "hi": hi})
    grid = pl.DataFrame({"bin": list(range(lo, hi, WEIGHT_BIN))}, schema={"bin": pl.Int64})
    return grid.join(counts, on="bin", how="left").with_columns(pl.col("pairs", "guarded").fill_null(0))


def threshold_weight(probability: float) -> float:
    """The match weight (log2 odds) of a link probability."""
    return math.log2(probability / (1 - probability))


def read_report_data(con: duckdb.DuckDBPyConnection, *, as_of: date, programme: str, run_id: str,
                     link_threshold: float, summary: dict[str, Any]) -> ReportData:
    """Everything the report shows, from the warehouse of a run that has finished its stages."""
    districts = query(con, """
        select district, status, count(*) as families from families group by 1, 2 order by 1, 2
        """)
    history = _if_table(con, "family_history", """
        select as_of, status, count(*) as families
        from family_history
        where programme = $p and status <> 'not_eligible' and as_of <= $as_of
        group by 1, 2 order by 1, 2
        """, {"as_of": pl.Date, "status": pl.String, "families": pl.Int64}, {"p": programme, "as_of": as_of})
    previous = [d for d in history["as_of"].unique().sort().to_list() if d < as_of]
    changes = (
        run_sql(con, "marts/family_changes.sql", {"as_of": as_of, "programme": programme})
        .group_by("district", "change").agg(pl.len().cast(pl.Int64).alias("families")).sort("district", "change")
        if table_exists(con, "family_history") else _empty({"district": pl.String, "change": pl.String,
                                                           "families": pl.Int64})
    )
    mu = _if_table(con, "match_weights", "select * from match_weights", {"comparison": pl.String})
    blocking = _if_table(con, "blocking_counts", """
        select rule, description, candidate_pairs, new_pairs from blocking_counts
        """, {"rule": pl.String, "description": pl.String, "candidate_pairs": pl.Int64, "new_pairs": pl.Int64})
    unlinked = _if_table(con, "person_links", """
        with sizes as (select person_id, count(*) as n from person_links group by 1)
        select l.source, count(*) as records, count(*) filter (where s.n = 1) as unlinked
        from person_links as l join sizes as s on s.person_id = l.person_id
        group by 1 order by 1
        """, {"source": pl.String, "records": pl.Int64, "unlinked": pl.Int64})
    estimate = query(con, "select * from match_error_estimate") if table_exists(con, "match_error_estimate") else None
    rejected = _if_table(con, "rejected_rows", """
        select file, reason, count(distinct "row") as rows from rejected_rows group by 1, 2 order by 1, 3 desc, 2
        """, {"file": pl.String, "reason": pl.String, "rows": pl.Int64})
    return ReportData(
        as_of=as_of, programme=programme, run_id=run_id, link_threshold=link_threshold,
        districts=districts, history=history, changes=changes, previous_as_of=previous[-1] if previous else None,
        weights=weight_bins(con), mu=mu, blocking=blocking, unlinked=unlinked, error_estimate=estimate,
        rejected=rejected, seconds=stage_seconds(summary),
    )
