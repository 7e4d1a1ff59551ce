"""Web protections (issue 15, item 5): CSRF on every cookie-authenticated write whatever
headers come with it, and security headers on every response.
"""

from __future__ import annotations

import re

import pytest

from tests.integration.conftest import DEMO_PASSWORD, TEST_DATABASE_URL, api_token


@pytest.fixture()
def csrf_app(app):
    """The app with CSRF on, as in production (the session app turns it off for brevity)."""
    from app import create_app

    guarded = create_app(SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL, TESTING=True,
                         WTF_CSRF_ENABLED=True)
    app.extensions["celery"].set_default()
    return guarded


def _signed_in(app):
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login/", data={"username": "worker1", "password": DEMO_PASSWORD,
                                            "csrf_token": token})
    assert response.status_code == 302
    return client


def _a_case(app):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Case

    with app.app_context():
        try:
            return db.session.scalar(select(Case.id).order_by(Case.id))
        finally:
            db.session.remove()


@pytest.mark.parametrize("authorization", [None, "Bearer x", "Bearer not.a.jwt", "Basic eA=="])
def test_a_signed_in_session_cannot_write_without_a_csrf_token(csrf_app, fresh_db, authorization):
    client = _signed_in(csrf_app)
    headers = {"Authorization": authorization} if authorization else {}
    case_id = _a_case(csrf_app)
    response = client.post(f"/api/v1/case/{case_id}/comment", json={"comment": "伪造"},
                           headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "表单已过期" in response.get_json()["message"]
    form = client.post("/notifications/read-all", headers=headers)
    assert form.status_code == 400


def test_a_pure_api_call_with_a_valid_token_needs_no_csrf(csrf_app, fresh_db):
    client = csrf_app.test_client()
    token = api_token(client, "worker1")
    fresh = csrf_app.test_client()  # no session cookie at all
    response = fresh.get("/api/v1/case/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_every_response_carries_the_security_headers(client):
    for path in ("/login/", "/api/v1/case/", "/static/duban.css", "/no-such-page"):
        response = client.get(path)
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "default-src 'self'" in headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
        assert "Strict-Transport-Security" not in headers, path  # plain HTTP: no HSTS


def test_behind_tls_cookies_are_secure_and_hsts_is_sent(app):
    from app import create_app

    tls = create_app(SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL, TESTING=True, DUBAN_TLS=True,
                     WTF_CSRF_ENABLED=False)
    app.extensions["celery"].set_default()
    client = tls.test_client()
    response = client.post("/login/", data={"username": "worker1", "password": DEMO_PASSWORD})
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_inline_scripts_carry_the_responses_nonce_and_nothing_else_runs_inline(app):
    from tests.integration.conftest import login

    client = app.test_client()
    login(client, "office")
    for path in ("/caseview/list/", "/dashboard/", "/reports/", "/auditlogview/list/"):
        response = client.get(path, follow_redirects=True)
        policy = response.headers["Content-Security-Policy"]
        script_src = next(p for p in policy.split("; ") if p.startswith("script-src"))
        assert "'unsafe-inline'" not in script_src, path
        nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
        page = response.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", page):
            if "src=" in tag or "application/json" in tag:
                continue
            assert f'nonce="{nonce}"' in tag, (path, tag)
        assert not re.search(r"\son(click|change|submit|load)=", page), path


@pytest.mark.browser
def test_pages_run_under_the_policy_without_violations(live_server, browser):
    from tests.integration.test_ui_browser_flow import sign_in

    page = sign_in(browser, live_server, "office")
    violations = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    for path in ("/caseview/list/", "/dashboard/", "/reports/", "/webhookview/list/"):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("networkidle")
    first_case = page.locator("a[href*='/caseview/show/']").first
    page.goto(f"{live_server}/caseview/list/")
    first_case.click()
    page.wait_for_load_state("networkidle")
    assert not violations, violations[:5]
    page.context.close()
