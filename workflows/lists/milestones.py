"""时间节点 cells ↔ milestones: "6月底前完成方案；9月底前开工", "2024-06-30 完成方案"."""

from __future__ import annotations

import datetime as dt
import re

from workflows.dates import find_deadline, parse_deadline
from workflows.lists.cells import KEEP, N_, Finding, cell_text, is_cleared, split_items

__all__ = ["milestones_text", "parse_milestones"]

_DATED_ITEM = re.compile(r"^(?P<date>[^：:\s]+)[：:\s]+(?P<title>.+)$")


def parse_milestones(raw, year: int) -> tuple[object, list[Finding]]:
    """A 时间节点 cell → ([(title, due)], findings); each item needs a date.

    KEEP when the cell is empty (an update keeps the case's milestones), [] when cleared.
    """
    findings: list[Finding] = []
    text = cell_text(raw)
    if not text:
        return KEEP, findings
    if is_cleared(text):
        return [], findings
    if isinstance(raw, (dt.date, dt.datetime)):
        due = parse_deadline(raw, year)
        return [(due.isoformat(), due)], findings
    result = []
    for part in split_items(text):
        if not part:
            continue
        m = _DATED_ITEM.match(part)
        due = parse_deadline(m["date"], year) if m else None
        title = m["title"].strip() if due else part
        if due is None:
            due = find_deadline(part, year) or parse_deadline(part, year)
        if due is None:
            findings.append(Finding("milestones", N_("Time node “%(text)s” has no date that can be read (write e.g. 6月底前完成方案)."),
                                    {"text": part}))
            continue
        if len(title) > 200:
            findings.append(Finding("milestones", N_("Time node “%(text)s…” is longer than 200 characters."),
                                    {"text": title[:20]}))
            continue
        result.append((title, due))
    return result, findings


def milestones_text(milestones: list, year: int) -> str:
    """The 时间节点 cell of milestones (objects with title and due_date), as the import reads it."""
    parts = []
    for m in milestones:
        if find_deadline(m.title, year) == m.due_date:
            parts.append(m.title)
        else:
            parts.append(f"{m.due_date.year}年{m.due_date.month}月{m.due_date.day}日：{m.title}")
    return "；".join(parts)
