"""三看三评三比 as data (issue 12 part 1), over the plan with March–June 2024 progress.

The fixture (tests/integration/fixtures_reports.seed_progress) drives the cases through the
quarter — on time, late, overdue and urged, extended, returned, closed — has the office score
三评/三比 of four departments for 2024-Q2, computes and publishes that quarter. These tests
read the CLI contract, the pages (Chinese), the Excel export and who sees what.
"""

from __future__ import annotations

import datetime as dt
import io
import json

from sqlalchemy import select

from app.extensions import db
from tests.integration.conftest import login


def cli_json(app, *args):
    result = app.test_cli_runner().invoke(args=["evaluation", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def by_unit(data):
    return {u["unit"]: u for u in data["units"]}


def part(unit, key):
    return next(p for p in unit["parts"] if p["key"] == key)


def department_id(app, name):
    from app.models import Department

    with app.app_context():
        return db.session.scalar(select(Department.id).where(Department.name == name))


def test_a_quarter_gives_each_unit_a_score_traced_to_its_facts(app, report_progress):
    data = cli_json(app, "compute", "--period", "2024-Q2", "--json")
    assert data["period"] == "2024-Q2" and data["published"] is True  # the fixture published it
    units = data["units"]
    assert {u["group"] for u in units} == {"task_force", "district_department"}
    for u in units:
        assert set(u) >= {"unit", "group", "total", "rank", "parts"}
        assert abs(sum(p["score"] for p in u["parts"]) - u["total"]) < 0.02 or u["subtotals"]["kan"] == 0
        computed = [p for p in u["parts"] if p["computed"]]
        scored = [p for p in u["parts"] if not p["computed"]]
        assert len(scored) == 6 and {p["name"] for p in scored} >= {"评工作成效", "比作风"}
        assert {p["name"] for p in computed} >= {"看主要目标完成情况", "看工作调度情况", "看重点任务推进情况"}
        for p in computed:
            if not p["key"].startswith("deduction."):
                assert p["facts"] and all(f["text"] for f in p["facts"]), (u["unit"], p)
    # Ranks within each group: one more than the number of better totals (ties share a rank).
    for u in units:
        better = [v for v in units if v["group"] == u["group"] and v["total"] > u["total"]]
        assert u["rank"] == len(better) + 1

    facts = report_progress
    named = by_unit(data)
    for case_id in facts.overdue:
        unit = named[facts.departments[case_id]]
        lines = [f for f in part(unit, "kan.key_tasks")["facts"] if f.get("case_id") == case_id]
        assert lines and lines[0]["outcome"] == "overdue" and "个工作日" in lines[0]["text"]
        assert any(f.get("case_id") == case_id for f in part(unit, "deduction.red_light")["facts"])
    for case_id in facts.urged:
        unit = named[facts.departments[case_id]]
        assert any(f.get("case_id") == case_id for f in part(unit, "deduction.urge")["facts"])
    returned = named[facts.departments[facts.returned]]
    assert [f for f in part(returned, "deduction.return")["facts"] if f["case_id"] == facts.returned]
    # The extension was approved: measured against 7月31日, not overdue.
    extended = named[facts.departments[facts.extended]]
    line = next(f for f in part(extended, "kan.key_tasks")["facts"] if f.get("case_id") == facts.extended)
    assert "2024-07-31" in line["text"] and "已批准延期" in line["text"] and line["outcome"] != "overdue"
    late = named[facts.departments[facts.late_done[0]]]
    line = next(f for f in part(late, "kan.key_tasks")["facts"] if f.get("case_id") == facts.late_done[0])
    assert line["outcome"] == "late_done"
    # The office's scores (fixture: 评工作成效 9, 8, 7, 6 for four departments).
    scored = [u for u in units if part(u, "ping.results")["facts"]]
    assert sorted(part(u, "ping.results")["score"] for u in scored) == [6, 7, 8, 9]
    assert all(part(u, "ping.results")["facts"][0]["scorer"] == "督查室干部" for u in scored)


def test_each_unit_sees_its_own_published_result_and_nothing_else(app, report_progress):
    worker = app.test_client()
    login(worker, "worker1")
    own = department_id(app, "区商务局")
    page = worker.get(f"/evaluation/2024-Q2/{own}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for words in ("区商务局", "看重点任务推进情况", "系统根据数据计算", "督查室评分", "组内第"):
        assert words in text
    other = next(u for u in cli_json(app, "compute", "--period", "2024-Q2", "--json")["units"]
                 if u["unit"] != "区商务局")
    assert worker.get(f"/evaluation/2024-Q2/{other['unit_id']}").status_code == 404
    ranking = worker.get("/evaluation/2024-Q2/").get_data(as_text=True)
    assert "区商务局" in ranking and other["unit"] not in ranking
    # Not published: 2024-06 is computed by the office, but no unit sees it yet.
    cli_json(app, "compute", "--period", "2024-06", "--json")
    assert worker.get(f"/evaluation/2024-06/{own}").status_code == 404
    assert "2024年6月" not in worker.get("/evaluation/").get_data(as_text=True)
    leader = app.test_client()
    login(leader, "leader")
    assert leader.get(f"/evaluation/2024-06/{own}").status_code == 404
    assert leader.get(f"/evaluation/2024-Q2/{other['unit_id']}").status_code == 200
    # The export follows the same rule.
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(worker.get("/evaluation/2024-Q2/export").data))["排名"]
    assert [r[2] for r in sheet.iter_rows(min_row=3, values_only=True)] == ["区商务局"]
    assert worker.post("/evaluation/2024-06/publish").status_code in (302, 403)
    with app.app_context():
        from app.models import EvaluationResult

        assert db.session.scalar(select(EvaluationResult.published_at).where(
            EvaluationResult.period_key == "2024-06").limit(1)) is None


def test_the_office_exports_every_part_with_its_facts(app, report_progress):
    from openpyxl import load_workbook

    office = app.test_client()
    login(office, "office")
    response = office.get("/evaluation/2024-Q2/export")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    book = load_workbook(io.BytesIO(response.data))
    ranking, facts = book["排名"], book["评分依据"]
    header = [c.value for c in ranking[2]]
    assert header[:7] == ["组别", "名次", "单位", "总分", "三看", "三评", "三比"] and "看重点任务推进情况" in header
    data = cli_json(app, "compute", "--period", "2024-Q2", "--json")
    rows = list(ranking.iter_rows(min_row=3, values_only=True))
    assert [(r[2], r[1], r[3]) for r in rows] == [(u["unit"], u["rank"], u["total"]) for u in data["units"]]
    sources = {r[4] for r in facts.iter_rows(min_row=2, values_only=True)}
    assert sources == {"系统计算", "督查室评分"}
    overdue_title = report_progress.titles[min(report_progress.overdue)]
    assert any(overdue_title in (r[6] or "") for r in facts.iter_rows(min_row=2, values_only=True))


def test_office_scorers_are_averaged_with_their_comments_then_published(app, report_progress):
    from app.models import EvaluationScore

    unit = department_id(app, "区商务局")
    office, admin = app.test_client(), app.test_client()
    login(office, "office")
    login(admin, "admin")
    form = {"ping.results": "8", "ping.results.comment": "外资项目推进有力", "bi.conduct": "5"}
    assert office.post(f"/evaluation/2024-06/{unit}/score", data=form).status_code == 302
    admin.post(f"/evaluation/2024-06/{unit}/score", data={"ping.results": "9", "ping.results.comment": "成效明显"})
    bad = office.post(f"/evaluation/2024-06/{unit}/score", data={"ping.results": "11", "bi.conduct": "1"},
                      follow_redirects=True).get_data(as_text=True)
    assert "“评工作成效”的得分应为0至10之间的数字" in bad
    with app.app_context():
        # The refused form changed nothing: office's 比作风 still 5.
        assert float(db.session.scalar(select(EvaluationScore.score).where(
            EvaluationScore.period_key == "2024-06", EvaluationScore.criterion == "bi.conduct"))) == 5
    # A target of one of the unit's tasks, reported for June above its pace: a green light.
    from app.models import Case, Indicator, IndicatorActual

    with app.app_context():
        indicator = db.session.scalars(select(Indicator).join(Case, Case.id == Indicator.case_id).where(
            Case.lead_department_id == unit, Indicator.kind == "cumulative").order_by(Indicator.id)).first()
        db.session.add(IndicatorActual(indicator_id=indicator.id, period="2024-06", value=indicator.value,
                                       recorded_at=dt.datetime(2024, 6, 28, 8)))
        db.session.commit()
        indicator_id = indicator.id
    page = office.post("/evaluation/compute", data={"period": "2024-06"}, follow_redirects=True)
    assert "已计算2024年6月评价结果" in page.get_data(as_text=True)
    detail = office.get(f"/evaluation/2024-06/{unit}").get_data(as_text=True)
    assert "2位评分人平均" in detail and "外资项目推进有力" in detail and "成效明显" in detail
    result = by_unit(cli_json(app, "compute", "--period", "2024-06", "--json", "--dry-run"))["区商务局"]
    assert part(result, "ping.results")["score"] == 8.5 and part(result, "bi.conduct")["score"] == 5
    goals = part(result, "kan.goals")
    line = next(f for f in goals["facts"] if f.get("indicator_id") == indicator_id)
    assert line["light"] == "green" and "绿灯" in line["text"] and goals["score"] > 0

    assert "已发布" in office.post("/evaluation/2024-06/publish", follow_redirects=True).get_data(as_text=True)
    refused = office.post(f"/evaluation/2024-06/{unit}/score", data={"ping.results": "1"},
                          follow_redirects=True).get_data(as_text=True)
    assert "2024-06评价结果已发布，不能再修改" in refused
    worker = app.test_client()
    login(worker, "worker1")
    assert worker.get(f"/evaluation/2024-06/{unit}").status_code == 200
    # Withdrawn to correct it: hidden again, scores accepted again.
    assert worker.post("/evaluation/2024-06/withdraw").status_code in (302, 403)
    assert worker.get(f"/evaluation/2024-06/{unit}").status_code == 200
    withdrawn = office.post("/evaluation/2024-06/withdraw", follow_redirects=True).get_data(as_text=True)
    assert "已撤回发布" in withdrawn
    assert worker.get(f"/evaluation/2024-06/{unit}").status_code == 404
    office.post(f"/evaluation/2024-06/{unit}/score", data={"ping.results": "10"})
    assert part(by_unit(cli_json(app, "compute", "--period", "2024-06", "--json"))["区商务局"],
                "ping.results")["score"] == 9.5


def test_the_scheme_is_versioned_and_each_result_keeps_its_version(app, report_progress):
    from app.models import EvaluationResult, EvaluationScheme

    office = app.test_client()
    login(office, "office")
    page = office.get("/evaluation/scheme").get_data(as_text=True)
    for words in ("三看", "看主要目标完成情况", "期末红灯任务", "表扬和批评规则", "行动专班"):
        assert words in page
    refused = office.post("/evaluation/scheme", data={"kan.goals.weight": "30"}, follow_redirects=True)
    assert "各细则分值合计应为100分" in refused.get_data(as_text=True)
    with app.app_context():
        before = db.session.scalar(select(db.func.max(EvaluationScheme.version)))
    worker = app.test_client()
    login(worker, "worker1")
    worker.post("/evaluation/scheme", data={"kan.goals.weight": "25", "ping.results.weight": "5"})
    saved = office.post("/evaluation/scheme", data={"kan.goals.weight": "25", "ping.results.weight": "5",
                                                   "deduction.red_light.points": "2", "note": "加重红灯扣分"},
                        follow_redirects=True).get_data(as_text=True)
    assert f"第{before + 1}版" in saved
    # An office-scored criterion removed, another added (the points still add up to 100).
    office.post("/evaluation/scheme", data={"bi.conduct.remove": "1", "bi.new.name": "比创新",
                                            "bi.new.weight": "6"})
    page = office.get("/evaluation/scheme").get_data(as_text=True)
    assert "比创新" in page and "比作风" not in page.split("表扬和批评规则")[0]
    data = cli_json(app, "compute", "--period", "2024-05", "--json")
    assert data["scheme_version"] == before + 2
    assert "比创新" in {p["name"] for p in data["units"][0]["parts"]}
    assert "比作风" not in {p["name"] for p in data["units"][0]["parts"]}
    some = data["units"][0]
    assert part(some, "kan.goals")["max"] == 25 and part(some, "ping.results")["max"] == 5
    with app.app_context():
        versions = dict(db.session.execute(select(EvaluationResult.period_key, EvaluationResult.scheme_version)).all())
    assert versions["2024-05"] == before + 2 and versions["2024-Q2"] == before


def test_bad_periods_are_refused_in_chinese(app, report_progress):
    result = app.test_cli_runner().invoke(args=["evaluation", "compute", "--period", "2024-06-D2", "--json"])
    assert result.exit_code == 1 and "不是评价期间" in result.output
    office = app.test_client()
    login(office, "office")
    assert office.get("/evaluation/x/").status_code == 404
    page = office.post("/evaluation/compute", data={"period": "第三季度"}, follow_redirects=True)
    assert "不是评价期间" in page.get_data(as_text=True)


def test_cli_publishes_and_exports_what_a_user_may_see(app, report_progress, tmp_path):
    from openpyxl import load_workbook

    runner = app.test_cli_runner()
    assert runner.invoke(args=["evaluation", "compute", "--period", "2024-04"]).exit_code == 0
    refused = runner.invoke(args=["evaluation", "publish", "--period", "2024-07"])
    assert refused.exit_code == 1 and "2024-07评价结果尚未计算" in refused.output
    published = runner.invoke(args=["evaluation", "publish", "--period", "2024-04"])
    assert published.exit_code == 0 and "已发布2024-04评价结果" in published.output
    again = runner.invoke(args=["evaluation", "publish", "--period", "2024-04"])
    assert again.exit_code == 1 and "已发布，不能再修改" in again.output
    everything, own = tmp_path / "all.xlsx", tmp_path / "worker1.xlsx"
    assert runner.invoke(args=["evaluation", "export", "--period", "2024-04", "--out", str(everything)]).exit_code == 0
    assert runner.invoke(args=["evaluation", "export", "--period", "2024-04", "--out", str(own),
                               "--user", "worker1"]).exit_code == 0
    units = [r[2] for r in load_workbook(everything)["排名"].iter_rows(min_row=3, values_only=True)]
    assert len(units) > 20 and "区商务局" in units
    assert [r[2] for r in load_workbook(own)["排名"].iter_rows(min_row=3, values_only=True)] == ["区商务局"]


def test_an_office_of_another_district_neither_sees_nor_scores_this_districts_evaluation(app, report_progress):
    """The cascade: an office scoped to its organisation sees only its organisations' plans."""
    from sqlalchemy import update

    from app.models import Department, EvaluationScore
    from app.plan_models import Organisation

    with app.app_context():
        other = Organisation(name="邻区", kind="district")
        db.session.add(other)
        db.session.flush()
        from app.models import user_department

        office_id = app.appbuilder.sm.find_user(username="office").id
        office_units = list(db.session.scalars(select(user_department.c.department_id).where(
            user_department.c.user_id == office_id)))
        assert office_units
        db.session.execute(update(Department).where(Department.id.in_(office_units)).values(organisation_id=other.id))
        db.session.commit()
    try:
        office = app.test_client()
        login(office, "office")
        unit = department_id(app, "区商务局")
        assert office.get("/evaluation/2024-Q2/").status_code == 404
        assert office.get(f"/evaluation/2024-Q2/{unit}").status_code == 404
        assert office.get("/evaluation/2024-Q2/export").status_code == 404
        assert "区商务局" not in office.get("/evaluation/").get_data(as_text=True)
        with app.app_context():
            scores = db.session.scalar(select(db.func.count()).select_from(EvaluationScore))
        office.post(f"/evaluation/2024-05/{unit}/score", data={"ping.results": "3"})
        with app.app_context():
            assert db.session.scalar(select(db.func.count()).select_from(EvaluationScore)) == scores
    finally:
        with app.app_context():
            db.session.execute(update(Department).where(Department.id.in_(office_units))
                               .values(organisation_id=None))
            db.session.commit()
