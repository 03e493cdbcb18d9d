"""The columns every extract shares, as two parallel model families.

`...Raw` models describe a drop as text (trimmed, blank → null) and carry the
string-level checks whose failures quarantine a row. The typed models (`Row`, `Record`,
`Person`) describe the clean `stg_<extract>` frames and only assert types, nullability
and canonical enum values. They are separate families rather than one inheriting the
other because pandera checks are inherited with their columns: a date-text check would
otherwise be run against a `pl.Date` column.

A field whose metadata has `optional_column` may be missing from the file (it then
becomes a null column); every other field is a required column. A field that is not
`nullable` must have a value in every row, or the row is rejected (`missing_value`).
"""

from __future__ import annotations

from datetime import date

import pandera.polars as pa

from cohort.schemas.checks import dates, one_of, unique_ids

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


class Person(Record):
    forename: str = pa.Field(nullable=True)
    surname: str = pa.Field(nullable=True)
    dob: date = pa.Field(nullable=True)
    gender: str = pa.Field(nullable=True, isin=GENDERS)
    address: str = pa.Field(nullable=True)
    postcode: str = pa.Field(nullable=True)
