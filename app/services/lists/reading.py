"""Reading workbooks: open the file, find each sheet's header row, collect its data rows."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from app.services.lists.errors import ListFileError
from workflows.lists.cells import cell_text
from workflows.lists.columns import is_header, match_headers, sheet_kind

MAX_BLANK_RUN = 200  # stop reading a sheet after this many blank rows (WPS formats whole columns)
MAX_COLUMNS = 60


@dataclass
class SheetRow:
    """One data row: its Excel row number and values by field, with each field's column."""

    sheet: str
    row: int
    values: dict[str, object]
    columns: dict[str, tuple[str, str]]  # field → (letter, header as written)
    section: str | None = None  # a heading row merged across the table ("（一）…行动")


@dataclass
class SheetTable:
    """A sheet's list: where its header is and its data rows."""

    name: str
    header_row: int
    columns: dict[str, tuple[int, str]]  # field → (0-based column, header as written)
    rows: list[SheetRow]
    default_kind: str | None


def load_workbook_bytes(data: bytes, file_name: str):
    """Open .xlsx/.xlsm bytes with openpyxl, or raise ListFileError saying what to do."""
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise ListFileError(_("%(name)s is an old Excel/WPS file (.xls/.et): save it as .xlsx and upload again.",
                              name=file_name))
    if data[:4] != b"PK\x03\x04":
        raise ListFileError(_("%(name)s is not an Excel workbook (.xlsx).", name=file_name))
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile as exc:
        raise ListFileError(_("%(name)s is damaged and cannot be opened.", name=file_name)) from exc
    if "content.xml" in names and "xl/workbook.xml" not in names:
        raise ListFileError(_("%(name)s is an OpenDocument spreadsheet (.ods): save it as .xlsx and upload again.",
                              name=file_name))
    if "xl/workbook.xml" not in names:
        raise ListFileError(_("%(name)s is not an Excel workbook (.xlsx).", name=file_name))
    try:
        # data_only: formulas give their cached results, as the user sees them.
        return load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise ListFileError(_("%(name)s cannot be read as an Excel workbook (%(error)s).",
                              name=file_name, error=exc.__class__.__name__)) from exc


def read_sheet(ws) -> SheetTable | None:
    """Find the header row, carry merged values into every cell, and collect data rows."""
    max_col = min(ws.max_column or 1, MAX_COLUMNS)
    grid: list[list] = []
    blank_run = 0
    for values in ws.iter_rows(min_row=1, max_col=max_col, values_only=True):
        grid.append(list(values))
        blank_run = blank_run + 1 if all(cell_text(v) == "" for v in values) else 0
        if blank_run >= MAX_BLANK_RUN:
            break
    merged_cells: set[tuple[int, int]] = set()
    for rng in ws.merged_cells.ranges:
        top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(grid) and rng.min_col <= max_col else None
        for r in range(rng.min_row, min(rng.max_row, len(grid)) + 1):
            for c in range(rng.min_col, min(rng.max_col, max_col) + 1):
                grid[r - 1][c - 1] = top
                if (r, c) != (rng.min_row, rng.min_col):
                    merged_cells.add((r, c))
    header_at, columns = None, {}
    for index, cells in enumerate(grid[:30]):
        found = match_headers(cells)
        if is_header(found):
            header_at, columns = index + 1, found
            break
    if header_at is None:
        return None
    rows = []
    for r in range(header_at + 1, len(grid) + 1):
        cells = grid[r - 1]
        values = {f: cells[c] if c < len(cells) else None for f, (c, _h) in columns.items()}
        if all(cell_text(v) == "" for v in cells):
            continue  # spacer row
        if is_header(match_headers(cells)):
            continue  # a repeated header (second header line, or printed per page)
        columns_of = {f: (get_column_letter(c + 1), h) for f, (c, h) in columns.items()}
        filled = {cell_text(v) for v in cells if cell_text(v)}
        across = sum(1 for c in range(len(cells)) if (r, c + 1) in merged_cells)
        section = filled.pop() if len(filled) == 1 and across >= 2 else None
        rows.append(SheetRow(sheet=ws.title, row=r, values=values, columns=columns_of, section=section))
    return SheetTable(ws.title, header_at, columns, rows, sheet_kind(ws.title))


def read_tables(data: bytes, file_name: str) -> tuple[list[SheetTable], list[str]]:
    """Every visible sheet that holds a list, and notes on the sheets skipped."""
    wb = load_workbook_bytes(data, file_name)
    tables, notes = [], []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        table = read_sheet(ws)
        if table is None:
            notes.append(_("Sheet “%(sheet)s” has no list header (序号, 所属行动, 任务内容 …): skipped.",
                           sheet=ws.title))
        else:
            tables.append(table)
    if not tables:
        raise ListFileError(_("%(name)s holds no list: no sheet has a header row with 任务内容 and the other columns.",
                              name=file_name))
    return tables, notes
