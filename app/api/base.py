"""The one API error mixin: every API of ours answers errors the same way.

    class CaseApi(ApiMixin, ModelRestApi):
        not_found = CaseNotFound          # this API's 404

        @expose("/<int:pk>/urge", methods=["POST"])
        @protect()
        @safe
        @answers_errors
        @documented("post", "Urge the case", body=UrgeSchema, ...)   # app/api/docs.py
        def urge(self, pk):
            body = self.body(UrgeSchema)      # 400/422 before any work
            entry = service.urge(pk, current_actor(), comment=body.get("comment"))
            return self.response(201, result=...)

- a `DomainError` raised anywhere below is answered with its `status` and the body
  ``{"code": err.code, "message": app.errors.translate(err)}``;
- `self.body(Schema)` reads the JSON body: not JSON, not an object or nested deeper than
  MAX_DEPTH is a 400; the schema's refusals (app/api/fields.py) are a 400 (wrong shape) or
  a 422 (refused value), with ``"errors": {"<field path>": ["<message>", …]}`` added;
- FAB's own refusals (401 no token, 403 no permission, 404, 500) speak Chinese too, and a
  path id that no PostgreSQL integer can hold is a 404 before any query.

No endpoint writes error text: every message is the msgid of an error class.
"""

from __future__ import annotations

import functools
import logging

from flask import jsonify, make_response, request
from flask_appbuilder.api import BaseApi
from flask_appbuilder.exceptions import ApplyFilterException
from flask_appbuilder.hooks import before_request
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, ProgrammingError
from werkzeug.exceptions import RequestEntityTooLarge

from app.api import errors
from app.api.fields import ID_MAX, error_paths
from app.errors import translate
from app.extensions import db
from workflows.errors import DomainError

log = logging.getLogger(__name__)

MAX_DEPTH = 8  # levels of JSON nesting a request body may have (ours need 3)

ERROR_BODY = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Stable machine-readable reason"},
        "message": {"type": "string", "description": "The reason in the user's language"},
        "errors": {
            "type": "object",
            "description": "Per field path, its messages (schema refusals only)",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["code", "message"],
}


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


# Our responses, referenced as '#/components/responses/<name>' in the docstrings.
RESPONSES = {
    "BadRequest": _error_response("Malformed request: not a JSON object, or a field missing or of the wrong type"),
    "Unauthorized": _error_response("No valid token or session"),
    "Forbidden": _error_response("The role or the workflow does not allow this"),
    "NotFound": _error_response("No such record, or the caller may not see it"),
    "Conflict": _error_response("Not possible in the record's current state, or changed meanwhile"),
    "TooLarge": _error_response("The upload is over the size limit"),
    "Unprocessable": _error_response("A value is refused; nothing was written"),
    "Unavailable": _error_response("A service is down; nothing was written"),
}


def _body_depth_ok(value, limit: int) -> bool:
    """Whether a parsed JSON value nests at most `limit` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True


def _query_ok(text: str) -> bool:
    """Whether FAB's ?q= (Rison, or JSON) parses, nests at most MAX_DEPTH, and every number
    in it fits a PostgreSQL integer (FAB binds filter values and pages to integer columns)."""
    import json

    import prison

    try:
        value = prison.loads(text)
    except Exception:  # prison raises IndexError, ValueError… on bad input
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return False
    if not isinstance(value, (dict, list)) or not _body_depth_ok(value, MAX_DEPTH):
        return False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > ID_MAX:
            return False
    return True


def parse_json_text(text: str | bytes | None):
    """A JSON value from text, or BadRequest (malformed, or nested beyond what Python parses)."""
    import json

    try:
        return json.loads(text or "")
    except RecursionError:
        raise errors.BodyTooDeep(max=MAX_DEPTH) from None
    except ValueError:
        raise errors.BodyNotObject() from None


def load(schema_cls, data):
    """`data` read by `schema_cls`, or the schema's refusals as one DomainError."""
    if not isinstance(data, dict):
        raise errors.BodyNotObject()
    if not _body_depth_ok(data, MAX_DEPTH):
        raise errors.BodyTooDeep(max=MAX_DEPTH)
    try:
        return schema_cls().load(data)
    except ValidationError as exc:
        raise SchemaRefusal(exc.messages) from None


class SchemaRefusal(Exception):
    """A schema's refusals: each error with the path of its field."""

    def __init__(self, messages):
        self.problems: list[tuple[str, DomainError]] = []
        for path, error in error_paths(messages):
            if not isinstance(error, DomainError):  # a marshmallow message we did not replace
                error = errors.BadRequest()
            error.params.setdefault("field", path)
            self.problems.append((path, error))
        super().__init__(self.problems)

    @property
    def status(self) -> int:
        """400 when any field has the wrong shape, else 422."""
        return min(error.status for _, error in self.problems)

    def body(self) -> dict:
        by_field: dict[str, list[str]] = {}
        for path, error in self.problems:
            by_field.setdefault(path, []).append(translate(error))
        code = errors.BadRequest.code if self.status == 400 else errors.InvalidRequest.code
        message = " ".join(dict.fromkeys(m for ms in by_field.values() for m in ms))
        return {"code": code, "message": message, "errors": by_field}


def error_response(exc: Exception):
    """The JSON answer to a DomainError (or a schema refusal); None for anything else."""
    if isinstance(exc, SchemaRefusal):
        return make_response(jsonify(exc.body()), exc.status)
    if isinstance(exc, DomainError):
        return make_response(jsonify(code=exc.code, message=translate(exc)), exc.status)
    return None


def answers_errors(f):
    """Answer the errors raised by an endpoint (put it below FAB's @safe)."""

    @functools.wraps(f)
    def wrapper(self, *args, **kwargs):
        try:
            return f(self, *args, **kwargs)
        except RequestEntityTooLarge:
            limit = (request.max_content_length or 0) // (1024 * 1024)
            return error_response(errors.UploadTooLarge(limit=limit))
        except Exception as exc:
            response = error_response(exc)
            if response is None:
                raise
            return response

    return wrapper


class ApiMixin:
    """Errors, request bodies and OpenAPI responses shared by every API of ours."""

    # This API's 404: the DomainError class its service raises for a missing record.
    not_found: type = errors.RecordNotFound
    # Summaries of the FAB methods an API inherits (ModelRestApi get/get_list/info…):
    # {method name: summary}; the mixin puts them in the OpenAPI document.
    inherited_summaries: dict[str, str] = {}

    responses = {**BaseApi.responses, **RESPONSES}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        methods = {name: {verb: {"summary": summary} for verb in ("get", "put", "post", "delete")}
                   for name, summary in self.inherited_summaries.items()}
        self.openapi_spec_methods = {**methods, **(self.openapi_spec_methods or {})}

    def _get_field_info(self, field, *args, **kwargs):
        # FAB translates a missing description, "", and gettext("") is the catalogue's header.
        info = super()._get_field_info(field, *args, **kwargs)
        if not (self.description_columns or {}).get(field.name):
            info["description"] = ""
        return info

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        if "Error" not in api_spec.components.schemas:
            api_spec.components.schema("Error", ERROR_BODY)

    # --- reading the request

    def body(self, schema_cls) -> dict:
        """The JSON body read by `schema_cls` (400/422 as a DomainError otherwise)."""
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            raise errors.BodyTooDeep(max=MAX_DEPTH) from None
        return load(schema_cls, data)

    @staticmethod
    def load(schema_cls, data) -> dict:
        """Data already parsed (a form's fields) read by `schema_cls`."""
        return load(schema_cls, data)

    def query(self, schema_cls) -> dict:
        """The query string read by `schema_cls` (one value per name)."""
        return load(schema_cls, request.args.to_dict(flat=True))

    @before_request
    def refuse_impossible_input(self):
        """Before FAB reads anything: a path id outside 1 … 2³¹−1 names no record (404);
        a ?q= that FAB's Rison parser would crash on, or with numbers no column holds (400)."""
        if "q" in request.args and not _query_ok(request.args["q"]):
            return self.response_400()
        for name, value in (request.view_args or {}).items():
            if name != "pk" and not name.endswith("_id"):
                continue
            if isinstance(value, str):
                if not (value.isascii() and value.isdigit()) or len(value) > 10:
                    return self.response_404()
                value = int(value)
            if isinstance(value, int) and not 1 <= value <= ID_MAX:
                return self.response_404()
        return None

    # --- FAB's reads (ModelRestApi get/get_list): values the database cannot compare

    def get_list_headless(self, **kwargs):
        return self._read(super().get_list_headless, **kwargs)

    def get_headless(self, pk, **kwargs):
        return self._read(super().get_headless, pk, **kwargs)

    def _read(self, read, *args, **kwargs):
        """A read whose ?q= filter or page the database refuses (text for an integer column,
        a number for a text one, a negative page) is the caller's malformed request: 400."""
        try:
            return read(*args, **kwargs)
        except (DataError, ProgrammingError, ApplyFilterException):
            db.session.rollback()
            log.info("refused FAB query %s", request.args.get("q"))
            return self.response_400()

    # --- FAB's own refusals, in the user's language

    def response_401(self):
        return error_response(errors.SignInRequired())

    def response_403(self):
        return error_response(errors.NoPermission())

    def response_404(self):
        return error_response(self.not_found())

    def response_400(self, message: str | None = None):
        return error_response(errors.BadRequest())

    def response_422(self, message: str | None = None):
        return error_response(errors.InvalidRequest())

    def response_500(self, message: str | None = None):
        return error_response(errors.ServerError())
