"""What every act on a case shares: its errors, finding the case, one transaction, history.

Every service act (app.services.transitions, progress, case_acts, bulk) checks the rules of
workflows/ against the row it has locked (SELECT … FOR NO KEY UPDATE), writes the change, its
append-only CaseHistory row and its outbox event, and commits once — or rolls everything
back and raises a `workflows.errors.DomainError` whose status and msgid say why:

- CaseNotFound (and its kin) → 404 (missing or not visible: existence is never revealed)
- NotAllowed                 → 403 (TransitionNotAllowed included)
- TransitionNotPossible, StaleVersion, CaseClosed, Extension* → 409
- MissingInput, UnknownTransition, InvalidInput (and its kin) → 422
- QueueUnavailable           → 503 (a large bulk operation could not be queued)

`app.errors.translate(err)` gives the message in the user's language.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, lazyload

from app.access import visible_cases_clause
from app.extensions import db
from app.models import Case, CaseHistory, EvidenceFile
from workflows import errors
from workflows.case_workflow import StaleVersion, WorkflowError
from workflows.errors import N_
from workflows.vocabulary import Actor, CaseFacts, State

MAX_TEXT = 5000  # characters of a note, reason or comment
LEAD_DEPARTMENT_KINDS = ("district_department", "township")


# --- errors -------------------------------------------------------------------------------


class CaseNotFound(errors.NotFound):
    """The case does not exist or is not visible (404)."""

    msgid = N_("Case not found, or you may not see it.")


class EvidenceNotFound(CaseNotFound):
    """The evidence file does not exist, or its case is not visible (404)."""

    msgid = N_("Evidence file not found, or you may not see it.")


class ExtensionNotFound(CaseNotFound):
    """The extension request does not exist, or its case is not visible (404)."""

    msgid = N_("Extension request not found, or you may not see it.")


class InvalidInput(errors.InvalidInput):
    """Bad input to a case act (422); the raise site gives the msgid, kin give the code."""


class MissingText(InvalidInput):
    """A required text (comment, reason, note) is empty (422)."""

    code = "missing_input"


class InvalidDate(InvalidInput):
    code = "invalid_date"
    msgid = N_("Not a valid date: %(value)s (use YYYY-MM-DD).")


class InvalidDepartment(InvalidInput):
    code = "invalid_department"
    msgid = N_("Department %(id)s does not exist or cannot lead cases.")


class InvalidPercent(InvalidInput):
    code = "invalid_percent"
    msgid = N_("Percent done must be a whole number from 0 to 100.")


class InvalidIndicators(InvalidInput):
    code = "invalid_indicators"
    msgid = N_("Indicator values must map indicator ids to numbers.")


class FileTooLarge(InvalidInput):
    code = "file_too_large"
    msgid = N_("File %(name)s is larger than %(limit)s.")


class FileEmpty(InvalidInput):
    code = "file_empty"
    msgid = N_("File %(name)s is empty.")


class FileTypeRefused(InvalidInput):
    code = "file_type"
    msgid = N_("File %(name)s is not an allowed type (allowed: %(allowed)s).")


class ExtensionPending(WorkflowError):
    """The case already has an undecided extension request (409)."""

    code = "extension_pending"
    msgid = N_("This case already has a pending extension request (to %(deadline)s).")

    def __init__(self, deadline: date):
        super().__init__(deadline=deadline.isoformat())


class UrgedTooRecently(WorkflowError):
    """The case was urged within the urging interval (409): one urge per case per interval."""

    code = "urged_too_recently"
    msgid = N_("This case was already urged on %(urged_on)s; it can be urged again from %(next_day)s.")

    def __init__(self, urged_on: date, next_day: date):
        super().__init__(urged_on=urged_on.isoformat(), next_day=next_day.isoformat())


class ExtensionDecided(WorkflowError):
    """The extension request was decided already (409)."""

    code = "extension_decided"
    msgid = N_("This extension request was already decided (%(status)s).")
    labelled = {"status": "extension_status"}

    def __init__(self, status: str):
        self.decided_status = status  # (not `status`: that is the HTTP status)
        super().__init__(status=status)


class QueueUnavailable(WorkflowError):
    """The background queue cannot be reached (503); nothing was queued.

    A WorkflowError so that every caller catching the workflow's errors shows its message.
    """

    code = "queue_unavailable"
    status = 503
    msgid = N_(
        "The background queue is not available: try again later, or choose at most "
        "%(max)s cases."
    )


# --- reading ------------------------------------------------------------------------------


def case_facts(case: Case, *, has_evidence: bool | None = None) -> CaseFacts:
    """What the workflow rules need to know about a case row."""
    if has_evidence is None:
        has_evidence = bool(
            db.session.scalar(select(exists().where(EvidenceFile.case_id == case.id)))
        )
    return CaseFacts(
        state=State(case.state),
        action_id=case.action_id,
        lead_department_id=case.lead_department_id,
        partner_department_ids=frozenset(d.id for d in case.partner_departments),
        requires_evidence=bool(case.requires_evidence),
        has_evidence=has_evidence,
        organisation_id=case.plan.organisation_id if case.plan is not None else None,
    )


def get_visible_case(
    case_id: int, actor: Actor, *, for_update: bool = False, with_collections: bool = True
) -> Case:
    """The case if `actor` may see it (row locked when asked), else CaseNotFound.

    with_collections=False leaves its milestones and indicators to load when first used
    (an act that does not read them saves their two SELECTs).

    The lock is FOR NO KEY UPDATE: two acts on one case still wait for each other (one
    winner), but inserting a row that references the case (history, outbox, notification:
    their foreign key takes FOR KEY SHARE) does not wait for an act in progress.
    """
    try:
        case_id = int(case_id)
    except (TypeError, ValueError):
        raise CaseNotFound() from None
    # With its plan: case_facts reads the plan's organisation (one SELECT less per page or act).
    query = select(Case).where(Case.id == case_id, visible_cases_clause(actor)).options(
        joinedload(Case.plan))
    if for_update:
        # OF "case": the joined eager loads are outer joins, which cannot be locked; and
        # populate_existing so the object shows the row as it is once the lock is held.
        # key_share=True is PostgreSQL's FOR NO KEY UPDATE (no act changes a case's id).
        query = query.with_for_update(of=Case, key_share=True).execution_options(
            populate_existing=True
        )
    if not with_collections:
        query = query.options(lazyload(Case.milestones), lazyload(Case.indicators))
    case = db.session.scalars(query).unique().first()
    if case is None:
        raise CaseNotFound()
    return case


def ensure_case_visible(case_id: int, actor: Actor) -> int:
    """The case's id if `actor` may see it, else CaseNotFound: one SELECT of the id, for
    callers that only need the check (a case's history, an evidence download), not the case
    with its eagerly loaded partners, milestones and indicators."""
    try:
        case_id = int(case_id)
    except (TypeError, ValueError):
        raise CaseNotFound() from None
    found = db.session.scalar(select(Case.id).where(Case.id == case_id, visible_cases_clause(actor)))
    if found is None:
        raise CaseNotFound()
    return found


def actor_name(actor: Actor) -> str:
    """The name history shows for an actor: the user's full name, else the username."""
    if actor.user_id is None:
        return "system"
    user = db.session.get(User, actor.user_id)
    if user is None:
        return f"#{actor.user_id}"
    return (user.get_full_name() or "").strip() or user.username


# --- writing --------------------------------------------------------------------------------


@contextmanager
def transaction():
    """Commit once at the end; roll back everything on any error."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def clean_text(value, *, required_msgid: str | None = None, max_len: int = MAX_TEXT) -> str | None:
    """Stripped text; MissingText when required and empty, InvalidInput when too long."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput(N_("Text fields must be text."))
    text = (value or "").strip()
    if not text:
        if required_msgid is not None:
            raise MissingText(required_msgid)
        return None
    if len(text) > max_len:
        raise InvalidInput(N_("Text is too long (at most %(max)s characters)."), max=max_len)
    return text


def parse_date(value) -> date:
    """A date from a date or a YYYY-MM-DD string; InvalidDate otherwise."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidDate(value=value)


def add_history(case: Case, actor: Actor, kind: str, *, comment=None, data=None, **fields):
    """Append a history row (flushed, so its id can go into the outbox event)."""
    entry = CaseHistory(
        case_id=case.id,
        actor_id=actor.user_id,
        actor_name=actor_name(actor),
        kind=kind,
        comment=comment,
        data=data,
        **fields,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def check_version(case: Case, version: int | None) -> None:
    """StaleVersion when the client's version is given and no longer the case's."""
    if version is not None and version != case.version:
        raise StaleVersion(version, case.version)
