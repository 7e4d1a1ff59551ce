"""Reading and checking a plan file (YAML): the file's format, with errors by key and line.

A plan file is validated whole before anything is written (app.services.plans loads it);
errors name the key path and the line of the file, in Chinese.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from app.models import (
    DEPARTMENT_KINDS,
    INDICATOR_KINDS,
    LEAD_BASES,
    LIST_KINDS,
    PLAN_KINDS,
    REPORTING_FREQUENCIES,
)
from workflows import errors, organisation
from workflows.report_kinds import KINDS as REPORT_KINDS
from workflows.targets import Kind, classify

COMPARATORS = ("≥", "≤", "=")


class PlanFileError(errors.InvalidInput, ValueError):
    """A plan file that cannot be loaded; the message says where and why, in Chinese."""

    code = "plan_file_error"


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


def _organisation(v: _Validator, data: dict) -> dict | None:
    """The `organisation:` block (workflows.organisation), checked; None when the file has none."""
    try:
        return organisation.parse_block(data.get("organisation"), REPORT_KINDS)
    except organisation.BlockError as exc:
        v.fail(exc.node if exc.node is not None else data, exc.key_path, exc.message)


def parse_plan(data: dict, file_name: str, known_departments: dict[str, str]) -> dict:
    """Validate a parsed plan file into plain typed data, or raise PlanFileError.

    `known_departments` maps names and short names already in the database to names,
    so a file may refer to departments loaded before.
    """
    v = _Validator(file_name)
    year = v.integer(data, "year", "")
    kind = v.choice(data, "kind", "", PLAN_KINDS, "overall")
    plan = {
        "title": v.text(data, "title", "", max_length=200),
        "year": year,
        "issuer": v.text(data, "issuer", "", required=False),
        "organisation": _organisation(v, data),
        "kind": kind,
        "implements": _implements(v, data, kind, year),
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
    for i, node in enumerate(v.items(data, "goals", "", required=kind == "overall")):
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

    def parse_cases(node, path, default_prefix):
        cases = []
        keys = set()
        for j, cnode in enumerate(v.items(node, "cases", path, required=False)):
            cpath = f"{path}.cases[{j}]" if path else f"cases[{j}]"
            key = str(cnode.get("key") or f"{default_prefix}-{j + 1}")
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
        return cases

    actions = []
    for i, node in enumerate(v.items(data, "actions", "", required=kind == "overall")):
        path = f"actions[{i}]"
        cases = parse_cases(node, path, node.get("index"))
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
    # Plans other than the overall plan may list their cases directly (an implementation
    # plan's belong to the action it implements; a 民生实事 list's to no action).
    plan.update(departments=departments, goals=goals, actions=actions, start=dt.date(year, 1, 1),
                cases=parse_cases(data, "", "c"))
    return plan


def _implements(v: _Validator, data, kind: str, year: int) -> dict | None:
    """An implementation plan names the action it implements: {plan, year, action}."""
    node = data.get("implements")
    if kind != "implementation":
        if node is not None:
            v.fail(data, "implements", "只有实施方案（kind: implementation）才能指明所实施的行动")
        return None
    if not isinstance(node, dict):
        v.fail(data, "implements", "实施方案须指明所实施的行动，如 {plan: 总体方案标题, year: 2024, action: 1}")
    target_year = node.get("year", year)
    if isinstance(target_year, bool) or not isinstance(target_year, int):
        v.fail(node, "implements.year", f"应为整数，实为“{target_year}”")
    return {
        "plan": v.text(node, "plan", "implements", required=False, max_length=200),
        "year": target_year,
        "action": v.integer(node, "action", "implements"),
    }


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
