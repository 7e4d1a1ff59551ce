"""The case workflow applied to the database: transitions, progress, urging, extensions.

Every function here checks the rules of workflows/ against the row it has locked
(SELECT … FOR UPDATE), writes the change, its append-only CaseHistory row and its
outbox event, and commits once — or rolls everything back and raises a typed error:

- CaseNotFound    → 404 (missing or not visible: existence is never revealed)
- NotAllowed      → 403 (TransitionNotAllowed included)
- TransitionNotPossible, StaleVersion and the conflicts below → 409
- MissingInput, UnknownTransition, InvalidInput → 422
- QueueUnavailable → 503 (a large bulk operation could not be queued)

`error_message(exc)` gives the translated message, `error_status(exc)` the HTTP status;
the API and the pages both use them.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Any

import filetype
from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext, lazy_gettext
from sqlalchemy import exists, select

from app.access import visible_cases_clause
from app.extensions import db
from app.labels import (
    EXTENSION_STATUS_LABELS,
    HISTORY_KIND_LABELS,
    NEED_LABELS,
    OPERATION_LABELS,
    RELATION_LABELS,
    STATE_LABELS,
    TRANSITION_LABELS,
    label,
)
from app.models import (
    Case,
    CaseHistory,
    Department,
    EvidenceFile,
    ExtensionRequest,
    Indicator,
    IndicatorActual,
    ProgressUpdate,
    utcnow,
)
from app.security import actor_for
from app.services import outbox
from app.services.after_commit import send_task_now
from app.services.calendar import current_calendar, local_today
from app.services.cases import history_of, history_summary, to_local
from app.services.settings import get_setting
from workflows.access import can_read_only
from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar
from workflows.case_workflow import (
    TRANSITIONS,
    Actor,
    CaseFacts,
    MissingInput,
    NotAllowed,
    Relation,
    StaleVersion,
    State,
    TransitionNotAllowed,
    TransitionNotPossible,
    UnknownTransition,
    WorkflowError,
    can_comment,
    can_decide_extension,
    can_edit_deadline,
    can_request_extension,
    can_update_progress,
    can_urge,
    check_transition,
    relations,
)
from workflows.rag import Rag, elapsed_share, is_overdue, rag_status

MAX_TEXT = 5000  # characters of a note, reason or comment
MAX_FILES = 10  # evidence files per progress update
BULK_INLINE_LIMIT = 20  # more cases than this go to Celery
BULK_MAX = 500
LEAD_DEPARTMENT_KINDS = ("district_department", "township")

# Evidence types, checked by content (magic bytes) → the file-name extensions they may
# carry. Archives (zip, rar) are refused: reviewers cannot see inside them and they can
# carry executables. Plain text has no magic bytes: accepted when it decodes as text.
EVIDENCE_TYPES: Mapping[str, tuple[str, ...]] = {
    "pdf": ("pdf",),
    "jpg": ("jpg", "jpeg"),
    "png": ("png",),
    "doc": ("doc",),
    "docx": ("docx",),
    "xls": ("xls",),
    "xlsx": ("xlsx",),
    "ppt": ("ppt",),
    "pptx": ("pptx",),
    "txt": ("txt", "csv"),
}
TEXT_MIME = "text/plain"


# --- errors -------------------------------------------------------------------------------


class CaseNotFound(LookupError):
    """The case (or its file, or extension request) does not exist or is not visible (404)."""

    code = "not_found"

    def __init__(self, message=None):
        self.message = message or lazy_gettext("Case not found, or you may not see it.")
        super().__init__(str(self.message))


class InvalidInput(ValueError):
    """Bad user input; `message` is a (lazy) translated text (422)."""

    code = "invalid_input"

    def __init__(self, message, code: str | None = None):
        self.message = message
        if code:
            self.code = code
        super().__init__(str(message))


class CaseClosed(WorkflowError):
    """The operation is allowed for this user, but not on a closed case (409)."""

    code = "case_closed"
    message = "The case is closed: it must be reopened before you can %(operation)s it."

    def __init__(self, operation: str):
        self.operation = operation
        super().__init__(operation=operation)


class ExtensionNotPossible(WorkflowError):
    """Extensions are asked for before the case is verified (409)."""

    code = "extension_not_possible"
    message = "Cannot request an extension: the case is %(state)s."

    def __init__(self, state: State):
        self.state = state
        super().__init__(state=str(state))


class ExtensionPending(WorkflowError):
    """The case already has an undecided extension request (409)."""

    code = "extension_pending"
    message = "This case already has a pending extension request (to %(deadline)s)."

    def __init__(self, deadline: date):
        super().__init__(deadline=deadline.isoformat())


class ExtensionDecided(WorkflowError):
    """The extension request was decided already (409)."""

    code = "extension_decided"
    message = "This extension request was already decided (%(status)s)."

    def __init__(self, status: str):
        self.status = status
        super().__init__(status=status)


class QueueUnavailable(WorkflowError):
    """The background queue cannot be reached (503); nothing was queued.

    A WorkflowError so that every caller catching the typed errors shows its message.
    """

    code = "queue_unavailable"
    message = "The background queue is not available."


_STATUS = (
    (QueueUnavailable, 503),
    (CaseNotFound, 404),
    (NotAllowed, 403),
    (MissingInput, 422),
    (UnknownTransition, 422),
    (InvalidInput, 422),
    (WorkflowError, 409),  # TransitionNotPossible, StaleVersion and the conflicts above
)


def error_status(exc: Exception) -> int:
    """The HTTP status a typed error maps to (500 for anything unexpected)."""
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_code(exc: Exception) -> str:
    """A stable machine-readable code of a typed error."""
    return getattr(exc, "code", "error")


def _labels(labels: Mapping, values, sep: str) -> str:
    return sep.join(label(labels, str(v)) for v in values)


def error_message(exc: Exception) -> str:
    """The translated, user-facing message of a workflow, input or not-found error."""
    if isinstance(exc, (CaseNotFound, InvalidInput)):
        return str(exc.message)
    if isinstance(exc, QueueUnavailable):  # before WorkflowError: its own message
        return gettext(
            "The background queue is not available: try again later, or choose at most "
            "%(max)s cases.",
            max=BULK_INLINE_LIMIT,
        )
    or_ = gettext(" or ")
    if isinstance(exc, UnknownTransition):
        known = "、".join(f"{name}（{label(TRANSITION_LABELS, name)}）" for name in TRANSITIONS)
        return gettext(
            "Unknown transition %(transition)s; known transitions: %(known)s.",
            transition=exc.transition,
            known=known,
        )
    if isinstance(exc, TransitionNotAllowed):
        return gettext(
            "You may not %(operation)s this case: only %(who)s may.",
            operation=label(TRANSITION_LABELS, exc.transition),
            who=_labels(RELATION_LABELS, exc.who, or_),
        )
    if isinstance(exc, NotAllowed):
        return gettext(
            "You may not %(operation)s this case.",
            operation=label(OPERATION_LABELS, exc.operation),
        )
    if isinstance(exc, TransitionNotPossible):
        return gettext(
            "Cannot %(transition)s this case: it is %(state)s, and %(transition)s needs it to "
            "be %(required)s.",
            transition=label(TRANSITION_LABELS, exc.transition),
            state=label(STATE_LABELS, str(exc.state)),
            required=_labels(STATE_LABELS, exc.required_states, or_),
        )
    if isinstance(exc, MissingInput):
        if exc.same_department:
            return gettext("The new lead department must differ from the current one.")
        return gettext(
            "To %(transition)s this case, give %(needs)s.",
            transition=label(TRANSITION_LABELS, exc.transition),
            needs=_labels(NEED_LABELS, exc.needs, gettext(", ")),
        )
    if isinstance(exc, StaleVersion):
        return gettext(
            "The case was changed by someone else (your version %(expected)s, now "
            "%(actual)s). Reload it and try again.",
            expected=exc.expected,
            actual=exc.actual,
        )
    if isinstance(exc, CaseClosed):
        return gettext(
            "The case is closed: it must be reopened before you can %(operation)s it.",
            operation=label(OPERATION_LABELS, exc.operation),
        )
    if isinstance(exc, ExtensionNotPossible):
        return gettext(
            "Cannot request an extension: the case is %(state)s.",
            state=label(STATE_LABELS, str(exc.state)),
        )
    if isinstance(exc, ExtensionPending):
        return gettext(
            "This case already has a pending extension request (to %(deadline)s).",
            **exc.params,
        )
    if isinstance(exc, ExtensionDecided):
        return gettext(
            "This extension request was already decided (%(status)s).",
            status=label(EXTENSION_STATUS_LABELS, exc.status),
        )
    if isinstance(exc, WorkflowError):
        return gettext(exc.message) % exc.params
    return gettext("Something went wrong; nothing was changed.")


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
    )


def get_visible_case(case_id: int, actor: Actor, *, for_update: bool = False) -> Case:
    """The case if `actor` may see it (locked FOR UPDATE when asked), else CaseNotFound."""
    try:
        case_id = int(case_id)
    except (TypeError, ValueError):
        raise CaseNotFound() from None
    query = select(Case).where(Case.id == case_id, visible_cases_clause(actor))
    if for_update:
        # OF "case": the joined eager loads are outer joins, which cannot be locked; and
        # populate_existing so the object shows the row as it is once the lock is held.
        query = query.with_for_update(of=Case).execution_options(populate_existing=True)
    case = db.session.scalars(query).unique().first()
    if case is None:
        raise CaseNotFound()
    return case


def actor_name(actor: Actor) -> str:
    """The name history shows for an actor: the user's full name, else the username."""
    if actor.user_id is None:
        return "system"
    user = db.session.get(User, actor.user_id)
    if user is None:
        return f"#{actor.user_id}"
    return (user.get_full_name() or "").strip() or user.username


# --- helpers --------------------------------------------------------------------------------


@contextmanager
def _transaction():
    """Commit once at the end; roll back everything on any error."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _text(value, *, required_message=None, max_len: int = MAX_TEXT) -> str | None:
    """Stripped text; InvalidInput when required and empty, or too long."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput(lazy_gettext("Text fields must be text."))
    text = (value or "").strip()
    if not text:
        if required_message is not None:
            raise InvalidInput(required_message, code="missing_input")
        return None
    if len(text) > max_len:
        raise InvalidInput(
            lazy_gettext("Text is too long (at most %(max)s characters).", max=max_len)
        )
    return text


def parse_date(value) -> date:
    """A date from a date or a YYYY-MM-DD string; InvalidInput otherwise."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(
        lazy_gettext("Not a valid date: %(value)s (use YYYY-MM-DD).", value=value),
        code="invalid_date",
    )


def _history(case: Case, actor: Actor, kind: str, *, comment=None, data=None, **fields):
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


def _require(allowed: bool, actor: Actor, facts: CaseFacts, operation: str, who) -> None:
    """403 when the actor has no part in this; 409 when only the closed state prevents it."""
    if allowed:
        return
    if facts.state == State.CLOSED and relations(facts, actor) & who:
        raise CaseClosed(operation)
    raise NotAllowed(operation)


# --- transitions ----------------------------------------------------------------------------


def apply_transition(
    case_id: int,
    actor: Actor,
    transition: str,
    *,
    comment: str | None = None,
    version: int | None = None,
    new_department_id: int | None = None,
) -> Case:
    """Fire a workflow transition: the only code that changes Case.state."""
    if not isinstance(transition, str) or transition not in TRANSITIONS:
        raise UnknownTransition(str(transition))
    with _transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        if version is not None and version != case.version:
            raise StaleVersion(version, case.version)
        if comment is not None and not isinstance(comment, str):
            raise InvalidInput(lazy_gettext("Text fields must be text."))
        if new_department_id is not None:
            try:
                new_department_id = int(new_department_id)
            except (TypeError, ValueError):
                raise _bad_department(new_department_id) from None
        target = check_transition(
            case_facts(case),
            actor,
            transition,
            comment=comment,
            new_department_id=new_department_id,
        )
        comment = _text(comment)  # length, once the rule has accepted it
        source = case.state
        data = None
        now = utcnow()
        if transition == "reassign":
            department = db.session.get(Department, new_department_id)
            if department is None or department.kind not in LEAD_DEPARTMENT_KINDS:
                raise _bad_department(new_department_id)
            data = {
                "old_department_id": case.lead_department_id,
                "old_department": case.lead_department_name,
                "new_department_id": department.id,
                "new_department": department.name,
                "old_owner_id": case.owner_id,
                "old_assignee_id": case.assignee_id,
            }
            case.lead_department_id = department.id
            # The old department's people no longer see the case: they must not stay on it.
            case.assignee_id = None
            case.owner_id = None
        if transition == "accept" and case.assignee_id is None:
            case.assignee_id = actor.user_id  # whoever signs for the case works it (经办人)
        _stamp(case, State(target), now)
        case.state = str(target)
        case.version += 1
        entry = _history(
            case,
            actor,
            "transition",
            comment=comment,
            data=data,
            transition=transition,
            from_state=source,
            to_state=str(target),
            at=now,
        )
        outbox.record_event(
            outbox.CASE_TRANSITIONED,
            case.id,
            transition=transition,
            from_state=source,
            to_state=str(target),
            actor_id=actor.user_id,
            history_id=entry.id,
        )
    return case


def _bad_department(value) -> InvalidInput:
    return InvalidInput(
        lazy_gettext("Department %(id)s does not exist or cannot lead cases.", id=value),
        code="invalid_department",
    )


def _stamp(case: Case, target: State, now: datetime) -> None:
    """Timestamps describe the current pass; earlier passes stay in the history."""
    case.state_changed_at = now
    if target == State.SUBMITTED:
        case.submitted_at = now
    elif target == State.VERIFIED:
        case.verified_at = now
    elif target == State.CLOSED:
        case.closed_at = now
    else:  # back to in_progress (return, reopen) or assigned (reassign)
        case.submitted_at = case.verified_at = case.closed_at = None
        if target == State.ASSIGNED:
            case.assigned_at = now


# --- progress and evidence ------------------------------------------------------------------


def add_progress(
    case_id: int,
    actor: Actor,
    *,
    note: str,
    percent: int,
    indicator_values: Mapping[Any, Any] | None = None,
    files: Sequence = (),
) -> ProgressUpdate:
    """Record a progress update with indicator actuals and evidence files, in one commit."""
    written: list[Path] = []
    try:
        with _transaction():
            case = get_visible_case(case_id, actor, for_update=True)
            facts = case_facts(case, has_evidence=False)
            _require(
                can_update_progress(facts, actor),
                actor,
                facts,
                "update_progress",
                {Relation.LEAD_CASEWORKER, Relation.PARTNER_CASEWORKER},
            )
            # Inputs are judged only for someone who may act (404, then 403/409, then 422).
            note = _text(note, required_message=lazy_gettext("Give a progress note."))
            percent = _percent(percent)
            values = _indicator_values(case, indicator_values or {})
            files = [f for f in (files or ()) if f is not None and (f.filename or "").strip()]
            if len(files) > MAX_FILES:
                raise InvalidInput(
                    lazy_gettext("At most %(max)s files per update.", max=MAX_FILES)
                )
            evidence = [_check_evidence(f) for f in files]  # all checked before any is written
            now = utcnow()
            update = ProgressUpdate(
                case_id=case.id, author_id=actor.user_id, note=note, percent_done=percent,
                created_at=now,
            )
            db.session.add(update)
            db.session.flush()
            for indicator, value in values:
                db.session.add(
                    IndicatorActual(
                        indicator_id=indicator.id, progress_update_id=update.id, value=value,
                        recorded_at=now,
                    )
                )
            stored = []
            for item in evidence:
                path = _store(item["data"])
                written.append(path)
                row = EvidenceFile(
                    case_id=case.id,
                    progress_update_id=update.id,
                    original_name=item["name"],
                    stored_name=path.name,
                    content_type=item["mime"],
                    size=len(item["data"]),
                    sha256=hashlib.sha256(item["data"]).hexdigest(),
                    uploaded_by_id=actor.user_id,
                    uploaded_at=now,
                )
                db.session.add(row)
                stored.append(row)
            db.session.flush()
            case.percent_done = percent
            case.last_progress_at = now
            _history(
                case,
                actor,
                "progress",
                comment=note,
                at=now,
                data={
                    "progress_update_id": update.id,
                    "percent": percent,
                    "indicators": {str(i.id): str(v) for i, v in values},
                    "evidence": [
                        {"id": r.id, "name": r.original_name, "size": r.size} for r in stored
                    ],
                },
            )
            outbox.record_event(
                outbox.CASE_PROGRESS, case.id, actor_id=actor.user_id, progress_update_id=update.id
            )
    except BaseException:
        for path in written:  # the database never saw them: leave no orphan files
            path.unlink(missing_ok=True)
        raise
    return update


def _percent(value) -> int:
    message = lazy_gettext("Percent done must be a whole number from 0 to 100.")
    if isinstance(value, bool):
        raise InvalidInput(message, code="invalid_percent")
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}\s*", value):
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(message, code="invalid_percent")
    return value


def _indicator_values(case: Case, given: Mapping) -> list[tuple[Indicator, Decimal]]:
    """Validated (indicator, value) pairs; only indicators of this case."""
    if not isinstance(given, Mapping):
        raise InvalidInput(
            lazy_gettext("Indicator values must map indicator ids to numbers."),
            code="invalid_indicators",
        )
    own = {i.id: i for i in case.indicators}
    pairs = []
    for key, raw in given.items():
        try:
            indicator = own[int(key)]
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(
                lazy_gettext("Indicator %(id)s is not a target of this case.", id=key),
                code="invalid_indicators",
            ) from None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue  # left empty in the form: nothing reported
        try:
            if isinstance(raw, bool):
                raise InvalidOperation
            value = Decimal(str(raw).strip())
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise InvalidInput(
                lazy_gettext(
                    "The value for %(name)s is not a number: %(value)s",
                    name=indicator.name,
                    value=raw,
                ),
                code="invalid_indicators",
            ) from None
        if abs(value) >= Decimal(10) ** 14:  # Numeric(18, 4)
            raise InvalidInput(
                lazy_gettext("The value for %(name)s is too large.", name=indicator.name),
                code="invalid_indicators",
            )
        pairs.append((indicator, value))
    return pairs


def _clean_name(name: str) -> str:
    """The file's own name (no folders, no control characters), at most 255 characters."""
    name = PurePosixPath((name or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-255:] or "file"


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:g} MB"
    return f"{size / 1024:g} KB" if size >= 1024 else f"{size} B"


def _check_evidence(storage) -> dict:
    """Read an uploaded file; check size and type by content; InvalidInput when refused."""
    name = _clean_name(storage.filename)
    limit = int(current_app.config["EVIDENCE_MAX_BYTES"])
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            lazy_gettext(
                "File %(name)s is larger than %(limit)s.", name=name, limit=_human_size(limit)
            ),
            code="file_too_large",
        )
    if not data:
        raise InvalidInput(lazy_gettext("File %(name)s is empty.", name=name), code="file_empty")
    kind, mime = _content_type(data)
    allowed = "、".join(EVIDENCE_TYPES)
    if kind not in EVIDENCE_TYPES:
        raise InvalidInput(
            lazy_gettext(
                "File %(name)s is not an allowed type (allowed: %(allowed)s).",
                name=name,
                allowed=allowed,
            ),
            code="file_type",
        )
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    if extension not in EVIDENCE_TYPES[kind]:
        # A PDF called "x.exe", or an image called "x.pdf": the name would mislead whoever
        # downloads it.
        raise InvalidInput(
            lazy_gettext(
                "The name of %(name)s does not match its content (%(kind)s).",
                name=name,
                kind=kind,
            ),
            code="file_type",
        )
    return {"name": name, "data": data, "mime": mime}


def _content_type(data: bytes) -> tuple[str | None, str | None]:
    """(kind, mime) by magic bytes; plain text when it decodes as UTF-8 or GB18030."""
    guess = filetype.guess(data)
    if guess is not None:
        return guess.extension, guess.mime
    if b"\x00" in data:
        return None, None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return "txt", TEXT_MIME
    return None, None


def evidence_folder() -> Path:
    """Where evidence files live (outside the web root, under UPLOAD_FOLDER)."""
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _store(data: bytes) -> Path:
    """Write a file under a generated name (uuid4 hex), never the user's."""
    path = evidence_folder() / uuid.uuid4().hex
    with path.open("xb") as f:
        f.write(data)
    return path


def open_evidence(
    evidence_id: int, actor: Actor, *, case_id: int | None = None
) -> tuple[EvidenceFile, Path]:
    """An evidence file and its path, for users who may see its case; CaseNotFound otherwise."""
    not_found = CaseNotFound(lazy_gettext("Evidence file not found, or you may not see it."))
    try:
        row = db.session.get(EvidenceFile, int(evidence_id))
    except (TypeError, ValueError):
        raise not_found from None
    if row is None or (case_id is not None and row.case_id != int(case_id)):
        raise not_found
    try:
        get_visible_case(row.case_id, actor)
    except CaseNotFound:
        raise not_found from None
    path = evidence_folder() / row.stored_name
    if not path.is_file():
        current_app.logger.error("evidence file %s missing at %s", row.id, path)
        raise not_found
    return row, path


# --- urging, comments, extensions, deadlines --------------------------------------------------


def urge(case_id: int, actor: Actor, *, comment: str | None, request_id: str | None = None):
    """催办: the office or the case's task-force lead reminds the case's department."""
    with _transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        facts = case_facts(case, has_evidence=False)
        _require(
            can_urge(facts, actor), actor, facts, "urge", {Relation.OFFICE, Relation.TASK_FORCE_LEAD}
        )
        comment = _text(comment)
        if request_id and _already_urged(case.id, request_id):
            # A redelivered bulk task: this case was urged by that request already.
            return None
        entry = _history(
            case, actor, "urge", comment=comment,
            data={"bulk_id": request_id} if request_id else None,
        )
        outbox.record_event(
            outbox.CASE_URGED, case.id, actor_id=actor.user_id, history_id=entry.id,
            comment=comment,
        )
    return entry


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
    with _transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        if not can_comment(case_facts(case, has_evidence=False), actor):
            raise NotAllowed("comment")
        text = _text(text, required_message=lazy_gettext("The comment is empty."))
        entry = _history(case, actor, "comment", comment=text)
        outbox.record_event(
            outbox.CASE_COMMENTED, case.id, actor_id=actor.user_id, history_id=entry.id
        )
    return entry


def request_extension(
    case_id: int, actor: Actor, *, new_deadline, reason: str
) -> ExtensionRequest:
    """延期申请 by the lead caseworker: one pending request per case, to a later date."""
    with _transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        facts = case_facts(case, has_evidence=False)
        if not can_request_extension(facts, actor):
            if Relation.LEAD_CASEWORKER in relations(facts, actor):
                raise ExtensionNotPossible(facts.state)
            raise NotAllowed("request_extension")
        new_deadline = parse_date(new_deadline)
        reason = _text(reason, required_message=lazy_gettext("Give a reason for the extension."))
        if new_deadline <= case.deadline:
            raise InvalidInput(
                lazy_gettext(
                    "The new deadline must be after the current deadline (%(deadline)s).",
                    deadline=case.deadline.isoformat(),
                ),
                code="invalid_date",
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
        _history(
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
    not_found = CaseNotFound(lazy_gettext("Extension request not found, or you may not see it."))
    try:
        found = db.session.get(ExtensionRequest, int(extension_id))
    except (TypeError, ValueError):
        raise not_found from None
    if found is None:
        raise not_found
    with _transaction():
        try:
            case = get_visible_case(found.case_id, actor, for_update=True)
        except CaseNotFound:
            raise not_found from None
        if not can_decide_extension(actor):
            raise NotAllowed("decide_extension")
        if not isinstance(approve, bool):
            raise InvalidInput(lazy_gettext("Say whether the request is approved."))
        request = db.session.scalars(
            select(ExtensionRequest)
            .where(ExtensionRequest.id == found.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if request.status != "pending":
            raise ExtensionDecided(request.status)
        comment = _text(
            comment,
            required_message=None if approve else lazy_gettext("Give a reason for refusing."),
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
        _history(
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
    with _transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        if not can_edit_deadline(actor):
            raise NotAllowed("change_deadline")
        if version is not None and version != case.version:
            raise StaleVersion(version, case.version)
        deadline = parse_date(deadline)
        comment = _text(comment)
        if deadline == case.deadline:
            raise InvalidInput(lazy_gettext("The deadline is unchanged."))
        if deadline < case.start_date:
            raise InvalidInput(
                lazy_gettext(
                    "The deadline cannot be before the start date (%(start)s).",
                    start=case.start_date.isoformat(),
                ),
                code="invalid_date",
            )
        old = case.deadline
        case.deadline = deadline
        case.version += 1
        entry = _history(
            case, actor, "deadline_change", comment=comment,
            data={"old": old.isoformat(), "new": deadline.isoformat()},
        )
        outbox.record_event(
            outbox.CASE_DEADLINE_CHANGED, case.id, actor_id=actor.user_id, history_id=entry.id,
            old=old.isoformat(), new=deadline.isoformat(),
        )
    return case


# --- bulk -------------------------------------------------------------------------------------


def _bulk_ids(case_ids) -> list[int]:
    if not isinstance(case_ids, (list, tuple)) or not case_ids:
        raise InvalidInput(lazy_gettext("Choose at least one case."))
    ids = []
    for value in case_ids:
        if isinstance(value, bool):
            raise InvalidInput(lazy_gettext("Case ids must be whole numbers."))
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(lazy_gettext("Case ids must be whole numbers.")) from None
        if number not in ids:
            ids.append(number)
    if len(ids) > BULK_MAX:
        raise InvalidInput(lazy_gettext("At most %(max)s cases at once.", max=BULK_MAX))
    return ids


def _bulk_operation(operation) -> str:
    if operation == "urge" or operation in TRANSITIONS:
        return operation
    raise UnknownTransition(str(operation))


def bulk_apply(
    case_ids: list[int],
    actor_user_id: int,
    operation: str,
    *,
    comment: str | None = None,
    request_id: str | None = None,
) -> dict:
    """Apply a transition or "urge" to each case, each in its own transaction."""
    ids = _bulk_ids(case_ids)
    operation = _bulk_operation(operation)
    user = db.session.get(User, actor_user_id)
    actor = actor_for(user) if user is not None and user.active else Actor(None, frozenset())
    ok: list[int] = []
    failed: dict[int, str] = {}
    for case_id in ids:
        try:
            if operation == "urge":
                urge(case_id, actor, comment=comment, request_id=request_id)
            else:
                apply_transition(case_id, actor, operation, comment=comment)
            ok.append(case_id)
        except (WorkflowError, InvalidInput, CaseNotFound) as exc:
            failed[case_id] = error_message(exc)
    return {"ok": ok, "failed": failed}


def start_bulk(case_ids, actor: Actor, operation: str, *, comment: str | None = None) -> dict:
    """Run a bulk operation now (≤ 20 cases) or queue it for the worker."""
    ids = _bulk_ids(case_ids)
    operation = _bulk_operation(operation)
    if actor.user_id is None or can_read_only(actor):
        raise NotAllowed("bulk")
    comment = _text(comment)
    if len(ids) <= BULK_INLINE_LIMIT:
        return {"queued": False, **bulk_apply(ids, actor.user_id, operation, comment=comment)}
    request_id = uuid.uuid4().hex
    # Fails fast when the broker is down rather than hanging the request.
    if not send_task_now(
        "cases.bulk_apply", ids, actor.user_id, operation, comment=comment, request_id=request_id
    ):
        raise QueueUnavailable()
    # No result backend: the id names the run (each urge it writes carries it as bulk_id).
    return {"queued": True, "task_id": request_id, "count": len(ids)}


# --- RAG and history ------------------------------------------------------------------------


def rag_settings() -> dict:
    """The configurable RAG margins (Setting table, with domain.md's defaults)."""
    return {
        "soon_working_days": int(get_setting("rag.soon_working_days", 5)),
        "pace_margin": int(get_setting("rag.pace_margin", 20)),
    }


def rag_for(
    case: Case,
    today: date | None = None,
    calendar: WorkingDayCalendar | None = None,
    settings: Mapping | None = None,
) -> Rag:
    """红黄绿灯 of a case today (pass calendar and settings when computing many)."""
    today = today or local_today()
    calendar = calendar or current_calendar()
    settings = settings or rag_settings()
    state = State(case.state)
    try:
        return rag_status(
            state=state, deadline=case.deadline, today=today, start=case.start_date,
            percent_done=case.percent_done, calendar=calendar, **settings,
        )
    except UnknownCalendarYear:
        # No official calendar for that year yet: a light must still show, so count
        # calendar days for "near the deadline" rather than failing the page.
        if state in (State.VERIFIED, State.CLOSED):
            return Rag.GREEN
        if is_overdue(state, case.deadline, today):
            return Rag.RED
        if (case.deadline - today).days <= settings["soon_working_days"]:
            return Rag.YELLOW
        expected = elapsed_share(case.start_date, case.deadline, today) * 100
        if (case.percent_done or 0) < expected - settings["pace_margin"]:
            return Rag.YELLOW
        return Rag.GREEN


def rag_by_id(cases: Sequence[Case], today: date | None = None) -> dict[int, Rag]:
    """RAG of many cases with one calendar and one settings read."""
    today = today or local_today()
    calendar = current_calendar()
    settings = rag_settings()
    return {c.id: rag_for(c, today, calendar, settings) for c in cases}


def history_json(case_id: int, actor: Actor) -> list[dict]:
    """The case's history as JSON-ready dicts, oldest first (CaseNotFound if not visible)."""
    get_visible_case(case_id, actor)
    return [history_entry_json(e) for e in history_of(int(case_id))]


def history_entry_json(entry: CaseHistory) -> dict:
    """One history row for the API and the timeline."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat() + "Z",
        "at_local": to_local(entry.at),
        "kind": entry.kind,
        "kind_label": label(HISTORY_KIND_LABELS, entry.kind),
        "transition": entry.transition,
        "transition_label": label(TRANSITION_LABELS, entry.transition),
        "from_state": entry.from_state,
        "from_state_label": label(STATE_LABELS, entry.from_state),
        "to_state": entry.to_state,
        "to_state_label": label(STATE_LABELS, entry.to_state),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "comment": entry.comment,
        "data": entry.data,
        "summary": history_summary(entry),
    }


def progress_json(update: ProgressUpdate) -> dict:
    """A progress update for the API."""
    return {
        "id": update.id,
        "case_id": update.case_id,
        "note": update.note,
        "percent_done": update.percent_done,
        "created_at": update.created_at.isoformat() + "Z",
        "indicators": {str(a.indicator_id): str(a.value) for a in update.actuals},
        "evidence": [
            {"id": f.id, "name": f.original_name, "size": f.size, "content_type": f.content_type}
            for f in update.evidence_files
        ],
    }
