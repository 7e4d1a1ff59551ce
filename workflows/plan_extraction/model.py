"""The draft plan built by the extractor, with the text positions each finding came from.

The positions (``spans``: half-open ``(start, end)`` offsets into the extracted text) are not
part of the JSON draft; they let the evaluation code check *where* a target or unit was found,
and let a review screen highlight the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

Span = tuple[int, int]


@dataclass
class Indicator:
    """One quantitative target ("增长15%以上" → value 15, unit "%", comparator "≥")."""

    name: str
    value: int | float
    unit: str
    comparator: str
    quote: str
    span: Span
    value_max: int | float | None = None
    # Other places stating the same target (e.g. an annex table restating an item).
    also_at: list[Span] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = {"name": self.name, "value": self.value, "unit": self.unit,
                "comparator": self.comparator, "quote": self.quote}
        if self.value_max is not None:
            data["value_max"] = self.value_max
        return data

    @property
    def spans(self) -> list[Span]:
        return [self.span, *self.also_at]


@dataclass
class Actual:
    """A value already reached, read from a progress report ("完成21.91亿元", "同比增长1.3%",
    "高于目标2.1个百分点"): not a target, but offered as an indicator's value for ``period``."""

    name: str
    value: int | float
    unit: str
    quote: str
    span: Span
    kind: str = "actual"  # "actual", "growth" (同比…), "share" (占计划的…), "gap" (高于目标…)
    period: str | None = None  # "1-6月份", "截至10月底", "上半年", as written

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "unit": self.unit, "quote": self.quote,
                "kind": self.kind, "period": self.period}


@dataclass
class Unit:
    """A department named in the text (牵头单位 / 配合单位), with every place it was read from."""

    name: str
    spans: list[Span] = field(default_factory=list)
    role: str = "lead"  # lead / responsible / partner (as the text assigns it)


@dataclass
class Case:
    """One trackable task (督办事项)."""

    title: str
    text: str
    span: Span
    list_kind: str = "task"
    leads: list[Unit] = field(default_factory=list)
    partners: list[Unit] = field(default_factory=list)
    deadline: date | None = None
    indicators: list[Indicator] = field(default_factory=list)
    actuals: list[Actual] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)  # 责任领导 / 责任人 named in the text

    def to_dict(self, year: int) -> dict:
        deadline = self.deadline or date(year, 12, 31)
        data = {
            "title": self.title,
            "text": self.text,
            "list_kind": self.list_kind,
            "lead_departments": [u.name for u in self.leads],
            "partner_departments": [u.name for u in self.partners],
            "deadline": deadline.isoformat(),
            "indicators": [i.to_dict() for i in self.indicators],
        }
        if self.actuals:
            data["actuals"] = [a.to_dict() for a in self.actuals]
        if self.persons:
            data["persons"] = list(self.persons)
        return data


@dataclass
class Action:
    """One numbered task section of the plan (行动)."""

    index: int
    title: str
    subtitle: str | None
    leads: list[Unit] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    actuals: list[Actual] = field(default_factory=list)

    def to_dict(self, year: int) -> dict:
        data = {
            "index": self.index,
            "title": self.title,
            "subtitle": self.subtitle,
            "lead_department": self.leads[0].name if self.leads else None,
            "indicators": [i.to_dict() for i in self.indicators],
            "cases": [c.to_dict(year) for c in self.cases],
        }
        if self.actuals:
            data["actuals"] = [a.to_dict() for a in self.actuals]
        return data


@dataclass
class Goal:
    """One headline goal (主要目标 paragraph)."""

    index: int
    title: str
    indicators: list[Indicator] = field(default_factory=list)
    # Units a goal names ("1.地区生产总值增长6.2%左右。\n牵头单位：区发改局\n责任单位：…").
    leads: list[Unit] = field(default_factory=list)
    partners: list[Unit] = field(default_factory=list)
    actuals: list[Actual] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = {"index": self.index, "title": self.title,
                "indicators": [i.to_dict() for i in self.indicators],
                "lead_departments": [u.name for u in self.leads],
                "partner_departments": [u.name for u in self.partners]}
        if self.actuals:
            data["actuals"] = [a.to_dict() for a in self.actuals]
        return data


@dataclass
class PlanDraft:
    """The whole draft: what ``extract_plan`` serialises."""

    title: str
    year: int
    goals: list[Goal] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "year": self.year,
            "goals": [g.to_dict() for g in self.goals],
            "actions": [a.to_dict(self.year) for a in self.actions],
        }

    def all_indicators(self) -> list[Indicator]:
        """Every indicator of goals, actions and cases (each object once)."""
        found: dict[int, Indicator] = {}
        for goal in self.goals:
            found.update((id(i), i) for i in goal.indicators)
        for action in self.actions:
            found.update((id(i), i) for i in action.indicators)
            for case in action.cases:
                found.update((id(i), i) for i in case.indicators)
        return list(found.values())

    def all_actuals(self) -> list[Actual]:
        """Every actual value read (goals, actions, cases)."""
        found: dict[int, Actual] = {}
        for owner in [*self.goals, *self.actions, *(c for a in self.actions for c in a.cases)]:
            found.update((id(x), x) for x in owner.actuals)
        return list(found.values())

    def unit_mentions(self) -> set[tuple[str, Span]]:
        """Every (unit name, position) the draft reads as a partner / responsible unit."""
        mentions: set[tuple[str, Span]] = set()
        for owner in [*self.goals, *(c for a in self.actions for c in a.cases)]:
            for unit in owner.partners:
                mentions.update((unit.name, s) for s in unit.spans)
        return mentions

    def lead_mentions(self) -> set[tuple[str, Span]]:
        """Every (unit name, position) the draft reads as a lead, of actions and cases."""
        mentions: set[tuple[str, Span]] = set()
        for goal in self.goals:
            for unit in goal.leads:
                mentions.update((unit.name, s) for s in unit.spans)
        for action in self.actions:
            for unit in action.leads:
                mentions.update((unit.name, s) for s in unit.spans)
            for case in action.cases:
                for unit in case.leads:
                    mentions.update((unit.name, s) for s in unit.spans)
        return mentions
