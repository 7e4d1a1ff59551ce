"""时间节点 that count: who reports a milestone done, and what a report needs.

A caseworker of the case's lead unit reports a milestone done with a note (what was done,
where the evidence is) while the case is open; a milestone reported done stays done (the
history keeps who and when). Missed milestones colour the case (workflows.rag).
"""

from __future__ import annotations

from workflows.errors import Conflict, Forbidden, InvalidInput
from workflows.vocabulary import Actor, Role, State

MAX_NOTE = 2000


class MayNotReportMilestone(Forbidden):
    code = "may_not_report_milestone"
    msgid = "Only a caseworker of the lead department reports a milestone done."


class MilestoneAlreadyDone(Conflict):
    code = "milestone_done"
    msgid = "This milestone was reported done already (%(when)s)."


class CaseClosedForMilestones(Conflict):
    code = "case_closed"
    msgid = "The case is closed: its milestones cannot change."


class MilestoneNoteMissing(InvalidInput):
    code = "milestone_note_missing"
    msgid = "Say what was done (a note or where the evidence is)."


class MilestoneNoteTooLong(InvalidInput):
    code = "milestone_note_too_long"
    msgid = "The note is too long (at most %(max)s characters)."


def check_report(actor: Actor, *, state: str, lead_department_id: int | None,
                 done_at_text: str | None, note) -> str:
    """The note to record, or the refusal: 403 who, then 409 state, then 422 the note."""
    if Role.CASEWORKER not in actor.roles or lead_department_id is None \
            or lead_department_id not in actor.department_ids:
        raise MayNotReportMilestone()
    if State(state) == State.CLOSED:
        raise CaseClosedForMilestones()
    if done_at_text is not None:
        raise MilestoneAlreadyDone(when=done_at_text)
    text = note.strip() if isinstance(note, str) else ""
    if not text:
        raise MilestoneNoteMissing()
    if len(text) > MAX_NOTE:
        raise MilestoneNoteTooLong(max=MAX_NOTE)
    return text
