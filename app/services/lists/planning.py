"""Planning an import: read, match and check every row against the database; writes nothing.

Every row is matched to a case (by its 编号, else by action and normalised task text),
checked, and given a status (create, update, unchanged, error) with its problems by row
and column. The cell grammar (targets, milestones, list kinds) is `workflows.lists`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from flask_babel import gettext as _

from app.models import Action, Case, Department
from app.services.lists.errors import ListFileError, ListPermissionError
from app.services.lists.matching import Lookups, did_you_mean
from app.services.lists.preview import ImportPreview, Problem, RowPlan
from app.services.lists.reading import SheetRow, SheetTable, read_tables
from app.services.plans import latest_plan
from workflows import permissions
from workflows.dates import parse_deadline_strict
from workflows.lists.cells import KEEP, Finding, cell_text, is_cleared, norm, split_departments
from workflows.lists.columns import CONTENT_FIELDS, HEADER_BY_FIELD, WORKFLOW_FIELDS, kind_of
from workflows.lists.matching import suggest
from workflows.lists.milestones import parse_milestones
from workflows.lists.targets import indicator_key, parse_targets
from workflows.vocabulary import Actor


def can_import_lists(actor: Actor) -> bool:
    """Only the supervision office and admins import lists (the CLI passes SYSTEM, an admin)."""
    return permissions.can_import_lists(actor)


def require_importer(actor: Actor) -> None:
    """Raise ListPermissionError unless the actor may import lists."""
    if not can_import_lists(actor):
        raise ListPermissionError(_("Only the supervision office and administrators may import lists."))


class _Row:
    """Reads one sheet row's cells into typed values, collecting problems."""

    def __init__(self, source: SheetRow, plan: RowPlan):
        self.source = source
        self.plan = plan

    def has(self, field_name: str) -> bool:
        return field_name in self.source.columns

    def text(self, field_name: str) -> str:
        return cell_text(self.source.values.get(field_name))

    def raw(self, field_name: str):
        return self.source.values.get(field_name)

    def cleared(self, field_name: str) -> bool:
        return is_cleared(self.text(field_name))

    def problem(self, field_name: str | None, message: str, level: str = "error") -> None:
        letter, header = self.source.columns.get(field_name, ("", "")) if field_name else ("", "")
        self.plan.problems.append(Problem(self.source.sheet, self.source.row, letter, header, message, level))

    def findings(self, findings: list[Finding]) -> None:
        """Problems found by the cell parsers of `workflows.lists`, translated."""
        for f in findings:
            self.problem(f.field, _(f.msgid, **f.params), f.level)


def _departments(row: _Row, field_name: str, text: str, look: Lookups) -> list[Department]:
    found: list[Department] = []
    for name in split_departments(text):
        dept = look.department(name)
        if dept is None:
            row.problem(field_name, _("Unknown department “%(name)s”", name=name) + look.suggest_department(name))
        else:
            found.append(dept)
    return found


def _plan_row(source: SheetRow, table: SheetTable, look: Lookups, carried_action: Action | None,
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
            row.problem("action", _("Unknown action “%(text)s”", text=action_text) + did_you_mean(suggestions))
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
    for dept in _departments(row, "lead", lead_text, look):
        if dept not in leads:
            leads.append(dept)
    plan.lead = "、".join(d.name for d in leads) or lead_text
    values["lead"] = leads[0] if leads else (None if row.cleared("lead") else KEEP)

    partners: list[Department] = list(leads[1:])  # extra lead units become partners
    partner_text = "" if row.cleared("partners") else row.text("partners")
    for dept in _departments(row, "partners", partner_text, look):
        if dept not in partners and dept not in leads[:1]:
            partners.append(dept)
    values["partners"] = partners if (row.text("partners") or len(leads) > 1) else KEEP

    values["owner"] = _owner(row, look)
    plan.deadline = values["deadline"] = _deadline(row, year)

    milestones, findings = parse_milestones(row.raw("milestones"), year)
    row.findings(findings)
    values["milestones"] = milestones
    indicators, findings = parse_targets(row.raw("target"), row.text("unit"))
    row.findings(findings)
    values["indicators"] = indicators

    # 清单类型: the cell, else (for a new case) the sheet's name, else the task list.
    kind = None
    if norm(row.text("list_kind")):
        kind = kind_of(row.text("list_kind"))
        if kind is None:
            row.problem("list_kind", _("Unknown list type “%(text)s” (write 任务清单, 政策清单 or 项目清单).",
                                       text=row.text("list_kind")))
    values["list_kind"] = kind
    plan.list_kind = kind or table.default_kind or "task"

    case = _match_case(row, look, action, content, seen)
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


def _owner(row: _Row, look: Lookups):
    """牵头负责人 → a user, None (cleared) or KEEP."""
    owner_text = row.text("owner")
    owner = None if row.cleared("owner") else KEEP
    if owner_text and not row.cleared("owner"):
        users = look.user_by_key.get(norm(owner_text), [])
        if len(users) == 1:
            owner = users[0]
        elif users:
            row.problem("owner", _("Several users are called “%(name)s”: write the user name (%(names)s).",
                                   name=owner_text, names="、".join(u.username for u in users)))
        else:
            row.problem("owner", _("Unknown responsible lead “%(name)s”: only users of the system can be named",
                                   name=owner_text) + did_you_mean(suggest(owner_text, look.user_names())))
    return owner


def _deadline(row: _Row, year: int) -> dt.date | None:
    """完成时限 → a date; "长期" and the like give the end of the year with a warning."""
    deadline_raw = row.raw("deadline")
    if not row.has("deadline") or cell_text(deadline_raw) == "":
        if row.has("deadline"):
            row.problem("deadline", _("Missing value: the deadline (完成时限) is empty."))
        else:
            row.problem(None, _("The sheet has no 完成时限 column: every case needs a deadline."))
        return None
    try:
        deadline = parse_deadline_strict(deadline_raw, year)
    except ValueError as exc:
        row.problem("deadline", str(exc))
        return None
    if deadline is None:  # "长期", "持续推进": no fixed date
        deadline = dt.date(year, 12, 31)
        row.problem("deadline", _("“%(text)s” gives no fixed date: the deadline is set to the end of the year (%(date)s).",
                                  text=cell_text(deadline_raw), date=deadline.isoformat()), "warning")
    return deadline


def _match_case(row: _Row, look: Lookups, action: Action | None, content: str, seen: dict) -> Case | None:
    """Which case is this? Its 编号, else the same task text under the same action."""
    plan, source = row.plan, row.source
    key = row.text("key")
    case = None
    if key:
        if len(key) > 64 or not re.fullmatch(r"[\w\-.]+", key):
            row.problem("key", _("编号 “%(key)s” is not valid: leave it as exported, or empty for a new task.", key=key))
        case = look.case_by_key.get(key)
    if case is None and content:
        case = look.case_by_text.get((action.id if action else None, norm(content)))
    if case is None and not key and content:
        digest = hashlib.sha1(f"{action.index if action else 0}|{norm(content)}".encode()).hexdigest()
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
    return case


def _diff(case: Case, values: dict, row: _Row, look: Lookups) -> None:
    """Fill the row plan's changes (header names) by comparing with the case."""
    changes = row.plan.changes
    touched = case.id in look.touched
    frozen = []

    def changed(field_name: str, differs: bool) -> None:
        if not differs:
            return
        if touched and field_name in WORKFLOW_FIELDS:
            frozen.append(HEADER_BY_FIELD[field_name])
        else:
            changes.append(HEADER_BY_FIELD[field_name])

    if values["action"] is not None:
        changed("action", values["action"].id != case.action_id)
    current_text = case.text or case.title
    changed("content", norm(values["content"]) not in {norm(current_text), norm(case.title) if not case.text else None})
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
        current = [indicator_key(i) for i in case.indicators]
        wanted = [indicator_key(i) for i in values["indicators"]]
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


def plan_import(data: bytes, file_name: str, actor: Actor) -> ImportPreview:
    """Read a workbook and plan its import against the latest plan; writes nothing."""
    require_importer(actor)
    plan = latest_plan()
    if plan is None:
        raise ListFileError(_("No plan is loaded yet: load a plan first (flask plan load)."))
    tables, notes = read_tables(data, file_name)
    preview = ImportPreview(file_name=file_name, sha256=hashlib.sha256(data).hexdigest(),
                            plan_title=plan.title, plan_year=plan.year, notes=notes)
    look = Lookups(plan)
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
            if not any(cell_text(source.values.get(f)) for f in CONTENT_FIELDS):
                continue  # only 序号, 所属行动 or 清单类型: an unused template row
            row_plan, carried = _plan_row(source, table, look, carried, seen)
            preview.rows.append(row_plan)
    if not preview.rows:
        preview.notes.append(_("The file has a list header but no task rows."))
    return preview
