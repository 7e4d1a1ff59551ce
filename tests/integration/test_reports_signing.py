"""Official documents an office can sign and send (issue 12, part 2): over the API and the pages.

The office edits a generated draft's wording, a leader signs it (签发), the office issues it
(印发); the issued document never changes (409 in Chinese), is delivered once to its readers
(in-app, e-mail to a real SMTP server, the webhook robot) with its download links, and only
those who may read it download it (PDF and DOCX).
"""

from __future__ import annotations

import io
import re

import docx
import pytest
from sqlalchemy import select

from tests.integration.conftest import login
from tests.integration.fixtures_reports import pdf_text
from tests.integration.fixtures_timers import at_shanghai

DELIVER = "app.services.delivery:deliver_pending"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _generate(app, report_id: int) -> str:
    from app.extensions import db
    from app.services.reports import generate_report

    with app.app_context():
        try:
            return generate_report(report_id).status
        finally:
            db.session.remove()


def _document_notes(app, report_id: int) -> list[tuple[str, str, str]]:
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db
    from app.models import Notification

    with app.app_context():
        try:
            return list(db.session.execute(
                select(User.username, Notification.title, Notification.body)
                .join(User, User.id == Notification.recipient_id)
                .where(Notification.report_id == report_id).order_by(User.username)).all())
        finally:
            db.session.remove()


@pytest.fixture()
def draft(isolated_app, timers, iclient, iapi):
    """A monthly bulletin for 2024-05, requested by the office and rendered (a draft)."""
    timers.set_setting("notifications.office_hours_only", False)
    answer = iclient.post("/api/v1/report/", json={"kind": "monthly", "period": "2024-05"},
                          headers=iapi("office"))
    assert answer.status_code == 202, answer.get_data(as_text=True)
    report_id = answer.get_json()["id"]
    assert _generate(isolated_app, report_id) == "done"
    return report_id


def test_draft_is_edited_signed_issued_and_then_never_changes(isolated_app, draft, iclient, iapi):
    url = f"/api/v1/report/{draft}"
    shown = iclient.get(url, headers=iapi("office")).get_json()
    assert (shown["doc_state"], shown["number"]) == ("draft", None)

    wording = {"highlights": "区商务局新引进项目3个，总投资12亿元。", "next_steps": "6月15日前完成全部签约项目的开工准备。",
               "remarks": "请各专班于6月10日前报送下步计划。"}
    # Only the office edits the wording; the server refuses everyone else, in Chinese.
    for user in ("worker1", "lead1", "leader", "admin"):
        refused = iclient.put(f"{url}/draft", json=wording, headers=iapi(user))
        assert refused.status_code == 403, (user, refused.get_data(as_text=True))
        assert CHINESE.search(refused.get_json()["message"]), refused.get_json()
    edited = iclient.put(f"{url}/draft", json={**wording, "date": "2024-06-03"}, headers=iapi("office"))
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert edited.get_json()["wording"] == wording and edited.get_json()["status"] == "queued"
    holiday = iclient.put(f"{url}/draft", json={"date": "2024-06-10"}, headers=iapi("office"))  # 端午节
    assert holiday.status_code == 422 and "不是工作日" in holiday.get_json()["message"]
    assert _generate(isolated_app, draft) == "done"
    text = pdf_text(iclient.get(f"{url}/download", headers=iapi("office")).data)
    assert all(sentence in text for sentence in wording.values())
    assert "2024年6月3日" in text and re.search(r"〔\d{4}〕\d+号", text) is None  # a draft: no number

    # Issuing needs a 签发 first; the caseworker, the lead and the admin may not sign.
    too_early = iclient.post(f"{url}/document", json={"action": "issue"}, headers=iapi("office"))
    assert too_early.status_code == 409 and "须先签发" in too_early.get_json()["message"]
    for user in ("worker1", "lead1", "admin"):
        assert iclient.post(f"{url}/document", json={"action": "sign"}, headers=iapi(user)).status_code == 403
    signed = iclient.post(f"{url}/document", json={"action": "sign"}, headers=iapi("leader"))
    assert signed.status_code == 200 and signed.get_json()["doc_state"] == "signed"
    assert signed.get_json()["signer"] == "区领导"
    # The leader signs but does not issue.
    assert iclient.post(f"{url}/document", json={"action": "issue"}, headers=iapi("leader")).status_code == 403
    issued = iclient.post(f"{url}/document", json={"action": "issue"}, headers=iapi("office"))
    assert issued.status_code == 200, issued.get_data(as_text=True)
    number = issued.get_json()["number"]
    assert re.fullmatch(r"鹤八行通〔2024〕\d+号", number) and issued.get_json()["doc_date"] == "2024-06-03"
    assert _generate(isolated_app, draft) == "done"

    # Issued: every change is refused with 409 and a Chinese message, and nothing changes.
    before = iclient.get(url, headers=iapi("office")).get_json()
    for method, path, body in (("put", f"{url}/draft", {"remarks": "改一个字"}),
                               ("post", f"{url}/document", {"action": "sign"}),
                               ("post", f"{url}/document", {"action": "issue"})):
        answer = getattr(iclient, method)(path, json=body, headers=iapi("office"))
        assert answer.status_code == 409, (path, body, answer.get_data(as_text=True))
        assert answer.get_json()["message"] == f"文件{number}已印发，不能再修改。"
    assert iclient.get(url, headers=iapi("office")).get_json() == before
    final = iclient.get(f"{url}/download", headers=iapi("worker2"))
    assert final.status_code == 200 and number in pdf_text(final.data)
    assert number in final.headers["Content-Disposition"] or "filename*" in final.headers["Content-Disposition"]

    # Another report of the same month cannot be issued a second time.
    again = iclient.post("/api/v1/report/", json={"kind": "monthly", "period": "2024-05"}, headers=iapi("office"))
    second = again.get_json()["id"]
    _generate(isolated_app, second)
    refused = iclient.post(f"/api/v1/report/{second}/document", json={"action": "sign"}, headers=iapi("leader"))
    assert refused.status_code == 409 and number in refused.get_json()["message"]


def test_an_issued_document_reaches_its_readers_once_by_every_channel(
        isolated_app, draft, timers, iclient, iapi, smtp_server, webhook_server):
    from app.extensions import db
    from app.models import Notification, NotificationDelivery, Report, Webhook
    from app.services.documents import deliver_issued

    with isolated_app.app_context():
        db.session.add(Webhook(name="督查群机器人", url=webhook_server.url("/hook"), format="generic"))
        db.session.commit()
        db.session.remove()
    url = f"/api/v1/report/{draft}"
    iclient.post(f"{url}/document", json={"action": "sign"}, headers=iapi("leader"))
    number = iclient.post(f"{url}/document", json={"action": "issue"}, headers=iapi("office")).get_json()["number"]
    assert _document_notes(isolated_app, draft) == []  # not before the final file is written
    _generate(isolated_app, draft)

    notes = _document_notes(isolated_app, draft)
    # A monthly bulletin is circulated to every unit: leaders, the office, leads, caseworkers.
    assert [n[0] for n in notes] == ["lead1", "leader", "office", "worker1", "worker2"]
    title, body = notes[0][1], notes[0][2]
    assert title == f"【印发】{number} 月通报（2024年5月）"
    assert f"/reports/download/{draft}" in body and f"/reports/download/{draft}/docx" in body
    assert "签发人：区领导" in body and "成文日期：2024年6月3日" in body

    # Delivered again (a retried task, a re-render): nothing new is recorded or sent.
    with isolated_app.app_context():
        assert deliver_issued(db.session.get(Report, draft)) == []
        db.session.commit()
        db.session.remove()
    _generate(isolated_app, draft)
    assert len(_document_notes(isolated_app, draft)) == 5

    # By each reader's channels: a mail now, or the daily digest (the office's default).
    with isolated_app.app_context():
        planned = dict(db.session.execute(
            select(NotificationDelivery.target, NotificationDelivery.channel)
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .where(Notification.report_id == draft, NotificationDelivery.channel != "webhook")).all())
        db.session.remove()
    readers = [f"{u}@duban.local" for u in ("lead1", "leader", "office", "worker1", "worker2")]
    assert sorted(planned) == readers and set(planned.values()) <= {"email", "digest"}
    smtp_server.clear()
    timers.call(DELIVER, at_shanghai("2024-06-03", "10:00"))
    assert timers.call(DELIVER, at_shanghai("2024-06-03", "10:05")).delivered == 0
    mails = [m for m in smtp_server.messages if number in m["Subject"]]
    assert sorted(m["To"] for m in mails) == sorted(t for t, c in planned.items() if c == "email")
    assert mails and f"/reports/download/{draft}" in mails[0].get_content()
    hooks = [c for c in webhook_server.calls if number in str(c.json)]
    assert len(hooks) == 1  # one robot message for the event, not one per reader


def test_the_pages_edit_sign_and_issue_and_readers_download(isolated_app, draft, iclient):
    page = f"/reports/{draft}/document"
    login(iclient, "office")
    shown = iclient.get(page).get_data(as_text=True)
    assert "草稿文字" in shown and 'id="sign-button"' in shown
    saved = iclient.post(f"/reports/{draft}/draft", data={"highlights": "新签约项目5个。", "remarks": "",
                                                          "next_steps": "", "date": ""}, follow_redirects=True)
    assert "草稿已保存" in saved.get_data(as_text=True)
    _generate(isolated_app, draft)
    docx_answer = iclient.get(f"/reports/download/{draft}/docx")
    assert docx_answer.status_code == 200
    paragraphs = [p.text for p in docx.Document(io.BytesIO(docx_answer.data)).paragraphs]
    assert "新签约项目5个。" in paragraphs
    issued_early = iclient.post(f"/reports/{draft}/issue", follow_redirects=True).get_data(as_text=True)
    assert "须先签发" in issued_early
    iclient.get("/logout/")

    login(iclient, "leader")
    assert "草稿文字" not in iclient.get(page).get_data(as_text=True)  # a signer does not edit
    refused = iclient.post(f"/reports/{draft}/draft", data={"highlights": "改"}, follow_redirects=True)
    assert "只有督查室可以修改" in refused.get_data(as_text=True)
    assert "文件已签发" in iclient.post(f"/reports/{draft}/sign", follow_redirects=True).get_data(as_text=True)
    iclient.get("/logout/")

    login(iclient, "office")
    assert "文件已印发" in iclient.post(f"/reports/{draft}/issue", follow_redirects=True).get_data(as_text=True)
    _generate(isolated_app, draft)
    locked = iclient.post(f"/reports/{draft}/draft", data={"highlights": "改"})
    assert locked.status_code == 409 and "已印发，不能再修改" in locked.get_data(as_text=True)
    shown = iclient.get(page).get_data(as_text=True)
    assert "本文件已印发" in shown and "草稿文字" not in shown and 'id="issue-button"' not in shown
    iclient.get("/logout/")

    # A caseworker reads it from the notification centre: the link opens the document page.
    login(iclient, "worker1")
    centre = iclient.get("/notifications/").get_data(as_text=True)
    assert "【印发】鹤八行通〔2024〕" in centre
    note_id = re.search(r'/notifications/open/(\d+)"[^>]*>【印发】', centre).group(1)
    opened = iclient.get(f"/notifications/open/{note_id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(page)
    assert iclient.get(f"/reports/download/{draft}").status_code == 200
    assert iclient.get(f"/reports/download/{draft}/docx").status_code == 200
    assert "草稿文字" not in iclient.get(page).get_data(as_text=True)
    refused = iclient.post(f"/reports/{draft}/sign", follow_redirects=True).get_data(as_text=True)
    assert "只有督查室可以修改和印发文件" in refused
    iclient.get("/logout/")


def test_downloads_are_authorised_on_the_server(isolated_app, fresh_db, iclient, iapi):
    """A notice of worker1's case: worker2 may not see it, in PDF or in DOCX."""
    from tests.integration.fixtures_timers import TimerHelper

    case_id = TimerHelper(isolated_app).worker1_cases()[0]
    answer = iclient.post("/api/v1/report/", json={"kind": "notice", "case_id": case_id}, headers=iapi("office"))
    report_id = answer.get_json()["id"]
    _generate(isolated_app, report_id)
    for user, status in (("worker1", 200), ("worker2", 404), ("office", 200)):
        for suffix in ("download", "docx"):
            got = iclient.get(f"/api/v1/report/{report_id}/{suffix}", headers=iapi(user))
            assert got.status_code == status, (user, suffix)
    assert iclient.get(f"/reports/download/{report_id}/docx", follow_redirects=False).status_code in (302, 401)
    # A notice is not a periodic document: no draft editing for it.
    refused = iclient.put(f"/api/v1/report/{report_id}/draft", json={"remarks": "x"}, headers=iapi("office"))
    assert refused.status_code == 422 and CHINESE.search(refused.get_json()["message"])


def test_the_office_and_a_leader_issue_a_document_in_the_browser(app, live_server, celery_worker, browser,
                                                                   screenshot, client, api):
    """In Chromium: the office words the draft, the leader signs it, the office issues it;
    the worker renders it and a caseworker finds it in the notification centre."""
    from tests.integration.conftest import DEMO_PASSWORD
    from tests.integration.fixtures_reports import wait_status

    report_id = client.post("/api/v1/report/", json={"kind": "monthly", "period": "2024-05"},
                            headers=api("office")).get_json()["id"]
    wait_status(app, report_id)
    page = browser.new_page(locale="zh-CN")

    def sign_in(user):
        page.goto(f"{live_server}/logout/")
        page.goto(f"{live_server}/login/")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("input[type=submit], button[type=submit]")

    try:
        sign_in("office")
        page.goto(f"{live_server}/reports/")
        page.click(f"#report-list tr[data-id='{report_id}'] a[href$='/reports/{report_id}/document']")
        page.fill("#highlights", "区商务局新引进项目3个。")
        page.click("#draft-form button[type=submit]")
        assert "草稿已保存" in page.inner_text("body")
        assert page.is_disabled("#issue-button")  # not signed yet
        screenshot(page, "document-draft")
        sign_in("leader")
        page.goto(f"{live_server}/reports/{report_id}/document")
        assert page.locator("#draft-form").count() == 0  # the leader signs, the office words
        page.click("#sign-button")
        assert "文件已签发" in page.inner_text("body") and "区领导" in page.inner_text(".doc-signer")
        sign_in("office")
        page.goto(f"{live_server}/reports/{report_id}/document")
        page.click("#issue-button")
        assert "文件已印发" in page.inner_text("body")
        wait_status(app, report_id)
        page.reload()
        assert re.fullmatch(r"鹤八行通〔2024〕\d+号", page.inner_text(".doc-number").strip())
        assert "本文件已印发" in page.inner_text("body") and page.locator("#draft-form").count() == 0
        screenshot(page, "document-issued")
        sign_in("worker1")
        page.goto(f"{live_server}/notifications/")
        page.click("text=【印发】")
        assert page.url.endswith(f"/reports/{report_id}/document")
        with page.expect_download() as download:
            page.click(".doc-files a:has-text('Word')")
        assert download.value.suggested_filename.endswith("-月通报-2024-05.docx")
        paragraphs = [p.text for p in docx.Document(download.value.path()).paragraphs]
        assert "区商务局新引进项目3个。" in paragraphs
    finally:
        page.close()
