"""The one error taxonomy: every refusal Duban gives a user is a `DomainError`.

An error carries what a client and a translator need and nothing of Flask:

- `code`: a stable machine-readable name (API clients switch on it);
- `status`: the HTTP status it maps to (the API mixin and the error pages use it);
- `msgid`: an English message with `%(name)s` placeholders, translated by
  `app.errors.translate` — the message text is written here once, nowhere else;
- `params`: the placeholder values; `labelled` names the params whose values are
  vocabulary words (a state, a transition, a relation…) that the UI layer labels in the
  user's language before formatting, e.g. ``{"state": "state"}``.

Subclasses set the class attributes and pass their params to ``super().__init__``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class DomainError(Exception):
    """A refusal with a code, an HTTP status, an English msgid and its params."""

    code: str = "error"
    status: int = 400
    msgid: str = "The request cannot be carried out."
    # param name -> label vocabulary (see app.labels); a tuple/list value is labelled item by item
    labelled: Mapping[str, str] = MappingProxyType({})

    def __init__(self, msgid: str | None = None, /, **params):
        if msgid is not None:
            self.msgid = msgid
        self.params = params
        super().__init__(self.english())

    def english(self) -> str:
        """The untranslated message (logs, tests, non-request contexts)."""
        try:
            return self.msgid % self._flat_params()
        except (KeyError, TypeError, ValueError):
            return self.msgid

    def _flat_params(self) -> dict:
        return {
            name: ", ".join(map(str, value)) if isinstance(value, (tuple, list, frozenset, set))
            else value
            for name, value in self.params.items()
        }

    def as_dict(self) -> dict:
        """Code and params, for an API body (the message is added by the translator)."""
        return {"code": self.code, "params": self._flat_params()}


class InvalidInput(DomainError):
    """Bad user input: a field missing, malformed or out of range (422)."""

    code = "invalid_input"
    status = 422
    msgid = "The input is not valid."


class NotFound(DomainError):
    """The record does not exist, or the user may not see it (404): the same answer for both."""

    code = "not_found"
    status = 404
    msgid = "The record does not exist, or you may not see it."


class Forbidden(DomainError):
    """The user may never do this (403)."""

    code = "forbidden"
    status = 403
    msgid = "You are not allowed to do this."


class Conflict(DomainError):
    """Allowed, but not in the record's current state (409)."""

    code = "conflict"
    status = 409
    msgid = "This cannot be done now."


class Unavailable(DomainError):
    """A service the operation needs is down; nothing was changed (503)."""

    code = "unavailable"
    status = 503
    msgid = "A service is not available; nothing was changed. Try again later."
