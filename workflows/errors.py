"""The one error taxonomy: every refusal Duban gives a user is a `DomainError`.

An error carries what a client and a translator need and nothing of Flask:

- `code`: a stable machine-readable name (API clients switch on it);
- `status`: the HTTP status it maps to (the API mixin and the error pages use it);
- `msgid`: an English message with `%(name)s` placeholders, translated by
  `app.errors.translate` — the message text is written here once, nowhere else;
- `params`: the placeholder values; `labelled` names the params whose values are
  vocabulary words (a state, a transition, a relation…) that the UI layer labels in the
  user's language before formatting, e.g. ``{"state": "state"}``.

Subclasses set the class attributes and pass their params to ``super().__init__``; a raise
site may pass its own msgid first (marked with `N_` so that it is extracted for the catalogue).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


def N_(msgid: str) -> str:
    """Mark an English msgid for extraction into the catalogue; translated later, on display."""
    return msgid


# Labelled vocabularies whose lists mean "all of these" (joined with a comma, not "or").
ALL_OF = frozenset({"need", "transition_named"})


class DomainError(Exception):
    """A refusal with a code, an HTTP status, an English msgid and its params."""

    code: str = "error"
    status: int = 400
    msgid: str = N_("The request cannot be carried out.")
    # param name -> label vocabulary (see app.labels); a tuple/list value is labelled item by item
    labelled: Mapping[str, str] = MappingProxyType({})

    def __init__(self, msgid: str | None = None, /, **params):
        if msgid is not None:
            self.msgid = msgid
        self.params = params
        super().__init__(self.english())

    def english(self) -> str:
        """The untranslated message (logs, tests, non-request contexts)."""
        if not isinstance(self.msgid, str):  # a message translated at the raise site (legacy)
            return str(self.msgid)
        try:
            return self.msgid % self._flat_params()
        except (KeyError, TypeError, ValueError):
            return self.msgid

    def _flat_params(self) -> dict:
        """Params with lists joined: "a or b" for labelled words, "a, b" for all-of lists."""
        flat = {}
        for name, value in self.params.items():
            if isinstance(value, (tuple, list, frozenset, set)):
                vocabulary = self.labelled.get(name)
                joiner = " or " if vocabulary and vocabulary not in ALL_OF else ", "
                value = joiner.join(map(str, value))
            flat[name] = value
        return flat

    def as_dict(self) -> dict:
        """Code and params, for an API body (the message is added by the translator)."""
        return {"code": self.code, "params": self._flat_params()}


class InvalidInput(DomainError):
    """Bad user input: a field missing, malformed or out of range (422)."""

    code = "invalid_input"
    status = 422
    msgid = N_("The input is not valid.")


class NotFound(DomainError):
    """The record does not exist, or the user may not see it (404): the same answer for both."""

    code = "not_found"
    status = 404
    msgid = N_("The record does not exist, or you may not see it.")


class Forbidden(DomainError):
    """The user may never do this (403)."""

    code = "forbidden"
    status = 403
    msgid = N_("You are not allowed to do this.")


class Conflict(DomainError):
    """Allowed, but not in the record's current state (409)."""

    code = "conflict"
    status = 409
    msgid = N_("This cannot be done now.")


class Unavailable(DomainError):
    """A service the operation needs is down; nothing was changed (503)."""

    code = "unavailable"
    status = 503
    msgid = N_("A service is not available; nothing was changed. Try again later.")
