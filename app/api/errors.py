"""The API's own refusals: a request the endpoint cannot read, or a field the schema refuses.

Each is a `DomainError`, so `app.errors.translate` puts it in the user's language and the
API mixin (app/api/base.py) answers it like any service error. Two families:

- `BadRequest` (400, code "bad_request"): the request is not what the endpoint reads — not
  a JSON object, nested too deeply, a field missing or of the wrong JSON type;
- `InvalidRequest` (422, code "invalid_input"): the shape is right but a value is refused —
  too long, out of range, not one of the choices, too many items.

Field errors are raised without the field's name; the mixin adds `field` (its path in the
body, e.g. ``case_ids.3`` or ``options.remarks``) before translating.
"""

from __future__ import annotations

from workflows.errors import DomainError, Forbidden, NotFound

# --- the request as a whole --------------------------------------------------------------------


class BadRequest(DomainError):
    """The request is not what the endpoint reads (400)."""

    code = "bad_request"
    status = 400
    msgid = "The request is malformed."


class BodyNotObject(BadRequest):
    msgid = "The request body must be a JSON object."


class BodyTooDeep(BadRequest):
    msgid = "The request body is nested too deeply (at most %(max)s levels)."


class UploadTooLarge(DomainError):
    code = "file_too_large"
    status = 413
    msgid = "The upload is too large (at most %(limit)s MB in all)."


class SignInRequired(DomainError):
    code = "unauthorized"
    status = 401
    msgid = "Please sign in."


class NoPermission(Forbidden):
    """FAB's permission check refused the call (the role lacks can_post, can_put…)."""

    msgid = "You may not do this."


class RecordNotFound(NotFound):
    """The default 404 of an API (each API names its own record, see ApiMixin.not_found)."""


class ServerError(DomainError):
    code = "server_error"
    status = 500
    msgid = "Something went wrong on the server; the action was not carried out."


# --- one field: the wrong JSON type (400) ------------------------------------------------------


class FieldMissing(BadRequest):
    msgid = "Field %(field)s is missing."


class MustBeText(BadRequest):
    msgid = "Field %(field)s must be text."


class MustBeWholeNumber(BadRequest):
    msgid = "Field %(field)s must be a whole number."


class MustBeBoolean(BadRequest):
    msgid = "Field %(field)s must be true or false."


class MustBeList(BadRequest):
    msgid = "Field %(field)s must be a list."


class MustBeObject(BadRequest):
    msgid = "Field %(field)s must be an object."


class MustBeNumberOrText(BadRequest):
    msgid = "Field %(field)s must be a number or text."


# --- one field: a refused value (422) ----------------------------------------------------------


class InvalidRequest(DomainError):
    """The body has the right shape but a value is refused (422)."""

    code = "invalid_input"
    status = 422
    msgid = "The input is not valid."


class TooLong(InvalidRequest):
    msgid = "Field %(field)s is too long (at most %(max)s characters)."


class OutOfRange(InvalidRequest):
    msgid = "Field %(field)s must be from %(min)s to %(max)s."


class NotAChoice(InvalidRequest):
    msgid = "Field %(field)s: %(value)s is not one of %(choices)s."


class TooMany(InvalidRequest):
    msgid = "Field %(field)s has too many items (at most %(max)s)."


class Empty(InvalidRequest):
    msgid = "Field %(field)s must not be empty."


class NotIds(InvalidRequest):
    msgid = "Field %(field)s must list whole numbers from 1 to %(max)s."
