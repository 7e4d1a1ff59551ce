"""Browser-facing protections: CSRF on every cookie-authenticated write, security headers.

CSRF: app.errors exempts requests that carry `Authorization: Bearer …` (API clients have no
cookie to abuse). A signed-in browser session plus any such header used to skip the check,
so here, first, every unsafe request whose session cookie holds a signed-in user must carry
a valid CSRF token, whatever other headers come with it. A pure API call (a valid JWT and no
signed-in session) is unaffected.

Headers on every response: Content-Security-Policy (frame-ancestors 'none'), X-Frame-Options
DENY, X-Content-Type-Options nosniff, Referrer-Policy, Permissions-Policy; behind TLS
(PREFERRED_URL_SCHEME=https or DUBAN_TLS=1) also Strict-Transport-Security, and cookies are
Secure. docs/security.md says what the CSP allows and why.
"""

from __future__ import annotations

import secrets

from flask import abort, g, request, session

# Scripts: same-origin files, plus inline blocks that carry this response's nonce (FAB's
# templates and ours print it through baselib.get_nonce(); there are no on*= handlers or
# javascript: URLs). Styles keep 'unsafe-inline': FAB's widgets and ours use style=""
# attributes (docs/security.md). No CDN, no plugins, no framing; forms post only here.
CSP_TEMPLATE = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'nonce-{nonce}'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CREDENTIAL_ENDPOINTS = ("/api/v1/security/login", "/api/v1/security/refresh")


def behind_tls(app) -> bool:
    return bool(app.config.get("DUBAN_TLS")) or app.config.get("PREFERRED_URL_SCHEME") == "https"


def _fab_action_rows_exist(view) -> bool:
    """Whether a FAB action request names an action of the view and rows that exist.

    FAB's /action/<name>/<pk> and /action_post with a name the view does not declare was a
    500 (`None.func`), and so were FAB's own user and role actions on an id without a row
    (`copyrole`, `resetpasswords` get None) or a row posted to an action of the other kind
    (a single-row action given a list, or the reverse): all 404 now. Views
    with app.views.row_policy's mixin load their rows through their filters themselves.
    """
    args = request.view_args or {}
    name = args.get("name") or request.form.get("action")
    action = (getattr(view, "actions", None) or {}).get(name)
    if action is None:
        return False
    if hasattr(view, "_row_filters"):  # RowPolicyActions: its own checks
        return True
    if not view.appbuilder.sm.has_access(view.get_action_permission_name(name),
                                         view.class_permission_name):
        return True  # FAB refuses it (without saying whether the rows exist)
    # FAB calls a single-row action with the row, a multi-row one with a list of rows.
    raw = [args["pk"]] if "pk" in args else request.form.getlist("rowid")
    if not raw or not (action.single if "pk" in args else action.multiple):
        return False
    for value in raw:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return False
        if not -(2**31) <= pk < 2**31 or view.datamodel.get(pk) is None:
            return False
    return True


def init_app(app) -> None:
    from app.errors import csrf

    if behind_tls(app):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config.setdefault("PREFERRED_URL_SCHEME", "https")
    if app.config.get("DUBAN_PROXY_FIX"):
        # Behind the TLS-terminating proxy (docs/security.md): trust ONE hop's
        # X-Forwarded-For/-Proto, so rate limits see the client's address and URLs are https.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    @app.before_request
    def no_fab_file_downloads():
        # FAB gives every ModelView /download/<filename>, serving any file of UPLOAD_FOLDER by
        # name (and a 500 for a name without its separator). No model of ours has a file
        # column: evidence and reports have their own checked routes.
        rule = request.url_rule
        if rule is not None and rule.rule.endswith("/download/<string:filename>"):
            abort(404)
        # FAB's chart views take a group-by index: anything else was a 500.
        group_by = str((request.view_args or {}).get("group_by", ""))
        if rule is not None and rule.rule.endswith("/chart/<group_by>") and not group_by.isdigit():
            abort(404)
        # FAB's /action/<name>/<pk> and /action_post with a name the view does not declare
        # (or on a view without actions) was a 500 (`None.func`).
        if request.endpoint and request.endpoint.endswith((".action", ".action_post")):
            view = getattr(app.view_functions.get(request.endpoint), "__self__", None)
            if view is not None and not _fab_action_rows_exist(view):
                abort(404)
        return None

    @app.before_request
    def csrf_for_signed_in_sessions():
        if not app.config.get("WTF_CSRF_ENABLED", True) or request.method not in _UNSAFE:
            return None
        if request.path in _CREDENTIAL_ENDPOINTS or "_user_id" not in session:
            return None
        csrf.protect()  # raises CSRFError (400, Chinese page or JSON) when the token is missing
        return None

    tls = behind_tls(app)

    def nonce() -> str:
        if "csp_nonce" not in g:
            g.csp_nonce = secrets.token_urlsafe(16)
        return g.csp_nonce

    # FAB's baselib.get_nonce() calls csp_nonce(); a global, because macros are imported
    # without the page's context.
    app.jinja_env.globals["csp_nonce"] = nonce

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP_TEMPLATE.format(nonce=nonce()))
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if tls:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
