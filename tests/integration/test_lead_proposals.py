"""牵头单位建议 (issue 11): a task-force lead proposes a lead unit for a lead-less case of their
action; the office accepts or rejects it; history rows and notifications; pages and API."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.integration.conftest import login
from tests.integration.fixtures_browser import flashes, html, scalar
from tests.integration.fixtures_workflow import WORKER1_DEPARTMENT, WORKER2_DEPARTMENT


def lead_less_case(app, action_index=1):
    from app.models import Action, Case, Plan

    return scalar(app, select(Case.id).join(Action, Action.id == Case.action_id)
                  .join(Plan, Plan.id == Action.plan_id)
                  .where(Case.lead_department_id.is_(None), Action.index == action_index,
                         Plan.kind == "overall").order_by(Case.id))


def department(app, name):
    from app.models import Department

    return scalar(app, select(Department.id).where(Department.name == name))


def relayed_notifications(app, case_id):
    """Relay the outbox, then (kind, recipient, title) of the case's notifications."""
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db
    from app.models import Notification
    from app.services.relay import relay_pending

    with app.app_context():
        relay_pending()
        rows = sorted(db.session.execute(
            select(Notification.kind, User.username, Notification.title)
            .join(User, User.id == Notification.recipient_id).where(Notification.case_id == case_id)))
        db.session.remove()
    return [tuple(r) for r in rows]


def history(app, case_id):
    from app.extensions import db
    from app.models import CaseHistory

    with app.app_context():
        rows = [tuple(r) for r in db.session.execute(
            select(CaseHistory.kind, CaseHistory.comment, CaseHistory.data)
            .where(CaseHistory.case_id == case_id).order_by(CaseHistory.id))]
        db.session.remove()
    return rows


def test_a_lead_proposes_and_the_office_accepts_through_the_pages(app, fresh_db, client):
    from app.models import Case, LeadProposal

    case_id = lead_less_case(app)
    commerce = department(app, WORKER1_DEPARTMENT)
    login(client, "lead1")
    page = html(client.get(f"/caseview/show/{case_id}"))
    assert 'id="lead-proposal-form"' in page and "建议牵头单位" in page
    empty = html(client.post(f"/caseedit/{case_id}/lead_proposal",
                             data={"department_id": str(commerce), "reason": " "}, follow_redirects=True))
    assert ("danger", "请说明理由。") in flashes(empty)
    assert scalar(app, select(func.count(LeadProposal.id))) == 0
    page = html(client.post(f"/caseedit/{case_id}/lead_proposal",
                            data={"department_id": str(commerce), "reason": "该项任务属招商职能"},
                            follow_redirects=True))
    assert ("success", f"已建议{WORKER1_DEPARTMENT}为牵头单位，由督查室决定。") in flashes(page)
    assert 'id="lead-proposal"' in page and "该项任务属招商职能" in page
    assert 'id="lead-proposal-form"' not in page and 'id="lead-decision-form"' not in page
    again = html(client.post(f"/caseedit/{case_id}/lead_proposal",
                             data={"department_id": str(commerce), "reason": "再提一次"}, follow_redirects=True))
    assert any("等待督查室决定" in text for _k, text in flashes(again))
    assert ("lead_proposed", "office") in [r[:2] for r in relayed_notifications(app, case_id)]
    client.get("/logout/")

    login(client, "office")
    page = html(client.get(f"/caseview/show/{case_id}"))
    assert 'id="lead-decision-form"' in page
    proposal = scalar(app, select(LeadProposal.id).where(LeadProposal.case_id == case_id))
    page = html(client.post(f"/caseedit/{case_id}/lead_proposal/{proposal}",
                            data={"decision": "accept", "comment": ""}, follow_redirects=True))
    assert ("success", f"已采纳建议：{WORKER1_DEPARTMENT}牵头该事项。") in flashes(page)
    assert scalar(app, select(Case.lead_department_id).where(Case.id == case_id)) == commerce
    kinds = [k for k, _c, _d in history(app, case_id)]
    assert kinds[-2:] == ["lead_proposed", "lead_proposal_decided"]
    assert "牵头单位建议" in page and "已采纳" in page  # the timeline
    notes = relayed_notifications(app, case_id)
    assert ("lead_proposal_decided", "lead1") in [r[:2] for r in notes]
    assert ("assigned", "worker1") in [r[:2] for r in notes]  # the new lead unit is told
    client.get("/logout/")

    # The case is now worker1's to accept; no one proposes for it any more.
    login(client, "worker1")
    assert f'/caseview/show/{case_id}"' in html(client.get("/toacceptview/list/"))
    client.get("/logout/")
    login(client, "lead1")
    assert 'id="lead-proposal-form"' not in html(client.get(f"/caseview/show/{case_id}"))


def test_who_may_propose_and_decide_and_bad_input_writes_nothing(app, fresh_db, client, api):
    from app.models import Case, CaseHistory, LeadProposal

    case_id = lead_less_case(app)
    other_action_case = lead_less_case(app, action_index=2)
    commerce = department(app, WORKER1_DEPARTMENT)
    url = f"/api/v1/case/{case_id}/lead_proposal"
    good = {"department_id": commerce, "reason": "该项任务属招商职能"}
    history_before = scalar(app, select(func.count(CaseHistory.id)))

    # A caseworker and a leader may not; lead1 may not for action two's case (not visible: 404).
    answer = client.post(url, json=good, headers=api("worker1"))
    assert answer.status_code in (403, 404)
    answer = client.post(url, json=good, headers=api("leader"))
    assert answer.status_code == 403
    answer = client.post(f"/api/v1/case/{other_action_case}/lead_proposal", json=good, headers=api("lead1"))
    assert answer.status_code == 404
    answer = client.post(url, json={"department_id": commerce}, headers=api("lead1"))
    assert answer.status_code == 422 and answer.get_json()["message"] == "请说明理由。"
    answer = client.post(url, json={"department_id": 999999, "reason": "x"}, headers=api("lead1"))
    assert answer.status_code == 422 and "不存在或不能作为牵头单位" in answer.get_json()["message"]
    answer = client.post(url, json={"reason": "x"}, headers=api("lead1"))
    assert answer.status_code == 400
    assert scalar(app, select(func.count(LeadProposal.id))) == 0
    assert scalar(app, select(func.count(CaseHistory.id))) == history_before

    # A case that has a lead already.
    led = scalar(app, select(Case.id).where(Case.lead_department_id == commerce, Case.action_id.isnot(None))
                 .order_by(Case.id))
    lead_of_led = client.post(f"/api/v1/case/{led}/lead_proposal", json=good, headers=api("office"))
    assert lead_of_led.status_code == 403  # the office decides, it does not propose

    created = client.post(url, json=good, headers=api("lead1"))
    assert created.status_code == 201, created.get_json()
    proposal = created.get_json()["result"]
    assert proposal["status"] == "pending" and proposal["department"] == WORKER1_DEPARTMENT
    decision = f"/api/v1/lead_proposal/{proposal['id']}/decision"
    assert client.post(decision, json={"accept": True}, headers=api("lead1")).status_code == 403
    refused = client.post(decision, json={"accept": False, "comment": " "}, headers=api("office"))
    assert refused.status_code == 422 and refused.get_json()["message"] == "请说明理由。"
    assert scalar(app, select(LeadProposal.status).where(LeadProposal.id == proposal["id"])) == "pending"
    rejected = client.post(decision, json={"accept": False, "comment": "应由乡镇牵头"}, headers=api("office"))
    assert rejected.status_code == 200 and rejected.get_json()["result"]["status"] == "rejected"
    assert rejected.get_json()["case"]["lead_department_id"] is None
    twice = client.post(decision, json={"accept": True}, headers=api("office"))
    assert twice.status_code == 409 and twice.get_json()["message"] == "该建议已经决定过了。"
    assert client.post("/api/v1/lead_proposal/999999/decision", json={"accept": True},
                       headers=api("office")).status_code == 404

    # After a rejection the lead proposes another unit, which the office accepts.
    science = department(app, WORKER2_DEPARTMENT)
    second = client.post(url, json={"department_id": science, "reason": "科技项目"}, headers=api("lead1"))
    assert second.status_code == 201
    accepted = client.post(f"/api/v1/lead_proposal/{second.get_json()['result']['id']}/decision",
                           json={"accept": True}, headers=api("office"))
    assert accepted.status_code == 200 and accepted.get_json()["case"]["lead_department_id"] == science
    after = client.post(url, json=good, headers=api("lead1"))
    assert after.status_code == 409 and "已有牵头单位" in after.get_json()["message"]
    decided = [d["status"] for k, _c, d in history(app, case_id) if k == "lead_proposal_decided"]
    assert decided == ["rejected", "accepted"]
