"""Every user sees their own account and changes their own password (issue 10, item 8)."""

from __future__ import annotations

import re

import pytest

from tests.integration.conftest import DEMO_PASSWORD, login


@pytest.mark.parametrize("username", ["office", "lead1", "worker1", "leader"])
def test_a_user_sees_their_info_and_changes_their_password(restored_db, app, fresh_db, username):
    client = app.test_client()
    login(client, username)
    info = client.get("/users/userinfo/")
    assert info.status_code == 200, info.status_code
    page = info.get_data(as_text=True)
    assert username in page
    # The 重设密码 button on the page leads to the form.
    action = re.search(r"/users/action/resetmypassword/\d+", page)
    assert action and "重设密码" in page
    form = client.get("/resetmypassword/form")  # where that action leads
    assert form.status_code == 200 and 'name="conf_password"' in form.get_data(as_text=True)
    changed = client.post("/resetmypassword/form",
                          data={"password": "New-Passw0rd-1", "conf_password": "New-Passw0rd-1"},
                          follow_redirects=True)
    assert changed.status_code == 200
    client.get("/logout/")
    assert "/logout" not in login(client, username, DEMO_PASSWORD).get_data(as_text=True)
    assert "/logout" in login(client, username, "New-Passw0rd-1").get_data(as_text=True)


def test_a_user_cannot_open_someone_elses_account(app):
    client = app.test_client()
    login(client, "worker1")
    assert client.get("/users/list/").status_code in (302, 403)
    assert client.get("/users/edit/1").status_code in (302, 403)
