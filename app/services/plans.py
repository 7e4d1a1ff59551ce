"""Loading a plan file (YAML) into the database, and dumping it back as JSON.

A plan file is validated whole before anything is written (app.services.plan_file); the
load runs in one transaction and upserts by natural keys, so loading the same file twice
changes nothing. Errors name the key path and the line of the file, in Chinese.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Action,
    Case,
    Department,
    Goal,
    Indicator,
    Plan,
    utcnow,
)
from app.services.plan_file import COMPARATORS, PlanFileError, parse_plan, read_plan_file
from workflows.vocabulary import State

__all__ = ["COMPARATORS", "DEFAULT_PLAN_FILE", "LoadResult", "PlanFileError", "dump_plan", "latest_plan",
           "load_plan", "load_plan_data", "parse_plan", "read_plan_file"]

DEFAULT_PLAN_FILE = Path(__file__).resolve().parents[1] / "data" / "plans" / "hecheng-eight-actions-2024.yaml"


@dataclass
class LoadResult:
    """What a load did: the plan and how many rows it created or changed."""

    plan: Plan
    created: int
    updated: int
    demo: bool = False  # the plan is the living demo's shifted copy: left as it is
    new_departments: list = field(default_factory=list)  # created for a JSON file's names


class _Upserter:
    """Sets attributes only when they differ, counting what changed."""

    def __init__(self):
        self.created = 0
        self.updated = 0

    def add(self, obj):
        db.session.add(obj)
        self.created += 1
        return obj

    def assign(self, obj, **values):
        changed = False
        for key, value in values.items():
            current = getattr(obj, key)
            if isinstance(current, Decimal) and value is not None:
                if current == Decimal(value):
                    continue
            elif current == value:
                continue
            setattr(obj, key, value)
            changed = True
        if changed and obj.id is not None:
            self.updated += 1
        return obj


def load_plan(path: Path | str = DEFAULT_PLAN_FILE) -> LoadResult:
    """Load a plan file in one transaction: validate everything, then upsert.

    A JSON file (`flask plan dump --json`, `flask plan extract --json`) may name departments
    the installation does not have: trusted matches are read as the known department, names
    like none are created (`LoadResult.new_departments`), uncertain ones are refused."""
    from app.services.draft_departments import resolve_file_departments

    data, digest = read_plan_file(path)
    new = []
    if _is_json(path):
        new = resolve_file_departments(data)
    result = load_plan_data(data, Path(path).name, digest)
    result.new_departments = new
    return result


def _is_json(path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    except OSError:
        return False


def load_plan_data(data: dict, source_name: str, digest: str | None = None) -> LoadResult:
    """Load plan data (the plan file's shape) in one transaction, or raise PlanFileError."""
    if digest is None:
        import json

        digest = hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()
    known = {}
    for dept in db.session.scalars(select(Department)):
        known[dept.name] = dept.name
        if dept.short_name:
            known[dept.short_name] = dept.name
    parsed = parse_plan(data, source_name, known)
    try:
        result = _write_plan(parsed, digest)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _write_plan(parsed: dict, digest: str) -> LoadResult:
    up = _Upserter()
    plan = db.session.scalar(
        select(Plan).where(Plan.title == parsed["title"], Plan.year == parsed["year"])
    )
    if plan is None:
        demo = _living_demo_plan(parsed)
        if demo is not None:
            return LoadResult(plan=demo, created=0, updated=0, demo=True)
        plan = up.add(Plan(title=parsed["title"], year=parsed["year"]))
    up.assign(plan, issuer=parsed["issuer"], organisation=parsed["organisation"], kind=parsed["kind"],
              source_digest=digest)
    implemented = _implemented_action(parsed)
    up.assign(plan, action_id=implemented.id if implemented else None)
    db.session.flush()

    departments = {d.name: d for d in db.session.scalars(select(Department))}
    for dept in parsed["departments"]:
        row = departments.get(dept["name"]) or up.add(Department(name=dept["name"]))
        up.assign(row, short_name=dept["short_name"], kind=dept["kind"])
        departments[dept["name"]] = row
    db.session.flush()

    goals = {g.index: g for g in db.session.scalars(select(Goal).where(Goal.plan_id == plan.id))}
    for goal in parsed["goals"]:
        row = goals.get(goal["index"]) or up.add(Goal(plan_id=plan.id, index=goal["index"]))
        up.assign(row, title=goal["title"], text=goal["text"])
        db.session.flush()
        _write_indicators(up, plan, goal["indicators"], departments, goal_id=row.id)

    actions = {a.index: a for a in db.session.scalars(select(Action).where(Action.plan_id == plan.id))}
    for action in parsed["actions"]:
        row = actions.get(action["index"]) or up.add(Action(plan_id=plan.id, index=action["index"]))
        lead = departments.get(action["lead_department"]) if action["lead_department"] else None
        up.assign(
            row,
            title=action["title"],
            subtitle=action["subtitle"],
            text=action["text"],
            lead_department_id=lead.id if lead else None,
            lead_basis=action["lead_basis"],
        )
        db.session.flush()
        actions[action["index"]] = row
        _write_indicators(up, plan, action["indicators"], departments, action_id=row.id)
        for case in action["cases"]:
            _write_case(up, plan, row, case, departments, parsed["start"])

    for case in parsed["cases"]:
        _write_case(up, plan, implemented, case, departments, parsed["start"])

    for dept in parsed["departments"]:
        if dept["action"] is not None:
            up.assign(departments[dept["name"]], action_id=actions[dept["action"]].id)
    db.session.flush()
    return LoadResult(plan=plan, created=up.created, updated=up.updated)


def _implemented_action(parsed: dict) -> Action | None:
    """The action an implementation plan implements, or PlanFileError if it is not loaded."""
    target = parsed["implements"]
    if target is None:
        return None
    query = select(Plan).where(Plan.year == target["year"], Plan.kind == "overall")
    if target["plan"]:
        query = select(Plan).where(Plan.year == target["year"], Plan.title == target["plan"])
    parent = db.session.scalar(query.order_by(Plan.id.desc()).limit(1))
    action = parent and db.session.scalar(
        select(Action).where(Action.plan_id == parent.id, Action.index == target["action"])
    )
    if action is None:
        raise PlanFileError(
            f"implements：找不到{target['year']}年"
            f"{'《' + target['plan'] + '》' if target['plan'] else '总体方案'}的第{target['action']}项行动，请先导入总体方案"
        )
    return action


def _living_demo_plan(parsed: dict) -> Plan | None:
    """The living demo's copy of this plan (moved into the current year), if there is one.

    Loading the plan file again must neither duplicate the plan under its own year nor undo
    the demonstration (app/services/living_demo.py).
    """
    from app.services.settings import get_setting

    info = get_setting("demo.living", None)
    if not isinstance(info, dict) or info.get("source_year") != parsed["year"]:
        return None
    plan = db.session.get(Plan, info.get("plan_id"))
    return plan if plan is not None and plan.title == parsed["title"] else None


def _write_case(up, plan, action, case, departments, start):
    from app.models import CaseHistory, Milestone

    row = db.session.scalar(
        select(Case).where(Case.plan_id == plan.id, Case.source_key == case["key"])
    )
    lead = departments[case["lead_departments"][0]] if case["lead_departments"] else None
    # Extra lead units become partners: a case has one accountable department.
    partners = [departments[n] for n in case["lead_departments"][1:] + case["partner_departments"]]
    descriptive = {
        "action_id": action.id if action is not None else None,
        "seq": case["seq"],
        "title": case["title"],
        "text": case["text"],
        "list_kind": case["list_kind"],
        "requires_evidence": case["requires_evidence"],
    }
    if row is None:
        row = up.add(
            Case(
                plan_id=plan.id,
                source_key=case["key"],
                state=State.ASSIGNED.value,
                start_date=start,
                deadline=case["deadline"],
                original_deadline=case["deadline"],
                lead_department_id=lead.id if lead else None,
                lead_basis=case["lead_basis"],
                assigned_at=utcnow(),
                **descriptive,
            )
        )
        row.partner_departments = partners
        db.session.flush()
    else:
        up.assign(row, **descriptive)
        touched = db.session.scalar(select(CaseHistory.id).where(CaseHistory.case_id == row.id).limit(1))
        # Once people have worked on a case, its lead and deadline belong to the
        # workflow (reassign, extension), not to the file.
        if touched is None:
            up.assign(
                row,
                deadline=case["deadline"],
                original_deadline=case["deadline"],
                lead_department_id=lead.id if lead else None,
                lead_basis=case["lead_basis"],
            )
            if {d.id for d in row.partner_departments} != {d.id for d in partners}:
                row.partner_departments = partners
                up.updated += 1
    existing = {(m.title, m.due_date) for m in row.milestones}
    for milestone in case["milestones"]:
        if (milestone["title"], milestone["due"]) not in existing:
            row.milestones.append(up.add(Milestone(title=milestone["title"], due_date=milestone["due"])))
    db.session.flush()
    _write_indicators(up, plan, case["indicators"], departments, case_id=row.id)


def _write_indicators(up, plan, indicators, departments=None, **owner):
    (column, owner_id), = owner.items()
    departments = departments or {}
    rows = {
        i.position: i
        for i in db.session.scalars(select(Indicator).where(getattr(Indicator, column) == owner_id))
    }
    for position, ind in enumerate(indicators, start=1):
        row = rows.get(position) or up.add(Indicator(plan_id=plan.id, position=position, **owner))
        up.assign(
            row,
            name=ind["name"],
            value=ind["value"],
            value_max=ind["value_max"],
            unit=ind["unit"],
            comparator=ind["comparator"],
            year=ind["year"],
            quote=ind["quote"],
            kind=ind["kind"],
            frequency=ind["frequency"],
            baseline=ind["baseline"],
            schedule=ind["schedule"],
        )
        if ind["responsible_department"]:
            up.assign(row, responsible_department_id=departments[ind["responsible_department"]].id)
    for position, row in rows.items():
        if position > len(indicators):
            db.session.delete(row)
            up.updated += 1


def _number(value: Decimal | None):
    if value is None:
        return None
    value = Decimal(value).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def indicator_json(ind: Indicator) -> dict:
    """An indicator in the plan JSON shape."""
    data = {
        "name": ind.name,
        "value": _number(ind.value),
        "unit": ind.unit,
        "comparator": ind.comparator,
        "quote": ind.quote,
        "kind": ind.kind,
    }
    if ind.value_max is not None:
        data["value_max"] = _number(ind.value_max)
    if ind.frequency != "monthly":
        data["frequency"] = ind.frequency
    if ind.baseline is not None:
        data["baseline"] = _number(ind.baseline)
    if ind.schedule:
        data["schedule"] = [_number(Decimal(v)) for v in ind.schedule]
    if ind.responsible_department is not None:
        data["responsible_department"] = ind.responsible_department.name
    return data


def dump_plan(plan: Plan) -> dict:
    """The loaded plan as JSON-ready data (the shape `flask plan dump --json` prints)."""
    goal_rows = db.session.scalars(select(Goal).where(Goal.plan_id == plan.id).order_by(Goal.index))
    indicators = list(
        db.session.scalars(select(Indicator).where(Indicator.plan_id == plan.id).order_by(Indicator.position))
    )
    by_owner: dict[tuple[str, int], list[dict]] = {}
    for ind in indicators:
        if ind.value is None and ind.goal_id:
            continue  # a goal's qualitative target: loading makes it again from the goal
        for column in ("goal_id", "action_id", "case_id"):
            if getattr(ind, column):
                by_owner.setdefault((column, getattr(ind, column)), []).append(indicator_json(ind))
    cases_by_action: dict[int, list[Case]] = {}
    own_actions = set(db.session.scalars(select(Action.id).where(Action.plan_id == plan.id)))
    for case in db.session.scalars(select(Case).where(Case.plan_id == plan.id).order_by(Case.seq, Case.id)):
        cases_by_action.setdefault(case.action_id if case.action_id in own_actions else None, []).append(case)

    def case_json(c: Case) -> dict:
        data = {
            "key": c.source_key,
            "title": c.title,
            "text": c.text,
            "list_kind": c.list_kind,
            "lead_departments": [c.lead_department.name] if c.lead_department else [],
            "partner_departments": [d.name for d in c.partner_departments],
            "deadline": c.deadline.isoformat(),
            "indicators": by_owner.get(("case_id", c.id), []),
        }
        if c.milestones:
            data["milestones"] = [{"title": m.title, "due": m.due_date.isoformat()} for m in c.milestones]
        if c.requires_evidence:
            data["requires_evidence"] = True
        return data

    extra: dict = {}
    if plan.kind != "overall":
        extra["kind"] = plan.kind
    if plan.action is not None:
        extra["implements"] = {"plan": plan.action.plan.title, "year": plan.action.plan.year,
                               "action": plan.action.index}
    if cases_by_action.get(None):
        extra["cases"] = [case_json(c) for c in cases_by_action[None]]
    return {
        "title": plan.title,
        "year": plan.year,
        **extra,
        "goals": [
            {"index": g.index, "title": g.title, "indicators": by_owner.get(("goal_id", g.id), [])}
            for g in goal_rows
        ],
        "actions": [
            {
                "index": a.index,
                "title": a.title,
                "subtitle": a.subtitle,
                "lead_department": a.lead_department.name if a.lead_department else None,
                "indicators": by_owner.get(("action_id", a.id), []),
                "cases": [case_json(c) for c in cases_by_action.get(a.id, [])],
            }
            for a in db.session.scalars(select(Action).where(Action.plan_id == plan.id).order_by(Action.index))
        ],
    }


def latest_plan() -> Plan | None:
    """The most recent overall plan (by year, then load time); else the most recent plan.

    A 民生实事 list or next year's implementation plan loaded beside it does not take over.
    """
    from app.services.plan_scope import default_plan

    return default_plan()
