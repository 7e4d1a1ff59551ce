"""Excel cells that are text, never formulas (CSV/formula injection, issue 15).

A value a user typed (an imported list, a case title, a progress note) that starts with
= + - @ would be stored by openpyxl as a formula — `=HYPERLINK("http://…","点此")` comes back
live in the office's Excel. Every Excel writer passes its text cells through here.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def keep_text(cell) -> None:
    """Make a (normal or write-only) openpyxl cell holding a string a text cell."""
    value = cell.value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # Excel keeps it text when the cell is edited


def text_value(ws, value: str):
    """What to append to a write-only sheet for a text cell: the string itself where openpyxl
    writes it as text unstyled (most values; no cell object per value when streaming thousands
    of rows), else a cell made text by `keep_text` (a formula start, or an error code like #N/A)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES

    if not isinstance(value, str) or not (value.startswith(FORMULA_STARTS) or value in ERROR_CODES):
        return value
    cell = WriteOnlyCell(ws, value=value)
    keep_text(cell)
    return cell
