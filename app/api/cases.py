"""Case API: read cases (FAB ModelRestApi) and act on them through app.services.workflow.

Each write method parses its input, calls one service function and maps typed errors to
HTTP codes; the body of every error is {"message": "<Chinese>", "code": "<code>"}.
Leaders hold only read permissions on "Case", so FAB answers 403 to every write of theirs.
"""

from __future__ import annotations

import functools
import json

from flask import jsonify, make_response, request, send_file
from flask_appbuilder.api import BaseApi, ModelRestApi, expose, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from app.access import CaseVisibilityFilter
from app.extensions import db
from app.models import Case
from app.security import current_actor
from app.services import workflow
from workflows.case_workflow import WorkflowError, available_transitions

CASE_COLUMNS = [
    "id",
    "title",
    "state",
    "version",
    "deadline",
    "original_deadline",
    "action_index",
    "lead_department_id",
    "lead_department_name",
    "list_kind",
    "percent_done",
]


class MalformedRequest(ValueError):
    """The request body is not what the endpoint reads (400)."""

    def __init__(self, field: str | None = None):
        self.field = field
        super().__init__(field)


def _message_400(exc: MalformedRequest) -> str:
    if exc.field:
        return gettext("Field %(field)s is missing or has the wrong type.", field=exc.field)
    return gettext("The request body must be a JSON object.")


def _body() -> dict:
    """The JSON object sent, or MalformedRequest."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise MalformedRequest()
    return body


def _field(body: dict, name: str, kinds: tuple, *, required: bool = False):
    """A field of the body of one of `kinds` (None when absent and optional)."""
    value = body.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) and bool not in kinds:
        raise MalformedRequest(name)
    if not isinstance(value, kinds):
        raise MalformedRequest(name)
    return value


class _ApiErrors:
    """Shared JSON error responses with Chinese messages and a code."""

    def error(self, status: int, message: str, code: str):
        # Not self.response(): its first parameter is already called `code`.
        return make_response(jsonify(message=message, code=code), status)

    def response_401(self):
        return self.error(401, gettext("Please sign in."), "unauthorized")

    def response_403(self):
        return self.error(403, gettext("You may not do this."), "forbidden")

    def response_404(self):
        return self.error(404, gettext("Case not found, or you may not see it."), "not_found")


def maps_errors(f):
    """Turn the services' typed errors (and malformed bodies) into JSON error responses."""

    @functools.wraps(f)
    def wrapper(self, *args, **kwargs):
        try:
            return f(self, *args, **kwargs)
        except MalformedRequest as exc:
            return self.error(400, _message_400(exc), "bad_request")
        except RequestEntityTooLarge:
            return self.error(
                413,
                gettext("The upload is too large (at most %(limit)s MB in all).",
                        limit=request.max_content_length // (1024 * 1024)),
                "file_too_large",
            )
        except (WorkflowError, workflow.InvalidInput, workflow.CaseNotFound) as exc:
            return self.error(
                workflow.error_status(exc), workflow.error_message(exc), workflow.error_code(exc)
            )

    return wrapper


def _case_json(case: Case) -> dict:
    return {
        "id": case.id,
        "state": case.state,
        "version": case.version,
        "deadline": case.deadline.isoformat(),
        "original_deadline": case.original_deadline.isoformat(),
        "lead_department_id": case.lead_department_id,
        "percent_done": case.percent_done,
    }


def _extension_json(ext) -> dict:
    return {
        "id": ext.id,
        "case_id": ext.case_id,
        "status": ext.status,
        "old_deadline": ext.old_deadline.isoformat(),
        "new_deadline": ext.new_deadline.isoformat(),
        "reason": ext.reason,
        "decision_comment": ext.decision_comment,
    }


class CaseApi(_ApiErrors, ModelRestApi):
    """Cases the caller may see, and every act on them (transition, progress, urge…)."""

    resource_name = "case"
    datamodel = SQLAInterface(Case)
    class_permission_name = "Case"
    allow_browser_login = True
    base_filters = [["id", CaseVisibilityFilter, None]]
    base_order = ("id", "asc")
    include_route_methods = {
        "get", "get_list", "info", "put", "transition", "progress", "history", "evidence",
        "urge", "extension", "comment", "bulk",
    }
    # Reads are can_get/can_download (leaders have them); every write is can_post/can_put.
    method_permission_name = {
        "get": "get",
        "get_list": "get",
        "info": "info",
        "history": "get",
        "evidence": "download",
        "put": "put",
        "transition": "post",
        "progress": "post",
        "urge": "post",
        "extension": "post",
        "comment": "post",
        "bulk": "post",
    }
    list_columns = CASE_COLUMNS
    show_columns = [*CASE_COLUMNS, "text", "partner_departments.id", "partner_departments.name"]
    edit_columns = ["deadline"]
    search_columns = ["title", "state", "deadline", "lead_department", "action", "list_kind"]
    order_columns = ["id", "deadline", "state", "title"]

    def pre_get_list(self, data: dict) -> None:
        """Add each case's RAG status (红黄绿灯)."""
        ids = data["ids"]  # aligned with the rows, even when the caller chose no "id" column
        rags = workflow.rag_by_id(db.session.scalars(select(Case).where(Case.id.in_(ids))).all())
        for case_id, row in zip(ids, data["result"], strict=True):
            row["rag"] = str(rags[case_id])

    def pre_get(self, data: dict) -> None:
        """Add the RAG status and the transitions the caller may fire now."""
        case = db.session.get(Case, int(data["id"]))
        data["result"]["rag"] = str(workflow.rag_for(case))
        data["result"]["available_transitions"] = available_transitions(
            workflow.case_facts(case), current_actor()
        )

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    @maps_errors
    def transition(self, pk: int):
        """Fire a transition: {"transition", "comment", "version", "new_department_id"}."""
        body = _body()
        case = workflow.apply_transition(
            pk,
            current_actor(),
            _field(body, "transition", (str,), required=True),
            comment=_field(body, "comment", (str,)),
            version=_field(body, "version", (int,)),
            new_department_id=_field(body, "new_department_id", (int,)),
        )
        return self.response(200, id=case.id, state=case.state, version=case.version)

    @expose("/<int:pk>/progress", methods=["POST"])
    @protect()
    @safe
    @maps_errors
    def progress(self, pk: int):
        """Report progress: JSON {"note", "percent", "indicators"} or multipart with files."""
        if request.mimetype == "multipart/form-data":
            form = request.form
            try:
                indicators = json.loads(form.get("indicators") or "{}")
            except ValueError:
                raise MalformedRequest("indicators") from None
            note, percent = form.get("note"), form.get("percent")
            files = request.files.getlist("files") + request.files.getlist("files[]")
        else:
            body = _body()
            note = _field(body, "note", (str,))
            percent = _field(body, "percent", (int, str))
            indicators = _field(body, "indicators", (dict,)) or {}
            files = []
        if not isinstance(indicators, dict):
            raise MalformedRequest("indicators")
        update = workflow.add_progress(
            pk, current_actor(), note=note, percent=percent, indicator_values=indicators,
            files=files,
        )
        return self.response(201, result=workflow.progress_json(update))

    @expose("/<int:pk>/history", methods=["GET"])
    @protect()
    @safe
    @maps_errors
    def history(self, pk: int):
        """The case's history, oldest first."""
        return self.response(200, result=workflow.history_json(pk, current_actor()))

    @expose("/<int:pk>/evidence/<int:evidence_id>", methods=["GET"])
    @protect()
    @safe
    @maps_errors
    def evidence(self, pk: int, evidence_id: int):
        """Download an evidence file (only for users who may see the case)."""
        row, path = workflow.open_evidence(evidence_id, current_actor(), case_id=pk)
        response = send_file(
            path, mimetype=row.content_type, as_attachment=True, download_name=row.original_name,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/<int:pk>/urge", methods=["POST"])
    @protect()
    @safe
    @maps_errors
    def urge(self, pk: int):
        """催办: {"comment"}."""
        body = _body()
        entry = workflow.urge(pk, current_actor(), comment=_field(body, "comment", (str,)))
        return self.response(201, result=workflow.history_entry_json(entry))

    @expose("/<int:pk>/extension", methods=["POST"])
    @protect()
    @safe
    @maps_errors
    def extension(self, pk: int):
        """延期申请: {"new_deadline": "YYYY-MM-DD", "reason"}."""
        body = _body()
        ext = workflow.request_extension(
            pk,
            current_actor(),
            new_deadline=_field(body, "new_deadline", (str,), required=True),
            reason=_field(body, "reason", (str,)),
        )
        return self.response(201, result=_extension_json(ext))

    @expose("/<int:pk>/comment", methods=["POST"])
    @protect()
    @safe
    @maps_errors
    def comment(self, pk: int):
        """A comment on the case: {"text"}."""
        body = _body()
        entry = workflow.add_comment(pk, current_actor(), text=_field(body, "text", (str,)))
        return self.response(201, result=workflow.history_entry_json(entry))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @maps_errors
    def put(self, pk: int):
        """Admin only: change the deadline, {"deadline", "comment", "version"}."""
        body = _body()
        case = workflow.change_deadline(
            pk,
            current_actor(),
            deadline=_field(body, "deadline", (str,), required=True),
            comment=_field(body, "comment", (str,)),
            version=_field(body, "version", (int,)),
        )
        return self.response(200, **_case_json(case))

    @expose("/bulk", methods=["POST"])
    @protect()
    @safe
    @maps_errors
    def bulk(self):
        """Bulk transition or urge: {"case_ids", "operation", "comment"}; queued when large."""
        body = _body()
        result = workflow.start_bulk(
            _field(body, "case_ids", (list,), required=True),
            current_actor(),
            _field(body, "operation", (str,), required=True),
            comment=_field(body, "comment", (str,)),
        )
        return self.response(202 if result["queued"] else 200, **result)


class ExtensionApi(_ApiErrors, BaseApi):
    """Decisions on extension requests (the supervision office)."""

    resource_name = "extension"
    class_permission_name = "Case"
    allow_browser_login = True
    method_permission_name = {"decision": "post"}

    @expose("/<int:pk>/decision", methods=["POST"])
    @protect()
    @safe
    @maps_errors
    def decision(self, pk: int):
        """Approve or refuse: {"approve": true|false, "comment"}."""
        body = _body()
        ext = workflow.decide_extension(
            pk,
            current_actor(),
            approve=_field(body, "approve", (bool,), required=True),
            comment=_field(body, "comment", (str,)),
        )
        case = db.session.get(Case, ext.case_id)
        return self.response(200, result=_extension_json(ext), case=_case_json(case))


def register(appbuilder) -> None:
    """Register the case APIs."""
    appbuilder.add_api(CaseApi)
    appbuilder.add_api(ExtensionApi)
