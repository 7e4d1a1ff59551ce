"""Webhook keys are write-only in the UI (issue 15): the office reads the robots' names, never
their keys; the admin's edit form starts empty and keeps the stored address unless replaced.
"""

from __future__ import annotations

from tests.integration.conftest import login
from tests.integration.fixtures_timers import TimerHelper

KEY = "8f3c2a1e-robot-secret-key"
URL = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"


def _webhook(app):
    from app.extensions import db
    from app.models import Webhook

    with app.app_context():
        try:
            return db.session.query(Webhook).filter_by(name="商务局群").one().url
        finally:
            db.session.remove()


def test_nobody_reads_a_webhook_key_back(app, fresh_db):
    hook_id = TimerHelper(app).add_webhook("商务局群", URL, "wecom", "区商务局")
    office, admin = app.test_client(), app.test_client()
    login(office, "office")
    login(admin, "admin")
    for client in (office, admin):
        for path in ("/webhookview/list/", f"/webhookview/show/{hook_id}", f"/webhookview/edit/{hook_id}"):
            page = client.get(path)
            assert KEY not in page.get_data(as_text=True), path
    shown = admin.get(f"/webhookview/show/{hook_id}").get_data(as_text=True)
    assert "qyapi.weixin.qq.com" in shown and "key=******" in shown
    assert office.get(f"/webhookview/edit/{hook_id}").status_code in (302, 403)

    form = {"name": "商务局群", "format": "wecom", "active": "y", "new_url": ""}
    admin.post(f"/webhookview/edit/{hook_id}", data=form, follow_redirects=True)
    assert _webhook(app) == URL  # kept
    form["new_url"] = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=new-key"
    admin.post(f"/webhookview/edit/{hook_id}", data=form, follow_redirects=True)
    assert _webhook(app).endswith("key=new-key")
