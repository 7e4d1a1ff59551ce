"""The cascade (issue 11, item 6): a city, its districts and a township in one installation.

A district's target contributes to the city's; the city's target shows each contribution and
their sum beside its own actual (API and page). Departments belong to organisations: a
township's cases are seen by its district's office and the city's, never by another
district's; and a district's office does not see the city's other districts' cases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.integration.conftest import DEMO_PASSWORD, login
from tests.integration.fixtures_browser import flashes, html


def _plan(db, models, title, org, *, parent=None, case_title=None, lead=None):
    plan = models.Plan(title=title, year=2024, kind="overall", organisation_id=org.id,
                       parent_id=parent.id if parent else None)
    db.session.add(plan)
    db.session.flush()
    goal = models.Goal(plan_id=plan.id, index=1, title="产业培育加力提速", text="")
    action = models.Action(plan_id=plan.id, index=1, title="大力实施产业培塑行动", text="")
    db.session.add_all([goal, action])
    db.session.flush()
    case = None
    if case_title:
        case = models.Case(plan_id=plan.id, action_id=action.id, source_key=f"k-{plan.id}", seq=1,
                           title=case_title, lead_department_id=lead.id, start_date=dt.date(2024, 1, 1),
                           deadline=dt.date(2030, 12, 31), original_deadline=dt.date(2030, 12, 31))
        db.session.add(case)
    return plan, goal, case


@pytest.fixture()
def cascade(app, fresh_db, restored_db):
    """怀化市 > 鹤城区 (the seed plan) > 城北街道, and 怀化市 > 中方县; offices of each (the
    seed is restored afterwards: later tests read the plan without fresh_db)."""
    from app import models
    from app.extensions import db
    from app.services import cascade as service
    from workflows.vocabulary import SYSTEM

    with app.app_context():
        service.add_organisation(SYSTEM, "怀化市", kind="city")
        service.add_organisation(SYSTEM, "鹤城区", kind="district", parent="怀化市")
        service.add_organisation(SYSTEM, "中方县", kind="district", parent="怀化市")
        service.add_organisation(SYSTEM, "城北街道", kind="street", parent="鹤城区")
        orgs = {o.name: o for o in db.session.scalars(select(models.Organisation))}
        hecheng = db.session.scalar(select(models.Plan).where(models.Plan.kind == "overall"))
        hecheng.organisation_id = orgs["鹤城区"].id
        units = {}
        for name, org, kind in (("怀化市政府督查室", "怀化市", "office"), ("鹤城区督查专员室", "鹤城区", "office"),
                                ("中方县政府督查室", "中方县", "office"), ("中方县工信局", "中方县", "district_department"),
                                ("城北街道办事处", "城北街道", "township")):
            units[name] = models.Department(name=name, kind=kind, organisation_id=orgs[org].id)
            db.session.add(units[name])
        db.session.flush()
        city, city_goal, _c = _plan(db, models, "怀化市实施“八大行动”总体方案", orgs["怀化市"])
        zhongfang, zf_goal, zf_case = _plan(db, models, "中方县实施“八大行动”方案", orgs["中方县"], parent=city,
                                            case_title="中方县工业园标准厂房建设", lead=units["中方县工信局"])
        street, _g, street_case = _plan(db, models, "城北街道“八大行动”工作方案", orgs["城北街道"], parent=hecheng,
                                        case_title="城北街道老旧小区改造", lead=units["城北街道办事处"])
        hecheng.parent_id = city.id
        target = models.Indicator(plan_id=city.id, goal_id=city_goal.id, position=1, name="新增规模以上工业企业",
                                  value=100, unit="家", comparator="≥", year=2024, quote="", kind="cumulative")
        zf_target = models.Indicator(plan_id=zhongfang.id, goal_id=zf_goal.id, position=1, name="新增规模以上工业企业",
                                     value=20, unit="家", comparator="≥", year=2024, quote="", kind="cumulative")
        hc_target = models.Indicator(plan_id=hecheng.id, goal_id=db.session.scalar(
            select(models.Goal.id).where(models.Goal.plan_id == hecheng.id, models.Goal.index == 1)),
            position=99, name="新增规模以上工业企业", value=30, unit="家", comparator="≥", year=2024, quote="",
            kind="cumulative")
        db.session.add_all([target, zf_target, hc_target])
        db.session.commit()
        sm = app.appbuilder.sm
        for username, unit in (("city_office", "怀化市政府督查室"), ("hc_office", "鹤城区督查专员室"),
                               ("zf_office", "中方县政府督查室")):
            user = sm.add_user(username, "督查", username, f"{username}@duban.local", [sm.find_role("Office")],
                               password=DEMO_PASSWORD)
            db.session.execute(models.user_department.insert().values(user_id=user.id, department_id=units[unit].id))
        db.session.commit()
        ids = {"city": city.id, "hecheng": hecheng.id, "zhongfang": zhongfang.id, "street": street.id,
               "target": target.id, "zf_target": zf_target.id, "hc_target": hc_target.id,
               "zf_case": zf_case.id, "street_case": street_case.id,
               "hc_case": db.session.scalar(select(models.Case.id).where(models.Case.plan_id == hecheng.id)
                                            .order_by(models.Case.id))}
        db.session.remove()
    return ids


def _ids(client, api, user, plan_id):
    answer = client.get(f"/api/v1/case/?q=(filters:!((col:plan_id,opr:eq,value:{plan_id})),page_size:100)",
                        headers=api(user))
    assert answer.status_code == 200
    return answer.get_json()["count"]


def test_each_office_sees_its_organisation_and_those_below(app, cascade, client, api):
    ids = cascade
    # 鹤城区's office: its own plan and its street's, not 中方县's.
    assert _ids(client, api, "hc_office", ids["street"]) == 1
    assert _ids(client, api, "hc_office", ids["hecheng"]) > 100
    assert _ids(client, api, "hc_office", ids["zhongfang"]) == 0
    assert client.get(f"/api/v1/case/{ids['zf_case']}", headers=api("hc_office")).status_code == 404
    assert client.get(f"/api/v1/case/{ids['street_case']}", headers=api("hc_office")).status_code == 200
    # 中方县's office: its own only.
    assert _ids(client, api, "zf_office", ids["zhongfang"]) == 1
    assert _ids(client, api, "zf_office", ids["street"]) == 0
    assert client.get(f"/api/v1/case/{ids['hc_case']}", headers=api("zf_office")).status_code == 404
    assert client.post(f"/api/v1/case/{ids['hc_case']}/urge", json={"comment": "请加快"},
                       headers=api("zf_office")).status_code == 404
    # The city's office sees them all; so does the installation's own (unscoped) office.
    for user in ("city_office", "office"):
        assert _ids(client, api, user, ids["zhongfang"]) == 1 and _ids(client, api, user, ids["street"]) == 1
    # The pages agree.
    login(client, "zf_office")
    assert client.get(f"/caseview/show/{ids['street_case']}").status_code == 404
    assert "中方县工业园标准厂房建设" in html(client.get(f"/caseview/show/{ids['zf_case']}"))


def test_a_district_target_contributes_to_the_city_target(app, cascade, client, api):
    ids = cascade
    link = f"/api/v1/indicator/{ids['zf_target']}/contribution"
    # Refusals: a target of a plan that is not the parent plan, a caseworker, a bad body.
    wrong = client.put(link, json={"parent_indicator_id": ids["hc_target"]}, headers=api("office"))
    assert wrong.status_code == 422 and "不是上级方案" in wrong.get_json()["message"]
    assert client.put(link, json={"parent_indicator_id": ids["target"]}, headers=api("worker1")).status_code == 403
    assert client.put(link, json={"parent_indicator_id": "x"}, headers=api("office")).status_code == 400
    # 鹤城区's office may not link 中方县's target (not its organisation's plan).
    assert client.put(link, json={"parent_indicator_id": ids["target"]}, headers=api("hc_office")).status_code == 404
    for child in ("zf_target", "hc_target"):
        answer = client.put(f"/api/v1/indicator/{ids[child]}/contribution",
                            json={"parent_indicator_id": ids["target"]}, headers=api("office"))
        assert answer.status_code == 200 and answer.get_json()["result"]["contributes_to_id"] == ids["target"]
    for child, value in (("zf_target", 12), ("hc_target", 21)):
        assert client.post(f"/api/v1/indicator/{ids[child]}/actual", json={"period": "2024-06", "value": value},
                           headers=api("office")).status_code == 201
    client.post(f"/api/v1/indicator/{ids['target']}/actual", json={"period": "2024-06", "value": 35},
                headers=api("office"))
    city = client.get(f"/api/v1/indicator/{ids['target']}", headers=api("office")).get_json()["result"]
    assert city["actual"] == 35 and city["contributions_sum"] == 33
    assert sorted((c["organisation"], c["value"], c["period"]) for c in city["contributions"]) == [
        ("中方县", 12.0, "2024-06"), ("鹤城区", 21.0, "2024-06")]

    login(client, "office")
    page = html(client.get(f"/targets/{ids['target']}"))
    assert "下级方案的贡献" in page and 'class="num contributions-sum">33家' in page and "本指标实际值" in page
    child_page = html(client.get(f"/targets/{ids['zf_target']}"))
    assert 'id="contribution-form"' in child_page
    page = html(client.post(f"/targets/{ids['zf_target']}/contribution", data={"parent_indicator_id": ""},
                            follow_redirects=True))
    assert ("success", "已保存：本指标不再计入上级方案。") in flashes(page)
    city = client.get(f"/api/v1/indicator/{ids['target']}").get_json()["result"]
    assert city["contributions_sum"] == 21


def test_plan_parents_never_form_a_cycle(app, cascade):
    from app.extensions import db
    from app.models import Plan
    from app.services import cascade as service
    from workflows.errors import DomainError
    from workflows.vocabulary import SYSTEM

    with app.app_context():
        with pytest.raises(DomainError) as refused:
            service.set_parent_plan(SYSTEM, cascade["city"], cascade["street"])  # the street is below the city
        assert refused.value.code == "plan_cycle"
        assert db.session.get(Plan, cascade["city"]).parent_id is None
        runner = app.test_cli_runner()
        result = runner.invoke(args=["plan", "parent", str(cascade["street"]), str(cascade["city"])])
        assert result.exit_code == 0 and db.session.get(Plan, cascade["street"]).parent_id == cascade["city"]
        bad = runner.invoke(args=["org", "add", "某镇", "--kind", "village"])
        assert bad.exit_code == 1 and "类型应为" in bad.output
        db.session.remove()


def test_plans_and_reports_stay_within_the_organisation(app, cascade, client, api):
    ids = cascade
    monthly = {"kind": "monthly", "period": "2024-06"}
    refused = client.post("/api/v1/report/", json={**monthly, "options": {"plan_id": ids["hecheng"]}},
                          headers=api("zf_office"))
    assert refused.status_code == 422 and refused.get_json()["message"] == "该方案不存在。"
    own = client.post("/api/v1/report/", json={**monthly, "options": {"plan_id": ids["zhongfang"]}},
                      headers=api("zf_office"))
    assert own.status_code in (201, 202), own.get_json()
    report_id = own.get_json()["id"]
    # Without a plan named, a district office's report is about its own (default) plan.
    default = client.post("/api/v1/report/", json=monthly, headers=api("hc_office"))
    assert default.status_code in (201, 202), default.get_json()
    listed = {r["id"] for r in client.get("/api/v1/report/", headers=api("hc_office")).get_json()["result"]}
    assert report_id not in listed
    assert report_id in {r["id"] for r in client.get("/api/v1/report/", headers=api("city_office")).get_json()["result"]}
    assert client.get(f"/api/v1/report/{report_id}", headers=api("hc_office")).status_code == 404

    # The plan picker offers only the organisation's plans; another district's cannot be chosen.
    login(client, "zf_office")
    page = html(client.get("/dashboard/"))
    assert "中方县实施“八大行动”方案" in page and "鹤城区实施“八大行动”总体方案" not in page
    refused = html(client.post("/planscope/choose", data={"plan": str(ids["hecheng"])}, follow_redirects=True))
    assert ("danger", "该方案不存在。") in flashes(refused)


def test_escalations_and_requests_go_to_the_cases_own_office_or_the_nearest_above(app, cascade, client, api):
    """A province holds many offices: a late case is escalated to the 督查室 of its own
    organisation (a street without one: its district's), never to every office."""
    from flask_appbuilder.security.sqla.models import User

    from app import models
    from app.extensions import db
    from app.services.notifications import office_user_ids
    from app.services.reminders import run_reminders

    ids = cascade
    zone = dt.timezone(dt.timedelta(hours=8))
    with app.app_context():
        users = dict(db.session.execute(select(User.username, User.id)).all())
        orgs = dict(db.session.execute(select(models.Organisation.name, models.Organisation.id)).all())
        assert office_user_ids(orgs["中方县"]) == {users["zf_office"]}
        assert office_user_ids(orgs["城北街道"]) == {users["hc_office"]}
        assert office_user_ids(orgs["怀化市"]) == {users["city_office"]}
        # Cases of no organisation: the installation's own office (users of no organisation).
        assert users["office"] in office_user_ids(None)
        assert not {users["zf_office"], users["hc_office"], users["city_office"]} & office_user_ids(None)
        # Both cases ten working days late on 2024-03-15.
        for key in ("zf_case", "street_case"):
            case = db.session.get(models.Case, ids[key])
            case.state, case.deadline = "in_progress", dt.date(2024, 3, 1)
        db.session.commit()
        run_reminders(dt.datetime(2024, 3, 15, 10, tzinfo=zone))
        told = {key: set(db.session.scalars(select(models.Notification.recipient_id).where(
            models.Notification.case_id == ids[key], models.Notification.kind == "escalation",
            models.Notification.recipient_id.in_([users[u] for u in ("office", "zf_office", "hc_office",
                                                                       "city_office")]))))
                for key in ("zf_case", "street_case")}
        assert told == {"zf_case": {users["zf_office"]}, "street_case": {users["hc_office"]}}
        db.session.remove()
    # A request for more time on 中方县's case is for 中方县's office alone.
    with app.app_context():
        lead_unit = db.session.get(models.Case, ids["zf_case"]).lead_department_id
        worker = app.appbuilder.sm.add_user("zf_worker", "办理", "zf_worker", "zf_worker@duban.local",
                                            [app.appbuilder.sm.find_role("Caseworker")], password=DEMO_PASSWORD)
        db.session.execute(models.user_department.insert().values(user_id=worker.id, department_id=lead_unit))
        db.session.commit()
    asked = client.post(f"/api/v1/case/{ids['zf_case']}/extension", headers=api("zf_worker"),
                        json={"new_deadline": "2024-06-30", "reason": "设备到货延迟"})
    assert asked.status_code in (200, 201), asked.get_json()
    from app.services.relay import relay_pending

    with app.app_context():
        relay_pending()
        told = set(db.session.scalars(select(models.Notification.recipient_id).where(
            models.Notification.case_id == ids["zf_case"], models.Notification.kind == "extension_requested")))
        assert told == {users["zf_office"]}
        db.session.remove()
