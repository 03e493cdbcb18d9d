"""Why a row was quarantined: one closed list shared by Python, DuckDB and the spreadsheets.

The values are the strings written to `rejected_rows.reason`; SQL compares against the same
strings (`Reason.sql_enum()` gives a DuckDB ENUM type for them), so no free-text reasons
ever reach an output.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    MISSING_VALUE = "missing_value"
    DUPLICATE_RECORD_ID = "duplicate_record_id"
    UNPARSEABLE_DATE = "unparseable_date"
    UNKNOWN_VALUE = "unknown_value"
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE_NUMBER = "negative_number"
    MORE_UNAUTHORISED_THAN_POSSIBLE = "more_unauthorised_than_possible"
    BAD_ACADEMIC_YEAR = "bad_academic_year"

    @property
    def label(self) -> str:
        """Plain-language wording for spreadsheets and run summaries."""
        return _LABELS[self]

    @classmethod
    def sql_enum(cls) -> str:
        return "enum(" + ", ".join(f"'{r.value}'" for r in cls) + ")"


_LABELS = {
    Reason.MISSING_VALUE: "a value this extract must have is blank",
    Reason.DUPLICATE_RECORD_ID: "the record_id is used by more than one row of the file",
    Reason.UNPARSEABLE_DATE: "not a real date written as YYYY-MM-DD or DD/MM/YYYY",
    Reason.UNKNOWN_VALUE: "not one of the values the data contract allows",
    Reason.NOT_A_NUMBER: "not a whole number",
    Reason.NEGATIVE_NUMBER: "a count below zero",
    Reason.MORE_UNAUTHORISED_THAN_POSSIBLE: "more unauthorised sessions than possible sessions",
    Reason.BAD_ACADEMIC_YEAR: "academic year not written like 2013/14",
}
