"""The three lists (三张清单) in Excel: template, import with a preview, confirm, export.

An import is planned whole before anything is written: every row is read, matched to a
case (by its 编号, else by action and normalised task text), checked, and given a status
(create, update, unchanged, error) with its problems by row and column. Confirming
re-plans the same file against the database as it is then and writes every row in one
transaction, or nothing when any row has an error. Export writes the same format, with
the 编号 column, so an exported file re-imports as "no changes".
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import json
import re
import secrets
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.access import visible_cases_clause
from app.extensions import db
from app.models import (
    LIST_KINDS,
    Action,
    Case,
    CaseHistory,
    Department,
    Indicator,
    IndicatorActual,
    Milestone,
    Plan,
    utcnow,
)
from app.services.plans import latest_plan
from workflows.case_workflow import Actor, Role
from workflows.dates import find_deadline, parse_deadline, parse_deadline_strict

# The columns of every list, in order (issue #6), then the key column written on export.
HEADERS = ("序号", "所属行动", "任务内容", "牵头单位", "配合单位", "牵头负责人", "完成时限",
           "时间节点", "目标值", "单位", "清单类型")
KEY_HEADER = "编号"
FIELD_BY_HEADER = {
    "序号": "seq", "所属行动": "action", "任务内容": "content", "牵头单位": "lead",
    "配合单位": "partners", "牵头负责人": "owner", "完成时限": "deadline", "时间节点": "milestones",
    "目标值": "target", "单位": "unit", "清单类型": "list_kind", KEY_HEADER: "key",
}
HEADER_BY_FIELD = {f: h for h, f in FIELD_BY_HEADER.items()}
# Other names offices give the same columns; the canonical header wins when both appear.
ALIASES = {
    "seq": ("序", "序次"),
    "action": ("行动", "专项行动", "所属专项行动", "行动名称", "所属行动名称"),
    "content": ("任务", "工作任务", "重点任务", "任务名称", "具体任务", "工作内容", "主要任务",
                "事项", "任务事项", "政策名称", "政策内容", "项目名称", "项目内容", "建设内容"),
    "lead": ("牵头部门", "责任单位", "主办单位", "牵头责任单位", "责任部门"),
    "partners": ("配合部门", "协办单位", "参与单位", "协同单位"),
    "owner": ("负责人", "责任人", "牵头领导", "责任领导", "牵头单位负责人"),
    "deadline": ("完成时间", "时限", "截止时间", "完成期限", "时限要求", "完成时限要求"),
    "milestones": ("节点", "节点安排", "进度安排", "时间安排", "时间进度安排"),
    "target": ("目标", "指标值", "目标任务", "预期目标", "目标值（数值）"),
    "unit": ("计量单位",),
    "list_kind": ("类型", "清单", "所属清单"),
    "key": ("系统编号", "任务编号"),
}
KIND_LABELS_ZH = {"task": "任务清单", "policy": "政策清单", "project": "项目清单"}
KIND_WORDS = {"task": ("任务清单", "任务", "task"), "policy": ("政策清单", "政策", "policy"),
              "project": ("项目清单", "项目", "project")}
STATUS_LABELS = {"create": "新增", "update": "更新", "unchanged": "无变化", "error": "有错误"}

# A row needs a task; these columns make a row worth reading at all.
_CONTENT_FIELDS = ("content", "lead", "partners", "owner", "deadline", "milestones", "target")
# Fields frozen once people have worked on a case: they belong to the workflow then.
_WORKFLOW_FIELDS = ("action", "lead", "partners", "deadline")
_SPLIT_DEPARTMENTS = re.compile(r"[、，,；;/／\n\r\t ]+")
_SPLIT_ITEMS = re.compile(r"[；;\n\r]+")
_ROLE_NOTE = re.compile(r"[（(](?:牵头|配合|负责|主办|协办|主责)[)）]$")
_STASH_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# An optional field the row leaves empty (or whose column the sheet lacks): an update
# keeps the case's value; "无" or "—" clears it on purpose.
KEEP = object()
_CLEAR_WORDS = {"无", "暂无", "-", "—", "－", "/", "／"}
MAX_BLANK_RUN = 200  # stop reading a sheet after this many blank rows (WPS formats whole columns)
MAX_COLUMNS = 60


class ListFileError(ValueError):
    """A workbook that cannot be read at all (wrong format, no list in it); Chinese message."""


class ListImportError(ValueError):
    """An import that cannot be written (errors in rows, changed meanwhile); Chinese message."""

    def __init__(self, message: str, preview: ImportPreview | None = None):
        super().__init__(message)
        self.preview = preview


class ListPermissionError(PermissionError):
    """The actor may not import lists (only the supervision office and admins may)."""


@dataclass(frozen=True)
class Problem:
    """One problem of one cell, told by sheet, row and column, in Chinese."""

    sheet: str
    row: int
    column: str  # letter, e.g. "G"; "" for the whole row
    header: str  # the column's header as written in the file
    message: str
    level: str = "error"  # or "warning": shown, but does not block the import

    def where(self) -> str:
        place = _("Sheet “%(sheet)s” row %(row)s", sheet=self.sheet, row=self.row)
        if self.column:
            place += " " + _("column %(column)s (%(header)s)", column=self.column, header=self.header)
        return place

    def __str__(self) -> str:
        return f"{self.where()}：{self.message}"

    def to_json(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "header": self.header, "level": self.level, "message": self.message}


@dataclass
class RowPlan:
    """What importing one row would do."""

    sheet: str
    row: int
    status: str = "error"
    key: str | None = None
    case_id: int | None = None
    case_version: int | None = None
    action_label: str = ""
    content: str = ""
    lead: str = ""
    deadline: dt.date | None = None
    list_kind: str = "task"
    changes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # typed values to write

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def to_json(self) -> dict:
        return {
            "sheet": self.sheet, "row": self.row, "status": self.status, "key": self.key,
            "case_id": self.case_id, "action": self.action_label, "content": self.content,
            "lead_department": self.lead,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "list_kind": self.list_kind, "changes": self.changes,
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass
class ImportPreview:
    """The whole plan of an import: every row, and the notes about the file itself."""

    file_name: str
    sha256: str
    plan_title: str
    plan_year: int
    rows: list[RowPlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def has_errors(self) -> bool:
        return any(row.status == "error" for row in self.rows) or not self.rows

    @property
    def problems(self) -> list[Problem]:
        return [p for row in self.rows for p in row.problems]

    def to_json(self) -> dict:
        return {
            "file": self.file_name, "sha256": self.sha256,
            "plan": {"title": self.plan_title, "year": self.plan_year},
            "ok": not self.has_errors, "written": self.written, "counts": self.counts,
            "notes": self.notes, "rows": [r.to_json() for r in self.rows],
        }


# ---------------------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------------------


def can_import_lists(actor: Actor | None) -> bool:
    """Only the supervision office and admins import lists; None is the trusted CLI."""
    return actor is None or bool({Role.OFFICE, Role.ADMIN} & set(actor.roles))


def _require_importer(actor: Actor | None) -> None:
    if not can_import_lists(actor):
        raise ListPermissionError(_("Only the supervision office and administrators may import lists."))


# ---------------------------------------------------------------------------------------
# Small text helpers
# ---------------------------------------------------------------------------------------


def _norm(text) -> str:
    """Text for matching: NFKC (full-width → ASCII), no whitespace, no end punctuation."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"\s+", "", text).strip("。.;；,，")


def _norm_header(text) -> str:
    text = _norm(text).replace("*", "")
    return re.sub(r"\(.*?\)$", "", text) or text


def _cell_text(value) -> str:
    """A cell as text: whole floats without ".0", dates as ISO, strings stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _small_number(text: str) -> int | None:
    """"3", "十二", "二十" → int (1–99); None otherwise."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _sep, ones = text.partition("十")
    value = (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return value or None


def _suggest(text: str, names: list[str], n: int = 3) -> list[str]:
    """The closest known names: difflib, plus names containing or contained in the text."""
    key = _norm(text)
    normalised = {}
    for name in names:
        normalised.setdefault(_norm(name), name)
    found = [normalised[m] for m in difflib.get_close_matches(key, list(normalised), n=n, cutoff=0.5)]
    for norm_name, name in normalised.items():
        if len(found) >= n:
            break
        if key and (key in norm_name or norm_name in key) and name not in found:
            found.append(name)
    return found


def _did_you_mean(suggestions: list[str]) -> str:
    if not suggestions:
        return ""
    return _("; did you mean: %(names)s", names="、".join(suggestions))


# ---------------------------------------------------------------------------------------
# Reading workbooks
# ---------------------------------------------------------------------------------------


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


def _load_workbook(data: bytes, file_name: str):
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


def _match_headers(cells: list) -> dict[str, tuple[int, str]]:
    """Field → (column, header) for a row of candidate header cells."""
    found: dict[str, tuple[int, str]] = {}
    normalised = [(_norm_header(c), _cell_text(c)) for c in cells]
    for col, (key, shown) in enumerate(normalised):
        field_name = FIELD_BY_HEADER.get(key)
        if field_name and field_name not in found:
            found[field_name] = (col, shown)
    for col, (key, shown) in enumerate(normalised):
        if not key or any(col == c for c, _h in found.values()):
            continue
        for field_name, aliases in ALIASES.items():
            if field_name not in found and key in aliases:
                found[field_name] = (col, shown)
                break
    return found


def _is_header(found: dict) -> bool:
    return "content" in found and len(found) >= 3


def _sheet_kind(title: str) -> str | None:
    for kind, words in KIND_WORDS.items():
        if any(w in title for w in words[:2]):
            return kind
    return None


def _read_sheet(ws) -> SheetTable | None:
    """Find the header row, carry merged values into every cell, and collect data rows."""
    max_col = min(ws.max_column or 1, MAX_COLUMNS)
    grid: list[list] = []
    blank_run = 0
    for values in ws.iter_rows(min_row=1, max_col=max_col, values_only=True):
        grid.append(list(values))
        blank_run = blank_run + 1 if all(_cell_text(v) == "" for v in values) else 0
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
        found = _match_headers(cells)
        if _is_header(found):
            header_at, columns = index + 1, found
            break
    if header_at is None:
        return None
    rows = []
    for r in range(header_at + 1, len(grid) + 1):
        cells = grid[r - 1]
        values = {f: cells[c] if c < len(cells) else None for f, (c, _h) in columns.items()}
        if all(_cell_text(v) == "" for v in cells):
            continue  # spacer row
        if _is_header(_match_headers(cells)):
            continue  # a repeated header (second header line, or printed per page)
        columns_of = {f: (get_column_letter(c + 1), h) for f, (c, h) in columns.items()}
        filled = {_cell_text(v) for v in cells if _cell_text(v)}
        across = sum(1 for c in range(len(cells)) if (r, c + 1) in merged_cells)
        section = filled.pop() if len(filled) == 1 and across >= 2 else None
        rows.append(SheetRow(sheet=ws.title, row=r, values=values, columns=columns_of, section=section))
    return SheetTable(ws.title, header_at, columns, rows, _sheet_kind(ws.title))


def read_tables(data: bytes, file_name: str) -> tuple[list[SheetTable], list[str]]:
    """Every visible sheet that holds a list, and notes on the sheets skipped."""
    wb = _load_workbook(data, file_name)
    tables, notes = [], []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        table = _read_sheet(ws)
        if table is None:
            notes.append(_("Sheet “%(sheet)s” has no list header (序号, 所属行动, 任务内容 …): skipped.",
                           sheet=ws.title))
        else:
            tables.append(table)
    if not tables:
        raise ListFileError(_("%(name)s holds no list: no sheet has a header row with 任务内容 and the other columns.",
                              name=file_name))
    return tables, notes


# ---------------------------------------------------------------------------------------
# Matching names against the database
# ---------------------------------------------------------------------------------------


class _Lookups:
    """Everything a plan of an import needs from the database, read once."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.actions = list(db.session.scalars(
            select(Action).where(Action.plan_id == plan.id).order_by(Action.index)))
        self.departments = list(db.session.scalars(select(Department).order_by(Department.name)))
        self.department_by_key: dict[str, Department] = {}
        for dept in self.departments:
            self.department_by_key.setdefault(_norm(dept.name), dept)
        for dept in self.departments:
            if dept.short_name:
                self.department_by_key.setdefault(_norm(dept.short_name), dept)
        self.cases = list(db.session.scalars(select(Case).where(Case.plan_id == plan.id)))
        self.case_by_key = {c.source_key: c for c in self.cases}
        self.case_by_text: dict[tuple[int | None, str], Case] = {}
        for case in self.cases:
            for text in (case.text, case.title):
                if text:
                    self.case_by_text.setdefault((case.action_id, _norm(text)), case)
        self.touched = set(db.session.scalars(
            select(CaseHistory.case_id).where(CaseHistory.case_id.in_(select(Case.id).where(Case.plan_id == plan.id)))
            .distinct()))
        from flask_appbuilder.security.sqla.models import User

        self.users = list(db.session.scalars(select(User)))
        self.user_by_key: dict[str, list] = {}
        for user in self.users:
            for key in {user.username, f"{user.first_name}{user.last_name}", f"{user.last_name}{user.first_name}"}:
                self.user_by_key.setdefault(_norm(key), [])
                if user not in self.user_by_key[_norm(key)]:
                    self.user_by_key[_norm(key)].append(user)
        self.with_actuals = set(db.session.scalars(
            select(IndicatorActual.indicator_id).join(Indicator, Indicator.id == IndicatorActual.indicator_id)
            .where(Indicator.plan_id == plan.id).distinct()))

    def action(self, text: str) -> tuple[Action | None, list[str]]:
        """The action a cell names: "（一）大力实施…", "行动一", "1", "产业培塑行动" …"""
        key = _norm(text)
        for action in self.actions:
            if key in (_norm(str(action)), _norm(action.title)):
                return action, []
        by_index = {a.index: a for a in self.actions}
        m = re.match(r"^(?:第|行动)?[(（]?([一二三四五六七八九十]+|\d+)[)）、.．]?(?:项)?(?:行动)?", key)
        rest = key[m.end():] if m else key
        index = _small_number(m.group(1)) if m else None
        if rest:
            matches = [a for a in self.actions if rest in _norm(a.title) or _norm(a.title) in rest]
            if len(matches) == 1 and (index is None or matches[0].index == index):
                return matches[0], []
        elif index in by_index:
            return by_index[index], []
        return None, _suggest(text, [str(a) for a in self.actions])

    def department(self, text: str) -> Department | None:
        return self.department_by_key.get(_norm(_ROLE_NOTE.sub("", text.strip())))

    def department_names(self) -> list[str]:
        return [d.name for d in self.departments] + [d.short_name for d in self.departments if d.short_name]


# ---------------------------------------------------------------------------------------
# Planning one row
# ---------------------------------------------------------------------------------------


class _Row:
    """Reads one sheet row's cells into typed values, collecting problems."""

    def __init__(self, source: SheetRow, plan: RowPlan):
        self.source = source
        self.plan = plan

    def has(self, field_name: str) -> bool:
        return field_name in self.source.columns

    def text(self, field_name: str) -> str:
        return _cell_text(self.source.values.get(field_name))

    def raw(self, field_name: str):
        return self.source.values.get(field_name)

    def cleared(self, field_name: str) -> bool:
        return _norm(self.text(field_name)) in _CLEAR_WORDS

    def problem(self, field_name: str | None, message: str, level: str = "error") -> None:
        letter, header = self.source.columns.get(field_name, ("", "")) if field_name else ("", "")
        self.plan.problems.append(Problem(self.source.sheet, self.source.row, letter, header, message, level))


_COMPARATOR_WORDS = {
    "≥": ("≥", ">=", "不低于", "不少于", "大于等于", "超过", "突破"), "≤": ("≤", "<=", "不超过", "不高于", "小于等于"),
}
_TARGET = re.compile(
    r"^(?P<pre>≥|≤|>=|<=|不低于|不少于|大于等于|超过|突破|不超过|不高于|小于等于|达到|力争|约)?"
    r"(?P<num>[-+]?\d[\d,]*(?:\.\d+)?)(?:(?:-|—|–|~|～|至|到)(?P<max>\d[\d,]*(?:\.\d+)?))?"
    r"(?P<unit>[^\d]*?)(?P<post>及以上|以上|以下|以内|左右)?$"
)


def _parse_targets(row: _Row, year: int) -> list[dict] | None:
    """目标值 and 单位 → indicator values; KEEP when the row gives none."""
    if not row.text("target") and not row.text("unit"):
        return KEEP
    if row.cleared("target"):
        return []
    raw = row.raw("target")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        parts = [_cell_text(raw)]
    else:
        parts = [p.strip() for p in _SPLIT_ITEMS.split(_cell_text(raw)) if p.strip()]
    units = [u.strip() for u in _SPLIT_ITEMS.split(row.text("unit"))] if row.text("unit") else []
    if parts and len(units) > 1 and len(units) != len(parts):
        row.problem("unit", _("%(targets)s target values but %(units)s units: give one unit per value, separated by ；.",
                              targets=len(parts), units=len(units)))
        return []
    if not parts and units:
        row.problem("target", _("A unit is given but no target value."))
        return []
    result = []
    for i, part in enumerate(parts):
        m = _TARGET.match(unicodedata.normalize("NFKC", part).replace(" ", ""))
        if not m:
            row.problem("target", _("Target value “%(value)s” is not a number (write e.g. 5, ≥5, 5以上, 1-2).", value=part))
            continue
        try:
            value = Decimal(m["num"].replace(",", ""))
            value_max = Decimal(m["max"].replace(",", "")) if m["max"] else None
        except InvalidOperation:
            row.problem("target", _("Target value “%(value)s” is not a number (write e.g. 5, ≥5, 5以上, 1-2).", value=part))
            continue
        if abs(value) >= Decimal(10) ** 14 or (value_max is not None and value_max < value):
            row.problem("target", _("Target value “%(value)s” is out of range.", value=part))
            continue
        comparator = "="
        for symbol, words in _COMPARATOR_WORDS.items():
            if m["pre"] in words:
                comparator = symbol
        if m["post"] in ("及以上", "以上"):
            comparator = "≥"
        elif m["post"] in ("以下", "以内"):
            comparator = "≤"
        unit = units[i] if len(units) > 1 else (units[0] if units else "")
        inline = m["unit"].strip()
        if inline and unit and _norm(inline) != _norm(unit):
            row.problem("unit", _("The unit “%(inline)s” written with the value differs from the unit column “%(unit)s”.",
                                  inline=inline, unit=unit))
            continue
        unit = unit or inline
        if len(unit) > 30:
            row.problem("unit", _("Unit “%(unit)s” is longer than 30 characters.", unit=unit))
            continue
        result.append({"value": value, "value_max": value_max, "unit": unit, "comparator": comparator})
    return result


def _parse_milestones(row: _Row, year: int) -> list[tuple[str, dt.date]] | None:
    """时间节点 → [(title, due)]; each item needs a date ("6月底前完成方案", "2024-06-30 完成方案")."""
    if not row.text("milestones"):
        return KEEP
    if row.cleared("milestones"):
        return []
    raw = row.raw("milestones")
    if isinstance(raw, (dt.date, dt.datetime)):
        due = parse_deadline(raw, year)
        return [(due.isoformat(), due)]
    result = []
    for part in (p.strip() for p in _SPLIT_ITEMS.split(_cell_text(raw))):
        if not part:
            continue
        m = re.match(r"^(?P<date>[^：:\s]+)[：:\s]+(?P<title>.+)$", part)
        due = parse_deadline(m["date"], year) if m else None
        title = m["title"].strip() if due else part
        if due is None:
            due = find_deadline(part, year) or parse_deadline(part, year)
        if due is None:
            row.problem("milestones", _("Time node “%(text)s” has no date that can be read (write e.g. 6月底前完成方案).",
                                        text=part))
            continue
        if len(title) > 200:
            row.problem("milestones", _("Time node “%(text)s…” is longer than 200 characters.", text=title[:20]))
            continue
        result.append((title, due))
    return result


def _title_from(content: str) -> str:
    """A case title from its task text: the first clause, at most 60 characters."""
    first = re.split(r"[。；;，,]", content, maxsplit=1)[0].strip() or content.strip()
    return first[:60]


def _plan_row(source: SheetRow, table: SheetTable, look: _Lookups, carried_action: Action | None,
              seen: dict) -> tuple[RowPlan, Action | None]:
    """Read, match and check one row; return its plan and the action to carry down."""
    plan = RowPlan(sheet=source.sheet, row=source.row)
    row = _Row(source, plan)
    year = look.plan.year
    values: dict = {}

    # 所属行动: merged down many rows, or left blank under the first row of a group.
    action = carried_action
    action_text = row.text("action")
    if action_text:
        action, suggestions = look.action(action_text)
        if action is None:
            row.problem("action", _("Unknown action “%(text)s”", text=action_text) + _did_you_mean(suggestions))
    elif row.has("action") and carried_action is None:
        row.problem("action", _("Missing value: the action (所属行动) is empty."))
    elif not row.has("action"):
        row.problem(None, _("The sheet has no 所属行动 column: every case belongs to an action."))
    values["action"] = action
    plan.action_label = str(action) if action else action_text

    content = row.text("content")
    plan.content = content
    if not content:
        row.problem("content", _("Missing value: the task (任务内容) is empty."))
    values["content"] = content

    leads: list[Department] = []
    lead_text = "" if row.cleared("lead") else row.text("lead")
    for name in (n for n in _SPLIT_DEPARTMENTS.split(lead_text) if n):
        dept = look.department(name)
        if dept is None:
            row.problem("lead", _("Unknown department “%(name)s”", name=name)
                        + _did_you_mean(_suggest(name, look.department_names())))
        elif dept not in leads:
            leads.append(dept)
    plan.lead = "、".join(d.name for d in leads) or lead_text
    values["lead"] = leads[0] if leads else (None if row.cleared("lead") else KEEP)

    partners: list[Department] = list(leads[1:])  # extra lead units become partners
    partner_text = "" if row.cleared("partners") else row.text("partners")
    for name in (n for n in _SPLIT_DEPARTMENTS.split(partner_text) if n):
        dept = look.department(name)
        if dept is None:
            row.problem("partners", _("Unknown department “%(name)s”", name=name)
                        + _did_you_mean(_suggest(name, look.department_names())))
        elif dept not in partners and dept not in leads[:1]:
            partners.append(dept)
    values["partners"] = partners if (row.text("partners") or len(leads) > 1) else KEEP

    owner_text = row.text("owner")
    values["owner"] = None if row.cleared("owner") else KEEP
    if owner_text and not row.cleared("owner"):
        users = look.user_by_key.get(_norm(owner_text), [])
        if len(users) == 1:
            values["owner"] = users[0]
        elif users:
            row.problem("owner", _("Several users are called “%(name)s”: write the user name (%(names)s).",
                                   name=owner_text, names="、".join(u.username for u in users)))
        else:
            names = [f"{u.first_name}{u.last_name}" for u in look.users] + [u.username for u in look.users]
            row.problem("owner", _("Unknown responsible lead “%(name)s”: only users of the system can be named",
                                   name=owner_text) + _did_you_mean(_suggest(owner_text, names)))

    deadline_raw = row.raw("deadline")
    deadline = None
    if not row.has("deadline") or _cell_text(deadline_raw) == "":
        if row.has("deadline"):
            row.problem("deadline", _("Missing value: the deadline (完成时限) is empty."))
        else:
            row.problem(None, _("The sheet has no 完成时限 column: every case needs a deadline."))
    else:
        try:
            deadline = parse_deadline_strict(deadline_raw, year)
        except ValueError as exc:
            row.problem("deadline", str(exc))
        else:
            if deadline is None:  # "长期", "持续推进": no fixed date
                deadline = dt.date(year, 12, 31)
                row.problem("deadline", _("“%(text)s” gives no fixed date: the deadline is set to the end of the year (%(date)s).",
                                          text=_cell_text(deadline_raw), date=deadline.isoformat()), "warning")
    plan.deadline = values["deadline"] = deadline

    values["milestones"] = _parse_milestones(row, year)
    values["indicators"] = _parse_targets(row, year)

    # 清单类型: the cell, else (for a new case) the sheet's name, else the task list.
    kind_text = _norm(row.text("list_kind")).lower()
    kind = None
    if kind_text:
        kind = next((k for k, words in KIND_WORDS.items() if kind_text in words), None)
        if kind is None:
            row.problem("list_kind", _("Unknown list type “%(text)s” (write 任务清单, 政策清单 or 项目清单).",
                                       text=row.text("list_kind")))
    values["list_kind"] = kind
    plan.list_kind = kind or table.default_kind or "task"

    # Which case is this? Its 编号, else the same task text under the same action.
    key = row.text("key")
    case = None
    if key:
        if len(key) > 64 or not re.fullmatch(r"[\w\-.]+", key):
            row.problem("key", _("编号 “%(key)s” is not valid: leave it as exported, or empty for a new task.", key=key))
        case = look.case_by_key.get(key)
    if case is None and content:
        case = look.case_by_text.get((action.id if action else None, _norm(content)))
    if case is None and not key and content:
        digest = hashlib.sha1(f"{action.index if action else 0}|{_norm(content)}".encode()).hexdigest()
        key = f"xl-{digest[:16]}"
    if case is not None:
        key = case.source_key
        plan.case_id, plan.case_version = case.id, case.version
    plan.key = key
    if key in seen:
        row.problem("key" if row.text("key") else "content",
                    _("Same task as row %(row)s of sheet “%(sheet)s”: a task may appear only once.",
                      row=seen[key][1], sheet=seen[key][0]))
    elif key:
        seen[key] = (source.sheet, source.row)

    if case is not None and content:
        _diff(case, values, row, look)
    elif not leads and not lead_text:
        row.problem("lead", _("No lead department: the case will wait for its task force to assign one."), "warning")
    plan.values = values
    if plan.errors:
        plan.status = "error"
    elif case is None:
        plan.status = "create"
    else:
        plan.status = "update" if plan.changes else "unchanged"
    return plan, action


def _indicator_tuple(ind) -> tuple:
    value_max = ind.value_max if isinstance(ind, Indicator) else ind["value_max"]
    get = (lambda k: getattr(ind, k)) if isinstance(ind, Indicator) else ind.__getitem__
    return (Decimal(get("value")).normalize(), Decimal(value_max).normalize() if value_max is not None else None,
            get("unit") or "", get("comparator"))


def _diff(case: Case, values: dict, row: _Row, look: _Lookups) -> None:
    """Fill the row plan's changes (header names) by comparing with the case."""
    changes = row.plan.changes
    touched = case.id in look.touched
    frozen = []

    def changed(field_name: str, differs: bool) -> None:
        if not differs:
            return
        if touched and field_name in _WORKFLOW_FIELDS:
            frozen.append(HEADER_BY_FIELD[field_name])
        else:
            changes.append(HEADER_BY_FIELD[field_name])

    if values["action"] is not None:
        changed("action", values["action"].id != case.action_id)
    current_text = case.text or case.title
    changed("content", _norm(values["content"]) not in {_norm(current_text), _norm(case.title) if not case.text else None})
    if values["lead"] is not KEEP:
        lead = values["lead"]
        changed("lead", (lead.id if lead else None) != case.lead_department_id)
    if values["partners"] is not KEEP:
        changed("partners", {d.id for d in values["partners"]} != {d.id for d in case.partner_departments})
    if values["owner"] is not KEEP:
        changed("owner", (values["owner"].id if values["owner"] else None) != case.owner_id)
    if values["deadline"] is not None:
        changed("deadline", values["deadline"] != case.deadline)
    if values["milestones"] is not KEEP:
        changed("milestones", sorted(values["milestones"], key=lambda m: (m[1], m[0]))
                != sorted(((m.title, m.due_date) for m in case.milestones), key=lambda m: (m[1], m[0])))
    if values["indicators"] is not KEEP:
        current = [_indicator_tuple(i) for i in case.indicators]
        wanted = [_indicator_tuple(i) for i in values["indicators"]]
        if current != wanted:
            changes.append(HEADER_BY_FIELD["target"])
            for ind in case.indicators[len(wanted):]:
                if ind.id in look.with_actuals:
                    row.problem("target", _("Target “%(name)s” already has reported actual values and cannot be removed by an import.",
                                            name=ind.name))
    if values["list_kind"] is not None:
        changed("list_kind", values["list_kind"] != case.list_kind)
    row.plan.list_kind = values["list_kind"] or case.list_kind
    if frozen:
        row.problem(None, _("Work on this case has started: changes to %(fields)s go through reassignment or an extension request, not an import; they are not applied.",
                            fields="、".join(frozen)), "warning")


def plan_import(data: bytes, file_name: str, actor: Actor | None = None) -> ImportPreview:
    """Read a workbook and plan its import against the latest plan; writes nothing."""
    _require_importer(actor)
    plan = latest_plan()
    if plan is None:
        raise ListFileError(_("No plan is loaded yet: load a plan first (flask plan load)."))
    tables, notes = read_tables(data, file_name)
    preview = ImportPreview(file_name=file_name, sha256=hashlib.sha256(data).hexdigest(),
                            plan_title=plan.title, plan_year=plan.year, notes=notes)
    look = _Lookups(plan)
    seen: dict = {}
    for table in tables:
        carried: Action | None = None
        for source in table.rows:
            if source.section is not None:
                # A heading merged across the table ("（一）大力实施产业培塑行动") sets the action.
                action, _s = look.action(source.section)
                if action is not None:
                    carried = action
                else:
                    preview.notes.append(_("Sheet “%(sheet)s” row %(row)s: heading “%(text)s” skipped.",
                                           sheet=source.sheet, row=source.row, text=source.section[:40]))
                continue
            if not any(_cell_text(source.values.get(f)) for f in _CONTENT_FIELDS):
                continue  # only 序号, 所属行动 or 清单类型: an unused template row
            row_plan, carried = _plan_row(source, table, look, carried, seen)
            preview.rows.append(row_plan)
    if not preview.rows:
        preview.notes.append(_("The file has a list header but no task rows."))
    return preview


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def apply_import(data: bytes, file_name: str, actor: Actor | None = None) -> ImportPreview:
    """Plan the file again and write every row in one transaction; nothing if any row has an error."""
    preview = plan_import(data, file_name, actor)
    if preview.has_errors:
        raise ListImportError(_("The file has errors: nothing was imported. Correct the rows listed and upload again."),
                              preview)
    plan = latest_plan()
    try:
        ids = [r.case_id for r in preview.rows if r.status == "update"]
        locked = {c.id: c for c in db.session.scalars(
            select(Case).where(Case.id.in_(ids)).with_for_update(of=Case))} if ids else {}
        for row in preview.rows:
            if row.status == "update" and locked[row.case_id].version != row.case_version:
                raise ListImportError(_("Cases changed while importing: preview the file again."), preview)
        next_seq: dict[int | None, int] = dict(db.session.execute(
            select(Case.action_id, func.max(Case.seq)).where(Case.plan_id == plan.id).group_by(Case.action_id)).all())
        from app.services.calendar import local_today

        today = local_today()
        for row in preview.rows:
            if row.status == "create":
                _create_case(plan, row, next_seq, today)
            elif row.status == "update":
                _update_case(plan, locked[row.case_id], row)
        db.session.flush()
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise ListImportError(_("Cases changed while importing: preview the file again."), preview) from exc
    except Exception:
        db.session.rollback()
        raise
    preview.written = True
    return preview


def _create_case(plan: Plan, row: RowPlan, next_seq: dict, today: dt.date) -> Case:
    v = row.values
    action = v["action"]
    lead = v["lead"] if v["lead"] is not KEEP else None
    next_seq[action.id] = (next_seq.get(action.id) or 0) + 1
    title = _title_from(v["content"])
    case = Case(
        plan_id=plan.id, action_id=action.id, source_key=row.key, seq=next_seq[action.id],
        title=title, text=v["content"], list_kind=row.list_kind,
        lead_department_id=lead.id if lead else None, lead_basis="named" if lead else "none",
        owner_id=v["owner"].id if v["owner"] not in (None, KEEP) else None,
        # A new case starts today (within its plan's year), never after its deadline.
        start_date=min(max(dt.date(plan.year, 1, 1), min(today, dt.date(plan.year, 12, 31))), v["deadline"]),
        deadline=v["deadline"], original_deadline=v["deadline"], state="assigned", assigned_at=utcnow(),
    )
    case.partner_departments = [] if v["partners"] is KEEP else list(v["partners"])
    # Children through the relationships: one flush at the end writes everything.
    case.milestones = [Milestone(title=t, due_date=d) for t, d in ([] if v["milestones"] is KEEP else v["milestones"])]
    case.indicators = [
        Indicator(plan_id=plan.id, position=position, name=title, year=plan.year, quote="", **ind)
        for position, ind in enumerate([] if v["indicators"] is KEEP else v["indicators"], start=1)
    ]
    db.session.add(case)
    return case


def _update_case(plan: Plan, case: Case, row: RowPlan) -> None:
    v, changes = row.values, set(row.changes)
    if "所属行动" in changes:
        case.action_id = v["action"].id
    if "任务内容" in changes:
        case.text = v["content"]
    if "牵头单位" in changes:
        case.lead_department_id = v["lead"].id if v["lead"] else None
        case.lead_basis = "named" if v["lead"] else "none"
    if "配合单位" in changes:
        case.partner_departments = list(v["partners"])
    if "牵头负责人" in changes:
        case.owner_id = v["owner"].id if v["owner"] else None
    if "完成时限" in changes:
        case.deadline = case.original_deadline = v["deadline"]
    if "清单类型" in changes:
        case.list_kind = v["list_kind"]
    if "时间节点" in changes:
        _write_milestones(case, v["milestones"])
    if "目标值" in changes:
        _write_indicators(plan, case, v["indicators"])
    case.version += 1  # an open form on this case is now stale


def _write_milestones(case: Case, wanted: list[tuple[str, dt.date]]) -> None:
    """Make the case's milestones those of the file; done ones are kept."""
    existing = {(m.title, m.due_date): m for m in case.milestones}
    for key, milestone in existing.items():
        if key not in wanted and milestone.done_at is None:
            case.milestones.remove(milestone)
    for title, due in wanted:
        if (title, due) not in existing:
            case.milestones.append(Milestone(title=title, due_date=due))


def _write_indicators(plan: Plan, case: Case, wanted: list[dict]) -> None:
    """Targets by position: keep the names of existing ones, name new ones after the case."""
    current = sorted(case.indicators, key=lambda i: i.position)
    for position, ind in enumerate(wanted, start=1):
        if position <= len(current):
            row = current[position - 1]
        else:
            row = Indicator(plan_id=plan.id, position=position, name=case.title[:200], year=plan.year, quote="")
            case.indicators.append(row)
        row.value, row.value_max = ind["value"], ind["value_max"]
        row.unit, row.comparator = ind["unit"], ind["comparator"]
    for row in current[len(wanted):]:
        case.indicators.remove(row)
        db.session.delete(row)


# ---------------------------------------------------------------------------------------
# Writing workbooks: template and export
# ---------------------------------------------------------------------------------------

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_KEY_FILL = PatternFill("solid", fgColor="EEEEEE")
_WIDTHS = {"序号": 6, "所属行动": 22, "任务内容": 50, "牵头单位": 18, "配合单位": 22, "牵头负责人": 10,
           "完成时限": 14, "时间节点": 28, "目标值": 10, "单位": 8, "清单类型": 10, KEY_HEADER: 14}
_DATE_FORMAT = 'yyyy"年"m"月"d"日"'


def _write_sheet_frame(ws, title: str) -> None:
    """Title row merged across the columns, the header row, widths, frozen header."""
    headers = (*HEADERS, KEY_HEADER)
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    ws.append(list(headers))
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=2, column=col)
        cell.font = Font(bold=True)
        cell.fill = _KEY_FILL if header == KEY_HEADER else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(col)].width = _WIDTHS[header]
    ws.freeze_panes = "A3"
    # Printed as offices file them: A4 landscape, all columns on one page width, headers repeated.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "2:2"


def _number_text(value: Decimal) -> str:
    value = Decimal(value).normalize()
    return f"{value:f}"


def _target_cells(case: Case) -> tuple[object, str]:
    """目标值 and 单位 of a case's targets: a number for one plain target, else "≥5；≥20"."""
    inds = list(case.indicators)
    if not inds:
        return None, ""
    if len(inds) == 1 and inds[0].comparator == "=" and inds[0].value_max is None:
        value = Decimal(inds[0].value).normalize()
        return (int(value) if value == value.to_integral_value() else float(value)), inds[0].unit
    texts = []
    for ind in inds:
        text = _number_text(ind.value) + (f"-{_number_text(ind.value_max)}" if ind.value_max is not None else "")
        texts.append(("" if ind.comparator == "=" else ind.comparator) + text)
    units = [i.unit for i in inds]
    return "；".join(texts), (units[0] if len(set(units)) == 1 else "；".join(units))


def _milestones_text(case: Case, year: int) -> str:
    parts = []
    for m in case.milestones:
        if find_deadline(m.title, year) == m.due_date:
            parts.append(m.title)
        else:
            parts.append(f"{m.due_date.year}年{m.due_date.month}月{m.due_date.day}日：{m.title}")
    return "；".join(parts)


def _owner_text(case: Case, users_by_name: dict) -> str:
    if case.owner is None:
        return ""
    name = f"{case.owner.first_name}{case.owner.last_name}"
    return name if len(users_by_name.get(_norm(name), [])) == 1 else case.owner.username


def _write_case_rows(ws, cases: list[Case], year: int, users_by_name: dict) -> None:
    for n, case in enumerate(cases, start=1):
        target, unit = _target_cells(case)
        ws.append([
            n, str(case.action) if case.action else "", case.text or case.title,
            case.lead_department.name if case.lead_department else "",
            "、".join(d.name for d in case.partner_departments), _owner_text(case, users_by_name),
            case.deadline, _milestones_text(case, year), target, unit,
            KIND_LABELS_ZH[case.list_kind], case.source_key,
        ])
        r = ws.max_row
        for col in range(1, len(HEADERS) + 2):
            cell = ws.cell(row=r, column=col)
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        ws.cell(row=r, column=7).number_format = _DATE_FORMAT
        ws.cell(row=r, column=len(HEADERS) + 1).fill = _KEY_FILL


def _to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_template(kind: str) -> bytes:
    """An empty list of one kind: headers, drop-downs, and a sheet of instructions and names."""
    if kind not in LIST_KINDS:
        raise ListFileError(_("Unknown list type “%(text)s” (write 任务清单, 政策清单 or 项目清单).", text=kind))
    plan = latest_plan()
    wb = Workbook()
    ws = wb.active
    ws.title = KIND_LABELS_ZH[kind]
    _write_sheet_frame(ws, f"{KIND_LABELS_ZH[kind]}（填报单位：          ）")
    for r in range(3, 53):
        for col in range(1, len(HEADERS) + 2):
            ws.cell(row=r, column=col).border = _BORDER
        ws.cell(row=r, column=7).number_format = _DATE_FORMAT
        ws.cell(row=r, column=11).value = KIND_LABELS_ZH[kind]
    help_ws = wb.create_sheet("填写说明")
    help_ws.column_dimensions["A"].width = 14
    help_ws.column_dimensions["B"].width = 70
    help_ws.column_dimensions["D"].width = 36
    help_ws.column_dimensions["E"].width = 30
    for line in _template_help(plan):
        help_ws.append(line)
    actions = [str(a) for a in db.session.scalars(
        select(Action).where(Action.plan_id == plan.id).order_by(Action.index))] if plan else []
    departments = list(db.session.scalars(
        select(Department.name).where(Department.kind != "task_force").order_by(Department.kind, Department.name)))
    help_ws["D1"], help_ws["E1"] = "所属行动（可选值）", "单位（可选值）"
    for i, text in enumerate(actions, start=2):
        help_ws.cell(row=i, column=4, value=text)
    for i, text in enumerate(departments, start=2):
        help_ws.cell(row=i, column=5, value=text)
    validations = [
        ("B3:B500", f"'填写说明'!$D$2:$D${max(len(actions), 1) + 1}"),
        ("D3:D500", f"'填写说明'!$E$2:$E${max(len(departments), 1) + 1}"),
        ("K3:K500", '"任务清单,政策清单,项目清单"'),
    ]
    for ref, formula in validations:
        # A warning, not a stop: several units in one cell and new names must stay possible.
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, errorStyle="warning",
                            showErrorMessage=True, error="不在可选值中，请核对（可继续）。")
        dv.add(ref)
        ws.add_data_validation(dv)
    return _to_bytes(wb)


def _template_help(plan: Plan | None) -> list[list[str]]:
    year = plan.year if plan else dt.date.today().year
    return [
        ["列名", "填写要求"],
        ["序号", "可不填；仅用于排序显示。"],
        ["所属行动", "必填；从下拉框选择，或写“行动一”“（一）”“产业培塑行动”。同一行动的连续各行可合并单元格或只填第一行。"],
        ["任务内容", "必填；一行一项任务。"],
        ["牵头单位", "新增任务应填写（不填则待专班指定）；填系统中的单位全称或简称；多个单位用“、”分隔时，第一个为牵头单位，其余作配合单位。"],
        ["配合单位", "可不填；多个单位用“、”分隔。"],
        ["牵头负责人", "可不填；须为系统用户（姓名或用户名）。"],
        ["（不填与“无”）", "更新已有任务时，牵头单位、配合单位、牵头负责人、时间节点、目标值不填表示保持原值；填“无”表示清空。"],
        ["完成时限", f"必填；可写 {year}年6月30日、{year}/6/30、6月底、年底、三季度末 等。"],
        ["时间节点", "可不填；多个节点用“；”或换行分隔，每个节点须含日期，如“6月底前完成方案；9月底前开工”。"],
        ["目标值", "可不填；数字，可写 ≥5、5以上、≤3、1-2；多个目标用“；”分隔。"],
        ["单位", "目标值的计量单位，如 个、亿元、%；多个目标时按顺序用“；”分隔。"],
        ["清单类型", "任务清单、政策清单或项目清单；不填时按工作表名称判断。"],
        ["编号", "系统导出时生成，用于再次导入时更新原任务，请勿修改；新增任务留空。"],
    ]


def export_cases(actor: Actor | None = None, *, kind: str | None = None, department: str | None = None,
                 within=None, title: str | None = None) -> tuple[bytes, int]:
    """Export the cases the actor may see as a workbook in the import format; (bytes, count).

    `kind` limits to one list (one sheet); without it every list gets its sheet.
    `department` (name or short name) keeps the cases it leads; `within` is an optional
    selectable of case ids (a filtered case list). `actor=None` is the trusted CLI.
    """
    if kind is not None and kind not in LIST_KINDS:
        raise ListFileError(_("Unknown list type “%(text)s” (write 任务清单, 政策清单 or 项目清单).", text=kind))
    plan = latest_plan()
    if plan is None:
        raise ListFileError(_("No plan is loaded yet: load a plan first (flask plan load)."))
    query = select(Case).join(Action, Case.action_id == Action.id, isouter=True).where(Case.plan_id == plan.id)
    heading = title or ""
    if department:
        dept_row = db.session.scalar(select(Department).where(
            (Department.name == department.strip()) | (Department.short_name == department.strip())))
        if dept_row is None:
            names = list(db.session.scalars(select(Department.name)))
            raise ListFileError(_("Unknown department “%(name)s”", name=department)
                                + _did_you_mean(_suggest(department, names)))
        query = query.where(Case.lead_department_id == dept_row.id)
        heading = heading or dept_row.name
    if actor is not None:
        query = query.where(visible_cases_clause(actor))
    if within is not None:
        query = query.where(Case.id.in_(within))
    cases = list(db.session.scalars(query.order_by(Action.index, Case.seq, Case.id)))
    from flask_appbuilder.security.sqla.models import User

    users_by_name: dict[str, list] = {}
    for user in db.session.scalars(select(User)):
        users_by_name.setdefault(_norm(f"{user.first_name}{user.last_name}"), []).append(user)
    wb = Workbook()
    wb.remove(wb.active)
    for list_kind in ([kind] if kind else LIST_KINDS):
        ws = wb.create_sheet(KIND_LABELS_ZH[list_kind])
        label = f"{heading}{KIND_LABELS_ZH[list_kind]}" if heading else KIND_LABELS_ZH[list_kind]
        _write_sheet_frame(ws, f"{label}（{plan.title}，{plan.year}年）")
        _write_case_rows(ws, [c for c in cases if c.list_kind == list_kind], plan.year, users_by_name)
    return _to_bytes(wb), len(cases) if not kind else sum(1 for c in cases if c.list_kind == kind)


# ---------------------------------------------------------------------------------------
# Uploads kept between the preview and the confirmation
# ---------------------------------------------------------------------------------------


def _stash_dir() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "list-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stash_upload(data: bytes, file_name: str, user_id: int) -> str:
    """Keep an uploaded workbook until it is confirmed; return its token."""
    folder = _stash_dir()
    cutoff = time.time() - 24 * 3600
    for old in folder.glob("*"):
        if old.stat().st_mtime < cutoff:  # an abandoned preview
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(18)
    (folder / f"{token}.xlsx").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"user_id": user_id, "file_name": file_name}))
    return token


def load_upload(token: str, user_id: int) -> tuple[bytes, str]:
    """The stashed workbook of this user, or ListFileError when gone or someone else's."""
    folder = _stash_dir()
    meta_path = folder / f"{token}.json"
    if not _STASH_TOKEN.match(token or "") or not meta_path.exists():
        raise ListFileError(_("The uploaded file has expired: upload it again."))
    meta = json.loads(meta_path.read_text())
    if meta["user_id"] != user_id:
        raise ListFileError(_("The uploaded file has expired: upload it again."))
    return (folder / f"{token}.xlsx").read_bytes(), meta["file_name"]


def drop_upload(token: str) -> None:
    """Forget a stashed workbook once it is imported."""
    if _STASH_TOKEN.match(token or ""):
        for suffix in (".xlsx", ".json"):
            (_stash_dir() / f"{token}{suffix}").unlink(missing_ok=True)
