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
    TOO_MANY_FIELDS = "too_many_fields"
    DATE_BEFORE_1900 = "date_before_1900"
    BORN_AFTER_AS_OF = "born_after_as_of"
    DATE_AFTER_AS_OF = "date_after_as_of"
    ENDS_BEFORE_IT_STARTS = "ends_before_it_starts"
    SESSIONS_BEYOND_A_SCHOOL_YEAR = "sessions_beyond_a_school_year"

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
    Reason.TOO_MANY_FIELDS: "the row has more fields than the header (an unquoted comma in a value?)",
    Reason.DATE_BEFORE_1900: "a date before 1900, which cannot be right",
    Reason.BORN_AFTER_AS_OF: "a date of birth after the run's as-of date",
    Reason.DATE_AFTER_AS_OF: "dated after the run's as-of date (a later month's run will count it)",
    Reason.ENDS_BEFORE_IT_STARTS: "ends (or was proven) before it starts (or was committed)",
    Reason.SESSIONS_BEYOND_A_SCHOOL_YEAR: "more sessions than a whole school year has",
}
