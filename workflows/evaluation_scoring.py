"""Scoring 三看三评三比 by a scheme (workflows.evaluation): plain rules, every point traced to its facts.

Inputs are what the data says about each unit in the period (`UnitInput`, gathered by
app.services.evaluation_facts); the output is one `UnitResult` per unit: a part per
criterion and per deduction, each with its score, whether it was computed or scored by the
office, and the facts it came from; the total; the rank within the unit's peer group.

The computed 三看 rules:

- goals: the mean credit of the unit's indicators — green, yellow, red by the light of
  their kind against target and pace (workflows.targets), not reported;
- scheduling: the share of (task, dekad) pairs, for each dekad of the period in which a
  task was open, with a progress report or a submission in that dekad;
- key tasks: the mean credit of the unit's tasks active in the period — done (or
  submitted) by the deadline (the original one, unless an extension was approved) 1, done
  late `late_done`, overdue 0, not yet due: its progress against 序时进度 (at most 1).

A criterion without facts for a unit (no indicator, no task) is scored at its peer group's
average for it (the facts say so); a group where nobody has facts gets full marks.
Deductions (count × points, at most the cap) are taken off 三看, never below 0. Ranking:
by total (two decimals), the same total the same rank (1, 1, 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from workflows.evaluation import Scheme

TWO = Decimal("0.01")
OUTCOME_TEXT = {
    "on_time": "按时完成",
    "submitted": "已按时报送，待核验",
    "late_done": "超期完成",
    "late_submitted": "超期报送",
    "overdue": "逾期未完成",
    "not_due": "未到期",
}


def q(value) -> Decimal:
    return Decimal(value).quantize(TWO, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IndicatorFact:
    id: int
    name: str
    light: str | None  # green / yellow / red; None: not reported
    text: str = ""  # "8.7%，高于目标0.2个百分点"


# The facts are named tuples rather than frozen dataclasses: a province's period has tens of
# thousands of them (a task, a (task, dekad) pair, an event each), and a tuple is built several
# times faster. They compare, hash and read the same.
class TaskFact(NamedTuple):
    id: int
    title: str
    outcome: str  # a key of OUTCOME_TEXT
    deadline: str  # the deadline it is measured against (ISO)
    extended: bool = False  # an approved extension moved it
    overdue_days: int = 0
    percent: int = 0
    expected: int = 0  # 序时进度 at the period's end, for tasks not yet due


class DekadFact(NamedTuple):
    case_id: int
    title: str
    dekad: str  # 2024-06-D2
    reported: bool


class Event(NamedTuple):
    """One counted event: a red light, a return, a reminder, an urge, a waiting submission."""

    case_id: int
    title: str
    day: str = ""
    detail: str = ""


@dataclass(frozen=True)
class OfficeScore:
    scorer: str
    score: Decimal
    comment: str = ""


@dataclass
class UnitInput:
    unit_id: int
    unit: str
    group: str  # a Group key of the scheme
    indicators: list[IndicatorFact] = field(default_factory=list)
    tasks: list[TaskFact] = field(default_factory=list)
    dekads: list[DekadFact] = field(default_factory=list)
    events: dict[str, list[Event]] = field(default_factory=dict)  # deduction key → events
    scores: dict[str, list[OfficeScore]] = field(default_factory=dict)  # "ping.results" → scores


@dataclass
class Part:
    key: str
    dimension: str  # kan / ping / bi
    name: str
    score: Decimal
    max: Decimal | None  # None for deductions
    computed: bool
    facts: list[dict]
    note: str = ""
    applicable: bool = True

    def as_dict(self) -> dict:
        return {"key": self.key, "dimension": self.dimension, "name": self.name, "score": float(self.score),
                "max": float(self.max) if self.max is not None else None, "computed": self.computed,
                "note": self.note, "facts": self.facts}


@dataclass
class UnitResult:
    unit_id: int
    unit: str
    group: str
    parts: list[Part]
    total: Decimal = Decimal(0)
    rank: int = 0
    subtotals: dict[str, Decimal] = field(default_factory=dict)

    def as_dict(self, group_name: str = "") -> dict:
        return {"unit": self.unit, "unit_id": self.unit_id, "group": self.group, "group_name": group_name,
                "total": float(self.total), "rank": self.rank,
                "subtotals": {k: float(v) for k, v in self.subtotals.items()},
                "parts": [p.as_dict() for p in self.parts]}


# --------------------------------------------------------------------------- the computed rules


class Memo:
    """What one `evaluate` works out once though two units share it: a task's or an indicator's
    worded fact (the same object in the task's lead unit and its action's task force), a
    credit. The worded facts are shared dicts: read them, do not change them."""

    def __init__(self):
        self.facts: dict[int, tuple] = {}  # id(fact) → (the fact, its credit, its worded dict)
        self.credits: dict = {}


def goals_ratio(scheme: Scheme, unit: UnitInput, memo: Memo | None = None) -> tuple[Decimal | None, list[dict]]:
    memo = memo or Memo()
    facts, credits = [], []
    for ind in unit.indicators:
        known = memo.facts.get(id(ind))
        if known is None:
            credit = scheme.credit(ind.light or "unreported")
            light = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}.get(ind.light or "", "未报送")
            known = memo.facts[id(ind)] = (ind, credit, {
                "indicator_id": ind.id, "light": ind.light, "credit": float(credit),
                "text": f"指标“{ind.name}”：{ind.text + '，' if ind.text else ''}{light}，系数{_p(credit)}"})
        credits.append(known[1])
        facts.append(known[2])
    if not credits:
        return None, []
    return sum(credits, Decimal(0)) / len(credits), facts


def scheduling_ratio(unit: UnitInput, memo: Memo | None = None) -> tuple[Decimal | None, list[dict]]:
    if not unit.dekads:
        return None, []
    # Worded anew for each unit: a pair's words cost less than looking them up.
    missed = [{"case_id": d.case_id, "dekad": d.dekad, "text": f"“{d.title}”{d.dekad}未报送进展"}
              for d in unit.dekads if not d.reported]
    reported = len(unit.dekads) - len(missed)
    facts = [{"text": f"应按旬报送{len(unit.dekads)}次（任务×旬），按时报送{reported}次", "expected": len(unit.dekads),
              "reported": reported}]
    facts += missed
    return Decimal(reported) / len(unit.dekads), facts


def task_credit(scheme: Scheme, task: TaskFact) -> Decimal:
    if task.outcome in ("on_time", "submitted"):
        return Decimal(1)
    if task.outcome in ("late_done", "late_submitted"):
        return scheme.credit("late_done")
    if task.outcome == "not_due":
        if task.expected <= 0:
            return Decimal(1)
        return min(Decimal(1), Decimal(task.percent) / Decimal(task.expected))
    return Decimal(0)


def key_tasks_ratio(scheme: Scheme, unit: UnitInput, memo: Memo | None = None) -> tuple[Decimal | None, list[dict]]:
    if not unit.tasks:
        return None, []
    memo = memo or Memo()
    known, credited = memo.facts, memo.credits
    facts, credits = [], []
    for t in unit.tasks:
        fact = known.get(id(t))
        if fact is None:
            # The credit depends on the outcome, and for a task not yet due on its pace alone.
            key = (t.outcome, t.percent, t.expected) if t.outcome == "not_due" else t.outcome
            worth = credited.get(key)
            if worth is None:
                credit = task_credit(scheme, t)
                worth = credited[key] = (credit, float(q(credit)), _p(q(credit)))
            text = f"“{t.title}”（时限{t.deadline}{'，已批准延期' if t.extended else ''}）：{OUTCOME_TEXT[t.outcome]}"
            if t.outcome == "overdue":
                text += f"{t.overdue_days}个工作日"
            if t.outcome == "not_due":
                text += f"，进度{t.percent}%，序时进度{t.expected}%"
            fact = known[id(t)] = (t, worth[0], {"case_id": t.id, "outcome": t.outcome, "credit": worth[1],
                                                 "text": f"{text}，系数{worth[2]}"})
        credits.append(fact[1])
        facts.append(fact[2])
    return sum(credits, Decimal(0)) / len(credits), facts


RULES = {
    "goals": lambda scheme, unit, memo=None: goals_ratio(scheme, unit, memo),
    "scheduling": lambda scheme, unit, memo=None: scheduling_ratio(unit, memo),
    "key_tasks": lambda scheme, unit, memo=None: key_tasks_ratio(scheme, unit, memo),
}
NO_FACTS = {"goals": "本期无考核指标", "scheduling": "本期无需报送进展的任务", "key_tasks": "本期无考核任务"}


# --------------------------------------------------------------------------- one unit, then all


def score_unit(scheme: Scheme, unit: UnitInput, memo: Memo | None = None) -> UnitResult:
    """The unit's parts; criteria without facts are left `applicable=False` for `evaluate`."""
    memo = memo or Memo()
    parts = []
    for dimension, criterion in scheme.criteria():
        key = f"{dimension.key}.{criterion.key}"
        if criterion.computed:
            ratio, facts = RULES[criterion.key](scheme, unit, memo)
            if ratio is None:
                parts.append(Part(key, dimension.key, criterion.name, Decimal(0), criterion.weight, True, [],
                                  NO_FACTS[criterion.key], applicable=False))
                continue
            note = f"得分率{_percent(ratio)}×{_p(criterion.weight)}分"
            parts.append(Part(key, dimension.key, criterion.name, q(criterion.weight * ratio), criterion.weight,
                              True, facts, note))
        else:
            scores = unit.scores.get(key, [])
            facts = [{"scorer": s.scorer, "score": float(s.score), "comment": s.comment,
                      "text": f"{s.scorer}评{_p(s.score)}分{'：' + s.comment if s.comment else ''}"} for s in scores]
            if scores:
                mean = q(sum((s.score for s in scores), Decimal(0)) / len(scores))
                note = f"{len(scores)}位评分人平均" if len(scores) > 1 else "督查室评分"
            else:
                mean, note = Decimal(0), "尚未评分"
            parts.append(Part(key, dimension.key, criterion.name, mean, criterion.weight, False, facts, note))
    for deduction in scheme.deductions:
        if unit.group not in deduction.groups:
            continue
        events = unit.events.get(deduction.key, [])
        taken = min(deduction.cap, deduction.points * len(events))
        facts = [{"case_id": e.case_id, "text": f"“{e.title}”{(' ' + e.day) if e.day else ''}"
                  f"{('：' + e.detail) if e.detail else ''}"} for e in events]
        note = f"{len(events)}次×{_p(deduction.points)}分" + (f"，以{_p(deduction.cap)}分为限" if taken == deduction.cap
                                                             and events else "")
        parts.append(Part(f"deduction.{deduction.key}", "kan", f"扣分：{deduction.name}", -q(taken), None, True,
                          facts, note))
    return UnitResult(unit.unit_id, unit.unit, unit.group, parts)


def evaluate(scheme: Scheme, units: list[UnitInput]) -> list[UnitResult]:
    """Every unit's result, ranked within its group; ordered by group, rank, name."""
    memo = Memo()
    results = [score_unit(scheme, u, memo) for u in units]
    by_group: dict[str, list[UnitResult]] = {}
    for r in results:
        by_group.setdefault(r.group, []).append(r)
    for members in by_group.values():
        _fill_not_applicable(members)
        for r in members:
            _total(r)
        rank_within(members)
    order = {g.key: i for i, g in enumerate(scheme.groups)}
    return sorted(results, key=lambda r: (order.get(r.group, 99), r.rank, r.unit))


def _fill_not_applicable(members: list[UnitResult]) -> None:
    """A criterion without facts: the group's average of those with facts (else full marks)."""
    keys = {p.key for r in members for p in r.parts if not p.applicable}
    for key in keys:
        scored = [p.score for r in members for p in r.parts if p.key == key and p.applicable]
        for r in members:
            for p in r.parts:
                if p.key == key and not p.applicable:
                    if scored:
                        p.score = q(sum(scored, Decimal(0)) / len(scored))
                        p.note = f"{p.note}，按本组{len(scored)}个单位平均分计"
                    else:
                        p.score = q(p.max)
                        p.note = f"{p.note}，本组均无，按满分计"
                    p.facts = [{"text": p.note}]


def _total(result: UnitResult) -> None:
    subtotals = {"kan": Decimal(0), "ping": Decimal(0), "bi": Decimal(0)}
    for p in result.parts:
        subtotals[p.dimension] = subtotals.get(p.dimension, Decimal(0)) + p.score
    subtotals["kan"] = max(Decimal(0), subtotals["kan"])  # deductions never below 0
    result.subtotals = {k: q(v) for k, v in subtotals.items()}
    result.total = q(sum(result.subtotals.values(), Decimal(0)))


def rank_within(members: list) -> None:
    """Rank by total, highest first; equal totals share a rank and the next rank skips (1, 1, 3)."""
    ordered = sorted(members, key=lambda r: (-q(r.total), r.unit))
    previous, rank = None, 0
    for position, r in enumerate(ordered, 1):
        if q(r.total) != previous:
            rank, previous = position, q(r.total)
        r.rank = rank


def _p(value: Decimal) -> str:
    text = f"{Decimal(value).normalize():f}"
    return text


def _percent(ratio: Decimal) -> str:
    return f"{_p(q(ratio * 100))}%"
