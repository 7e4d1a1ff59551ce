"""Logging in per role, the Chinese login page, and API authentication."""

from __future__ import annotations

import pytest

from tests.integration.conftest import api_token, login

DEMO_USERS = ["admin", "office", "lead1", "worker1", "worker2", "leader"]


def test_login_page_is_in_chinese(client):
    page = client.get("/login/").get_data(as_text=True)
    for text in ("登录", "用户名", "密码"):
        assert text in page
    assert "Username" not in page


def test_english_can_be_selected(client):
    client.get("/lang/en", follow_redirects=True)
    page = client.get("/login/").get_data(as_text=True)
    assert "Username" in page and "用户名" not in page


@pytest.mark.parametrize("username", DEMO_USERS)
def test_each_demo_user_can_log_in(app, username):
    client = app.test_client()
    page = login(client, username).get_data(as_text=True)
    assert "退出" in page or "注销" in page, page[:500]
    assert client.get("/caseview/list/").status_code == 200


def test_wrong_password_is_refused_in_chinese(client):
    page = login(client, "worker1", "wrong-password").get_data(as_text=True)
    assert "无效的用户名或密码" in page
    assert client.get("/mycasesview/list/").status_code in (302, 401, 403)


def test_only_admin_sees_user_management(app):
    admin, worker = app.test_client(), app.test_client()
    login(admin, "admin")
    login(worker, "worker1")
    assert admin.get("/users/list/").status_code == 200
    response = worker.get("/users/list/", follow_redirects=False)
    assert response.status_code in (302, 403)


def test_api_refuses_anonymous_calls(client):
    assert client.get("/api/v1/case/").status_code == 401
    assert client.get("/api/v1/case/1").status_code == 401


def test_api_login_and_case_json(client):
    token = api_token(client, "leader")
    response = client.get("/api/v1/case/?q=(page_size:200)", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == 119
    case = body["result"][0]
    for key in ("id", "title", "state", "version", "deadline", "action_index", "lead_department_name"):
        assert key in case
    assert case["state"] == "assigned" and case["version"] == 1
    assert 1 <= case["action_index"] <= 8


def test_api_rejects_a_wrong_password(client):
    response = client.post(
        "/api/v1/security/login",
        json={"username": "worker1", "password": "nope", "provider": "db"},
    )
    assert response.status_code == 401


def test_caseworker_api_lists_only_own_department_cases(client):
    token = api_token(client, "worker1")
    body = client.get(
        "/api/v1/case/?q=(page_size:200)", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert body["count"] >= 4
    assert {c["lead_department_name"] for c in body["result"]} <= {"区商务局"} | {None}
