"""Plan text → draft plan: goals, actions, cases, targets, units and deadlines.

Pure Python (no Flask, no database). ``extract_plan`` returns the same JSON-ready shape as
``flask plan dump --json``; ``draft_plan`` returns the richer ``PlanDraft`` that also keeps
where in the text each finding came from. See docs/extraction.md for the method and its
measured accuracy.
"""

from __future__ import annotations

from .draft import draft_plan
from .errors import PlanTextError
from .model import Action, Case, Goal, Indicator, PlanDraft, Unit
from .reader import decode_plan_bytes, read_plan_document

__all__ = [
    "Action",
    "Case",
    "Goal",
    "Indicator",
    "PlanDraft",
    "PlanTextError",
    "Unit",
    "decode_plan_bytes",
    "draft_plan",
    "extract_plan",
    "read_plan_document",
]


def extract_plan(text: str, *, year: int | None = None) -> dict:
    """Draft a plan from its text, as a dict shaped like ``flask plan dump --json``.

    ``year`` defaults to the year in the title (else the first "20xx年" in the text); it
    anchors relative deadlines ("6月底") and is the default deadline (31 December).
    Raises ``PlanTextError`` (a ``ValueError`` with a Chinese message) for empty text or a
    text without any quantitative target.
    """
    return draft_plan(text, year=year).to_dict()
