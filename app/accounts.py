"""Accounts: lock-out, rate limits, the security stamp, the password policy and the audit log.

- Lock-out per account: ACCOUNT_LOCKOUT_FAILURES wrong passwords in a row (each within
  ACCOUNT_LOCKOUT_MINUTES of the last) lock the account for ACCOUNT_LOCKOUT_MINUTES; while
  locked even the right password is refused. Per address: Flask-Limiter (Redis storage) on
  the login form and the API login, AUTH_RATE_LIMIT (FAB's AUTH_RATE_LIMITED setting).
- The security stamp (AccountState.stamp) goes into every session at login and into every
  JWT (claim "stamp"). It is rotated on logout, on any password change or reset and on
  deactivation, so every older session cookie and token of that user stops working at once.
- Password policy: FAB's complexity hook (FAB_PASSWORD_COMPLEXITY_VALIDATOR), Chinese text.
- Audit log (AuditEntry): logins, failures, lock-outs, logouts, password changes, users
  created, (de)activated, role changes and role permission changes — written in the same
  flush as the change (a session event), whichever path made it: form, API or command.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask import (
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, logout_user
from sqlalchemy import event
from sqlalchemy.orm import attributes

from app.extensions import db
from app.models import AccountState, AuditEntry, utcnow

log = logging.getLogger(__name__)

SESSION_STAMP = "_duban_stamp"


# --- the audit log -------------------------------------------------------------------------


def client_address() -> str:
    return (request.remote_addr or "")[:64] if has_request_context() else ""


def _actor_name() -> str:
    if not has_request_context():
        return "命令行"
    user = getattr(g, "user", None) or current_user
    try:
        return user.username if user is not None and user.is_authenticated else ""
    except Exception:  # a detached or half-loaded user: the entry still gets written
        return ""


def audit(event_name: str, username: str, detail: str = "", *, session=None) -> AuditEntry:
    """Add an audit entry to the session (committed with the change it records)."""
    entry = AuditEntry(
        event=event_name, username=(username or "")[:256], actor=_actor_name()[:256],
        address=client_address(), detail=detail[:4000], at=utcnow(),
    )
    (session or db.session).add(entry)
    return entry


# --- the security stamp --------------------------------------------------------------------


def _state(user_id: int, session=None) -> AccountState:
    session = session or db.session
    with session.no_autoflush:
        state = session.get(AccountState, user_id)
    if state is None:
        # Several web processes may meet a user's first login at once (scaling out): the row
        # is created once, the others wait for it and read it (no duplicate-key error).
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(AccountState).values(user_id=user_id, stamp="", failures=0)
                        .on_conflict_do_nothing())
        state = session.get(AccountState, user_id)
    return state


def current_stamp(user_id: int) -> str:
    """The user's stamp: "" until the first rotation (no row yet), then a random one."""
    state = db.session.get(AccountState, user_id)
    return state.stamp if state is not None else ""


def rotate_stamp(user_id: int, session=None) -> str:
    """Invalidate every session and token of the user (the caller commits)."""
    state = _state(user_id, session)
    state.stamp = secrets.token_hex(16)
    return state.stamp


# --- lock-out ------------------------------------------------------------------------------


def _lockout_settings() -> tuple[int, dt.timedelta]:
    config = current_app.config
    return (int(config.get("ACCOUNT_LOCKOUT_FAILURES", 5)),
            dt.timedelta(minutes=float(config.get("ACCOUNT_LOCKOUT_MINUTES", 15))))


def authenticate(sm, original, username, password):
    """FAB's auth_user_db with lock-out, the session stamp and the audit log around it."""
    from flask_appbuilder.security.sqla.models import User
    from werkzeug.security import check_password_hash

    name = (username or "")[:256]
    known = sm.find_user(username=username) if username else None
    if known is None and username:
        known = sm.find_user(email=username)
    now = utcnow()
    threshold, window = _lockout_settings()
    state = _state(known.id) if known is not None else None
    if state is not None and state.locked_until and state.locked_until > now:
        # Spend the time a real check takes, so a locked account does not answer faster.
        check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], "password")
        audit("login_while_locked", name)
        db.session.commit()
        _flash_locked(state.locked_until - now)
        return None
    user = original(username, password)
    if user is None:
        if state is not None:
            recent = state.last_failure_at and now - state.last_failure_at < window
            state.failures = (state.failures if recent else 0) + 1
            state.last_failure_at = now
            audit("login_failed", name, f"第{state.failures}次")
            if state.failures >= threshold:
                state.locked_until = now + window
                state.failures = 0
                audit("locked_out", name, f"连续{threshold}次密码错误，锁定至 {state.locked_until:%Y-%m-%d %H:%M} UTC")
        else:
            audit("login_failed", name, "无此用户")
        db.session.commit()
        return None
    assert isinstance(user, User)
    state = state or _state(user.id)
    state.failures, state.locked_until = 0, None
    audit("login", user.username, "接口登录" if request.path.startswith("/api/") else "")
    db.session.commit()
    if not request.path.startswith("/api/"):
        session[SESSION_STAMP] = state.stamp
    return user


def _flash_locked(remaining: dt.timedelta) -> None:
    if has_request_context() and not request.path.startswith("/api/"):
        minutes = max(1, int(remaining.total_seconds() // 60) + 1)
        flash(gettext("This account is locked after repeated wrong passwords. "
                      "Try again in %(minutes)d minutes or ask an administrator.",
                      minutes=minutes), "danger")


def on_logout(user) -> None:
    """Logging out ends every session and token of the user, not only this cookie."""
    if user is None:
        return
    rotate_stamp(user.id)
    audit("logout", user.username)
    db.session.commit()


# --- password policy -----------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10


def password_policy(password: str) -> None:
    """FAB's complexity hook: at least 10 characters of at least three kinds."""
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    password = password or ""
    kinds = sum((
        any(c.islower() for c in password), any(c.isupper() for c in password),
        any(c.isdigit() for c in password), any(not c.isalnum() for c in password),
    ))
    if len(password) < MIN_PASSWORD_LENGTH or kinds < 3:
        raise PasswordComplexityValidationError(gettext(
            "The password must be at least %(length)d characters long and contain at least "
            "three of: lower-case letters, capital letters, digits and symbols.",
            length=MIN_PASSWORD_LENGTH))
    if len(set(password)) < 4:
        raise PasswordComplexityValidationError(
            gettext("The password repeats too few characters; choose another one."))


# --- changes to users and roles, whichever path made them ----------------------------------


def _history(obj, key):
    return attributes.get_history(obj, key)


def _on_flush(session, flush_context, instances) -> None:
    from flask_appbuilder.security.sqla.models import Role, User

    from app.security import role_label  # the security manager imports this module

    for obj in list(session.new):
        if isinstance(obj, User):
            audit("user_created", obj.username or "",
                  "角色：" + "、".join(role_label(r) for r in obj.roles or []), session=session)
    for obj in list(session.dirty):
        if isinstance(obj, User) and obj.id is not None:
            if _history(obj, "password").deleted:
                stamp = rotate_stamp(obj.id, session)
                audit("password_changed", obj.username, session=session)
                _keep_own_session(obj, stamp)
            active = _history(obj, "active")
            if active.deleted and active.added and bool(active.added[0]) != bool(active.deleted[0]):
                if active.added[0]:
                    audit("user_activated", obj.username, session=session)
                else:
                    rotate_stamp(obj.id, session)
                    audit("user_deactivated", obj.username, session=session)
            roles = _history(obj, "roles")
            if roles.added or roles.deleted:
                added = "、".join(role_label(r) for r in roles.added)
                removed = "、".join(role_label(r) for r in roles.deleted)
                audit("roles_changed", obj.username,
                      f"增加：{added or '无'}；移除：{removed or '无'}", session=session)
        elif isinstance(obj, Role):
            permissions = _history(obj, "permissions")
            if permissions.added or permissions.deleted:
                audit("permissions_changed", "",
                      f"角色 {role_label(obj)}：增加 {len(permissions.added)} 项，移除 "
                      f"{len(permissions.deleted)} 项", session=session)


def _keep_own_session(user, stamp: str) -> None:
    """A user who changes their own password stays signed in here (only here)."""
    if not has_request_context() or request.path.startswith("/api/"):
        return
    try:
        own = current_user.is_authenticated and current_user.id == user.id
    except Exception:
        own = False
    if own:
        session[SESSION_STAMP] = stamp


# --- wiring --------------------------------------------------------------------------------


def _check_session():
    """Refuse a session cookie whose stamp is not the user's current one."""
    endpoint = request.endpoint or ""
    if "_user_id" not in session or endpoint == "static" or endpoint.endswith(".static"):
        return None
    # Flask-Login's user (FAB's load_user: None for an unknown or inactive user), which the
    # request needs anyway: loading the user a second time here cost a statement per request.
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if user is not None and user.is_active and session.get(SESSION_STAMP) == current_stamp(user.id):
        return None
    logout_user()
    session.clear()
    g.user = None
    message = gettext("Your session has ended (signed out, password changed or account "
                      "disabled). Please sign in again.")
    if request.path.startswith("/api/"):
        return jsonify(message=message), 401
    flash(message, "warning")
    return redirect(url_for("AuthDBView.login") if "AuthDBView.login" in _endpoints() else "/login/")


def _endpoints():
    return current_app.view_functions


def _too_many_requests(error):
    message = gettext("Too many attempts from this address. Please wait a few minutes and "
                      "try again.")
    if request.path.startswith("/api/"):
        return jsonify(message=message), 429
    return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{message}</title>'
            f"<p>{message}</p></html>", 429, {"Content-Type": "text/html; charset=utf-8"})


def init_app(app) -> None:
    """Register the session check, JWT stamp claims, the API login limit and the listeners."""
    sm = app.appbuilder.sm
    jwt = sm.jwt_manager

    @jwt.additional_claims_loader
    def _claims(identity):
        try:
            return {"stamp": current_stamp(int(identity))}
        except (TypeError, ValueError):
            return {}

    @jwt.token_in_blocklist_loader
    def _revoked(jwt_header, payload) -> bool:
        try:
            return payload.get("stamp") != current_stamp(int(payload["sub"]))
        except (KeyError, TypeError, ValueError):
            return True

    @jwt.revoked_token_loader
    def _revoked_answer(jwt_header, payload):
        return jsonify(message=gettext(
            "This token is no longer valid (signed out, password changed or account "
            "disabled). Please sign in again.")), 401

    if app.config.get("AUTH_RATE_LIMITED") and "SecurityApi.login" in app.view_functions:
        view = app.view_functions["SecurityApi.login"]
        app.view_functions["SecurityApi.login"] = sm.limiter.limit(
            app.config["AUTH_RATE_LIMIT"], methods=["POST"])(view)
    app.before_request(_check_session)
    app.register_error_handler(429, _too_many_requests)


@event.listens_for(db.session, "before_flush")
def _audit_changes(session, flush_context, instances) -> None:
    _on_flush(session, flush_context, instances)
