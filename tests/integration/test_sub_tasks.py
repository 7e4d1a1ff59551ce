"""Sub-tasks (issue 11, item 5): weights in the rolled-up percent, the parent not submitted
before its open children unless the lead says why, and partner units' notes as contributions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tests.integration.conftest import login
from tests.integration.fixtures_browser import flashes, html, scalar
from tests.integration.fixtures_workflow import WORKER1_DEPARTMENT, WORKER2_DEPARTMENT


def ids(app):
    from app.models import Action, Department, Plan

    return {
        "lead": scalar(app, select(Department.id).where(Department.name == WORKER1_DEPARTMENT)),
        "partner": scalar(app, select(Department.id).where(Department.name == WORKER2_DEPARTMENT)),
        "action": scalar(app, select(Action.id).join(Plan, Plan.id == Action.plan_id)
                         .where(Action.index == 1, Plan.kind == "overall")),
    }


def create(client, api, app, **fields):
    known = ids(app)
    body = {"title": "新能源装备产业园建设", "text": "细化为子任务推进。", "action_id": known["action"],
            "lead_department_id": known["lead"],
            "deadline": (dt.date.today() + dt.timedelta(days=200)).isoformat(), **fields}
    answer = client.post("/api/v1/case/", json=body, headers=api("office"))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_weights_roll_up_and_the_parent_waits_for_its_children(app, fresh_db, client, api):
    from app.models import Case, CaseHistory

    known = ids(app)
    parent = create(client, api, app, partner_department_ids=[known["partner"]])
    first = create(client, api, app, title="子任务一：编制用电方案", parent_id=parent["id"], weight=3)
    second = create(client, api, app, title="子任务二：完成线路改造", parent_id=parent["id"])
    assert first["weight"] == 3 and second["weight"] is None

    for case_id in (first["id"], second["id"], parent["id"]):
        assert client.post(f"/api/v1/case/{case_id}/transition", json={"transition": "accept"},
                           headers=api("worker1")).status_code == 200
    client.post(f"/api/v1/case/{first['id']}/progress", json={"note": "方案初稿", "percent": 60},
                headers=api("worker1"))
    read = client.get(f"/api/v1/case/{parent['id']}", headers=api("office")).get_json()["result"]
    assert read["rolled_up_percent"] == 45  # (3 × 60 + 1 × 0) / 4

    # Bad weights: refused in Chinese, nothing changed.
    bad = client.put(f"/api/v1/case/{second['id']}", json={"weight": 0}, headers=api("office"))
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_input"
    assert client.put(f"/api/v1/case/{second['id']}", json={"weight": "2"},
                      headers=api("office")).status_code == 400
    changed = client.put(f"/api/v1/case/{second['id']}", json={"weight": 1}, headers=api("office"))
    assert changed.status_code == 200 and changed.get_json()["weight"] == 1
    assert scalar(app, select(CaseHistory.data).where(CaseHistory.case_id == second["id"], CaseHistory.kind == "edit")
                  )["changes"]["weight"] == [None, 1]

    # Submitting the parent while both children are open needs a reason.
    submit = {"transition": "submit", "comment": "主体工作已完成"}
    refused = client.post(f"/api/v1/case/{parent['id']}/transition", json=submit, headers=api("worker1"))
    assert refused.status_code == 422 and refused.get_json()["code"] == "sub_tasks_open"
    assert refused.get_json()["message"].startswith("还有2项子任务未完成（子任务一：编制用电方案、子任务二：完成线路改造）")
    assert scalar(app, select(Case.state).where(Case.id == parent["id"])) == "in_progress"
    before = scalar(app, select(func.count(CaseHistory.id)).where(CaseHistory.case_id == parent["id"]))
    done = client.post(f"/api/v1/case/{parent['id']}/transition",
                       json={**submit, "open_sub_tasks_reason": "线路改造由供电公司实施，不影响主体验收"},
                       headers=api("worker1"))
    assert done.status_code == 200 and done.get_json()["state"] == "submitted"
    data = scalar(app, select(CaseHistory.data).where(CaseHistory.case_id == parent["id"],
                                                      CaseHistory.transition == "submit"))
    assert data == {"open_sub_tasks": [first["id"], second["id"]],
                    "open_sub_tasks_reason": "线路改造由供电公司实施，不影响主体验收"}
    assert scalar(app, select(func.count(CaseHistory.id)).where(CaseHistory.case_id == parent["id"])) == before + 1

    # A case whose sub-tasks are all done is submitted as any other.
    lone = create(client, api, app, title="无子任务的事项")
    client.post(f"/api/v1/case/{lone['id']}/transition", json={"transition": "accept"}, headers=api("worker1"))
    assert client.post(f"/api/v1/case/{lone['id']}/transition", json=submit,
                       headers=api("worker1")).status_code == 200


def test_the_pages_show_weights_the_submit_reason_and_partner_contributions(app, fresh_db, client, api):
    from app.models import Case

    known = ids(app)
    parent = create(client, api, app, partner_department_ids=[known["partner"]])
    child = create(client, api, app, title="子任务一：编制用电方案", parent_id=parent["id"], weight=2)
    for case_id in (child["id"], parent["id"]):
        client.post(f"/api/v1/case/{case_id}/transition", json={"transition": "accept"}, headers=api("worker1"))

    login(client, "office")
    form = html(client.get(f"/caseedit/{child['id']}"))
    assert 'name="weight"' in form and 'value="2"' in form
    refused = client.post(f"/caseedit/{child['id']}", data={"weight": "500"}, follow_redirects=True)
    assert any("权重须为1至100的整数" in text for _k, text in flashes(html(refused)))
    assert scalar(app, select(Case.weight).where(Case.id == child["id"])) == 2
    page = html(client.get(f"/caseview/show/{parent['id']}"))
    assert '<td class="num child-weight">2</td>' in page
    client.get("/logout/")

    # A partner unit (worker2) reports a contribution: no percent field, the percent stays.
    login(client, "worker2")
    page = html(client.get(f"/caseview/show/{parent['id']}"))
    assert 'id="progress-percent"' not in page and "报送的进展记为配合贡献" in page
    page = html(client.post(f"/caseview/progress/{parent['id']}", data={"note": "科技企业摸底已完成"},
                            follow_redirects=True))
    assert ("success", "已记录您单位的配合进展；总体完成进度由牵头单位填报。") in flashes(page)
    assert "配合单位贡献" in page and "科技企业摸底已完成" in page
    assert scalar(app, select(Case.percent_done).where(Case.id == parent["id"])) == 0
    client.get("/logout/")

    login(client, "worker1")
    page = html(client.get(f"/caseview/show/{parent['id']}"))
    assert 'id="progress-percent"' in page
    assert 'name="open_sub_tasks_reason"' in page and "还有1项子任务未完成" in page
    page = html(client.post(f"/caseview/transition/{parent['id']}", data={
        "transition": "submit", "comment": "主体完成", "version": str(scalar(app, select(Case.version).where(
            Case.id == parent["id"])))}, follow_redirects=True))
    assert any("请说明在子任务完成前报送的理由" in text for _k, text in flashes(page))
    version = scalar(app, select(Case.version).where(Case.id == parent["id"]))
    page = html(client.post(f"/caseview/transition/{parent['id']}", data={
        "transition": "submit", "comment": "主体完成", "version": str(version),
        "open_sub_tasks_reason": "方案编制与主体并行，不影响报送"}, follow_redirects=True))
    assert scalar(app, select(Case.state).where(Case.id == parent["id"])) == "submitted"
    assert "子任务未完成即报送的理由：方案编制与主体并行，不影响报送" in page
