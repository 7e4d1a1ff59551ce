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
class Unit:
    """A department named in the text (牵头单位 / 配合单位), with every place it was read from."""

    name: str
    spans: list[Span] = field(default_factory=list)


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

    def to_dict(self, year: int) -> dict:
        deadline = self.deadline or date(year, 12, 31)
        return {
            "title": self.title,
            "text": self.text,
            "list_kind": self.list_kind,
            "lead_departments": [u.name for u in self.leads],
            "partner_departments": [u.name for u in self.partners],
            "deadline": deadline.isoformat(),
            "indicators": [i.to_dict() for i in self.indicators],
        }


@dataclass
class Action:
    """One numbered task section of the plan (行动)."""

    index: int
    title: str
    subtitle: str | None
    leads: list[Unit] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)

    def to_dict(self, year: int) -> dict:
        return {
            "index": self.index,
            "title": self.title,
            "subtitle": self.subtitle,
            "lead_department": self.leads[0].name if self.leads else None,
            "indicators": [i.to_dict() for i in self.indicators],
            "cases": [c.to_dict(year) for c in self.cases],
        }


@dataclass
class Goal:
    """One headline goal (主要目标 paragraph)."""

    index: int
    title: str
    indicators: list[Indicator] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"index": self.index, "title": self.title,
                "indicators": [i.to_dict() for i in self.indicators]}


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

    def lead_mentions(self) -> set[tuple[str, Span]]:
        """Every (unit name, position) the draft reads as a lead, of actions and cases."""
        mentions: set[tuple[str, Span]] = set()
        for action in self.actions:
            for unit in action.leads:
                mentions.update((unit.name, s) for s in unit.spans)
            for case in action.cases:
                for unit in case.leads:
                    mentions.update((unit.name, s) for s in unit.spans)
        return mentions
