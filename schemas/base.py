"""The columns every extract shares, as two parallel model families.

`...Raw` models describe a drop as text (trimmed, blank → null) and carry the
string-level checks whose failures quarantine a row. The typed models (`Row`, `Record`,
`Person`) describe the clean `stg_<extract>` frames and only assert types, nullability
and canonical enum values. They are separate families rather than one inheriting the
other because pandera checks are inherited with their columns: a date-text check would
otherwise be run against a `pl.Date` column.

An extract writes its columns once, in its raw model; `typed_model` derives the typed
model from the raw one's checks, so the two cannot drift apart.

A field whose metadata has `optional_column` may be missing from the file (it then
becomes a null column); every other field is a required column. A field that is not
`nullable` must have a value in every row, or the row is rejected (`missing_value`).
"""

from __future__ import annotations

from datetime import date

import pandera.polars as pa

from cohort.schemas.checks import dates, enum_values, one_of, unique_ids
from cohort.schemas.reasons import Reason

OPTIONAL_COLUMN = {"optional_column": True}
GENDERS = ("M", "F", "U")


class RowRaw(pa.DataFrameModel):
    """Where the row sits in its file, as a spreadsheet numbers it (header = row 1)."""

    row_number: int

    class Config:
        strict = True


class RecordRaw(RowRaw):
    record_id: str

    check_record_id_unique = unique_ids("record_id")


class PersonRaw(RecordRaw):
    forename: str = pa.Field(nullable=True)
    surname: str = pa.Field(nullable=True)
    dob: str = pa.Field(nullable=True)
    gender: str = pa.Field(nullable=True, metadata=OPTIONAL_COLUMN)
    address: str = pa.Field(nullable=True)
    postcode: str = pa.Field(nullable=True)

    check_dob = dates("dob")
    check_gender = one_of("gender", GENDERS)


class Row(pa.DataFrameModel):
    row_number: int

    class Config:
        strict = True
        ordered = True


class Record(Row):
    record_id: str = pa.Field(unique=True)


def typed_model(raw: type[pa.DataFrameModel], base: type[pa.DataFrameModel]) -> type[pa.DataFrameModel]:
    """The typed model of `raw` (named without "Raw"), on `base`: each column `raw` adds
    is a date where it is checked as dates, a whole number where checked as one, else
    text; it keeps its nullability, its allowed values (`one_of`) and `>= 0`
    (`not_negative`). What the raw checks accept is exactly what converts, so the typed
    model asserts only what conversion guarantees."""
    base_columns = base.to_schema().columns
    annotations: dict[str, type] = {}
    fields: dict[str, object] = {}
    for name, column in raw.to_schema().columns.items():
        if name in base_columns:
            continue
        checked = {check.name for check in column.checks}
        annotations[name] = (date if Reason.UNPARSEABLE_DATE.value in checked
                             else int if Reason.NOT_A_NUMBER.value in checked else str)
        options: dict[str, object] = {}
        if column.nullable:
            options["nullable"] = True
        if allowed := enum_values(column):
            options["isin"] = allowed
        if Reason.NEGATIVE_NUMBER.value in checked:
            options["ge"] = 0
        if options:
            fields[name] = pa.Field(**options)
    namespace = {"__annotations__": annotations, "__module__": raw.__module__, **fields}
    return type(raw.__name__.removesuffix("Raw"), (base,), namespace)


Person = typed_model(PersonRaw, Record)
