"""What an import would do, row by row: the preview shown before anything is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _

from workflows.lists.columns import STATUS_LABELS


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
