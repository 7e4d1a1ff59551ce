"""Writing an import: plan the file again, then write every row in one transaction, or nothing."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.clock import local_today
from app.extensions import db
from app.models import Case, Indicator, Milestone, Plan, utcnow
from app.services.lists.errors import ListImportError
from app.services.lists.planning import plan_import
from app.services.lists.preview import ImportPreview, RowPlan
from app.services.plans import latest_plan
from workflows.lists.cells import KEEP, title_from
from workflows.targets import classify
from workflows.vocabulary import Actor, State


def apply_import(data: bytes, file_name: str, actor: Actor) -> ImportPreview:
    """Plan the file again and write every row in one transaction; nothing if any row has an error."""
    preview = plan_import(data, file_name, actor)
    if preview.has_errors:
        raise ListImportError(_("The file has errors: nothing was imported. Correct the rows listed and upload again."),
                              preview)
    plan = latest_plan()
    try:
        ids = [r.case_id for r in preview.rows if r.status == "update"]
        locked = {c.id: c for c in db.session.scalars(
            select(Case).where(Case.id.in_(ids)).with_for_update(of=Case, key_share=True))} if ids else {}
        for row in preview.rows:
            if row.status == "update" and locked[row.case_id].version != row.case_version:
                raise ListImportError(_("Cases changed while importing: preview the file again."), preview)
        next_seq: dict[int | None, int] = dict(db.session.execute(
            select(Case.action_id, func.max(Case.seq)).where(Case.plan_id == plan.id).group_by(Case.action_id)).all())
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
    title = title_from(v["content"])
    case = Case(
        plan_id=plan.id, action_id=action.id, source_key=row.key, seq=next_seq[action.id],
        title=title, text=v["content"], list_kind=row.list_kind,
        lead_department_id=lead.id if lead else None, lead_basis="named" if lead else "none",
        owner_id=v["owner"].id if v["owner"] not in (None, KEEP) else None,
        # A new case starts today (within its plan's year), never after its deadline.
        start_date=min(max(dt.date(plan.year, 1, 1), min(today, dt.date(plan.year, 12, 31))), v["deadline"]),
        deadline=v["deadline"], original_deadline=v["deadline"], state=State.ASSIGNED.value, assigned_at=utcnow(),
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
        row.kind = classify(row.name, row.quote or "", row.unit, row.comparator)
    for row in current[len(wanted):]:
        case.indicators.remove(row)
        db.session.delete(row)
