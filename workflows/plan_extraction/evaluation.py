"""Measure the extractor against a hand-annotated text.

Annotation format (one file per text, ``NAME.annotated.txt``):

- Comment lines starting with ``#`` at the top are ignored.
- 【…】 wraps each target's number and unit as written: "增长【15%】以上", "【7.15万户】",
  "【1-2个】", "新建【三所】学校".
- 〖…〗 wraps each lead unit where the text names it: "（牵头单位：〖区发改局〗；…）",
  "〖区教育局〗负责…"; in a 责任单位 list only the first (the lead) is wrapped.
- 〘…〙 (optional) wraps every other unit named (the rest of a 责任单位 list, 配合单位…).
- 〚…〛 (optional) wraps an actual value or a gap ("完成〚21.91亿元〛", "高于目标〚2.1个百分点〛"):
  not a target; reading it as one is a false alarm.

Removing the comment lines and the brackets gives back the plain text. A finding matches a
gold annotation when it has the same value and unit (targets) or the same name (units) and
its text position overlaps the annotated one; each gold annotation is matched at most once.

Run ``python -m workflows.plan_extraction.evaluation FILE.annotated.txt ...`` for figures.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..numerals import CN_NUMERAL_CHARS, cn_to_int
from .draft import draft_plan
from .model import PlanDraft
from .textutil import Span

_MARKS = {"【": "target", "】": "target", "〖": "lead", "〗": "lead",
          "〘": "unit", "〙": "unit", "〚": "actual", "〛": "actual"}


@dataclass
class Annotated:
    """A plain text and its gold annotations (spans refer to the plain text)."""

    text: str
    targets: list[tuple[int | float, int | float | None, str, Span]] = field(default_factory=list)
    leads: list[tuple[str, Span]] = field(default_factory=list)
    # Other named units (responsible / partner units after the lead), and actual values
    # (完成…, 同比增长…, 高于目标…个百分点): these are not targets.
    units: list[tuple[str, Span]] = field(default_factory=list)
    actuals: list[tuple[int | float, int | float | None, str, Span]] = field(default_factory=list)


def parse_annotated(source: str) -> Annotated:
    """Strip the comment header and the 【】〖〗 marks; collect what they wrapped."""
    lines = source.splitlines(keepends=True)
    while lines and lines[0].lstrip().startswith("#"):
        lines.pop(0)
    body = "".join(lines)
    plain: list[str] = []
    open_at: dict[str, int] = {}
    result = Annotated("")
    pos = 0
    for char in body:
        kind = _MARKS.get(char)
        if kind is None:
            plain.append(char)
            pos += 1
            continue
        if char in "【〖〘〚":
            open_at[kind] = pos
            continue
        start = open_at.pop(kind)
        wrapped = "".join(plain[start:pos])
        if kind == "target":
            result.targets.append((*_parse_target(wrapped), (start, pos)))
        elif kind == "actual":
            result.actuals.append((*_parse_target(wrapped), (start, pos)))
        elif kind == "unit":
            result.units.append((wrapped.strip(), (start, pos)))
        else:
            result.leads.append((wrapped.strip(), (start, pos)))
    result.text = "".join(plain)
    return result


_GOLD_TARGET = re.compile(
    rf"^\s*(?P<value>[\d.,]+|[{CN_NUMERAL_CHARS}]+)"
    r"(?:\s*(?:-|—|–|~|～|至|到)\s*(?P<value_max>[\d.,]+))?"
    r"\s*(?P<unit>.*?)\s*$"
)


def _parse_target(wrapped: str) -> tuple[int | float, int | float | None, str]:
    m = _GOLD_TARGET.match(wrapped)
    if not m:
        raise ValueError(f"annotation without a number: 【{wrapped}】")

    def number(text: str) -> int | float:
        if text[0] in CN_NUMERAL_CHARS:
            return cn_to_int(text)
        text = text.replace(",", "")
        return float(text) if "." in text else int(text)

    value_max = number(m["value_max"]) if m["value_max"] else None
    return number(m["value"]), value_max, normalise_unit(m["unit"])


def normalise_unit(unit: str) -> str:
    """Compare units loosely on width and trailing comparator words only."""
    unit = unit.replace("％", "%").strip()
    return re.sub(r"(?:及以上|以上|以下|以内|左右)$", "", unit)


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@dataclass
class Score:
    """Recall and precision counts for one kind of finding."""

    gold: int = 0
    found: int = 0
    correct_gold: int = 0  # gold annotations matched
    correct_found: int = 0  # findings matched
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.correct_gold / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.correct_found / self.found if self.found else 1.0

    def add(self, other: Score) -> None:
        self.gold += other.gold
        self.found += other.found
        self.correct_gold += other.correct_gold
        self.correct_found += other.correct_found
        self.misses += other.misses
        self.false_alarms += other.false_alarms

    def __str__(self) -> str:
        return (f"recall {self.recall:.3f} ({self.correct_gold}/{self.gold}), "
                f"precision {self.precision:.3f} ({self.correct_found}/{self.found})")


def _context(text: str, span: Span) -> str:
    s, e = span
    return f"{text[max(0, s - 12):s]}[{text[s:e]}]{text[e:e + 6]}".replace("\n", " ")


def score_targets(annotated: Annotated, draft: PlanDraft) -> Score:
    """Targets: same value and unit at an overlapping position."""
    text = annotated.text
    found = []  # (value, unit, span): one entry per place an indicator was read from
    seen: set[Span] = set()
    for indicator in draft.all_indicators():
        spans = [s for s in indicator.spans if s not in seen]
        seen.update(spans)
        for span in spans:
            found.append((indicator.value, indicator.unit, span))
    score = Score(gold=len(annotated.targets), found=len(found))
    matched_found: set[int] = set()
    for value, _value_max, unit, span in annotated.targets:
        hit = next((i for i, (v, u, s) in enumerate(found)
                    if i not in matched_found and v == value
                    and normalise_unit(u) == unit and _overlaps(s, span)), None)
        if hit is None:
            score.misses.append(f"{value}{unit} @ {_context(text, span)}")
        else:
            matched_found.add(hit)
    score.correct_gold = len(matched_found)
    score.correct_found = len(matched_found)
    for i, (value, unit, span) in enumerate(found):
        if i not in matched_found:
            score.false_alarms.append(f"{value}{unit} @ {_context(text, span)}")
    return score


def score_leads(annotated: Annotated, draft: PlanDraft) -> Score:
    """Lead units: same name at an overlapping position."""
    text = annotated.text
    found = sorted(draft.lead_mentions(), key=lambda m: m[1])
    score = Score(gold=len(annotated.leads), found=len(found))
    matched: set[int] = set()
    for name, span in annotated.leads:
        hit = next((i for i, (n, s) in enumerate(found)
                    if i not in matched and n == name and _overlaps(s, span)), None)
        if hit is None:
            score.misses.append(f"{name} @ {_context(text, span)}")
        else:
            matched.add(hit)
    score.correct_gold = score.correct_found = len(matched)
    for i, (name, span) in enumerate(found):
        if i not in matched:
            score.false_alarms.append(f"{name} @ {_context(text, span)}")
    return score


def score_units(annotated: Annotated, draft: PlanDraft) -> Score:
    """Other named units (〘〙: responsible after the lead, partners): same name, overlapping."""
    found = sorted(draft.unit_mentions(), key=lambda m: m[1])
    score = Score(gold=len(annotated.units), found=len(found))
    matched: set[int] = set()
    for name, span in annotated.units:
        hit = next((i for i, (n, s) in enumerate(found)
                    if i not in matched and n == name and _overlaps(s, span)), None)
        if hit is None:
            score.misses.append(f"{name} @ {_context(annotated.text, span)}")
        else:
            matched.add(hit)
    score.correct_gold = score.correct_found = len(matched)
    return score


def score_actuals(annotated: Annotated, draft: PlanDraft) -> Score:
    """Actual values (〚〛): read as actuals with the same value and unit, overlapping."""
    found = [(a.value, a.unit, a.span) for a in draft.all_actuals()]
    score = Score(gold=len(annotated.actuals), found=len(found))
    matched: set[int] = set()
    for value, _m, unit, span in annotated.actuals:
        hit = next((i for i, (v, u, s) in enumerate(found) if i not in matched and v == value
                    and normalise_unit(u) == unit and _overlaps(s, span)), None)
        if hit is None:
            score.misses.append(f"{value}{unit} @ {_context(annotated.text, span)}")
        else:
            matched.add(hit)
    score.correct_gold = score.correct_found = len(matched)
    return score


def evaluate(annotated: Annotated, *, year: int | None = None) -> tuple[Score, Score]:
    """(targets score, lead-units score) of the extractor on one annotated text."""
    draft = draft_plan(annotated.text, year=year)
    return score_targets(annotated, draft), score_leads(annotated, draft)


@dataclass
class CorpusScore:
    """Micro-averaged figures over many annotated texts (a refused text misses everything)."""

    targets: Score = field(default_factory=Score)
    leads: Score = field(default_factory=Score)
    units: Score = field(default_factory=Score)  # other responsible / partner units
    actuals: Score = field(default_factory=Score)
    documents: int = 0
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.documents} documents, {len(self.refused)} refused\n"
                f"  targets: {self.targets}\n  leads:   {self.leads}\n"
                f"  other units: {self.units}\n  actuals: {self.actuals}")


def evaluate_corpus(paths, *, year: int | None = None, per_text=None) -> CorpusScore:
    """Score every annotated text of ``paths``; ``per_text(path, targets, leads)`` sees each."""
    from .errors import PlanTextError

    total = CorpusScore()
    for path in paths:
        annotated = parse_annotated(Path(path).read_text(encoding="utf-8"))
        total.documents += 1
        try:
            draft = draft_plan(annotated.text, year=year)
            targets, leads = score_targets(annotated, draft), score_leads(annotated, draft)
            total.units.add(score_units(annotated, draft))
            total.actuals.add(score_actuals(annotated, draft))
        except PlanTextError:
            total.refused.append(Path(path).name)
            targets = Score(gold=len(annotated.targets),
                            misses=[f"{v}{u} (refused)" for v, _m, u, _s in annotated.targets])
            leads = Score(gold=len(annotated.leads),
                          misses=[f"{n} (refused)" for n, _s in annotated.leads])
            total.units.add(Score(gold=len(annotated.units)))
            total.actuals.add(Score(gold=len(annotated.actuals)))
        total.targets.add(targets)
        total.leads.add(leads)
        if per_text is not None:
            per_text(path, targets, leads)
    return total


def main(paths: list[str]) -> int:
    total_targets, total_leads = Score(), Score()
    for path in paths:
        annotated = parse_annotated(Path(path).read_text(encoding="utf-8"))
        targets, leads = evaluate(annotated)
        total_targets.add(targets)
        total_leads.add(leads)
        print(f"{Path(path).name}\n  targets: {targets}\n  leads:   {leads}")
        for line in targets.misses:
            print("    missed target:", line)
        for line in targets.false_alarms:
            print("    false target: ", line)
        for line in leads.misses:
            print("    missed lead:  ", line)
        for line in leads.false_alarms:
            print("    false lead:   ", line)
    print(f"overall\n  targets: {total_targets}\n  leads:   {total_leads}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
