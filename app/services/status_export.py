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
from copy import copy
from dataclasses import dataclass

from flask_appbuilder.security.sqla.models import User
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app import rag_sql
from app.access import visible_cases_clause
from app.extensions import db
from app.labels import STATE_LABELS, label
from app.models import CASE_STATES, Action, Case, Department, ProgressUpdate
from app.services.calendar import current_calendar, local_today, office_zone
from app.services.case_search import search_clause, search_words
from app.services.excel_safety import keep_text, text_value
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
STREAM_ROWS = 1000  # rows fetched at a time from the server-side cursor


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
    dept_row = _department(department) if department else None
    calendar = current_calendar()
    t = rag_sql.thresholds(today, calendar)
    light = rag_sql.light(t)
    # One statement for every row, streamed (a server-side cursor on PostgreSQL): the case's
    # columns, its lead unit, its caseworker, its latest progress and its light in SQL. Not
    # ORM cases, which would load each case's partners, milestones and indicators.
    # Aliases: the search words' subqueries on Department must not correlate with these joins.
    lead, person, update = aliased(Department), aliased(User), aliased(ProgressUpdate)
    latest = (select(ProgressUpdate.id).where(ProgressUpdate.case_id == Case.id)
              .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
              .limit(1).correlate(Case).scalar_subquery())
    query = (
        select(Case.id, Case.source_key, Case.title, lead.name, Case.state, light,
               Case.percent_done, update.created_at, update.note,
               person.first_name, person.last_name, person.username, Case.deadline, Case.original_deadline)
        .join(Action, Case.action_id == Action.id, isouter=True)
        .join(lead, lead.id == Case.lead_department_id, isouter=True)
        .join(person, person.id == Case.assignee_id, isouter=True)
        .join(update, update.id == latest, isouter=True)
        .order_by(Action.index, Case.seq, Case.id)
    )
    if dept_row is not None:
        query = query.where(Case.lead_department_id == dept_row.id)
    if state:
        query = query.where(Case.state == state)
    if rag:
        query = query.where(rag_sql.light_is(rag, t))
    if words:
        query = query.where(search_clause(words))
    query = query.where(visible_cases_clause(actor))
    if within is not None:
        query = query.where(Case.id.in_(within))
    if what is None:
        what = describe(state=state, rag=rag, department=dept_row.name if dept_row else None,
                        words=words)
    description = "、".join(what) if what else "全部"
    rows = db.session.execute(query.execution_options(yield_per=STREAM_ROWS))
    data, count = _workbook(rows, today, calendar, description)
    file_name = f"督办事项状态-{description}-{today.isoformat()}.xlsx"
    return StatusExport(data=data, file_name=_safe_file_name(file_name), count=count,
                        description=description)


def _safe_file_name(name: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>|' else ch for ch in name)


def _local_date(value: dt.datetime) -> dt.date:
    return value.replace(tzinfo=dt.UTC).astimezone(office_zone()).date()


def _overdue_days(state: str, deadline: dt.date, today: dt.date, calendar) -> int:
    if not is_overdue(State(state), deadline, today):
        return 0
    try:
        return overdue_working_days(deadline, today, calendar)
    except UnknownCalendarYear:
        return (today - deadline).days


def _person(first_name, last_name, username) -> str:
    if username is None:
        return ""
    return f"{first_name or ''}{last_name or ''}".strip() or username


def _text_cell(ws, value: str) -> WriteOnlyCell:
    """A cell that holds text, whatever it starts with (never a formula)."""
    cell = WriteOnlyCell(ws, value=value)
    keep_text(cell)
    return cell


def _like(template: WriteOnlyCell, value) -> WriteOnlyCell:
    """A cell with `value` and the template's style."""
    cell = WriteOnlyCell(template.parent, value=value)
    cell._style = copy(template._style)
    return cell


def _workbook(rows, today, calendar, description: str) -> tuple[bytes, int]:
    """The workbook of the rows as they stream in, and how many there were."""
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
    # The wrapped note and the percentage: one styled cell each, copied per row (its style
    # array, as openpyxl copies cells) rather than styled anew, which hashes the style each time.
    wrapped = WriteOnlyCell(ws)
    wrapped.alignment = Alignment(wrap_text=True, vertical="top")
    keep_text(wrapped)
    share = WriteOnlyCell(ws)
    share.number_format = "0%"
    states = {state: label(STATE_LABELS, state) for state in CASE_STATES}  # translated once
    count = 0
    # Plain values where openpyxl writes them as the styled cells would be (a string as text,
    # a date as yyyy-mm-dd); a cell only for the wrapped note, the percentage and text that
    # would be a formula (app.services.excel_safety).
    for (_id, key, title, unit, state, light, percent_done, noted_at, note, first_name, last_name,
         username, deadline, original_deadline) in rows:
        note_cell = _like(wrapped, note or "")
        keep_text(note_cell)
        percent = _like(share, (percent_done or 0) / 100)
        ws.append([
            text_value(ws, key),
            text_value(ws, title),
            text_value(ws, unit or ""),
            states[state],
            RAG_NAMES[light],
            percent,
            _local_date(noted_at) if noted_at else None,
            note_cell,
            text_value(ws, _person(first_name, last_name, username)),
            deadline,
            _overdue_days(state, deadline, today, calendar),
            original_deadline,
        ])
        count += 1
    info = wb.create_sheet("说明")
    info.append(["内容", description])
    info.append(["截至", today.isoformat()])
    info.append(["事项数", count])
    info.append(["红黄绿灯", "红灯：逾期；黄灯：有风险（临近完成时限或进度落后）；绿灯：正常"])
    info.append(["逾期工作日", "完成时限之后至今的工作日数（按法定工作日历，含调休）"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), count


def ws_column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
