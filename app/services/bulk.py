"""Bulk acts (批量): a transition or an urge on many cases, each case in its own transaction.

Up to BULK_INLINE_LIMIT cases run in the request; more go to the Celery worker
(tasks.cases.bulk_apply), which acts as the requesting user.
"""

from __future__ import annotations

import uuid

from flask_appbuilder.security.sqla.models import User

from app.errors import translate
from app.extensions import db
from app.security import actor_for
from app.services.after_commit import send_task_now
from app.services.case_acts import urge
from app.services.case_base import InvalidInput, QueueUnavailable, clean_text
from app.services.transitions import apply_transition
from workflows import permissions
from workflows.case_workflow import TRANSITIONS, NotAllowed, UnknownTransition
from workflows.errors import N_, DomainError
from workflows.vocabulary import ANONYMOUS, Actor

BULK_INLINE_LIMIT = 20  # more cases than this go to Celery
BULK_MAX = 500


class NothingDone(DomainError):
    """An inline bulk run did none of its cases: answered with the refusals' own code and
    status when they agree (409 when the cases were urged too recently), so that a client
    and the list page see a refusal, not a success; `failed` holds the reason per case."""

    code = "bulk_nothing_done"
    status = 409
    msgid = N_("None of the %(count)s cases was done: %(reasons)s")

    def __init__(self, errors: dict[int, DomainError], failed: dict[int, str]):
        self.failed = failed
        kinds = {(e.code, e.status) for e in errors.values()}
        if len(kinds) == 1:
            self.code, self.status = next(iter(kinds))
        if len(errors) == 1:  # the one case's own message
            (only,) = errors.values()
            self.labelled = only.labelled
            super().__init__(only.msgid, **only.params)
        else:
            reasons = "; ".join(f"#{case_id} {message}" for case_id, message in failed.items())
            super().__init__(count=len(failed), reasons=reasons)


def _bulk_ids(case_ids) -> list[int]:
    """The different ids, in order: one linear pass that stops at the first one over BULK_MAX
    (the limit is checked before any per-case work, however long the list)."""
    if not isinstance(case_ids, (list, tuple)) or not case_ids:
        raise InvalidInput(N_("Choose at least one case."))
    ids: dict[int, None] = {}
    for value in case_ids:
        if isinstance(value, bool):
            raise InvalidInput(N_("Case ids must be whole numbers."))
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(N_("Case ids must be whole numbers.")) from None
        ids[number] = None
        if len(ids) > BULK_MAX:
            raise InvalidInput(N_("At most %(max)s cases at once."), max=BULK_MAX)
    return list(ids)


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
    ok, failed, _ = _apply_each(case_ids, actor_user_id, operation, comment, request_id)
    return {"ok": ok, "failed": failed}


def _apply_each(case_ids, actor_user_id, operation, comment, request_id):
    ids = _bulk_ids(case_ids)
    operation = _bulk_operation(operation)
    user = db.session.get(User, actor_user_id)
    actor = actor_for(user) if user is not None and user.active else ANONYMOUS
    ok: list[int] = []
    failed: dict[int, str] = {}
    errors: dict[int, DomainError] = {}
    for case_id in ids:
        try:
            if operation == "urge":
                urge(case_id, actor, comment=comment, request_id=request_id)
            else:
                apply_transition(case_id, actor, operation, comment=comment)
            ok.append(case_id)
        except DomainError as exc:
            failed[case_id] = translate(exc)
            errors[case_id] = exc
    return ok, failed, errors


def start_bulk(case_ids, actor: Actor, operation: str, *, comment: str | None = None) -> dict:
    """Run a bulk operation now (≤ 20 cases) or queue it for the worker."""
    ids = _bulk_ids(case_ids)
    operation = _bulk_operation(operation)
    if not permissions.can_bulk(actor):
        raise NotAllowed("bulk")
    comment = clean_text(comment)
    if len(ids) <= BULK_INLINE_LIMIT:
        ok, failed, errors = _apply_each(ids, actor.user_id, operation, comment, None)
        if not ok:
            raise NothingDone(errors, failed)
        return {"queued": False, "ok": ok, "failed": failed}
    request_id = uuid.uuid4().hex
    # Fails fast when the broker is down rather than hanging the request.
    if not send_task_now(
        "cases.bulk_apply", ids, actor.user_id, operation, comment=comment, request_id=request_id
    ):
        raise QueueUnavailable(max=BULK_INLINE_LIMIT)
    # No result backend: the id names the run (each urge it writes carries it as bulk_id).
    return {"queued": True, "task_id": request_id, "count": len(ids)}
