"""Error pages and API error bodies in the user's language, and CSRF for browser sessions."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect

from workflows.errors import DomainError

csrf = CSRFProtect()

MESSAGES = {
    400: "The request is malformed.",
    403: "You are not allowed to do this.",
    404: "The page or record does not exist, or you may not see it.",
    405: "This method is not allowed here.",
    413: "The upload is too large.",
    500: "Something went wrong on the server; the action was not carried out.",
}


def translate(error: DomainError) -> str:
    """The user-facing message of a DomainError, in the request's language.

    Params named in `error.labelled` are vocabulary words (states, transitions…) and are
    labelled first; a list of them is joined with the language's "or".
    """
    from app import labels  # labels import flask_babel only; kept local to stay light

    if not isinstance(error.msgid, str):
        # Translated where it was raised (lazy_gettext): the older services' style, until
        # their msgids move onto their error classes.
        return str(error.msgid)
    params = {}
    for name, value in error.params.items():
        vocabulary = error.labelled.get(name)
        if vocabulary:
            value = labels.label_words(vocabulary, value)
        params[name] = value
    try:
        return _(error.msgid, **params)
    except (KeyError, TypeError, ValueError):
        return _(error.msgid)


def init_app(app: Flask) -> None:
    """Register CSRF protection and the error handlers."""
    # Every state-changing request from a browser session must carry the CSRF token;
    # token-authenticated API calls carry no ambient authority and are exempt.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def protect_browser_sessions():
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return None
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return None
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return None
        if request.path == "/api/v1/security/login" or request.path == "/api/v1/security/refresh":
            return None
        csrf.protect()
        return None

    for code in MESSAGES:
        app.register_error_handler(code, _handle)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(DomainError, _handle_domain_error)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _handle(error):
    code = getattr(error, "code", 500) or 500
    description = getattr(error, "description", None)
    if description and description != getattr(type(error), "description", None):
        message = str(description)  # a specific message given with abort(code, description=…)
    else:
        message = _(MESSAGES.get(code, MESSAGES[500]))
    if _wants_json():
        return jsonify(message=message), code
    return _page(code, message)


def _page(code: int, message: str):
    """An error page in the app's layout (rendered outside any FAB view)."""
    appbuilder = current_app.appbuilder
    return (
        render_template(
            "errors/error.html",
            code=code,
            message=message,
            appbuilder=appbuilder,
            base_template=appbuilder.base_template,
        ),
        code,
    )


def _handle_domain_error(error: DomainError):
    """A DomainError no view caught: its status and message, as a page or an API body.

    Views that go back to a form flash `translate(err)` themselves; this is the rest (and the
    API's fallback until every API maps errors itself): nothing was changed, say why.
    """
    message = translate(error)
    if _wants_json():
        return jsonify(message=message, code=error.code), error.status
    return _page(error.status, message)


def _handle_csrf(error):
    message = _("The form has expired. Reload the page and try again.")
    if _wants_json():
        return jsonify(message=message), 400
    return _page(400, message)
