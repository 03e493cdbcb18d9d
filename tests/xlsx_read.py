"""Reading our workbooks back as Excel would: the rows of a sheet's Excel Table, by header."""

from __future__ import annotations

from openpyxl.utils.cell import range_boundaries


def table_of(ws):
    """The sheet's one Excel Table (ListObject)."""
    tables = list(ws.tables.values())
    assert len(tables) == 1, f"{ws.title}: expected one table, found {len(tables)}"
    return tables[0]


def table_rows(ws) -> list[dict]:
    """Rows of the sheet's table as dicts keyed by header; the blank row of an empty table is left out."""
    min_col, min_row, max_col, max_row = range_boundaries(table_of(ws).ref)
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col,
                                                           max_col=max_col)]
    headers = rows[0]
    return [dict(zip(headers, r)) for r in rows[1:] if any(v is not None for v in r)]


def header_row(ws) -> int:
    return range_boundaries(table_of(ws).ref)[1]
