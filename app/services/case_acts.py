"""Acts on a case besides transitions and progress: 催办 urge, comment, 延期 extension, deadline.

Who may do each is workflows.permissions'; each act runs in one transaction with its history
row and outbox event (app.services.case_base).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import exists, func, select

from app.clock import local_day, local_today
from app.extensions import db
from app.models import Case, CaseHistory, ExtensionRequest, utcnow
from app.services import outbox
from app.services.calendar import current_calendar
from app.services.case_base import (
    CaseNotFound,
    ExtensionDecided,
    ExtensionNotFound,
    ExtensionPending,
    InvalidDate,
    InvalidInput,
    UrgedTooRecently,
    add_history,
    case_facts,
    check_version,
    clean_text,
    get_visible_case,
    parse_date,
    transaction,
)
from app.services.settings import get_setting
from workflows import permissions
from workflows.calendar import UnknownCalendarYear
from workflows.case_workflow import NotAllowed
from workflows.errors import N_
from workflows.vocabulary import Actor


def urge(case_id: int, actor: Actor, *, comment: str | None, request_id: str | None = None):
    """催办: the office or the case's task-force lead reminds the case's department."""
    with transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        permissions.ensure("urge", case_facts(case, has_evidence=False), actor)
        comment = clean_text(comment)
        if request_id and _already_urged(case.id, request_id):
            # A redelivered bulk task: this case was urged by that request already.
            return None
        _check_urge_interval(case.id)
        entry = add_history(
            case, actor, "urge", comment=comment,
            data={"bulk_id": request_id} if request_id else None,
        )
        outbox.record_event(
            outbox.CASE_URGED, case.id, actor_id=actor.user_id, history_id=entry.id,
            comment=comment,
        )
    return entry


# 催办 at most once per case per interval (working days; 0 = no limit), whoever urges: a
# department is not flooded with the same reminder. Edited on the reminder settings page.
URGE_INTERVAL_KEY = "urging.interval_working_days"
URGE_INTERVAL_DEFAULT = 1  # once per working day: urged today, again from the next working day


def urge_interval() -> int:
    try:
        return max(0, int(get_setting(URGE_INTERVAL_KEY, URGE_INTERVAL_DEFAULT)))
    except (TypeError, ValueError):
        return URGE_INTERVAL_DEFAULT


def _check_urge_interval(case_id: int) -> None:
    """UrgedTooRecently when the case's last urge is less than the interval ago. The caller
    holds the case's row lock, so two urges at once see each other's row."""
    interval = urge_interval()
    if not interval:
        return
    last = db.session.scalar(
        select(func.max(CaseHistory.at)).where(
            CaseHistory.case_id == case_id, CaseHistory.kind == "urge"
        )
    )
    if last is None:
        return
    urged_on = local_day(last)
    next_day = _add_working_days(urged_on, interval)
    if local_today() < next_day:
        raise UrgedTooRecently(urged_on, next_day)


def _add_working_days(day: date, n: int) -> date:
    try:
        return current_calendar().add_working_days(day, n)
    except UnknownCalendarYear:  # a year the calendar does not know yet: Monday–Friday
        while n:
            day += timedelta(days=1)
            n -= day.weekday() < 5
        return day


def _already_urged(case_id: int, request_id: str) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CaseHistory.case_id == case_id,
                    CaseHistory.kind == "urge",
                    CaseHistory.data["bulk_id"].as_string() == request_id,
                )
            )
        )
    )


def add_comment(case_id: int, actor: Actor, *, text: str) -> CaseHistory:
    """A comment on the case's timeline, by anyone who sees it except read-only users."""
    with transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        if not permissions.can_comment(case_facts(case, has_evidence=False), actor):
            raise NotAllowed("comment")
        text = clean_text(text, required_msgid=N_("The comment is empty."))
        entry = add_history(case, actor, "comment", comment=text)
        outbox.record_event(
            outbox.CASE_COMMENTED, case.id, actor_id=actor.user_id, history_id=entry.id
        )
    return entry


def request_extension(
    case_id: int, actor: Actor, *, new_deadline, reason: str
) -> ExtensionRequest:
    """延期申请 by the lead caseworker: one pending request per case, to a later date."""
    with transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        permissions.ensure("request_extension", case_facts(case, has_evidence=False), actor)
        new_deadline = parse_date(new_deadline)
        reason = clean_text(reason, required_msgid=N_("Give a reason for the extension."))
        if new_deadline <= case.deadline:
            raise InvalidDate(
                N_("The new deadline must be after the current deadline (%(deadline)s)."),
                deadline=case.deadline.isoformat(),
            )
        pending = db.session.scalar(
            select(ExtensionRequest).where(
                ExtensionRequest.case_id == case.id, ExtensionRequest.status == "pending"
            )
        )
        if pending is not None:
            raise ExtensionPending(pending.new_deadline)
        request = ExtensionRequest(
            case_id=case.id,
            requested_by_id=actor.user_id,
            old_deadline=case.deadline,
            new_deadline=new_deadline,
            reason=reason,
            status="pending",
        )
        db.session.add(request)
        db.session.flush()
        add_history(
            case, actor, "extension_request", comment=reason,
            data={
                "extension_id": request.id,
                "old_deadline": case.deadline.isoformat(),
                "new_deadline": new_deadline.isoformat(),
            },
        )
        outbox.record_event(
            outbox.EXTENSION_REQUESTED, case.id, extension_id=request.id, actor_id=actor.user_id
        )
    return request


def decide_extension(
    extension_id: int, actor: Actor, *, approve: bool, comment: str | None = None
) -> ExtensionRequest:
    """The office approves (moving the deadline, keeping the original) or refuses a request."""
    try:
        found = db.session.get(ExtensionRequest, int(extension_id))
    except (TypeError, ValueError):
        raise ExtensionNotFound() from None
    if found is None:
        raise ExtensionNotFound()
    with transaction():
        try:
            case = get_visible_case(found.case_id, actor, for_update=True)
        except CaseNotFound:
            raise ExtensionNotFound() from None
        if not permissions.can_decide_extension(actor):
            raise NotAllowed("decide_extension")
        if not isinstance(approve, bool):
            raise InvalidInput(N_("Say whether the request is approved."))
        request = db.session.scalars(
            select(ExtensionRequest)
            .where(ExtensionRequest.id == found.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if request.status != "pending":
            raise ExtensionDecided(request.status)
        comment = clean_text(
            comment,
            required_msgid=None if approve else N_("Give a reason for refusing."),
        )
        now = utcnow()
        old_deadline = case.deadline
        request.status = "approved" if approve else "refused"
        request.decided_by_id = actor.user_id
        request.decided_at = now
        request.decision_comment = comment
        if approve:
            # original_deadline stays as first set: scoring uses it.
            case.deadline = request.new_deadline
            case.version += 1
        add_history(
            case, actor, "extension_decision", comment=comment, at=now,
            data={
                "extension_id": request.id,
                "approved": approve,
                "old_deadline": old_deadline.isoformat(),
                "new_deadline": request.new_deadline.isoformat(),
            },
        )
        outbox.record_event(
            outbox.EXTENSION_DECIDED, case.id, extension_id=request.id, status=request.status,
            actor_id=actor.user_id,
        )
    return request


def change_deadline(
    case_id: int,
    actor: Actor,
    *,
    deadline,
    comment: str | None = None,
    version: int | None = None,
) -> Case:
    """An admin corrects a case's deadline (recorded in history; original_deadline stays)."""
    with transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        if not permissions.can_edit_deadline(actor):
            raise NotAllowed("change_deadline")
        check_version(case, version)
        deadline = parse_date(deadline)
        comment = clean_text(comment)
        if deadline == case.deadline:
            raise InvalidInput(N_("The deadline is unchanged."))
        if deadline < case.start_date:
            raise InvalidDate(
                N_("The deadline cannot be before the start date (%(start)s)."),
                start=case.start_date.isoformat(),
            )
        old = case.deadline
        case.deadline = deadline
        case.version += 1
        entry = add_history(
            case, actor, "deadline_change", comment=comment,
            data={"old": old.isoformat(), "new": deadline.isoformat()},
        )
        outbox.record_event(
            outbox.CASE_DEADLINE_CHANGED, case.id, actor_id=actor.user_id, history_id=entry.id,
            old=old.isoformat(), new=deadline.isoformat(),
        )
    return case
