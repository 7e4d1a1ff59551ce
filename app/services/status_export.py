"""The status export (督办事项状态): a case list as it stands today, as an Excel workbook.

Beside the 三张清单 round-trip export (app.services.lists), which writes the plan's lists in
their import format, this one writes what the office reads: state, 红黄绿灯, progress, the
latest progress note, the caseworker, the deadline and how many working days it is overdue.
The case list page, its queues and `flask cases export` all call `export_status`; the
cases are always narrowed to what the actor may see (actor None: the trusted CLI).

Written with openpyxl's write-only mode (rows streamed, not held as cells); every text cell
is written as text, so a value starting with = + - @ is never run as a formula.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from sqlalchemy import select

from app.access import visible_cases_clause
from app.extensions import db
from app.labels import STATE_LABELS, label
from app.models import CASE_STATES, Action, Case, Department, ProgressUpdate
from app.rag import rag_for, rag_settings
from app.services.calendar import current_calendar, local_today, office_zone
from app.services.case_search import search_clause, search_words
from app.services.excel_safety import keep_text
from workflows.calendar import UnknownCalendarYear
from workflows.rag import is_overdue, overdue_working_days
from workflows.vocabulary import Actor, State

# The lights as the office names them in a file name or a sheet (红灯 = overdue).
RAG_NAMES = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}
RAG_CODES = tuple(RAG_NAMES)

# (header, column width)
COLUMNS = [
    ("编号", 8),
    ("事项", 40),
    ("牵头单位", 18),
    ("状态", 8),
    ("红黄绿灯", 9),
    ("完成进度", 9),
    ("最新进展日期", 12),
    ("最新进展", 50),
    ("经办人", 10),
    ("完成时限", 12),
    ("逾期工作日", 10),
    ("原完成时限", 12),
]
HEADERS = [header for header, _width in COLUMNS]


class ExportError(Exception):
    """A filter of the export that names nothing (an unknown state, light or department)."""


@dataclass
class StatusExport:
    data: bytes
    file_name: str
    count: int
    description: str


def _department(name: str) -> Department:
    name = name.strip()
    row = db.session.scalar(
        select(Department).where((Department.name == name) | (Department.short_name == name))
    )
    if row is None:
        raise ExportError(f"没有名为“{name}”的单位")
    return row


def describe(*, queue: str | None = None, state: str | None = None, rag: str | None = None,
             department: str | None = None, words: list[str] | None = None,
             extra: list[str] | None = None) -> list[str]:
    """What a filtered list holds, in the office's words (for the file name and the sheet)."""
    parts = [p for p in [queue] if p]
    if rag:
        parts.append(RAG_NAMES[rag])
    if state:
        parts.append(label(STATE_LABELS, state))
    if department:
        parts.append(department)
    parts.extend(extra or [])
    if words:
        parts.append("含" + "、".join(words))
    return parts


def export_status(actor: Actor, *, state: str | None = None, rag: str | None = None,
                  department: str | None = None, q: str | None = None, within=None,
                  what: list[str] | None = None, today: dt.date | None = None) -> StatusExport:
    """The status export of the cases selected by the filters that the actor may see.

    `within` is an optional selectable (or list) of case ids: the case list's own filters and
    queue. `what` describes the list for the file name when the caller knows it better.
    """
    if state and state not in CASE_STATES:
        raise ExportError(f"没有状态“{state}”（可选：{'、'.join(CASE_STATES)}）")
    if rag and rag not in RAG_CODES:
        raise ExportError(f"没有红黄绿灯“{rag}”（可选：red、yellow、green）")
    today = today or local_today()
    words = search_words(q)
    query = (
        select(Case)
        .join(Action, Case.action_id == Action.id, isouter=True)
        .order_by(Action.index, Case.seq, Case.id)
    )
    dept_row = _department(department) if department else None
    if dept_row is not None:
        query = query.where(Case.lead_department_id == dept_row.id)
    if state:
        query = query.where(Case.state == state)
    if words:
        query = query.where(search_clause(words))
    query = query.where(visible_cases_clause(actor))
    if within is not None:
        query = query.where(Case.id.in_(within))
    calendar = current_calendar()
    settings = rag_settings()
    rows = []
    for case in db.session.scalars(query):
        light = rag_for(case, today, calendar, settings).value
        if rag and light != rag:
            continue
        rows.append((case, light))
    latest = _latest_progress([case.id for case, _light in rows])
    if what is None:
        what = describe(state=state, rag=rag, department=dept_row.name if dept_row else None,
                        words=words)
    description = "、".join(what) if what else "全部"
    data = _workbook(rows, latest, today, calendar, description)
    file_name = f"督办事项状态-{description}-{today.isoformat()}.xlsx"
    return StatusExport(data=data, file_name=_safe_file_name(file_name), count=len(rows),
                        description=description)


def _safe_file_name(name: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>|' else ch for ch in name)


def _latest_progress(case_ids: list[int]) -> dict[int, ProgressUpdate]:
    """Each case's most recent progress update."""
    latest: dict[int, ProgressUpdate] = {}
    for start in range(0, len(case_ids), 1000):
        chunk = case_ids[start:start + 1000]
        for update in db.session.scalars(
            select(ProgressUpdate)
            .where(ProgressUpdate.case_id.in_(chunk))
            .order_by(ProgressUpdate.case_id, ProgressUpdate.created_at, ProgressUpdate.id)
        ):
            latest[update.case_id] = update
    return latest


def _local_date(value: dt.datetime) -> dt.date:
    return value.replace(tzinfo=dt.UTC).astimezone(office_zone()).date()


def _overdue_days(case: Case, today: dt.date, calendar) -> int:
    if not is_overdue(State(case.state), case.deadline, today):
        return 0
    try:
        return overdue_working_days(case.deadline, today, calendar)
    except UnknownCalendarYear:
        return (today - case.deadline).days


def _person(user) -> str:
    if user is None:
        return ""
    return f"{user.first_name or ''}{user.last_name or ''}".strip() or user.username


def _text_cell(ws, value: str) -> WriteOnlyCell:
    """A cell that holds text, whatever it starts with (never a formula)."""
    cell = WriteOnlyCell(ws, value=value)
    keep_text(cell)
    return cell


def _date_cell(ws, value: dt.date | None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if value is not None:
        cell.number_format = "yyyy-mm-dd"
    return cell


def _workbook(rows, latest, today, calendar, description: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("督办事项状态")
    for index, (_header, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws_column(index)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in HEADERS:
        cell = WriteOnlyCell(ws, value=header)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    wrap = Alignment(wrap_text=True, vertical="top")
    for case, light in rows:
        update = latest.get(case.id)
        note = _text_cell(ws, update.note if update else "")
        note.alignment = wrap
        percent = WriteOnlyCell(ws, value=(case.percent_done or 0) / 100)
        percent.number_format = "0%"
        ws.append([
            _text_cell(ws, case.source_key),
            _text_cell(ws, case.title),
            _text_cell(ws, case.lead_department.name if case.lead_department else ""),
            _text_cell(ws, label(STATE_LABELS, case.state)),
            _text_cell(ws, RAG_NAMES[light]),
            percent,
            _date_cell(ws, _local_date(update.created_at) if update else None),
            note,
            _text_cell(ws, _person(case.assignee)),
            _date_cell(ws, case.deadline),
            WriteOnlyCell(ws, value=_overdue_days(case, today, calendar)),
            _date_cell(ws, case.original_deadline),
        ])
    info = wb.create_sheet("说明")
    info.append(["内容", description])
    info.append(["截至", today.isoformat()])
    info.append(["事项数", len(rows)])
    info.append(["红黄绿灯", "红灯：逾期；黄灯：有风险（临近完成时限或进度落后）；绿灯：正常"])
    info.append(["逾期工作日", "完成时限之后至今的工作日数（按法定工作日历，含调休）"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def ws_column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
