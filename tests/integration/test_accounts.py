"""Accounts (issue 15, item 4): lock-out, login rate limits, password policy, sessions and
tokens that die with logout, password change, reset and deactivation, and the audit log.
"""

from __future__ import annotations

import uuid

import pytest
from flask_jwt_extended import decode_token

from app.models import AccountState, AuditEntry
from tests.integration.conftest import DEMO_PASSWORD, TEST_DATABASE_URL, TEST_REDIS_URL, login


@pytest.fixture(autouse=True)
def _forget_account_state(app):
    """Later tests reuse signed-in clients (as_user): leave no rotated stamp or lock behind."""
    yield
    from app.extensions import db

    with app.app_context():
        db.session.query(AccountState).delete()
        db.session.commit()
        db.session.remove()


def _api_login(client, username, password=DEMO_PASSWORD, refresh=False, **kw):
    return client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": refresh},
        **kw,
    )


def _audit(app, username=None):
    from app.extensions import db

    with app.app_context():
        try:
            query = db.session.query(AuditEntry).order_by(AuditEntry.id)
            if username is not None:
                query = query.filter(AuditEntry.username == username)
            return [(e.event, e.username, e.detail) for e in query]
        finally:
            db.session.remove()


def _in_app(app, fn):
    from app.extensions import db

    with app.app_context():
        try:
            return fn(app.appbuilder.sm, db)
        finally:
            db.session.remove()


# --- lock-out per account ------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(app, fresh_db, client):
    for _ in range(5):
        assert _api_login(client, "worker2", "wrong-password").status_code == 401
    assert _api_login(client, "worker2").status_code == 401  # locked: the right one too
    page = login(client, "worker2").get_data(as_text=True)
    assert "该账户因多次密码错误已被锁定" in page
    events = [e for e, _, _ in _audit(app, "worker2") if e != "user_created"]
    assert events[:6] == ["login_failed"] * 5 + ["locked_out"]
    assert len(events) >= 8 and set(events[6:]) == {"login_while_locked"}
    assert _api_login(client, "worker1").status_code == 200  # other accounts unaffected

    def unlock(sm, db):  # the lock-out time has passed
        user = sm.find_user(username="worker2")
        db.session.get(AccountState, user.id).locked_until = None
        db.session.commit()

    _in_app(app, unlock)
    assert _api_login(client, "worker2").status_code == 200


def test_a_success_resets_the_count_of_wrong_passwords(app, fresh_db, client):
    for _ in range(4):
        assert _api_login(client, "lead1", "wrong-password").status_code == 401
    assert _api_login(client, "lead1").status_code == 200
    for _ in range(4):
        assert _api_login(client, "lead1", "wrong-password").status_code == 401
    assert _api_login(client, "lead1").status_code == 200


# --- rate limit per address ----------------------------------------------------------------


@pytest.fixture()
def limited_app(app):
    """An app whose per-address login limit is 5 a minute, counted in our Redis database."""
    from app import create_app

    prefix = f"duban-test-limits-{uuid.uuid4().hex[:8]}"
    limited = create_app(
        SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL, TESTING=True, WTF_CSRF_ENABLED=False,
        AUTH_RATE_LIMIT="5 per minute", RATELIMIT_STORAGE_URI=TEST_REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
    )
    app.extensions["celery"].set_default()
    limited.config["_test_prefix"] = prefix
    return limited


def test_logins_are_rate_limited_per_address_in_redis(limited_app, fresh_db):
    import redis

    client = limited_app.test_client()
    here = {"environ_base": {"REMOTE_ADDR": "10.1.1.1"}}
    there = {"environ_base": {"REMOTE_ADDR": "10.1.1.2"}}
    # Unknown accounts, so no account gets locked: only the address is counted.
    for i in range(5):
        assert _api_login(client, f"nobody{i}", "x", **here).status_code == 401
    refused = _api_login(client, "worker1", **here)
    assert refused.status_code == 429 and "尝试次数过多" in refused.get_json()["message"]
    assert _api_login(client, "worker1", **there).status_code == 200
    for i in range(5):
        client.post("/login/", data={"username": f"nobody{i}", "password": "x"}, **here)
    form = client.post("/login/", data={"username": "worker1", "password": DEMO_PASSWORD}, **here)
    assert form.status_code == 429 and "尝试次数过多" in form.get_data(as_text=True)
    keys = redis.Redis.from_url(TEST_REDIS_URL).keys(f"*{limited_app.config['_test_prefix']}*")
    assert keys, "the limiter counts in Redis"


# --- password policy -----------------------------------------------------------------------


def test_a_weak_password_is_refused_in_chinese_and_a_strong_one_kept(app, fresh_db):
    client = app.test_client()
    login(client, "worker1")
    weak = client.post("/resetmypassword/form",
                       data={"password": "1", "conf_password": "1"}, follow_redirects=True)
    assert "密码至少 10 位" in weak.get_data(as_text=True)
    assert _api_login(app.test_client(), "worker1").status_code == 200  # unchanged
    strong = client.post("/resetmypassword/form", follow_redirects=True,
                         data={"password": "Xin-mima-2024", "conf_password": "Xin-mima-2024"})
    assert strong.status_code == 200
    assert _api_login(app.test_client(), "worker1", "Xin-mima-2024").status_code == 200
    assert _api_login(app.test_client(), "worker1").status_code == 401
    # The one who changed it stays signed in here.
    assert client.get("/caseview/list/").status_code == 200
    assert ("password_changed", "worker1", "") in _audit(app, "worker1")


def test_the_policy_itself():
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    from app.accounts import password_policy

    for weak in ("1", "password", "abcdefghij", "Abcdefghij", "Aa1Aa1Aa1Aa1"[:9]):
        with pytest.raises(PasswordComplexityValidationError):
            password_policy(weak)
    for strong in ("Abcdefghi1", "demo-Passw0rd", "督办-2024-abc"):
        password_policy(strong)


# --- sessions and tokens die -----------------------------------------------------------------


def _cookie_copy(app, client):
    """A second client holding a copy of `client`'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    return thief


def test_a_copied_session_cookie_dies_with_logout(app, fresh_db):
    client = app.test_client()
    login(client, "worker1")
    thief = _cookie_copy(app, client)
    assert thief.get("/caseview/list/").status_code == 200
    client.get("/logout/")
    gone = thief.get("/caseview/list/", follow_redirects=True)
    assert "登录已失效" in gone.get_data(as_text=True)
    assert thief.get("/caseview/list/").status_code == 302
    assert [e for e, _, _ in _audit(app, "worker1")][-1] == "logout"


@pytest.mark.parametrize("change", ["reset_password", "deactivate"])
def test_an_admin_reset_or_deactivation_ends_cookies_and_tokens(app, fresh_db, change):
    client = app.test_client()
    login(client, "worker1")
    tokens = _api_login(app.test_client(), "worker1", refresh=True).get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert client.get("/caseview/list/").status_code == 200
    api = app.test_client()
    assert api.get("/api/v1/case/", headers=bearer).status_code == 200

    def act(sm, db):
        user = sm.find_user(username="worker1")
        if change == "reset_password":
            sm.reset_password(user.id, "Reset-by-admin-1")
        else:
            user.active = False
            sm.update_user(user)

    _in_app(app, act)
    assert client.get("/caseview/list/").status_code == 302
    assert api.get("/api/v1/case/", headers=bearer).status_code == 401
    assert api.post("/api/v1/security/refresh", headers=refresh).status_code == 401
    expected = "password_changed" if change == "reset_password" else "user_deactivated"
    assert expected in [e for e, _, _ in _audit(app, "worker1")]


def test_refresh_tokens_last_twelve_hours_not_thirty_days(app, client):
    tokens = _api_login(client, "office", refresh=True).get_json()
    with app.app_context():
        refresh = decode_token(tokens["refresh_token"])
        access = decode_token(tokens["access_token"])
    assert refresh["exp"] - refresh["iat"] == 12 * 3600
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["stamp"] == access["stamp"]


# --- the audit log -------------------------------------------------------------------------


def test_role_changes_are_audited_and_the_admin_reads_the_log(app, fresh_db):
    def change_roles(sm, db):
        user = sm.find_user(username="worker2")
        user.roles = [*user.roles, sm.find_role("Leader")]
        sm.update_user(user)

    def restore_roles(sm, db):
        user = sm.find_user(username="worker2")
        user.roles = [r for r in user.roles if r.name != "Leader"]
        sm.update_user(user)

    _in_app(app, change_roles)
    assert ("roles_changed", "worker2", "增加：区领导；移除：无") in _audit(app, "worker2")
    _in_app(app, restore_roles)  # later tests reuse worker2's signed-in client
    assert ("roles_changed", "worker2", "增加：无；移除：区领导") in _audit(app, "worker2")
    login(app.test_client(), "worker1", "wrong-password")
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/auditlogview/list/").get_data(as_text=True)
    for text in ("安全审计日志", "角色变更", "登录失败（密码错误或无此账户）", "worker2", "登录"):
        assert text in page, text
    worker = app.test_client()
    login(worker, "worker1")
    assert worker.get("/auditlogview/list/", follow_redirects=False).status_code in (302, 403)
