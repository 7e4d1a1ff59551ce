"""难点堵点 (issue 12, part 4): the lead unit or the task force raises a problem on a case,
addressed to a coordinating unit or the leaders; the addressee and the office are notified; the
addressee or the office answers and it is solved; history, case page, 督查通报; refusals."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.integration.conftest import login
from tests.integration.fixtures_browser import flashes, html, scalar
from tests.integration.fixtures_workflow import WORKER2_DEPARTMENT
from tests.integration.test_lead_proposals import history, relayed_notifications


def _counts(app):
    from app.models import CaseHistory, OutboxEvent, Problem

    return tuple(scalar(app, select(func.count()).select_from(m))
                 for m in (Problem, CaseHistory, OutboxEvent))


def test_the_lead_unit_raises_a_problem_to_a_unit_which_answers_it_through_the_api(app, fresh_db, wf, client, api):
    case_id = wf.worker1_cases()[0]
    unit = wf.department_id(WORKER2_DEPARTMENT)
    url = f"/api/v1/case/{case_id}/problem"
    raised = client.post(url, json={"text": " 项目用地指标不足，需科技局协调 ", "department_id": unit},
                         headers=api("worker1"))
    assert raised.status_code == 201, raised.get_json()
    row = raised.get_json()["result"]
    assert row["status"] == "open" and row["text"] == "项目用地指标不足，需科技局协调"
    assert row["department"] == WORKER2_DEPARTMENT and row["answer"] is None

    # The addressed unit (worker2) and the office are told; never the one who raised it.
    notes = relayed_notifications(app, case_id)
    problem_notes = [(u, t) for k, u, t in notes if k == "problem"]
    assert any(u == "worker2" and t.startswith("【难点堵点】") and t.endswith("：请协调解决")
               for u, t in problem_notes), notes
    assert "office" in [u for u, _t in problem_notes]
    assert "worker1" not in [u for u, _t in problem_notes] and "leader" not in [u for u, _t in problem_notes]

    answer_url = f"{url}/{row['id']}/resolve"
    before = _counts(app)
    # The task-force lead is not the addressee; the leaders are not either (a unit was named).
    refused = client.post(answer_url, json={"text": "已协调"}, headers=api("lead1"))
    assert refused.status_code == 403 and refused.get_json()["message"] == "您无权对此事项协调答复难点堵点。"
    assert client.post(answer_url, json={"text": "已协调"}, headers=api("leader")).status_code == 403
    blank = client.post(answer_url, json={"text": " "}, headers=api("worker2"))
    assert blank.status_code == 422 and blank.get_json()["message"] == "请填写答复内容。"
    # worker2 does not see the case: it reads no more of it than its own problem's route.
    assert client.get(f"/api/v1/case/{case_id}", headers=api("worker2")).status_code == 404
    assert _counts(app) == before

    solved = client.post(answer_url, json={"text": "已调剂用地指标20亩。"}, headers=api("worker2"))
    assert solved.status_code == 200, solved.get_json()
    assert solved.get_json()["result"]["status"] == "solved"
    assert solved.get_json()["result"]["solved_by_id"] == wf.user_id("worker2")
    again = client.post(answer_url, json={"text": "再答一次"}, headers=api("office"))
    assert again.status_code == 409 and again.get_json()["message"] == "该难点堵点已解决，协调答复不可修改。"

    kinds = [(k, c) for k, c, _d in history(app, case_id)]
    assert kinds[-2:] == [("problem", "项目用地指标不足，需科技局协调"), ("problem_solved", "已调剂用地指标20亩。")]
    api_history = client.get(f"/api/v1/case/{case_id}/history", headers=api("office")).get_json()
    assert {"提出难点堵点", "难点堵点已解决"} <= {e["kind_label"] for e in api_history["result"]}
    # The lead unit hears of the answer.
    assert ("problem_solved", "worker1") in [r[:2] for r in relayed_notifications(app, case_id)]


def test_who_may_raise_problems_to_the_leaders_and_bad_input_writes_nothing(app, fresh_db, wf, client, api):
    case_id = wf.worker1_cases()[0]
    url = f"/api/v1/case/{case_id}/problem"
    before = _counts(app)
    assert client.post(url, json={"text": "难点"}, headers=api("worker2")).status_code == 404
    # A leader (read-only but for 批示 and answering problems addressed to the leaders) may not.
    assert client.post(url, json={"text": "难点"}, headers=api("leader")).status_code == 403
    office = client.post(url, json={"text": "难点"}, headers=api("office"))
    assert office.status_code == 403 and office.get_json()["message"] == "您无权对此事项提出难点堵点。"
    empty = client.post(url, json={"text": "  "}, headers=api("worker1"))
    assert empty.status_code == 422 and empty.get_json()["message"] == "请填写难点堵点内容。"
    unknown = client.post(url, json={"text": "难点", "department_id": 999999}, headers=api("worker1"))
    assert unknown.status_code == 422 and unknown.get_json()["message"] == "请选择存在的协调单位。"
    long = client.post(url, json={"text": "难" * 2001}, headers=api("worker1"))
    assert long.status_code == 422 and "2000" in long.get_json()["message"]
    assert client.post(url, json={}, headers=api("worker1")).status_code == 400
    assert _counts(app) == before

    # The task-force lead raises one to the leaders: the leaders and the office are told, and a
    # leader answers it (the office could too); a caseworker of another unit may not.
    raised = client.post(url, json={"text": "跨部门资金缺口，需区领导调度"}, headers=api("lead1"))
    assert raised.status_code == 201 and raised.get_json()["result"]["department_id"] is None
    pid = raised.get_json()["result"]["id"]
    told = {u for k, u, _t in relayed_notifications(app, case_id) if k == "problem"}
    assert {"leader", "office"} <= told and "worker2" not in told
    assert client.post(f"{url}/{pid}/resolve", json={"text": "x"}, headers=api("worker2")).status_code == 404
    assert client.post(f"{url}/{pid}/resolve", json={"text": "已调度"}, headers=api("leader")).status_code == 200


def test_the_case_page_shows_open_problems_at_the_top_and_the_office_solves_them(app, fresh_db, wf, client):
    from app.models import Problem

    case_id = wf.worker1_cases()[0]
    login(client, "worker1")
    page = html(client.get(f"/caseview/show/{case_id}"))
    assert 'id="btn-problem"' in page and 'id="dlg-problem"' in page and "提出难点堵点" in page
    assert WORKER2_DEPARTMENT in page and "区领导" in page  # the addressees to choose from
    blank = html(client.post(f"/caseedit/{case_id}/problem", data={"text": " "}, follow_redirects=True))
    assert ("danger", "请填写难点堵点内容。") in flashes(blank)
    assert scalar(app, select(func.count(Problem.id))) == 0
    unit = wf.department_id(WORKER2_DEPARTMENT)
    page = html(client.post(f"/caseedit/{case_id}/problem", follow_redirects=True,
                            data={"text": "审批流程卡在环评环节", "department_id": str(unit)}))
    assert ("success", "已提出难点堵点，已通知协调方和督查室。") in flashes(page)
    top = page.index('id="open-problems"')
    assert top < page.index("case-facts") and "待协调" in page and "审批流程卡在环评环节" in page
    assert "problem-answer-" not in page  # the one who raised it does not answer it
    client.get("/logout/")

    login(client, "office")
    page = html(client.get(f"/caseview/show/{case_id}"))
    pid = scalar(app, select(Problem.id).where(Problem.case_id == case_id))
    assert f'id="problem-answer-{pid}"' in page and 'id="btn-problem"' not in page
    page = html(client.post(f"/caseedit/{case_id}/problem/{pid}/resolve",
                            data={"text": "已协调生态环境分局加快环评"}, follow_redirects=True))
    assert ("success", "已填写协调答复，难点堵点已解决。") in flashes(page)
    assert 'id="open-problems"' not in page  # solved: no longer at the top
    timeline = page[page.index("case-history"):]
    assert "提出难点堵点" in timeline and WORKER2_DEPARTMENT in timeline
    assert "难点堵点已解决" in timeline and "已协调生态环境分局加快环评" in timeline


def test_the_inspection_report_lists_the_problems_open_at_the_period_end(app, fresh_db, wf, client, api):
    import datetime as dt

    from sqlalchemy import update

    from app.extensions import db
    from app.models import Problem
    from app.reports import render
    from app.services.plans import latest_plan
    from tests.integration.fixtures_reports import pdf_rows, pdf_text
    from workflows.periods import parse_period

    case_id = wf.worker1_cases()[0]
    url = f"/api/v1/case/{case_id}/problem"
    unit = wf.department_id(WORKER2_DEPARTMENT)
    ids = [client.post(url, json=body, headers=api("worker1")).get_json()["result"]["id"]
           for body in ({"text": "土地指标待调剂", "department_id": unit}, {"text": "资金缺口六月已解决"},
                        {"text": "七月新提的难点"})]
    for pid in ids[:2]:
        assert client.post(f"{url}/{pid}/resolve", json={"text": "已解决"}, headers=api("office")).status_code == 200
    with app.app_context():
        # Raised on June 10; the first solved after the month (still open at June 30), the second
        # within it; the third raised in July.
        moments = {ids[0]: ("2024-06-10 02:00", "2024-07-03 02:00"),
                   ids[1]: ("2024-06-10 03:00", "2024-06-20 02:00"),
                   ids[2]: ("2024-07-02 02:00", None)}
        for pid, (raised, solved) in moments.items():
            db.session.execute(update(Problem).where(Problem.id == pid).values(
                created_at=dt.datetime.fromisoformat(raised),
                solved_at=dt.datetime.fromisoformat(solved) if solved else None))
        db.session.commit()
        try:
            pdf = render("inspection", period=parse_period("2024-06"), plan=latest_plan(), options=None)
        finally:
            db.session.remove()
    text, rows = pdf_text(pdf), pdf_rows(pdf)
    assert "有1项难点堵点尚待协调解决" in text and "难点堵点待协调清单" in text
    header = rows.index(["序号", "任务", "牵头单位", "协调方", "提出日期", "难点堵点"])
    listed = [r for r in rows[header + 1:] if len(r) == 6 and r[0].isdigit()]
    assert len(listed) == 1, listed
    assert listed[0][2] == "区商务局" and listed[0][3] == WORKER2_DEPARTMENT and listed[0][4] == "6月10日"
    assert listed[0][5] == "土地指标待调剂", listed[0]
    assert not any("资金缺口六月已解决" in "".join(r) or "七月新提的难点" in "".join(r) for r in rows)


def test_the_addressed_unit_opens_its_notification_on_the_problem_page_and_answers_there(app, fresh_db, wf, client, api):
    from app.models import Notification

    case_id = wf.worker1_cases()[0]
    unit = wf.department_id(WORKER2_DEPARTMENT)
    pid = client.post(f"/api/v1/case/{case_id}/problem", json={"text": "管线迁改需科技局配合", "department_id": unit},
                      headers=api("worker1")).get_json()["result"]["id"]
    relayed_notifications(app, case_id)
    note = scalar(app, select(Notification.id).where(Notification.kind == "problem",
                                                      Notification.recipient_id == wf.user_id("worker2")))
    login(client, "worker2")  # does not see the case, but the problem is addressed to its unit
    assert client.get(f"/caseview/show/{case_id}").status_code == 404
    opened = client.get(f"/notifications/open/{note}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/caseedit/{case_id}/problem/{pid}")
    page = html(client.get(f"/caseedit/{case_id}/problem/{pid}"))
    assert "管线迁改需科技局配合" in page and f'id="problem-answer-{pid}"' in page and "待协调" in page
    page = html(client.post(f"/caseedit/{case_id}/problem/{pid}/resolve", follow_redirects=True,
                            data={"text": "已安排专人对接迁改", "back": "problem"}))
    assert ("success", "已填写协调答复，难点堵点已解决。") in flashes(page)
    assert "已安排专人对接迁改" in page and f'id="problem-answer-{pid}"' not in page
    client.get("/logout/")
    login(client, "lead1")  # neither addressee nor office: sees the problem (sees the case), no form
    page = html(client.get(f"/caseedit/{case_id}/problem/{pid}"))
    assert "已安排专人对接迁改" in page and "problem-answer-" not in page.replace('id="problem-answer"', "")
    client.get("/logout/")
    login(client, "worker2")
    assert client.get(f"/caseedit/{case_id}/problem/{pid + 1}").status_code == 404


def test_the_problem_mail_links_to_the_problem_page_the_addressed_unit_may_open(
        isolated_app, send_any_time, iclient, iapi, smtp_server, monkeypatch):
    """The e-mail (a real SMTP server) links where the in-app notification goes: the problem's
    page — the addressed unit does not see the case, its page would be 404."""
    from app.clock import local_today
    from app.extensions import db
    from app.models import Department
    from app.services.relay import relay_pending
    from tests.integration.fixtures_timers import at_shanghai

    monkeypatch.setitem(isolated_app.config, "MAIL_LINK_BASE_URL", "https://duban.example")
    timers = send_any_time
    case_id = timers.worker1_cases()[0]
    unit = scalar(isolated_app, select(Department.id).where(Department.name == WORKER2_DEPARTMENT))
    answer = iclient.post(f"/api/v1/case/{case_id}/problem", json={"text": "管线迁改需科技局配合", "department_id": unit},
                          headers=iapi("worker1"))
    assert answer.status_code in (200, 201), answer.get_json()
    pid = answer.get_json()["result"]["id"]
    with isolated_app.app_context():
        relay_pending()
        db.session.remove()
    smtp_server.clear()
    timers.call("app.services.delivery:deliver_pending", at_shanghai(local_today().isoformat(), "10:00"))
    mails = [m for m in smtp_server.messages if m["To"] == "worker2@duban.local"]
    assert len(mails) == 1 and "难点" in mails[0]["Subject"]
    body = mails[0].get_content()
    link = f"https://duban.example/caseedit/{case_id}/problem/{pid}"
    assert link in body and "/caseview/show/" not in body
    # The addressed unit opens it (the case page stays hidden from it).
    login(iclient, "worker2")
    assert iclient.get(link.removeprefix("https://duban.example")).status_code == 200
    assert iclient.get(f"/caseview/show/{case_id}").status_code == 404
