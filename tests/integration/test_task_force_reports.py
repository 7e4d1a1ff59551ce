"""专班报送 (issue 12, part 3): before each dekad brief and monthly bulletin every task force writes
its 亮点, 难点堵点 and 下步计划 — the lead's page and API, who may write, bounds, a reminder before
the due date (once), and the texts printed in the brief's PDF (未报送 where a task force did not)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from tests.integration.conftest import login
from tests.integration.fixtures_browser import flashes, html, scalar
from tests.integration.fixtures_reports import pdf_text

TEXTS = {"highlights": "储能生产线建成投产，新引进新能源项目2个。",
         "difficulties": "园区用地指标紧张，项目审批堵点待协调。",
         "next_steps": "下旬完成华基铝膜项目设备调试。"}


def task_force(app, action_index: int) -> int:
    from app.models import Action, Department

    return scalar(app, select(Department.id).join(Action, Action.id == Department.action_id)
                  .where(Department.kind == "task_force", Action.index == action_index).order_by(Department.id))


def submissions(app) -> list[tuple]:
    from app.models import TaskForceReport

    return list(_run(app, lambda db: [tuple(r) for r in db.session.execute(
        select(TaskForceReport.kind, TaskForceReport.period_key, TaskForceReport.department_id,
               TaskForceReport.highlights).order_by(TaskForceReport.id))]))


def _run(app, fn):
    from app.extensions import db

    with app.app_context():
        try:
            return fn(db)
        finally:
            db.session.remove()


def test_the_lead_writes_through_the_api_and_only_the_lead_or_the_office_may(app, fresh_db, client, api):
    mine, other = task_force(app, 1), task_force(app, 2)
    url = "/api/v1/task_force_report/2024-06-D2"

    response = client.put(url, json=TEXTS, headers=api("lead1"))  # one task force: no id needed
    assert response.status_code == 200, response.get_json()
    body = response.get_json()["result"]
    assert body["department_id"] == mine and body["kind"] == "dekad" and body["due_date"] == "2024-06-20"
    assert body["highlights"] == TEXTS["highlights"] and body["status"] == "late"  # written in 2026
    # Rewritten: still one row, the new text.
    assert client.put(url, json={**TEXTS, "highlights": "改写后的亮点"}, headers=api("lead1")).status_code == 200
    assert submissions(app) == [("dekad", "2024-06-D2", mine, "改写后的亮点")]

    refusals = [
        ("lead1", {**TEXTS, "department_id": other}, url, 403, "只有该专班负责人或督查室"),
        ("worker2", {**TEXTS, "department_id": mine}, url, 403, "只有该专班负责人或督查室"),
        ("leader", {**TEXTS, "department_id": mine}, url, 403, None),
        ("lead1", {**TEXTS, "next_steps": "长" * 2001}, url, 422, None),
        ("lead1", {**TEXTS, "next_steps": "   "}, url, 422, "请填写亮点、难点堵点和下步计划"),
        ("lead1", {"highlights": "x"}, url, 400, None),
        ("lead1", TEXTS, "/api/v1/task_force_report/2024-Q2", 422, "专班只为旬简报和月通报报送"),
        ("lead1", TEXTS, "/api/v1/task_force_report/12345", 422, "专班只为旬简报和月通报报送"),
        ("office", TEXTS, url, 422, "请选择报送的专班"),  # the office names the task force
    ]
    for user, payload, path, status, message in refusals:
        answer = client.put(path, json=payload, headers=api(user))
        assert answer.status_code == status, (user, payload, answer.get_json())
        if message:
            assert message in answer.get_json()["message"], answer.get_json()
    assert submissions(app) == [("dekad", "2024-06-D2", mine, "改写后的亮点")]  # nothing half-written

    # The office writes for another task force; the monthly period is its own row.
    assert client.put("/api/v1/task_force_report/2024-06", json={**TEXTS, "department_id": other},
                      headers=api("office")).status_code == 200
    assert ("monthly", "2024-06", other, TEXTS["highlights"]) in submissions(app)
    listed = client.get("/api/v1/task_force_report/", headers=api("lead1")).get_json()["result"]
    assert listed and {r["department_id"] for r in listed} == {mine}  # the lead sees only its own


def test_a_signed_report_locks_its_submissions(app, fresh_db, client, api):
    from app.models import Report

    url = "/api/v1/task_force_report/2024-06-D2"
    assert client.put(url, json=TEXTS, headers=api("lead1")).status_code == 200
    _run(app, lambda db: (db.session.add(Report(kind="dekad", period_key="2024-06-D2", status="done",
                                                doc_state="signed")), db.session.commit()))
    answer = client.put(url, json={**TEXTS, "highlights": "签发后再改"}, headers=api("lead1"))
    assert answer.status_code == 409 and "已签发或印发" in answer.get_json()["message"]
    assert submissions(app)[0][3] == TEXTS["highlights"]
    # The monthly bulletin of June is not signed: still open.
    assert client.put("/api/v1/task_force_report/2024-06", json=TEXTS, headers=api("lead1")).status_code == 200


def test_the_page_lists_the_periods_due_and_saves_the_form(app, fresh_db, client):
    from app.clock import local_today
    from workflows.periods import Period, PeriodKind

    login(client, "lead1")
    page = client.get("/task-force-reports/")
    assert page.status_code == 200
    text = html(page)
    dekad = Period.containing(PeriodKind.DEKAD, local_today())
    assert "专班报送" in text and dekad.label_zh in text and "截止" + dekad.end.isoformat() in text
    assert "亮点" in text and "难点堵点" in text and "下步计划" in text
    saved = client.post("/task-force-reports/save", data={"period_key": dekad.key, **TEXTS},
                        follow_redirects=True)
    assert any("已保存" in t for _c, t in flashes(html(saved)))
    assert submissions(app) == [("dekad", dekad.key, task_force(app, 1), TEXTS["highlights"])]
    refused = client.post("/task-force-reports/save", data={"period_key": dekad.key, **TEXTS,
                                                            "department_id": task_force(app, 2)},
                          follow_redirects=True)
    assert any("只有该专班负责人或督查室" in t for _c, t in flashes(html(refused)))
    assert len(submissions(app)) == 1

    other = app.test_client()
    login(other, "worker1")
    assert "您不是任何专班的负责人" in html(other.get("/task-force-reports/"))


def test_the_reminder_goes_to_the_lead_once_before_the_due_date(app, fresh_db):
    from flask_appbuilder.security.sqla.models import User

    from app.models import Notification, TaskForceReport
    from app.services.reminders import run_reminders

    shanghai = dt.timezone(dt.timedelta(hours=8))

    def tick(day, hour=10):
        return _run(app, lambda db: run_reminders(dt.datetime(2024, 6, day, hour, tzinfo=shanghai)).task_force_reminders)

    def reminders():
        return _run(app, lambda db: list(db.session.execute(
            select(User.username, Notification.source_key, Notification.title)
            .join(User, User.id == Notification.recipient_id)
            .where(Notification.kind == "task_force_report_due").order_by(Notification.source_key))))

    assert tick(14) == 0  # 4 working days before 06-20: not yet
    assert reminders() == []
    first = tick(18)  # 2 working days before: each task force's lead
    assert first >= 1 and first == len(reminders())
    assert tick(18, 15) == 0 and tick(19) == 0  # later ticks, the next day: still once per period and lead
    sent = reminders()
    lead1 = [r for r in sent if r[0] == "lead1"]
    assert len(lead1) == 1 and lead1[0][1] == f"tfr:2024-06-D2:{task_force(app, 1)}"
    assert "2024年6月中旬" in lead1[0][2] and "6月20日" in lead1[0][2]
    # A task force that has written gets none for the next period either once it has written.
    _run(app, lambda db: (db.session.add(TaskForceReport(
        kind="dekad", period_key="2024-06-D3", department_id=task_force(app, 1), highlights="a",
        difficulties="b", next_steps="c")), db.session.commit()))
    tick(27)
    assert [r for r in reminders() if r[0] == "lead1" and "D3" in r[1]] == []
    # Its notification opens the form.
    from tests.integration.conftest import login as sign_in

    client = app.test_client()
    sign_in(client, "lead1")
    note = _run(app, lambda db: db.session.scalar(select(Notification.id).join(User, User.id == Notification.recipient_id)
                                                  .where(User.username == "lead1", Notification.kind == "task_force_report_due")))
    assert client.get(f"/notifications/open/{note}").headers["Location"].endswith("/task-force-reports/")


def test_the_brief_prints_each_action_s_voice_or_not_reported(app, fresh_db, render_as_of):
    from app.models import TaskForceReport

    mine = task_force(app, 1)
    _run(app, lambda db: (db.session.add(TaskForceReport(
        kind="dekad", period_key="2024-06-D2", department_id=mine, **TEXTS,
        submitted_at=dt.datetime(2024, 6, 19, 2, 0))), db.session.commit()))
    text = pdf_text(render_as_of("dekad", period="2024-06-D2"))
    section = text.split("二、各行动推进情况")[1].split("三、主要指标完成情况")[0]
    assert "各行动专班报送的亮点、难点堵点和下步计划如下（7个行动未报送）" in section
    for label, key in (("亮点", "highlights"), ("难点堵点", "difficulties"), ("下步计划", "next_steps")):
        assert f"{label}：{TEXTS[key]}" in section
    assert section.count("本期未报送亮点、难点堵点和下步计划") == 7
    assert "逾期报送" not in section  # written on 06-19, due 06-20
    # Submitted after the due date: said so. The monthly bulletin has its own (none: all missing).
    _run(app, lambda db: (db.session.execute(update(TaskForceReport).values(
        submitted_at=dt.datetime(2024, 6, 22, 2, 0))), db.session.commit()))
    assert "（逾期报送）" in pdf_text(render_as_of("dekad", period="2024-06-D2"))
    monthly = pdf_text(render_as_of("monthly", period="2024-06"))
    assert monthly.count("本期未报送亮点、难点堵点和下步计划") == 8


def test_lateness_is_a_fact(app, fresh_db):
    from app.models import TaskForceReport
    from app.services.task_force_reports import timeliness_of
    from workflows.periods import parse_period

    mine, other = task_force(app, 1), task_force(app, 2)
    _run(app, lambda db: (db.session.add_all([
        TaskForceReport(kind="dekad", period_key="2024-06-D2", department_id=mine, **TEXTS,
                        submitted_at=dt.datetime(2024, 6, 20, 8, 0)),  # 16:00 in Shanghai on the due day
        TaskForceReport(kind="dekad", period_key="2024-06-D2", department_id=other, **TEXTS,
                        submitted_at=dt.datetime(2024, 6, 20, 17, 0)),  # 01:00 on the 21st: late
    ]), db.session.commit()))
    facts = _run(app, lambda db: timeliness_of(parse_period("2024-06-D2"), dt.date(2024, 7, 1)))
    assert facts[mine].status == "on_time" and facts[other].status == "late"
    assert {f.status for d, f in facts.items() if d not in (mine, other)} == {"missing"}
    assert _run(app, lambda db: db.session.scalar(select(func.count()).select_from(TaskForceReport))) == 2


def test_a_scheme_with_the_deduction_takes_points_for_late_and_missing_submissions(app, fresh_db):
    """The evaluation's fact (not in the default scheme: the office adds it): each dekad and month
    of the period whose submission came late or never costs the task force points, with its facts."""
    import copy

    from app.models import Plan, TaskForceReport
    from app.services.evaluation_facts import gather
    from workflows.evaluation import DEFAULT_SCHEME, scheme_from_dict
    from workflows.evaluation_scoring import score_unit
    from workflows.periods import parse_period

    mine = task_force(app, 1)
    data = copy.deepcopy(DEFAULT_SCHEME)
    data["deductions"].append({"key": "task_force_report", "name": "专班报送逾期或未报送", "points": 0.5,
                               "cap": 5, "groups": ["task_force"]})
    scheme = scheme_from_dict(data, 1)

    def deduction():
        def run(db):
            plan_id = db.session.scalar(select(Plan.id).where(Plan.kind == "overall").order_by(Plan.id.desc()))
            unit = next(u for u in gather(scheme, parse_period("2024-06"), plan_id) if u.unit_id == mine)
            part = next(p for p in score_unit(scheme, unit).parts if p.key == "deduction.task_force_report")
            return part.score, [f["text"] for f in part.facts]
        return _run(app, run)

    score, facts = deduction()
    assert score == -2  # D1, D2, D3 and the month: 4 missing × 0.5
    assert len(facts) == 4 and all("未报送" in f for f in facts) and any("2024年6月中旬旬简报" in f for f in facts)
    _run(app, lambda db: (db.session.add_all([
        TaskForceReport(kind="dekad", period_key="2024-06-D1", department_id=mine, **TEXTS,
                        submitted_at=dt.datetime(2024, 6, 10, 1, 0)),  # on time
        TaskForceReport(kind="dekad", period_key="2024-06-D2", department_id=mine, **TEXTS,
                        submitted_at=dt.datetime(2024, 6, 24, 1, 0)),  # late
    ]), db.session.commit()))
    score, facts = deduction()
    assert score == -1.5 and sum("逾期报送" in f for f in facts) == 1 and len(facts) == 3


def _overview_rows(page: str) -> dict[tuple[str, int], tuple[str, str, str]]:
    """(period, task force) → (status word, when, link) as the overview page shows them."""
    import re

    rows = {}
    for block in page.split('class="panel panel-default task-force-period" data-period="')[1:]:
        period = block.split('"', 1)[0]
        for department, status, when, link in re.findall(
                r'<tr [^>]*data-department="(\d+)" data-status="\w+">\s*<td>[^<]*</td>\s*'
                r'<td class="status">([^<]*)</td>\s*<td class="when">([^<]*)</td>.*?href="([^"]+)"', block, re.S):
            rows[(period, int(department))] = (status, when, link)
    return rows


def test_the_office_and_the_leaders_see_who_has_reported(app, fresh_db, client, api):
    from app.clock import local_today
    from app.models import TaskForceReport
    from workflows.periods import Period, PeriodKind

    today = local_today()
    running = Period.containing(PeriodKind.DEKAD, today)
    ended = running.previous()
    month = Period.containing(PeriodKind.MONTH, today)
    first, second, third = task_force(app, 1), task_force(app, 2), task_force(app, 3)
    # The first task force wrote for the ended dekad after its due date (late), the second on
    # time (backdated to the last day), the third not at all; the first wrote for the running one.
    for user, department, period in (("lead1", first, ended), ("office", second, ended), ("lead1", first, running)):
        body = {**TEXTS, **({"department_id": department} if user == "office" else {})}
        assert client.put(f"/api/v1/task_force_report/{period.key}", json=body, headers=api(user)).status_code == 200
    on_time = dt.datetime.combine(ended.end, dt.time(2, 0))  # 10:00 in Shanghai, stored in UTC
    _run(app, lambda db: (db.session.execute(update(TaskForceReport).where(
        TaskForceReport.department_id == second).values(submitted_at=on_time)), db.session.commit()))

    login(client, "office")
    page = client.get("/task-force-reports/overview")
    text = html(page)
    assert "专班报送情况" in text and ended.label_zh in text and running.label_zh in text and month.label_zh in text
    rows = _overview_rows(text)
    status = {key: word for key, (word, _when, _link) in rows.items()}
    assert status[(ended.key, first)] == "逾期报送"
    assert status[(ended.key, second)] == "已报送"
    assert status[(ended.key, third)] == "未报送（已逾期）"
    assert status[(running.key, first)] == "已报送"
    assert status[(running.key, second)] == "未报送（未到截止日）"
    assert rows[(ended.key, second)][1] == f"{ended.end.isoformat()} 10:00"  # when, in local time
    assert rows[(ended.key, third)][1] == "—"
    # Every action task force is listed for every period shown.
    assert len({d for _p, d in rows}) == 8 and len(rows) == 8 * len({p for p, _d in rows})
    assert "按时报送1个，逾期报送1个，未报送6个" in text

    # The link opens the submission (the office and the leaders read it; its own lead too).
    link = rows[(ended.key, second)][2]
    assert link == f"/task-force-reports/{ended.key}/{second}"
    leader = app.test_client()
    login(leader, "leader")
    assert "专班报送情况" in html(leader.get("/task-force-reports/overview"))
    shown = html(leader.get(link))
    assert TEXTS["difficulties"] in shown and "已报送" in shown and f"{ended.end.isoformat()} 10:00" in shown
    assert "该专班本期尚未报送" in html(leader.get(f"/task-force-reports/{ended.key}/{third}"))
    # Any dekad or month on request.
    assert _overview_rows(html(client.get("/task-force-reports/overview?period=2024-06-D2")))[
        ("2024-06-D2", first)][0] == "未报送（已逾期）"

    # Server-side: a task-force lead or a caseworker does not see the overview (403, in Chinese),
    # nor another task force's submission; the lead reads its own.
    lead, worker = app.test_client(), app.test_client()
    login(lead, "lead1")
    login(worker, "worker1")
    for who in (lead, worker):
        refused = who.get("/task-force-reports/overview")
        assert refused.status_code == 403 and "只有督查室和区领导" in refused.get_data(as_text=True)
        assert who.get(f"/task-force-reports/{ended.key}/{second}").status_code == 403
    assert TEXTS["highlights"] in html(lead.get(f"/task-force-reports/{ended.key}/{first}"))
    assert lead.get(f"/task-force-reports/{ended.key}/999999").status_code == 404
    # The menu entry (报告 → 专班报送情况) is the office's and the leaders'.
    assert 'href="/task-force-reports/overview"' in html(leader.get("/task-force-reports/"))
    assert "专班报送情况" not in html(lead.get("/task-force-reports/"))
