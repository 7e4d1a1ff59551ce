"""三看三评三比 as data: the evaluation scheme the office edits (plain Python, issue 12 part 1).

The plan's part 三 (三): task forces (专班), district departments and townships/streets are
evaluated by 三看 (goal completion, scheduling, key-task progress), 三评 (results, duty
performance, hard problems solved) and 三比 (drive, performance, conduct).

A `Scheme` is what the office edits; every edit is a new version, and each result records
the version it was computed with. It holds:

- three dimensions with their sub-criteria and weights (the weights add up to 100). The
  三看 criteria are computed from the data (`COMPUTED` names the rule of each); the others
  are scored by the office, 0 up to the criterion's weight, by one or more scorers
  (averaged), each with a comment;
- point deductions (per red light, per return, per stale-report reminder, per urge, per
  submission waiting for verification past its deadline), each with a cap and the peer
  groups it applies to; they are taken off 三看 (they come from the same data);
- the credits the computed rules give (an indicator's light, a task finished late);
- peer groups, scored and ranked separately (by the units' kind).

Scoring is `workflows.evaluation_scoring`. No Flask, no SQLAlchemy.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from workflows.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from workflows.periods import Period, PeriodKind, parse_period

__all__ = [
    "COMPUTED",
    "DEFAULT_SCHEME",
    "Criterion",
    "Deduction",
    "Dimension",
    "Group",
    "Scheme",
    "SchemeInvalid",
    "ScoreInvalid",
    "parse_score",
    "scheme_from_dict",
]

# The computed 三看 criteria: key → what the rule reads (the office renames and weighs them).
COMPUTED = {
    "goals": "本单位负责的指标按类别对照目标和序时进度的红黄绿灯，绿灯、黄灯、红灯、未报送分别计系数",
    "scheduling": "任务未完成期间每旬是否报送进展（进展反馈或报送核验），按时报送的旬数占应报旬数的比例",
    "key_tasks": "任务对照首次确定的完成时限（经批准延期的按延期后时限）：按时完成或按时报送计1，超期完成计系数，"
                 "逾期未完成计0，未到期的按进度与序时进度之比",
}
# Deduction kinds the data can count.
# task_force_report: a task force's 专班报送 (亮点/难点堵点/下步计划) for a dekad brief or a monthly
# bulletin of the period came late or not at all (workflows.task_force_reports). Not in the
# default scheme: the office adds it to its scheme (groups ["task_force"]) when it wants it.
DEDUCTION_KINDS = ("red_light", "return", "late_report", "urge", "waiting_verification", "task_force_report")
# Credits the computed rules give; the office may change them.
CREDIT_KEYS = ("green", "yellow", "red", "unreported", "late_done")

DEFAULT_SCHEME: dict = {
    "name": "“三看三评三比”评价方案",
    "dimensions": [
        {"key": "kan", "name": "三看", "criteria": [
            {"key": "goals", "name": "看主要目标完成情况", "weight": 20, "computed": True},
            {"key": "scheduling", "name": "看工作调度情况", "weight": 15, "computed": True},
            {"key": "key_tasks", "name": "看重点任务推进情况", "weight": 15, "computed": True},
        ]},
        {"key": "ping", "name": "三评", "criteria": [
            {"key": "results", "name": "评工作成效", "weight": 10, "computed": False},
            {"key": "duty", "name": "评履职成效", "weight": 10, "computed": False},
            {"key": "hard_problems", "name": "评攻坚克难成效", "weight": 10, "computed": False},
        ]},
        {"key": "bi", "name": "三比", "criteria": [
            {"key": "drive", "name": "比干劲", "weight": 7, "computed": False},
            {"key": "performance", "name": "比业绩", "weight": 7, "computed": False},
            {"key": "conduct", "name": "比作风", "weight": 6, "computed": False},
        ]},
    ],
    "deductions": [
        {"key": "red_light", "name": "期末红灯任务", "points": 1, "cap": 10,
         "groups": ["district_department", "township", "task_force"]},
        {"key": "return", "name": "报送材料被退回", "points": 0.5, "cap": 5,
         "groups": ["district_department", "township"]},
        {"key": "late_report", "name": "超期未报进展被系统提醒", "points": 0.2, "cap": 5,
         "groups": ["district_department", "township"]},
        {"key": "urge", "name": "被督查室或专班催办", "points": 0.5, "cap": 5,
         "groups": ["district_department", "township"]},
        {"key": "waiting_verification", "name": "已报送待核验超期（核验单位）", "points": 0.5, "cap": 5,
         "groups": ["task_force"]},
    ],
    "credits": {"green": 1, "yellow": 0.6, "red": 0.2, "unreported": 0, "late_done": 0.5},
    "groups": [
        {"key": "task_force", "name": "行动专班", "kinds": ["task_force"]},
        {"key": "district_department", "name": "区直部门", "kinds": ["district_department"]},
        {"key": "township", "name": "乡镇（街道）", "kinds": ["township"]},
    ],
}


class SchemeInvalid(InvalidInput):
    """The office's scheme cannot be used as it stands."""

    code = "evaluation_scheme_invalid"
    msgid = N_("The evaluation scheme is not valid: %(reason)s")


class ScoreInvalid(InvalidInput):
    """A score outside 0 … the criterion's weight."""

    code = "evaluation_score_invalid"
    msgid = N_("The score of “%(criterion)s” must be a number from 0 to %(weight)s.")


class EvaluationPeriodInvalid(InvalidInput):
    """Evaluations are per month, quarter or year."""

    code = "evaluation_period_invalid"
    msgid = N_("“%(period)s” is not an evaluation period: write 2024-Q3 (a quarter), 2024-03 (a month) or 2024 (a year).")


class EvaluationPublished(Conflict):
    """A published evaluation is what the units read: it no longer changes."""

    code = "evaluation_published"
    msgid = N_("The evaluation of %(period)s has been published and can no longer change.")


class EvaluationNotPublished(Conflict):
    code = "evaluation_not_published"
    msgid = N_("The evaluation of %(period)s has not been published.")


class EvaluationNotComputed(Conflict):
    """Publishing (or exporting) needs computed results."""

    code = "evaluation_not_computed"
    msgid = N_("The evaluation of %(period)s has not been computed yet.")


class MayNotRunEvaluation(Forbidden):
    code = "may_not_run_evaluation"
    msgid = N_("Only the supervision office edits the scheme, scores, computes and publishes evaluations.")


class EvaluationNotFound(NotFound):
    code = "evaluation_not_found"
    msgid = N_("There is no evaluation result of this unit for the period, or you may not see it.")


def evaluation_period(text: str) -> Period:
    """A month, quarter or year (2024-03, 2024-Q3, 2024); a dekad or anything else is refused."""
    try:
        period = parse_period(str(text or "").strip().upper())
    except ValueError:
        raise EvaluationPeriodInvalid(period=str(text or "")) from None
    if period.kind == PeriodKind.DEKAD:
        raise EvaluationPeriodInvalid(period=str(text))
    return period


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    weight: Decimal
    computed: bool


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Deduction:
    key: str
    name: str
    points: Decimal
    cap: Decimal
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Scheme:
    """A version of the evaluation scheme."""

    version: int
    name: str
    dimensions: tuple[Dimension, ...]
    deductions: tuple[Deduction, ...]
    credits: dict
    groups: tuple[Group, ...]

    def criteria(self) -> list[tuple[Dimension, Criterion]]:
        return [(d, c) for d in self.dimensions for c in d.criteria]

    def criterion(self, key: str) -> tuple[Dimension, Criterion]:
        """By its full key, "ping.results"."""
        for dimension, criterion in self.criteria():
            if f"{dimension.key}.{criterion.key}" == key:
                return dimension, criterion
        raise KeyError(key)

    def scored_criteria(self) -> list[tuple[str, Criterion]]:
        """The criteria the office scores, by full key."""
        return [(f"{d.key}.{c.key}", c) for d, c in self.criteria() if not c.computed]

    def group_of(self, kind: str) -> Group | None:
        return next((g for g in self.groups if kind in g.kinds), None)

    def credit(self, key: str) -> Decimal:
        return Decimal(str(self.credits[key]))


def _number(value, what: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise SchemeInvalid(reason=f"{what}“{value}”不是数字") from None
    if not number.is_finite() or not low <= number <= high:
        raise SchemeInvalid(reason=f"{what}应在{low}至{high}之间") from None
    return number


def _text(value, what: str, limit: int = 60) -> str:
    text = str(value or "").strip()
    if not text or len(text) > limit:
        raise SchemeInvalid(reason=f"{what}不能为空，且不超过{limit}个字")
    return text


def scheme_from_dict(data: dict, version: int = 0) -> Scheme:
    """Read and check a scheme as stored (JSON); SchemeInvalid says what is wrong, in Chinese."""
    if not isinstance(data, dict):
        raise SchemeInvalid(reason="格式不正确")
    dimensions = []
    keys = set()
    for d in data.get("dimensions") or ():
        criteria = []
        for c in d.get("criteria") or ():
            key = f"{d.get('key')}.{c.get('key')}"
            if key in keys:
                raise SchemeInvalid(reason=f"细则“{key}”重复")
            keys.add(key)
            computed = bool(c.get("computed"))
            if computed and c.get("key") not in COMPUTED:
                raise SchemeInvalid(reason=f"细则“{c.get('name')}”不能由系统计算")
            name = _text(c.get("name"), "细则名称")
            criteria.append(Criterion(str(c.get("key")), name, _number(c.get("weight"), f"“{name}”的分值",
                                                                       Decimal(0), Decimal(100)), computed))
        dimensions.append(Dimension(str(d.get("key")), _text(d.get("name"), "维度名称"), tuple(criteria)))
    if [d.key for d in dimensions] != ["kan", "ping", "bi"]:
        raise SchemeInvalid(reason="须有三看、三评、三比三个维度")
    total = sum((c.weight for d in dimensions for c in d.criteria), Decimal(0))
    if total != 100:
        raise SchemeInvalid(reason=f"各细则分值合计应为100分，现为{total.normalize():f}分")
    missing = set(COMPUTED) - {c.key for c in dimensions[0].criteria if c.computed}
    if missing:
        raise SchemeInvalid(reason="三看的三项细则由系统计算，不能删除")
    deductions = []
    for x in data.get("deductions") or ():
        if x.get("key") not in DEDUCTION_KINDS:
            raise SchemeInvalid(reason=f"未知的扣分项“{x.get('key')}”")
        name = _text(x.get("name"), "扣分项名称")
        deductions.append(Deduction(
            x["key"], name, _number(x.get("points"), f"“{name}”每次扣分", Decimal(0), Decimal(100)),
            _number(x.get("cap"), f"“{name}”扣分上限", Decimal(0), Decimal(100)), tuple(x.get("groups") or ())))
    credits = data.get("credits") or {}
    clean_credits = {k: float(_number(credits.get(k, DEFAULT_SCHEME["credits"][k]), f"系数“{k}”",
                                      Decimal(0), Decimal(1))) for k in CREDIT_KEYS}
    groups = tuple(Group(str(g.get("key")), _text(g.get("name"), "组别名称"), tuple(g.get("kinds") or ()))
                   for g in data.get("groups") or ())
    if not groups:
        raise SchemeInvalid(reason="至少要有一个组别")
    return Scheme(version, _text(data.get("name"), "方案名称", 100), tuple(dimensions), tuple(deductions),
                  clean_credits, groups)


def edited(data: dict, form: dict) -> dict:
    """The scheme `data` with the office's edits from a flat form: `name`, `<dim>.<crit>.name`,
    `<dim>.<crit>.weight`, `<dim>.<crit>.remove` (an office-scored criterion), `<dim>.new.name` and
    `<dim>.new.weight` (a new office-scored criterion), `deduction.<key>.points|cap|name`,
    `credit.<key>`. Checked (SchemeInvalid with the reason) before it is returned."""
    result = copy.deepcopy(data)
    if "name" in form:
        result["name"] = form["name"]
    used = {c["key"] for d in result["dimensions"] for c in d["criteria"]} | set(data.get("retired", ()))
    for d in result["dimensions"]:
        kept = []
        for c in d["criteria"]:
            prefix = f"{d['key']}.{c['key']}"
            if form.get(f"{prefix}.remove") and not c.get("computed"):
                # Its key is never given again, so old scores never count for a new criterion.
                result.setdefault("retired", []).append(c["key"])
                continue
            for field in ("name", "weight"):
                if f"{prefix}.{field}" in form:
                    c[field] = form[f"{prefix}.{field}"]
            kept.append(c)
        new_name = str(form.get(f"{d['key']}.new.name", "") or "").strip()
        if new_name:
            n = 1
            while f"c{n}" in used:
                n += 1
            used.add(f"c{n}")
            kept.append({"key": f"c{n}", "name": new_name, "weight": form.get(f"{d['key']}.new.weight", "0"),
                         "computed": False})
        d["criteria"] = kept
    for x in result["deductions"]:
        for field in ("name", "points", "cap"):
            if f"deduction.{x['key']}.{field}" in form:
                x[field] = form[f"deduction.{x['key']}.{field}"]
    for key in CREDIT_KEYS:
        if f"credit.{key}" in form:
            result.setdefault("credits", {})[key] = form[f"credit.{key}"]
    scheme_from_dict(result)  # refuse now, with the reason
    for d in result["dimensions"]:  # store numbers as numbers
        for c in d["criteria"]:
            c["weight"] = float(Decimal(str(c["weight"])))
    for x in result["deductions"]:
        x["points"], x["cap"] = float(Decimal(str(x["points"]))), float(Decimal(str(x["cap"])))
    result["credits"] = {k: float(Decimal(str(v))) for k, v in result["credits"].items()}
    return result


def parse_score(raw, criterion: Criterion) -> Decimal:
    """An office score: a number from 0 to the criterion's weight, one decimal kept."""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ScoreInvalid(criterion=criterion.name, weight=_plain(criterion.weight)) from None
    if not value.is_finite() or not 0 <= value <= criterion.weight:
        raise ScoreInvalid(criterion=criterion.name, weight=_plain(criterion.weight))
    return value.quantize(Decimal("0.1"))


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"
