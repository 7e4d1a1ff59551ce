"""Loading a plan file (YAML) into the database, and dumping it back as JSON.

A plan file is validated whole before anything is written; the load runs in one
transaction and upserts by natural keys, so loading the same file twice changes
nothing. Errors name the key path and the line of the file, in Chinese.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from sqlalchemy import select

from app.extensions import db
from app.models import (
    DEPARTMENT_KINDS,
    INDICATOR_KINDS,
    LEAD_BASES,
    LIST_KINDS,
    REPORTING_FREQUENCIES,
    Action,
    Case,
    Department,
    Goal,
    Indicator,
    Plan,
    utcnow,
)
from workflows.targets import Kind, classify

DEFAULT_PLAN_FILE = Path(__file__).resolve().parents[1] / "data" / "plans" / "hecheng-eight-actions-2024.yaml"
COMPARATORS = ("≥", "≤", "=")


class PlanFileError(ValueError):
    """A plan file that cannot be loaded; the message says where and why, in Chinese."""


class _Node(dict):
    """A mapping that remembers the line it started on."""

    line = 0


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings carry their line numbers, for error messages."""


def _construct_mapping(loader, node):
    mapping = _Node(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay text until the validator parses them, so a bad date is reported with
# its key and line instead of failing inside the YAML parser.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class LoadResult:
    """What a load did: the plan and how many rows it created or changed."""

    plan: Plan
    created: int
    updated: int
    demo: bool = False  # the plan is the living demo's shifted copy: left as it is


def read_plan_file(path: Path | str) -> tuple[_Node, str]:
    """Parse a plan file; return the data and its SHA-256."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlanFileError(f"无法读取方案文件 {path}：{exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlanFileError(f"{path.name}：文件不是 UTF-8 编码") from exc
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else ""
        raise PlanFileError(f"{path.name}{where}：YAML 格式错误（{getattr(exc, 'problem', exc)}）") from exc
    if not isinstance(data, dict):
        raise PlanFileError(f"{path.name}：文件内容应为一个映射（title、year、goals、actions …）")
    return data, hashlib.sha256(raw).hexdigest()


class _Validator:
    """Walks the parsed file, collecting typed values or raising PlanFileError."""

    def __init__(self, file_name: str):
        self.file_name = file_name

    def fail(self, node, key_path: str, message: str):
        line = getattr(node, "line", 0)
        where = f"第{line}行，" if line else ""
        raise PlanFileError(f"{self.file_name}：{where}{key_path}：{message}")

    def require(self, node, key: str, key_path: str):
        if not isinstance(node, dict) or key not in node or node[key] in (None, ""):
            self.fail(node, f"{key_path}.{key}" if key_path else key, "缺少必填项")
        return node[key]

    def text(self, node, key, key_path, *, required=True, max_length=None):
        value = self.require(node, key, key_path) if required else node.get(key)
        if value is None:
            return None
        if not isinstance(value, (str, int, float)):
            self.fail(node, f"{key_path}.{key}", "应为文字")
        value = str(value).strip()
        if max_length and len(value) > max_length:
            self.fail(node, f"{key_path}.{key}", f"不能超过{max_length}个字符")
        return value

    def integer(self, node, key, key_path):
        value = self.require(node, key, key_path)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(node, f"{key_path}.{key}", f"应为整数，实为“{value}”")
        return value

    def date(self, node, key, key_path, default):
        value = node.get(key, default) if isinstance(node, dict) else default
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(node, f"{key_path}.{key}", f"日期无效“{value}”（应为 YYYY-MM-DD，如 2024-12-31）")

    def number(self, node, key, key_path, *, required=True):
        value = self.require(node, key, key_path) if required else node.get(key)
        if value is None:
            return None
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            return Decimal(str(value))
        except InvalidOperation:
            self.fail(node, f"{key_path}.{key}", f"应为数值，实为“{value}”")

    def choice(self, node, key, key_path, choices, default):
        value = node.get(key, default) if isinstance(node, dict) else default
        if value not in choices:
            self.fail(node, f"{key_path}.{key}", f"取值“{value}”无效，应为 {' / '.join(choices)} 之一")
        return value

    def items(self, node, key, key_path, *, required=True):
        value = node.get(key) if isinstance(node, dict) else None
        if value is None:
            if required:
                self.fail(node, f"{key_path}.{key}" if key_path else key, "缺少必填项")
            return []
        if not isinstance(value, list):
            self.fail(node, f"{key_path}.{key}" if key_path else key, "应为列表")
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.fail(node, f"{key_path}.{key}[{i}]", "应为映射")
        return value


def parse_plan(data: dict, file_name: str, known_departments: dict[str, str]) -> dict:
    """Validate a parsed plan file into plain typed data, or raise PlanFileError.

    `known_departments` maps names and short names already in the database to names,
    so a file may refer to departments loaded before.
    """
    v = _Validator(file_name)
    year = v.integer(data, "year", "")
    plan = {
        "title": v.text(data, "title", "", max_length=200),
        "year": year,
        "issuer": v.text(data, "issuer", "", required=False),
    }
    default_deadline = v.date(data, "default_deadline", "", dt.date(year, 12, 31))

    departments = []
    names = dict(known_departments)
    for i, node in enumerate(v.items(data, "departments", "", required=False)):
        path = f"departments[{i}]"
        dept = {
            "name": v.text(node, "name", path, max_length=100),
            "short_name": v.text(node, "short_name", path, required=False, max_length=50),
            "kind": v.choice(node, "kind", path, DEPARTMENT_KINDS, "district_department"),
            "action": node.get("action"),
        }
        if dept["action"] is not None and not isinstance(dept["action"], int):
            v.fail(node, f"{path}.action", "应为行动序号（1–8 这样的整数）")
        departments.append(dept)
        for alias in (dept["name"], dept["short_name"]):
            if alias:
                names[alias] = dept["name"]

    def department(node, key, path):
        value = node.get(key)
        if value in (None, ""):
            return None
        if value not in names:
            v.fail(node, f"{path}.{key}", f"未知单位“{value}”，请先在 departments 中登记")
        return names[value]

    def department_list(node, key, path):
        value = node.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            v.fail(node, f"{path}.{key}", "应为单位列表")
        result = []
        for item in value:
            if item not in names:
                v.fail(node, f"{path}.{key}", f"未知单位“{item}”，请先在 departments 中登记")
            result.append(names[item])
        return result

    def indicators(node, path):
        result = []
        for i, ind in enumerate(v.items(node, "indicators", path, required=False)):
            ipath = f"{path}.indicators[{i}]"
            qualitative = ind.get("kind") == Kind.QUALITATIVE
            item = {
                "name": v.text(ind, "name", ipath, max_length=200),
                "value": v.number(ind, "value", ipath, required=not qualitative),
                "value_max": v.number(ind, "value_max", ipath, required=False),
                "unit": v.text(ind, "unit", ipath, required=False) or "",
                "comparator": v.choice(ind, "comparator", ipath, COMPARATORS, "="),
                "year": ind.get("year", year),
                "quote": v.text(ind, "quote", ipath, required=False) or "",
                "responsible_department": department(ind, "responsible_department", ipath),
                "frequency": v.choice(ind, "frequency", ipath, REPORTING_FREQUENCIES, "monthly"),
                "baseline": v.number(ind, "baseline", ipath, required=False),
                "schedule": _schedule(v, ind, ipath),
            }
            # The kind is read from the plan's words unless the file says it.
            item["kind"] = v.choice(
                ind, "kind", ipath, INDICATOR_KINDS,
                classify(item["name"], item["quote"], item["unit"], item["comparator"],
                         has_value=item["value"] is not None),
            )
            result.append(item)
        return result

    def goal_indicators(node, path, title, text):
        """A goal's targets; a goal without a number is one qualitative target (goals 4, 7, 8)."""
        result = indicators(node, path)
        if not result:
            result.append({
                "name": title, "value": None, "value_max": None, "unit": "", "comparator": "=",
                "year": year, "quote": text, "responsible_department": None,
                "frequency": "quarterly", "baseline": None, "schedule": None,
                "kind": Kind.QUALITATIVE.value, "generated": True,
            })
        return result

    goals = []
    for i, node in enumerate(v.items(data, "goals", "")):
        path = f"goals[{i}]"
        title = v.text(node, "title", path, max_length=200)
        text = v.text(node, "text", path, required=False) or ""
        goals.append(
            {
                "index": v.integer(node, "index", path),
                "title": title,
                "text": text,
                "indicators": goal_indicators(node, path, title, text),
            }
        )
    _unique(v, data, "goals", [g["index"] for g in goals])

    actions = []
    for i, node in enumerate(v.items(data, "actions", "")):
        path = f"actions[{i}]"
        cases = []
        keys = set()
        for j, cnode in enumerate(v.items(node, "cases", path, required=False)):
            cpath = f"{path}.cases[{j}]"
            key = str(cnode.get("key") or f"{node.get('index')}-{j + 1}")
            if key in keys:
                v.fail(cnode, f"{cpath}.key", f"重复的任务键“{key}”")
            keys.add(key)
            milestones = []
            for k, mnode in enumerate(v.items(cnode, "milestones", cpath, required=False)):
                mpath = f"{cpath}.milestones[{k}]"
                milestones.append(
                    {
                        "title": v.text(mnode, "title", mpath, max_length=200),
                        "due": v.date(mnode, "due", mpath, None),
                    }
                )
            leads = department_list(cnode, "lead_departments", cpath)
            cases.append(
                {
                    "key": key,
                    "seq": j + 1,
                    "title": v.text(cnode, "title", cpath, max_length=200),
                    "text": v.text(cnode, "text", cpath, required=False) or "",
                    "list_kind": v.choice(cnode, "list_kind", cpath, LIST_KINDS, "task"),
                    "lead_departments": leads,
                    "lead_basis": v.choice(
                        cnode, "lead_basis", cpath, LEAD_BASES, "named" if leads else "none"
                    ),
                    "partner_departments": department_list(cnode, "partner_departments", cpath),
                    "deadline": v.date(cnode, "deadline", cpath, default_deadline),
                    "requires_evidence": bool(cnode.get("requires_evidence", False)),
                    "milestones": milestones,
                    "indicators": indicators(cnode, cpath),
                }
            )
        lead = department(node, "lead_department", path)
        actions.append(
            {
                "index": v.integer(node, "index", path),
                "title": v.text(node, "title", path, max_length=200),
                "subtitle": v.text(node, "subtitle", path, required=False),
                "text": v.text(node, "text", path, required=False) or "",
                "lead_department": lead,
                "lead_basis": v.choice(node, "lead_basis", path, LEAD_BASES, "named" if lead else "none"),
                "indicators": indicators(node, path),
                "cases": cases,
            }
        )
    _unique(v, data, "actions", [a["index"] for a in actions])
    action_indexes = {a["index"] for a in actions}
    for i, dept in enumerate(departments):
        if dept["action"] is not None and dept["action"] not in action_indexes:
            v.fail(data["departments"][i], f"departments[{i}].action", f"没有序号为{dept['action']}的行动")
    plan.update(departments=departments, goals=goals, actions=actions, start=dt.date(year, 1, 1))
    return plan


def _schedule(v: _Validator, node, path):
    """A cumulative target's per-quarter running totals: four numbers, or nothing."""
    value = node.get("schedule")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 4:
        v.fail(node, f"{path}.schedule", "应为四个季度末的累计目标值，如 [2, 5, 8, 10]")
    numbers = [v.number({"q": item}, "q", f"{path}.schedule") for item in value]
    if numbers != sorted(numbers):
        v.fail(node, f"{path}.schedule", "季度累计目标值应逐季不减")
    return [str(n) for n in numbers]


def _unique(v: _Validator, node, key, indexes):
    seen = set()
    for index in indexes:
        if index in seen:
            v.fail(node, key, f"序号{index}重复")
        seen.add(index)


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
    """Load a plan file in one transaction: validate everything, then upsert."""
    data, digest = read_plan_file(path)
    return load_plan_data(data, Path(path).name, digest)


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
    up.assign(plan, issuer=parsed["issuer"], source_digest=digest)
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

    for dept in parsed["departments"]:
        if dept["action"] is not None:
            up.assign(departments[dept["name"]], action_id=actions[dept["action"]].id)
    db.session.flush()
    return LoadResult(plan=plan, created=up.created, updated=up.updated)


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
        "action_id": action.id,
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
                state="assigned",
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
    for case in db.session.scalars(select(Case).where(Case.plan_id == plan.id).order_by(Case.seq, Case.id)):
        cases_by_action.setdefault(case.action_id, []).append(case)
    return {
        "title": plan.title,
        "year": plan.year,
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
                "cases": [
                    {
                        "title": c.title,
                        "text": c.text,
                        "list_kind": c.list_kind,
                        "lead_departments": [c.lead_department.name] if c.lead_department else [],
                        "partner_departments": [d.name for d in c.partner_departments],
                        "deadline": c.deadline.isoformat(),
                        "indicators": by_owner.get(("case_id", c.id), []),
                    }
                    for c in cases_by_action.get(a.id, [])
                ],
            }
            for a in db.session.scalars(select(Action).where(Action.plan_id == plan.id).order_by(Action.index))
        ],
    }


def latest_plan() -> Plan | None:
    """The most recent plan (by year, then load time)."""
    return db.session.scalar(select(Plan).order_by(Plan.year.desc(), Plan.id.desc()).limit(1))
