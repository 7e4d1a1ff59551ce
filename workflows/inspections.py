"""督查 → 整改 → 销号 (issue 12, part 4): reading and checking what the office records of an
inspection, as plain Python.

An inspection (督查) has a date, a subject or place (督查对象/地点), the inspectors and one or
more findings (发现问题); each finding is addressed to one unit (整改责任单位) with a deadline
(整改时限) and becomes a rectification case (整改事项) that goes through the case workflow
like any case: the unit accepts, works and submits it, the action's task-force lead verifies
it, the office closes it (销号). This module checks the values' shape and sense; the service
checks that the ids exist and who may record.

What a finding's state is called in the 督查通报 is `rectification_status` (from the case's
state at the period's end and whether it is overdue then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from workflows.errors import N_, InvalidInput
from workflows.vocabulary import State

MAX_SUBJECT = 200
MAX_INSPECTORS = 200
MAX_FINDING = 2000
MAX_FINDINGS = 50


class InspectionInputError(InvalidInput):
    code = "invalid_inspection"
    msgid = N_("The inspection is not valid.")


class FindingInputError(InvalidInput):
    """A refusal about one finding: its message starts with the finding's number."""

    code = "invalid_finding"
    msgid = N_("Finding %(n)s is not valid.")


@dataclass(frozen=True)
class FindingInput:
    n: int  # 1-based, as the office numbers them
    text: str
    department_id: int
    deadline: dt.date
    action_id: int | None


@dataclass(frozen=True)
class InspectionInput:
    inspected_on: dt.date
    subject: str
    inspectors: str
    plan_id: int | None
    action_id: int | None
    requires_evidence: bool
    findings: tuple[FindingInput, ...]


def _text(value, *, max_len: int, missing: str, too_long: str, n: int | None = None) -> str:
    if value is not None and not isinstance(value, str):
        value = str(value)
    text = (value or "").strip()
    error = InspectionInputError if n is None else FindingInputError
    if not text:
        raise error(missing, n=n)
    if len(text) > max_len:
        raise error(too_long, n=n, max=max_len)
    return text


def _date(value, *, missing: str, invalid: str, n: int | None = None) -> dt.date:
    error = InspectionInputError if n is None else FindingInputError
    if isinstance(value, dt.date):
        return value
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        if value not in (None, ""):
            raise error(invalid, n=n, value=str(value)[:20])
        raise error(missing, n=n)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise error(invalid, n=n, value=text[:20]) from None


def _id(value, *, n: int | None = None, missing: str | None = None, invalid: str) -> int | None:
    error = InspectionInputError if n is None else FindingInputError
    if value is None or value == "":
        if missing:
            raise error(missing, n=n)
        return None
    if isinstance(value, bool):
        raise error(invalid, n=n)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise error(invalid, n=n) from None
    if not 1 <= number < 2**31:
        raise error(invalid, n=n)
    return number


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "y")
    return bool(value)


def read_inspection(data: Mapping, today: dt.date) -> InspectionInput:
    """The inspection as typed, checked; the first refusal raised, in the form's order."""
    data = data or {}
    inspected_on = _date(data.get("inspected_on"), missing=N_("Give the date of the inspection."),
                         invalid=N_("Not a valid inspection date: %(value)s (use YYYY-MM-DD)."))
    if inspected_on > today:
        raise InspectionInputError(N_("The inspection date %(date)s is after today."),
                                   date=inspected_on.isoformat())
    subject = _text(data.get("subject"), max_len=MAX_SUBJECT,
                    missing=N_("Give the subject or place of the inspection."),
                    too_long=N_("The subject is too long (at most %(max)s characters)."))
    inspectors = _text(data.get("inspectors"), max_len=MAX_INSPECTORS,
                       missing=N_("Give the inspectors."),
                       too_long=N_("The inspectors are too long (at most %(max)s characters)."))
    plan_id = _id(data.get("plan_id"), invalid=N_("Choose an existing plan."))
    action_id = _id(data.get("action_id"), invalid=N_("Choose an existing action."))
    rows = data.get("findings")
    if not isinstance(rows, list | tuple):
        rows = []
    # Rows left entirely blank (a form's spare lines) are not findings.
    rows = [r for r in rows if not (isinstance(r, Mapping) and not any(
        (str(v).strip() if v is not None else "") for v in r.values()))]
    if not rows:
        raise InspectionInputError(N_("Record at least one finding."))
    if len(rows) > MAX_FINDINGS:
        raise InspectionInputError(N_("At most %(max)s findings in one inspection."), max=MAX_FINDINGS)
    findings = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise FindingInputError(N_("Finding %(n)s: not a finding."), n=n)
        text = _text(row.get("text"), max_len=MAX_FINDING, n=n,
                     missing=N_("Finding %(n)s: describe the problem found."),
                     too_long=N_("Finding %(n)s: the text is too long (at most %(max)s characters)."))
        department_id = _id(row.get("department_id"), n=n,
                            missing=N_("Finding %(n)s: choose the unit that must rectify it."),
                            invalid=N_("Finding %(n)s: choose an existing unit."))
        deadline = _date(row.get("deadline"), n=n,
                         missing=N_("Finding %(n)s: give the deadline for rectification."),
                         invalid=N_("Finding %(n)s: not a valid deadline: %(value)s (use YYYY-MM-DD)."))
        if deadline < inspected_on:
            raise FindingInputError(
                N_("Finding %(n)s: the deadline %(deadline)s is before the inspection date %(date)s."),
                n=n, deadline=deadline.isoformat(), date=inspected_on.isoformat())
        finding_action = _id(row.get("action_id"), n=n, invalid=N_("Finding %(n)s: choose an existing action."))
        finding_action = finding_action or action_id
        if finding_action is None:
            raise FindingInputError(
                N_("Finding %(n)s: choose the action whose task force verifies the rectification."), n=n)
        findings.append(FindingInput(n, text, department_id, deadline, finding_action))
    return InspectionInput(inspected_on, subject, inspectors, plan_id, action_id,
                           _flag(data.get("requires_evidence")), tuple(findings))


def case_title(text: str, limit: int = 60) -> str:
    """The rectification case's title: 整改：and the finding's first words."""
    first = text.splitlines()[0].strip()
    return "整改：" + (first if len(first) <= limit else first[: limit - 1] + "…")


# --- the 督查通报's words for a finding's state at a period's end ------------------------------

CLOSED = "closed"  # 已销号
VERIFIED = "verified"  # 已核验待销号
SUBMITTED = "submitted"  # 已报送待核验
OVERDUE = "overdue"  # 逾期未整改
OPEN = "open"  # 整改中


def rectification_status(state: str, overdue: bool) -> str:
    """closed / verified / submitted (the unit has done its part, whatever the date), else
    overdue when past its deadline, else open."""
    if state == State.CLOSED.value:
        return CLOSED
    if state == State.VERIFIED.value:
        return VERIFIED
    if state == State.SUBMITTED.value:
        return SUBMITTED
    return OVERDUE if overdue else OPEN
