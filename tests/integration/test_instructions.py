"""领导批示 (issue 12, part 4): a leader or the office instructs on a case; the lead unit is
notified and answers; both stay in the history and the timeline; pages and API; refusals."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.integration.conftest import login
from tests.integration.fixtures_browser import flashes, html, scalar
from tests.integration.test_lead_proposals import history, relayed_notifications


def _counts(app):
    from app.models import CaseHistory, Instruction, OutboxEvent

    return tuple(scalar(app, select(func.count()).select_from(m))
                 for m in (Instruction, CaseHistory, OutboxEvent))


def test_a_leader_instructs_and_the_lead_unit_answers_through_the_api(app, fresh_db, wf, client, api):
    from app.models import NotificationDelivery

    case_id = wf.worker1_cases()[0]
    url = f"/api/v1/case/{case_id}/instruction"
    added = client.post(url, json={"text": "  请加快项目落地进度，月底前报送情况。 "}, headers=api("leader"))
    assert added.status_code == 201, added.get_json()
    row = added.get_json()["result"]
    assert row["status"] == "open" and row["text"] == "请加快项目落地进度，月底前报送情况。"
    assert row["answer"] is None

    # worker1 (lead unit) is told, in the centre and through the channels of its preferences.
    notes = relayed_notifications(app, case_id)
    assert any(k == "instruction" and u == "worker1" and t.startswith("【领导批示】") and t.endswith("：请答复")
               for k, u, t in notes), notes
    assert not any(u == "leader" for _k, u, _t in notes)  # never the one who instructs
    worker1 = wf.user_id("worker1")
    with app.app_context():
        from app.extensions import db
        from app.models import Notification

        note = db.session.scalar(select(Notification).where(
            Notification.case_id == case_id, Notification.kind == "instruction",
            Notification.recipient_id == worker1))
        assert "请加快项目落地进度" in note.body and "请按批示要求办理" in note.body
        channels = set(db.session.scalars(select(NotificationDelivery.channel).where(
            NotificationDelivery.notification_id == note.id)))
        db.session.remove()
    if app.config.get("MAIL_ENABLED"):
        assert channels & {"email", "digest"}

    # A caseworker of another unit does not see the case; a task-force lead may not answer.
    answer_url = f"{url}/{row['id']}/answer"
    before = _counts(app)
    assert client.post(answer_url, json={"text": "已落实"}, headers=api("worker2")).status_code == 404
    refused = client.post(answer_url, json={"text": "已落实"}, headers=api("lead1"))
    assert refused.status_code == 403 and refused.get_json()["message"] == "您无权对此事项答复批示。"
    blank = client.post(answer_url, json={"text": " "}, headers=api("worker1"))
    assert blank.status_code == 422 and blank.get_json()["message"] == "请填写答复内容。"
    assert _counts(app) == before

    answered = client.post(answer_url, json={"text": "已召开调度会，月底前完成签约。"}, headers=api("worker1"))
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["result"]["status"] == "answered"
    again = client.post(answer_url, json={"text": "再答一次"}, headers=api("worker1"))
    assert again.status_code == 409 and again.get_json()["message"] == "该批示已答复，答复不可修改。"

    kinds = [(k, c) for k, c, _d in history(app, case_id)]
    assert kinds[-2:] == [("instruction", "请加快项目落地进度，月底前报送情况。"),
                          ("instruction_answer", "已召开调度会，月底前完成签约。")]
    api_history = client.get(f"/api/v1/case/{case_id}/history", headers=api("leader")).get_json()
    assert any(e["kind_label"] == "领导批示" for e in api_history["result"])
    # The leader hears of the answer.
    assert ("instruction_answered", "leader") in [r[:2] for r in relayed_notifications(app, case_id)]


def test_who_may_instruct_and_bad_input_writes_nothing(app, fresh_db, wf, client, api):
    case_id = wf.worker1_cases()[0]
    url = f"/api/v1/case/{case_id}/instruction"
    before = _counts(app)
    worker = client.post(url, json={"text": "我也来批示"}, headers=api("worker1"))
    assert worker.status_code == 403 and worker.get_json()["message"] == "您无权对此事项作出批示。"
    assert client.post(url, json={"text": "批示"}, headers=api("worker2")).status_code == 404
    assert client.post(url, json={"text": "批示"}, headers=api("lead1")).status_code == 403
    empty = client.post(url, json={"text": "  "}, headers=api("leader"))
    assert empty.status_code == 422 and empty.get_json()["message"] == "请填写批示内容。"
    long = client.post(url, json={"text": "批" * 2001}, headers=api("leader"))
    assert long.status_code == 422 and "2000" in long.get_json()["message"]
    missing = client.post(url, json={}, headers=api("leader"))
    assert missing.status_code == 400 and "text" in missing.get_json()["errors"]
    assert _counts(app) == before
    # The office may instruct too.
    assert client.post(url, json={"text": "督查室：请按期报送"}, headers=api("office")).status_code == 201


def test_the_case_page_shows_open_instructions_at_the_top_and_the_lead_unit_answers(app, fresh_db, wf, client):
    from app.models import Instruction

    case_id = wf.worker1_cases()[0]
    login(client, "leader")
    page = html(client.get(f"/caseview/show/{case_id}"))
    assert 'id="btn-instruction"' in page and 'id="dlg-instruction"' in page and "作出批示" in page
    blank = html(client.post(f"/caseedit/{case_id}/instruction", data={"text": " "}, follow_redirects=True))
    assert ("danger", "请填写批示内容。") in flashes(blank)
    assert scalar(app, select(func.count(Instruction.id))) == 0
    page = html(client.post(f"/caseedit/{case_id}/instruction", data={"text": "请于本周内解决用地问题"},
                            follow_redirects=True))
    assert ("success", "已作出批示，已通知牵头单位答复。") in flashes(page)
    top = page.index('id="open-instructions"')
    assert top < page.index("case-facts") and "待答复" in page and "请于本周内解决用地问题" in page
    assert "instruction-answer-" not in page  # the leader does not answer
    client.get("/logout/")

    login(client, "worker2")  # another unit: neither the case nor the form
    assert client.post(f"/caseedit/{case_id}/instruction", data={"text": "x"}).status_code == 404
    client.get("/logout/")

    login(client, "worker1")
    page = html(client.get(f"/caseview/show/{case_id}"))
    iid = scalar(app, select(Instruction.id).where(Instruction.case_id == case_id))
    assert f'id="instruction-answer-{iid}"' in page and 'id="btn-instruction"' not in page
    refused = client.post(f"/caseedit/{case_id}/instruction", data={"text": "x"}, follow_redirects=True)
    assert ("danger", "您无权对此事项作出批示。") in flashes(html(refused))
    page = html(client.post(f"/caseedit/{case_id}/instruction/{iid}/answer",
                            data={"text": "已协调自然资源局，周五前完成"}, follow_redirects=True))
    assert ("success", "已答复。") in flashes(page)
    assert 'id="open-instructions"' not in page  # answered: no longer at the top
    timeline = page[page.index("case-history"):]
    assert "领导批示" in timeline and "请于本周内解决用地问题" in timeline
    assert "批示已答复" in timeline and "已协调自然资源局，周五前完成" in timeline


def test_the_inspection_report_lists_the_instructions_open_at_the_period_end(app, fresh_db, wf, client, api):
    import datetime as dt

    from sqlalchemy import update

    from app.extensions import db
    from app.models import Instruction
    from app.reports import render
    from app.services.plans import latest_plan
    from tests.integration.fixtures_reports import pdf_rows, pdf_text
    from workflows.periods import parse_period

    case_id = wf.worker1_cases()[0]
    url = f"/api/v1/case/{case_id}/instruction"
    ids = [client.post(url, json={"text": text}, headers=api("leader")).get_json()["result"]["id"]
           for text in ("请抓紧推进签约仪式筹备", "请于六月中旬前完成选址", "请七月再议")]
    assert client.post(f"{url}/{ids[1]}/answer", json={"text": "已完成选址"},
                       headers=api("worker1")).status_code == 200
    assert client.post(f"{url}/{ids[0]}/answer", json={"text": "七月初已签约"},
                       headers=api("worker1")).status_code == 200
    with app.app_context():
        # Given on June 10; the first answered after the month (still open at June 30), the
        # second within it; the third given in July.
        moments = {ids[0]: ("2024-06-10 02:00", "2024-07-03 02:00"),
                   ids[1]: ("2024-06-10 03:00", "2024-06-20 02:00"),
                   ids[2]: ("2024-07-02 02:00", None)}
        for iid, (given, answered) in moments.items():
            db.session.execute(update(Instruction).where(Instruction.id == iid).values(
                created_at=dt.datetime.fromisoformat(given),
                answered_at=dt.datetime.fromisoformat(answered) if answered else None))
        db.session.commit()
        try:
            pdf = render("inspection", period=parse_period("2024-06"), plan=latest_plan(), options=None)
        finally:
            db.session.remove()
    text, rows = pdf_text(pdf), pdf_rows(pdf)
    assert "有1项领导批示尚待牵头单位答复" in text and "领导批示待答复清单" in text
    header = rows.index(["序号", "任务", "牵头单位", "批示日期", "批示内容"])
    listed = [r for r in rows[header + 1:] if len(r) == 5 and r[0].isdigit()]
    assert len(listed) == 1, listed
    assert listed[0][0] == "1" and listed[0][2] == "区商务局" and listed[0][3] == "6月10日"
    assert listed[0][4].endswith("：请抓紧推进签约仪式筹备"), listed[0]
    assert not any("请于六月中旬前完成选址" in "".join(r) or "请七月再议" in "".join(r) for r in rows)
