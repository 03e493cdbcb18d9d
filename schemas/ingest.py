"""Ingest and validate one monthly drop: the `ingest + validate` stage.

    drop = load_drop(Path("incoming/2014-03"))
    drop.clean["police"]      # stg_police
    drop.rejected             # rejected_rows

A drop that cannot be processed as a whole (a required extract or column missing, a file
unreadable) raises `InputError` listing every such problem. A row that breaks the data
contract never stops the run: it is left out of `clean` and each problem found on it
becomes a `rejected` row, with a `Reason`.

Per extract: read as text (`raw`) → trim, blank → null, select the contract's columns
→ validate with the extract's raw model (pandera, lazy, so every failure is collected)
→ drop the failing rows → parse dates, counts and enum spellings with the same polars
expressions the checks used → validate with the extract's typed model.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandera.errors
import polars as pl

from cohort.schemas.bounds import bounds_schema
from cohort.schemas.checks import canonical, enum_values, parse_date, parse_whole_number
from cohort.schemas.errors import InputError
from cohort.schemas.files import REJECTED_SCHEMA, find_files, read_extract
from cohort.schemas.reasons import Reason
from cohort.schemas.registry import EXTRACTS, Extract

log = logging.getLogger(__name__)

_REASON_OF_CHECK = {r.value: r.value for r in Reason} | {"not_nullable": Reason.MISSING_VALUE.value}


@dataclass(frozen=True)
class Drop:
    """One drop, loaded. Every extract of the registry is a key of `clean`, `raw` and
    `row_counts`, present in the folder or not; `files` holds only those present."""

    clean: dict[str, pl.DataFrame]  # stg_<extract>: contract columns, typed, valid rows only
    raw: dict[str, pl.DataFrame]  # raw_<extract>: every column as read (all Utf8) + row_number
    rejected: pl.DataFrame  # rejected_rows: file, row, column, value, reason
    missing_optional: list[str]  # optional extracts absent from the folder, registry order
    files: dict[str, Path]  # extract → the file it was read from
    row_counts: dict[str, int]  # extract → data rows read (blank rows not counted)


@dataclass(frozen=True)
class RawDrop:
    """A drop as read, before validation: the `ingest` stage's result."""

    files: dict[str, Path]  # extract → the file it was read from (present extracts only)
    raw: dict[str, pl.DataFrame]  # extract → every column as read (all Utf8) + row_number
    # rows already quarantined while reading (more fields than the header)
    rejected: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTED_SCHEMA))


def load_drop(input_dir: Path, as_of: date | None = None, allow_empty: tuple[str, ...] = ()) -> Drop:
    """Read, validate and type every extract in `input_dir`; raise `InputError` when the
    drop as a whole cannot be processed. With `as_of`, dates after it are quarantined too."""
    return validate_drop(read_drop(Path(input_dir), allow_empty), as_of)


def read_drop(input_dir: Path, allow_empty: tuple[str, ...] = ()) -> RawDrop:
    """Read every extract as text after the file-level checks (raise `InputError`).

    A required extract with a header and no rows stops the run: far more often a failed
    export than a quiet month. `allow_empty` names those the officer says were empty."""
    files, raw, rejected = _read_drop(Path(input_dir), tuple(allow_empty))
    return RawDrop(files=files, raw=raw, rejected=rejected)


def validate_drop(drop: RawDrop, as_of: date | None = None) -> Drop:
    """Validate and type every extract of a read drop; bad rows go to `rejected`."""
    files, raw = drop.files, dict(drop.raw)
    for name, extract in EXTRACTS.items():
        if name not in raw:
            raw[name] = pl.DataFrame(schema={"row_number": pl.Int64} | {c: pl.String for c in extract.columns})

    def one(name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        file = files[name].name if name in files else f"{name}.csv"
        return _validate(EXTRACTS[name], file, raw[name], as_of)

    # Two extracts at a time: polars works on one while pandera's Python checks the other.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="validate") as pool:
        done = dict(zip(EXTRACTS, pool.map(one, EXTRACTS)))
    clean, rejected = {}, [drop.rejected]
    for name in EXTRACTS:
        clean[name], bad = done[name]
        rejected.append(bad)
        log.info("%s: %d rows read, %d kept", name, raw[name].height, clean[name].height)
    return Drop(
        clean=clean,
        raw=raw,
        rejected=pl.concat(rejected),
        missing_optional=[n for n in EXTRACTS if n not in files],
        files=files,
        row_counts={n: raw[n].height for n in EXTRACTS},
    )


def _read_drop(input_dir: Path, allow_empty: tuple[str, ...]) -> tuple[dict[str, Path], dict[str, pl.DataFrame],
                                                                    pl.DataFrame]:
    """The file and raw frame of each extract present, and the rows quarantined while
    reading, after every file-level check. All problems are gathered before raising, so
    one error lists them all."""
    required = [n for n, e in EXTRACTS.items() if e.required]
    unknown = sorted(set(allow_empty) - set(required))
    if unknown:
        raise InputError(f"--allow-empty {', '.join(unknown)}: only a required extract can be allowed to be "
                         f"empty ({', '.join(required)}); an optional one may always be")
    offered = find_files(input_dir, list(EXTRACTS))
    problems = [
        f"{name}: more than one file ({' and '.join(p.name for p in paths)}); keep only the one meant"
        for name, paths in offered.items()
        if len(paths) > 1
    ]
    missing = [n for n, e in EXTRACTS.items() if e.required and n not in offered]
    if missing:
        problems.insert(0, f"required extract(s) missing from {input_dir.name}: {', '.join(missing)} "
                           "(each should be a file NAME.csv or NAME.xlsx)")
    files = {name: paths[0] for name, paths in offered.items() if len(paths) == 1}
    raw: dict[str, pl.DataFrame] = {}
    rejected = [pl.DataFrame(schema=REJECTED_SCHEMA)]
    for name, path in files.items():
        try:
            raw[name], ragged = read_extract(path)
        except InputError as err:
            problems.extend(err.problems)
            continue
        rejected.append(ragged)
        absent = [c for c in EXTRACTS[name].required_columns if c not in raw[name].columns]
        if absent:
            problems.append(f"{path.name}: required column(s) missing: {', '.join(absent)}")
        elif raw[name].height + ragged.height == 0 and EXTRACTS[name].required and name not in allow_empty:
            problems.append(
                f"{path.name} has a header but no rows. A required extract with no rows is usually a failed "
                f"export: ask its supplier for the file again, or, if there really was nothing this month, "
                f"run again with --allow-empty {name}")
    if problems:
        raise InputError(problems)
    return files, raw, pl.concat(rejected)


def _validate(extract: Extract, file: str, raw: pl.DataFrame,
              as_of: date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The clean frame and the rejected rows of one extract: the raw model's checks, then
    the impossible values (`schemas.bounds`) of a run as of `as_of`."""
    text = raw.select(
        "row_number",
        *(
            (pl.col(c).str.strip_chars().replace("", None) if c in raw.columns else pl.lit(None, pl.String)).alias(c)
            for c in extract.columns
        ),
    )
    found = [pl.DataFrame(schema=REJECTED_SCHEMA)]
    for schema in (extract.raw_schema, bounds_schema(extract, as_of)):
        try:
            schema.validate(text, lazy=True)
        except pandera.errors.SchemaErrors as err:
            found.append(_rejected_rows(err.failure_cases, text, file))
    rejected = pl.concat(found).sort("row", "column", "reason", "value", nulls_last=True)
    kept = text.join(rejected.select(pl.col("row").alias("row_number")).unique(), on="row_number", how="anti")
    clean = kept.select(_clean_column(extract, c) for c in extract.schema.columns)
    return extract.model.validate(clean, lazy=True), rejected


def _rejected_rows(failures: pl.DataFrame, text: pl.DataFrame, file: str) -> pl.DataFrame:
    """pandera's failure cases as `rejected_rows`: index → row_number, check → Reason."""
    if failures["index"].null_count():  # names only: failure cases can hold personal data
        checks = sorted(set(failures.filter(pl.col("index").is_null())["check"].cast(pl.Utf8)))
        raise RuntimeError(f"schema-level failure validating {file} ({', '.join(checks)}), a bug in schemas/")
    rows = text.select(pl.col("row_number").alias("row")).with_row_index("index")
    return (
        failures.with_columns(pl.col("index").cast(pl.UInt32))
        .join(rows, on="index")
        .select(
            pl.lit(file).alias("file"),
            "row",
            "column",
            pl.col("failure_case").alias("value"),
            pl.col("check").replace_strict(_REASON_OF_CHECK).alias("reason"),
        )
        .cast(REJECTED_SCHEMA)
        .sort("row", "column", "reason")
    )


def _clean_column(extract: Extract, name: str) -> pl.Expr:
    col = pl.col(name)
    dtype = extract.schema.columns[name].dtype.type
    if name == "row_number":
        return col
    if dtype == pl.Date:
        return parse_date(col).alias(name)
    if dtype == pl.Int64:
        return parse_whole_number(col).alias(name)
    allowed = enum_values(extract.raw_schema.columns[name])
    return canonical(col, allowed).alias(name) if allowed else col
