"""Cases by hand (立项) and milestones that count, through the pages as the office, a
task-force lead and a caseworker use them."""

from __future__ import annotations

import datetime as dt
import re

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


def new_case_form(app, **changes):
    known = ids(app)
    deadline = (dt.date.today() + dt.timedelta(days=200)).isoformat()
    form = {
        "title": "落实区长批示：新能源装备产业园用电保障",
        "source": "区长批示（5月6日）",
        "text": "请区商务局牵头，会同区科学技术局拿出保障方案。",
        "action_id": str(known["action"]),
        "lead_department_id": str(known["lead"]),
        "partners_present": "1",
        "partner_department_ids": [str(known["partner"])],
        "deadline": deadline,
        "milestones_present": "1",
        "milestone_title": ["拿出保障方案", ""],
        "milestone_due": [(dt.date.today() + dt.timedelta(days=30)).isoformat(), ""],
        "targets_present": "1",
        "target_name": ["新增供电容量", ""],
        "target_comparator": ["≥", "≥"],
        "target_value": ["2", ""],
        "target_unit": ["万千伏安", ""],
    }
    form.update(changes)
    return form


def history_kinds(app, case_id):
    from app.models import CaseHistory

    with app.app_context():
        from app.extensions import db

        rows = list(db.session.execute(select(CaseHistory.kind, CaseHistory.data)
                                       .where(CaseHistory.case_id == case_id).order_by(CaseHistory.id)))
        db.session.remove()
    return rows


def test_the_office_opens_a_case_by_hand(app, fresh_db, client):
    from app.models import Case, Indicator, Milestone

    login(client, "office")
    assert 'name="lead_department_id"' in html(client.get("/caseedit/new"))
    response = client.post("/caseedit/new", data=new_case_form(app), follow_redirects=True)
    page = html(response)
    assert ("success", "已立项：落实区长批示：新能源装备产业园用电保障。") in flashes(page)
    case_id = int(re.search(r"/caseview/show/(\d+)", response.request.path).group(1))
    case = scalar(app, select(Case.state).where(Case.id == case_id))
    assert case == "assigned"
    assert scalar(app, select(Case.lead_department_id).where(Case.id == case_id)) == ids(app)["lead"]
    assert scalar(app, select(func.count(Milestone.id)).where(Milestone.case_id == case_id)) == 1
    assert scalar(app, select(Indicator.kind).where(Indicator.case_id == case_id)) == "cumulative"
    assert "区长批示（5月6日）" in page and "拿出保障方案" in page
    assert [k for k, _d in history_kinds(app, case_id)] == ["created"]
    # worker1's department leads it: it is in their queue to accept.
    client.get("/logout/")
    login(client, "worker1")
    assert f'/caseview/show/{case_id}"' in html(client.get("/toacceptview/list/"))


def test_bad_input_creates_nothing_and_says_why(app, fresh_db, client):
    from app.models import Case

    before = scalar(app, select(func.count(Case.id)))
    login(client, "office")
    response = client.post("/caseedit/new", data=new_case_form(app, deadline="2020-01-01"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "完成时限 2020-01-01 已经过去。" in page
    assert "落实区长批示：新能源装备产业园用电保障" in page  # what was typed is kept
    response = client.post("/caseedit/new", data=new_case_form(app, title=" "))
    assert "请填写标题。" in response.get_data(as_text=True)
    assert scalar(app, select(func.count(Case.id))) == before


def test_only_the_office_opens_cases(app, fresh_db, client):
    for user in ("worker1", "lead1", "leader"):
        login(client, user)
        assert client.get("/caseedit/new").status_code in (302, 403)
        client.get("/logout/")


def test_edits_are_in_the_history_and_a_lead_edits_only_milestones_and_targets(app, fresh_db, client):
    login(client, "office")
    response = client.post("/caseedit/new", data=new_case_form(app), follow_redirects=True)
    case_id = int(re.search(r"/caseview/show/(\d+)", response.request.path).group(1))
    later = (dt.date.today() + dt.timedelta(days=250)).isoformat()
    page = html(client.post(f"/caseedit/{case_id}", data={"deadline": later, "title": "新标题：用电保障"},
                            follow_redirects=True))
    assert ("success", "修改已保存。") in flashes(page) and "新标题：用电保障" in page
    kind, data = history_kinds(app, case_id)[-1]
    assert kind == "edit" and set(data["changes"]) == {"deadline", "title"}
    assert data["changes"]["deadline"][1] == later
    assert "完成时限" in page and "标题" in page  # the timeline names the changed fields
    client.get("/logout/")

    login(client, "lead1")  # leads action one's task force
    page = html(client.get(f"/caseedit/{case_id}"))
    assert 'name="milestone_title"' in page and 'name="title"' not in page
    soon = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    page = html(client.post(f"/caseedit/{case_id}", data={
        "milestones_present": "1", "milestone_title": ["拿出保障方案", "完成线路改造"],
        "milestone_due": [(dt.date.today() + dt.timedelta(days=30)).isoformat(), soon]},
        follow_redirects=True))
    assert "完成线路改造" in page
    refused = html(client.post(f"/caseedit/{case_id}", data={"title": "专班改的标题"}, follow_redirects=True))
    assert any("您不能修改该事项的标题" in text for _k, text in flashes(refused))
    assert "专班改的标题" not in refused


def test_a_caseworker_reports_a_milestone_done_and_it_is_in_the_timeline(app, fresh_db, client):
    from app.models import Milestone

    login(client, "office")
    response = client.post("/caseedit/new", data=new_case_form(app), follow_redirects=True)
    case_id = int(re.search(r"/caseview/show/(\d+)", response.request.path).group(1))
    milestone = scalar(app, select(Milestone.id).where(Milestone.case_id == case_id))
    client.get("/logout/")
    login(client, "worker2")  # a partner unit: sees it, may not report the milestone
    page = html(client.get(f"/caseview/show/{case_id}"))
    assert "milestone-form" not in page
    refused = html(client.post(f"/caseedit/{case_id}/milestone/{milestone}", data={"note": "做完了"},
                               follow_redirects=True))
    assert any("只有牵头单位的经办人" in text for _k, text in flashes(refused))
    client.get("/logout/")

    login(client, "worker1")
    page = html(client.get(f"/caseview/show/{case_id}"))
    assert "milestone-form" in page
    empty = html(client.post(f"/caseedit/{case_id}/milestone/{milestone}", data={"note": " "},
                             follow_redirects=True))
    assert any("请说明完成情况" in text for _k, text in flashes(empty))
    page = html(client.post(f"/caseedit/{case_id}/milestone/{milestone}",
                            data={"note": "保障方案已印发（鹤商发〔2024〕12号）"}, follow_redirects=True))
    assert ("success", "已报告该时间节点完成。") in flashes(page)
    assert re.search(rf'data-milestone="{milestone}".*?已完成.*?鹤商发〔2024〕12号', page, re.S)
    assert "时间节点完成" in page  # the timeline entry
    assert scalar(app, select(Milestone.done_by_id).where(Milestone.id == milestone)) is not None
    again = html(client.post(f"/caseedit/{case_id}/milestone/{milestone}", data={"note": "再报"},
                             follow_redirects=True))
    assert any("该时间节点已报告完成" in text for _k, text in flashes(again))


def test_a_parent_case_shows_its_sub_tasks_rolled_up_percent(app, fresh_db, client):
    from app.models import Case

    login(client, "office")
    response = client.post("/caseedit/new", data=new_case_form(app), follow_redirects=True)
    parent = int(re.search(r"/caseview/show/(\d+)", response.request.path).group(1))
    form = html(client.get(f"/caseedit/new?parent={parent}"))
    assert f'name="parent_id" value="{parent}"' in form
    children = []
    for title in ("子任务一：编制用电方案", "子任务二：完成线路改造"):
        response = client.post("/caseedit/new", data=new_case_form(
            app, title=title, parent_id=str(parent), milestones_present="", milestone_title=[],
            milestone_due=[]), follow_redirects=True)
        children.append(int(re.search(r"/caseview/show/(\d+)", response.request.path).group(1)))
    assert scalar(app, select(Case.parent_id).where(Case.id == children[0])) == parent
    client.get("/logout/")

    login(client, "worker1")
    client.post(f"/caseview/transition/{children[0]}", data={"transition": "accept"})
    page = html(client.post(f"/caseview/progress/{children[0]}", data={"note": "方案初稿已完成", "percent": "60"},
                            follow_redirects=True))
    assert "60%" in page
    page = html(client.get(f"/caseview/show/{parent}"))
    rows = re.findall(r'<tr class="child-row" data-case="(\d+)">', page)
    assert [int(r) for r in rows] == children
    assert "汇总完成 30%" in page  # (60 + 0) / 2, equal weights
    child_page = html(client.get(f"/caseview/show/{children[1]}"))
    assert "上级事项：" in child_page and f"/caseview/show/{parent}" in child_page


def test_a_missed_milestone_turns_its_case_yellow_until_reported_done(app, fresh_db, client):
    from app.models import Milestone
    from app.working_days import current_calendar

    with app.app_context():
        calendar = current_calendar()
        day = dt.date.today() - dt.timedelta(days=1)
        while not calendar.is_working_day(day):  # the last working day before today
            day -= dt.timedelta(days=1)
        from app.extensions import db

        db.session.remove()
    login(client, "office")
    form = new_case_form(app, milestone_title=["提交方案初稿"], milestone_due=[day.isoformat()])
    response = client.post("/caseedit/new", data=form, follow_redirects=True)
    case_id = int(re.search(r"/caseview/show/(\d+)", response.request.path).group(1))
    page = html(client.get(f"/caseview/show/{case_id}"))
    assert 'class="rag rag-yellow"' in page and "milestone-missed" in page
    client.get("/logout/")
    login(client, "worker1")
    milestone = scalar(app, select(Milestone.id).where(Milestone.case_id == case_id))
    client.post(f"/caseedit/{case_id}/milestone/{milestone}", data={"note": "初稿已报区政府办"})
    page = html(client.get(f"/caseview/show/{case_id}"))
    assert 'class="rag rag-green"' in page and "milestone-done" in page


def test_lists_show_the_missed_milestone_light_and_filter_by_milestones(app, fresh_db, client):
    from app.working_days import current_calendar

    with app.app_context():
        calendar = current_calendar()
        day = dt.date.today() - dt.timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
        from app.extensions import db

        db.session.remove()
    login(client, "office")
    form = new_case_form(app, milestone_title=["提交方案初稿"], milestone_due=[day.isoformat()])
    response = client.post("/caseedit/new", data=form, follow_redirects=True)
    case_id = int(re.search(r"/caseview/show/(\d+)", response.request.path).group(1))
    listing = html(client.get("/caseview/list/?milestone=missed"))
    assert f'/caseview/show/{case_id}"' in listing and "节点逾期" in listing
    row = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*?/caseview/show/{case_id}".*?</tr>', listing, re.S).group(0)
    assert "rag-yellow" in row  # the list's light agrees with the case page
    soon = html(client.get("/caseview/list/?milestone=soon"))
    assert f'/caseview/show/{case_id}"' not in soon
