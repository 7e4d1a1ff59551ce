"""Sub-tasks (细化实化): the parent's rolled-up percent, and submitting a parent before its children.

- A parent's percent done is the weighted mean of its sub-tasks' (a verified or closed one
  counts 100); a sub-task without a weight weighs 1, so equal weights are the default.
- A parent case is not submitted while a sub-task is still open (not yet verified or
  closed), unless its lead unit says why; the reason goes into the submission's history.
- Progress notes of partner units are contributions: only the lead unit's caseworkers set
  the case's overall percent (workflows.permissions grants the notes to both).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from workflows.errors import Forbidden, InvalidInput
from workflows.rag import DONE_STATES
from workflows.vocabulary import Actor, CaseFacts, Relation, State, relations

MAX_WEIGHT = 100
MAX_REASON = 2000


class SubTasksOpen(InvalidInput):
    code = "sub_tasks_open"
    msgid = ("%(count)s sub-tasks are not finished yet (%(titles)s): say why the case is submitted "
             "before them.")


class SubTaskReasonTooLong(InvalidInput):
    code = "text_too_long"
    msgid = "The reason is too long (at most %(max)s characters)."


class InvalidWeight(InvalidInput):
    code = "invalid_weight"
    msgid = "The weight must be a whole number from 1 to %(max)s (empty: equal weights)."


class PercentNotYours(Forbidden):
    code = "percent_lead_only"
    msgid = ("Only the lead department sets the case's percent done: a partner department reports "
             "its note without a percent (it is recorded as a contribution).")


def is_open(state: str) -> bool:
    """Whether a sub-task still counts as open (not yet verified or closed)."""
    return State(state) not in DONE_STATES


def rolled_up_percent(children: Iterable[tuple[str, int | None, int | None]], own: int | None) -> int:
    """The parent's percent from its children's (state, percent, weight); `own` without children."""
    rows = list(children)
    if not rows:
        return own or 0
    total = sum(weight or 1 for _state, _percent, weight in rows)
    done = sum((weight or 1) * (100 if not is_open(state) else (percent or 0))
               for state, percent, weight in rows)
    return round(done / total)


def check_submit(open_titles: Sequence[str], reason) -> str | None:
    """The reason to record for submitting before the listed open sub-tasks (None: none open)."""
    if not open_titles:
        return None
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        shown = "、".join(open_titles[:3]) + ("…" if len(open_titles) > 3 else "")
        raise SubTasksOpen(count=len(open_titles), titles=shown)
    if len(text) > MAX_REASON:
        raise SubTaskReasonTooLong(max=MAX_REASON)
    return text


def read_weight(value) -> int | None:
    """A weight from a form or JSON: empty is None (equal weights)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidWeight(max=MAX_WEIGHT)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidWeight(max=MAX_WEIGHT) from None
    if str(number) != str(value).strip() or not 1 <= number <= MAX_WEIGHT:
        raise InvalidWeight(max=MAX_WEIGHT)
    return number


def sets_percent(case: CaseFacts, actor: Actor) -> bool:
    """Whether the actor's progress note sets the case's percent (the lead unit's caseworkers);
    a partner unit's note is a contribution."""
    return Relation.LEAD_CASEWORKER in relations(case, actor)
