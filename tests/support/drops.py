"""A generated drop read straight into matching's shapes, and measured against its truth.

`read_drop` builds the architecture's `records` and `stg_housing` shapes straight from
the CSVs (both date forms parsed with polars), so matching can be measured without the
ingest stage; the real run gets them from `schemas/` and `sql/`.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import polars as pl

from cohort.data_samples.evaluate import PR, pairwise
from cohort.matching.households import form_households
from cohort.matching.pipeline import link_persons
from cohort.matching.standardise import parse_date

AS_OF = date(2014, 3, 31)
PERSON_SOURCES = ("police", "youth_offending", "school_census", "school_exclusions", "dwp_benefits",
                  "dwp_employment", "housing", "social_care", "health")
RECORD_COLUMNS = ("source", "record_id", "row_number", "forename", "surname", "dob", "gender", "address",
                  "postcode", "upn", "nino", "pnc_id", "uprn", "tenancy_ref", "record_date", "role")
DATE_COLUMNS = ("dob", "event_date", "offence_date", "outcome_date", "exclusion_date", "spell_start",
                "spell_end", "tenancy_start", "tenancy_end", "start_date", "end_date", "recorded_date")


def _read(path: Path) -> pl.DataFrame:
    raw = pl.read_csv(path, infer_schema=False)
    raw = raw.rename({c: c.strip().lower() for c in raw.columns})
    trimmed = raw.with_columns(pl.col(c).str.strip_chars() for c in raw.columns)
    blanked = trimmed.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in raw.columns)
    return blanked.with_columns(
        pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias("row_number"),
        *(parse_date(pl.col(c)).alias(c) for c in DATE_COLUMNS if c in raw.columns),
    )


def _spell_date(start: str, end: str, as_of: date) -> pl.Expr:
    closed = pl.col(end).is_not_null() & (pl.col(end) <= as_of)
    return pl.when(closed).then(pl.max_horizontal(start, end)).otherwise(pl.col(start))


def _term_end(as_of: date) -> pl.Expr:
    first = pl.col("academic_year").str.slice(0, 4).cast(pl.Int32)
    term = pl.col("term").str.to_lowercase()
    return (
        pl.when(term == "autumn").then(pl.date(first, 12, 31))
        .when(term == "spring").then(pl.date(first + 1, 3, 31))
        .otherwise(pl.date(first + 1, 8, 31))
    )


def read_drop(extracts: Path, as_of: date = AS_OF) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records, stg_housing) from a folder of generated CSV extracts."""
    record_date = {
        "police": lambda: pl.col("event_date"),
        "youth_offending": lambda: pl.col("outcome_date"),
        "school_census": lambda: _term_end(as_of),
        "school_exclusions": lambda: pl.col("exclusion_date"),
        "dwp_benefits": lambda: _spell_date("spell_start", "spell_end", as_of),
        "dwp_employment": lambda: pl.col("event_date"),
        "housing": lambda: _spell_date("tenancy_start", "tenancy_end", as_of),
        "social_care": lambda: _spell_date("start_date", "end_date", as_of),
        "health": lambda: pl.col("recorded_date"),
    }
    frames, housing = [], None
    for source in PERSON_SOURCES:
        path = extracts / f"{source}.csv"
        if not path.exists():
            continue
        f = _read(path)
        if source == "housing":
            housing = f.with_columns(pl.col("role").str.to_lowercase())
        f = f.with_columns(
            pl.lit(source).alias("source"),
            pl.col("gender").str.to_uppercase(),
            record_date[source]().alias("record_date"),
            *(pl.lit(None, pl.Utf8).alias(c) for c in ("upn", "nino", "pnc_id", "uprn", "tenancy_ref", "role")
              if c not in f.columns),
        )
        frames.append(f.select(RECORD_COLUMNS))
    assert housing is not None
    return pl.concat(frames), housing


def measure(drop: Path, as_of: date = AS_OF, threshold: float | None = None) -> dict[str, PR]:
    records, housing = read_drop(drop / "extracts", as_of)
    kw = {} if threshold is None else {"threshold": threshold}
    t = time.perf_counter()
    linked = link_persons(records, **kw)
    t_link = time.perf_counter() - t
    hh = form_households(records, linked.links, housing, as_of)
    truth = pl.read_csv(drop / "truth" / "records.csv", infer_schema=False)
    joined = truth.join(linked.links, on=["source", "record_id"], how="left").join(
        hh.members.select("person_id", "family_id"), on="person_id", how="left")
    per_person = joined.group_by("true_person_id", "true_family_id").agg(
        pl.col("family_id").drop_nulls().mode().sort().first())
    return {
        "persons": pairwise(joined, "person_id", "true_person_id"),
        "households": pairwise(per_person, "family_id", "true_family_id"),
        "_seconds": t_link,
        "_records": records.height,
    }
