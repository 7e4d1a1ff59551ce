"""Targets with meaning: actuals per statistical period, entered by the responsible unit, read
by kind on the dashboard, the goal targets page, the case page and the reports."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import login
from tests.integration.fixtures_browser import flashes, html, scalar
from tests.integration.fixtures_workflow import WORKER1_DEPARTMENT


def goal_target(app, name: str) -> int:
    from app.models import Indicator

    return scalar(app, select(Indicator.id).where(Indicator.goal_id.is_not(None), Indicator.name == name))


def report(client, indicator_id: int, **form):
    """Post the entry form of a target's page; return the page it goes back to."""
    return client.post(f"/targets/{indicator_id}/actual", data=form, follow_redirects=True)


def dashboard_row(client, indicator_id: int) -> tuple[str, str]:
    """(light, cells text) of a goal target's row on the dashboard."""
    page = html(client.get("/dashboard/"))
    match = re.search(
        rf'<tr class="indicator-row" data-indicator="{indicator_id}" data-kind="\w+" '
        rf'data-light="(\w+)">(.*?)</tr>', page, re.S)
    assert match, f"no row for indicator {indicator_id}"
    return match.group(1), re.sub(r"<[^>]+>", " ", match.group(2))


def actual_count(app, indicator_id: int) -> int:
    from app.models import IndicatorActual

    return scalar(app, select(func.count(IndicatorActual.id)).where(IndicatorActual.indicator_id == indicator_id))


def test_the_seed_plans_targets_have_their_kinds(app):
    from app.models import Indicator

    with app.app_context():
        from app.extensions import db

        kinds = dict(db.session.execute(select(Indicator.kind, func.count()).group_by(Indicator.kind)).all())
        qualitative = list(db.session.scalars(
            select(Indicator.name).where(Indicator.kind == "qualitative").order_by(Indicator.id)))
        db.session.remove()
    assert kinds == {"growth": 11, "level": 11, "cumulative": 41, "qualitative": 3}
    # goals 4, 7 and 8 have no number: each is one qualitative target, judged by the office
    assert qualitative == ["改革攻坚实现突破", "安全底线守稳守牢", "民生保障更加可感"]


def test_growth_below_target_is_behind_in_percentage_points(app, fresh_db, client):
    trade = goal_target(app, "外贸进出口总额增长")  # 增长80%以上
    login(client, "office")
    page = html(report(client, trade, period="2024-06", value="42.9", source="区统计局", note="1—6月"))
    assert ("success", "已保存 2024-06 的实际值。") in flashes(page)
    light, cells = dashboard_row(client, trade)
    assert light == "red"
    assert "低于目标37.1个百分点" in cells and "2024-06" in cells and "42.9%" in cells
    assert "完成率" not in cells and "54%" not in cells  # never actual ÷ target


def test_cumulative_at_the_june_pace_is_green_in_june_and_red_in_december(app, fresh_db, client):
    firms = goal_target(app, "新增规模工业企业")  # 10家以上
    login(client, "office")
    report(client, firms, period="2024-06", value="5")
    light, cells = dashboard_row(client, firms)
    assert light == "green" and "与序时进度持平" in cells and "5家" in cells
    report(client, firms, period="2024-12", value="5")
    light, cells = dashboard_row(client, firms)
    assert light == "red" and "低于目标5家" in cells and "2024-12" in cells


def test_a_ceiling_under_its_limit_is_on_track(app, fresh_db, client):
    from app.extensions import db
    from app.models import Goal, Indicator

    with app.app_context():
        goal = db.session.scalar(select(Goal).where(Goal.index == 8))
        ceiling = Indicator(plan_id=goal.plan_id, goal_id=goal.id, position=2, name="城镇调查失业率",
                            value=5.5, unit="%", comparator="≤", year=2024, kind="ceiling",
                            quote="城镇调查失业率控制在5.5%以内")
        db.session.add(ceiling)
        db.session.commit()
        ceiling_id = ceiling.id
        db.session.remove()
    login(client, "office")
    report(client, ceiling_id, period="2024-06", value="4.9")
    light, cells = dashboard_row(client, ceiling_id)
    assert light == "green" and "低于上限0.6个百分点" in cells
    report(client, ceiling_id, period="2024-07", value="7")
    light, cells = dashboard_row(client, ceiling_id)
    assert light == "red" and "高于上限1.5个百分点" in cells


def test_a_qualitative_goal_gets_the_offices_judgement(app, fresh_db, client):
    reform = goal_target(app, "改革攻坚实现突破")
    login(client, "office")
    page = html(client.get(f"/targets/{reform}"))
    assert 'name="judgement"' in page and 'name="value"' not in page
    report(client, reform, period="2024-Q2", judgement="mostly_done", note="鹤中一体化十大改革完成6项")
    light, cells = dashboard_row(client, reform)
    assert light == "yellow" and "基本完成" in cells and "鹤中一体化十大改革完成6项" in cells


def test_a_correction_is_a_new_version_never_an_overwrite(app, fresh_db, client):
    industry = goal_target(app, "规模工业增加值增长")
    login(client, "office")
    report(client, industry, period="2024-06", value="7.2", source="统计快报")
    report(client, industry, period="2024-06", value="7.9", source="统计年报", note="更正")
    assert actual_count(app, industry) == 2
    page = html(client.get(f"/targets/{industry}"))
    versions = re.findall(r'<tr class="version-row([^"]*)" data-period="2024-06">(.*?)</tr>', page, re.S)
    assert len(versions) == 2
    (newest_class, newest), (older_class, older) = versions
    assert "7.9%" in newest and "v2" in newest and "superseded" not in newest_class
    assert "7.2%" in older and "v1" in older and "superseded" in older_class and "已更正" in older
    light, cells = dashboard_row(client, industry)
    assert "7.9%" in cells and "低于目标0.6个百分点" in cells and light == "yellow"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"period": "2024-13", "value": "5"}, "统计期“2024-13”无效"),
        ({"period": "2024-Q2", "value": "5"}, "该指标的统计期应写作 2024-06 的格式"),
        ({"period": "2023-12", "value": "5"}, "不在该指标的年度（2024年）内"),
        ({"period": "2024-06", "value": "五家"}, "实际值应为数字"),
        ({"period": "2024-06", "value": ""}, "实际值应为数字"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_writes_nothing(app, fresh_db, client, form, message):
    firms = goal_target(app, "新增规模工业企业")
    login(client, "office")
    page = html(report(client, firms, **form))
    assert any(kind == "danger" and message in text for kind, text in flashes(page)), flashes(page)
    assert actual_count(app, firms) == 0


def test_only_the_responsible_unit_or_the_office_reports(app, fresh_db, client):
    from app.extensions import db
    from app.models import Case, Department, Indicator

    with app.app_context():
        own = db.session.scalar(
            select(Indicator.id).join(Case, Case.id == Indicator.case_id)
            .join(Department, Department.id == Case.lead_department_id)
            .where(Department.name == WORKER1_DEPARTMENT).order_by(Indicator.id).limit(1))
        db.session.remove()
    goal = goal_target(app, "新增规模工业企业")

    login(client, "worker1")
    # A goal target has no responsible unit yet: worker1 may read it but not report it.
    page = html(client.get(f"/targets/{goal}"))
    assert 'name="value"' not in page
    refused = html(report(client, goal, period="2024-06", value="3"))
    assert any("只有该指标的责任单位或政府督查室可以填报" in text for _k, text in flashes(refused))
    assert actual_count(app, goal) == 0
    # The target of a case worker1's department leads: worker1 reports it.
    assert 'name="value"' in html(client.get(f"/targets/{own}"))
    report(client, own, period="2024-05", value="2")
    assert actual_count(app, own) == 1
    case_page = html(client.get(f"/caseview/show/{scalar(app, select(Indicator.case_id).where(Indicator.id == own))}"))
    row = re.search(rf'<tr class="target-row" data-indicator="{own}" data-light="(\w+)">(.*?)</tr>', case_page, re.S)
    assert row and "2024-05" in row.group(2) and row.group(1) != "none"

    # worker2 does not see worker1's case: its target is not found either.
    client.get("/logout/")
    login(client, "worker2")
    assert client.get(f"/targets/{own}").status_code == 404
    assert client.post(f"/targets/{own}/actual", data={"period": "2024-06", "value": "9"}).status_code == 404
    assert actual_count(app, own) == 1


def test_goal_targets_can_now_be_responsible_units_own(app, fresh_db, client):
    from app.extensions import db
    from app.models import Department, Indicator

    goal = goal_target(app, "新增规模工业企业")
    with app.app_context():
        dept = db.session.scalar(select(Department).where(Department.name == WORKER1_DEPARTMENT))
        db.session.get(Indicator, goal).responsible_department_id = dept.id
        db.session.commit()
        db.session.remove()
    login(client, "worker1")
    report(client, goal, period="2024-03", value="3")
    assert actual_count(app, goal) == 1
    page = html(client.get("/targets/"))
    assert re.search(rf'data-indicator="{goal}"[^>]*data-light="green"', page)
