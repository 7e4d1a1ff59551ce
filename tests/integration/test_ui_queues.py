"""Queues (我的待办), lists, filters, RAG lights and bulk actions, through the pages."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.fixtures_browser import flashes, html, link, scalar

QUEUES = {
    "ToAccept": "/toacceptview/list/",
    "InProgress": "/inprogressview/list/",
    "Returned": "/returnedview/list/",
    "ToVerify": "/toverifyview/list/",
    "ToClose": "/tocloseview/list/",
    "Overdue": "/overdueview/list/",
    "Extensions": "/extensionrequestview/list/",
}
ROLE_QUEUES = {
    "worker1": {"ToAccept", "InProgress", "Returned"},
    "lead1": {"ToVerify"},
    "office": {"ToClose", "Overdue", "Extensions"},
    "leader": set(),
    "admin": set(QUEUES),
}


def all_rows(url: str) -> str:
    """A list URL asking for up to 200 rows on one page (FAB's psize_<View> argument)."""
    view = {
        "toacceptview": "ToAcceptView", "inprogressview": "InProgressView",
        "returnedview": "ReturnedView", "toverifyview": "ToVerifyView",
        "tocloseview": "ToCloseView", "overdueview": "OverdueView",
        "caseview": "CaseView", "mycasesview": "MyCasesView",
    }[url.strip("/").split("/")[0]]
    return f"{url}?psize_{view}=200"


def record_count(page: str) -> int:
    return int(re.search(r"记录数目:</strong>\s*(\d+)", page).group(1))


@pytest.mark.parametrize("username", sorted(ROLE_QUEUES))
def test_each_role_sees_only_its_queues(as_user, username):
    client = as_user(username)
    menu = html(client.get("/caseview/list/"))
    for name, url in QUEUES.items():
        mine = name in ROLE_QUEUES[username]
        assert (f'href="{url}"' in menu) == mine, (username, name)
        assert client.get(url).status_code == (200 if mine else 403), (username, name)


def test_leader_has_no_queue_and_lands_on_all_cases(as_user):
    response = as_user("leader").get("/mycasesview/list/")
    assert response.status_code == 302 and response.location.endswith("/caseview/list/")
    page = html(as_user("leader").get("/caseview/list/"))
    assert record_count(page) == 119


def test_queues_follow_the_case_through_the_workflow(fresh_db, as_user, wf):
    case_id = wf.worker1_cases()[0]
    worker, lead, office = as_user("worker1"), as_user("lead1"), as_user("office")

    def in_queue(client, queue):
        return link(case_id) in html(client.get(all_rows(QUEUES[queue])))

    assert in_queue(worker, "ToAccept") and not in_queue(worker, "InProgress")
    assert link(case_id) in html(worker.get("/mycasesview/list/"))
    wf.drive(case_id, "in_progress")
    assert in_queue(worker, "InProgress") and not in_queue(worker, "ToAccept")
    assert not in_queue(worker, "Returned")

    wf.act("worker1", "apply_transition", case_id, transition="submit", comment="已完成")
    assert in_queue(lead, "ToVerify") and not in_queue(worker, "InProgress")
    assert link(case_id) in html(lead.get("/mycasesview/list/"))

    wf.act("lead1", "apply_transition", case_id, transition="return", comment="缺少佐证")
    assert in_queue(worker, "Returned") and in_queue(worker, "InProgress")
    assert not in_queue(lead, "ToVerify")

    wf.act("worker1", "apply_transition", case_id, transition="submit", comment="已补充")
    assert not in_queue(worker, "Returned")  # no longer returned once submitted again
    wf.act("lead1", "apply_transition", case_id, transition="verify")
    assert in_queue(office, "ToClose") and not in_queue(lead, "ToVerify")


def test_overdue_queue_lists_cases_past_their_deadline_until_verified(fresh_db, as_user, wf):
    today = date.today()
    late, on_time, done = wf.worker1_cases()[:3]
    wf.act("admin", "change_deadline", late, deadline=today - timedelta(days=3))
    wf.act("admin", "change_deadline", on_time, deadline=today + timedelta(days=60))
    wf.act("admin", "change_deadline", done, deadline=today - timedelta(days=3))
    wf.drive(done, "verified")

    page = html(as_user("office").get(all_rows("/overdueview/list/")))
    assert link(late) in page
    assert link(on_time) not in page and link(done) not in page
    assert "逾期" in page


def test_rag_column_and_quick_filter(fresh_db, as_user, wf):
    today = date.today()
    green, yellow, red = wf.worker1_cases()[:3]
    wf.act("admin", "change_deadline", green, deadline=today + timedelta(days=300))
    wf.act("worker1", "add_progress", green, note="基本完成", percent=95)
    wf.act("admin", "change_deadline", yellow, deadline=today + timedelta(days=1))
    worker = as_user("worker1")

    page = html(worker.get(all_rows("/caseview/list/")))
    assert "红黄绿灯" in page
    assert "正常（1）" in page and "有风险（1）" in page
    for rag, case_id in (("green", green), ("yellow", yellow), ("red", red)):
        filtered = html(worker.get(all_rows("/caseview/list/") + f"&rag={rag}"))
        assert link(case_id) in filtered, rag
        others = {green, yellow, red} - {case_id}
        assert not any(link(other) in filtered for other in others), rag
        assert f'rag rag-{rag}"><i class="rag-dot"></i>' in filtered


@pytest.mark.parametrize(
    "query, where",
    [
        ("_flt_0_action={action2}", lambda Case, ids: Case.action_id == ids["action2"]),
        ("_flt_0_lead_department={commerce}",
         lambda Case, ids: Case.lead_department_id == ids["commerce"]),
        ("_flt_3_state=assigned", lambda Case, ids: Case.state == "assigned"),
    ],
)
def test_list_filters(app, as_user, query, where):
    from app.models import Action, Case, Department

    ids = {
        "action2": scalar(app, select(Action.id).where(Action.index == 2)),
        "commerce": scalar(app, select(Department.id).where(Department.name == "区商务局")),
    }
    expected = scalar(app, select(func.count(Case.id)).where(where(Case, ids)))
    page = html(as_user("office").get("/caseview/list/?" + query.format(**ids)))
    assert record_count(page) == expected > 0


def test_state_filter_finds_the_one_case_in_progress(fresh_db, as_user, wf):
    case_id = wf.worker1_cases()[0]
    wf.drive(case_id, "in_progress")
    page = html(as_user("office").get("/caseview/list/?_flt_3_state=in_progress"))
    assert record_count(page) == 1 and link(case_id) in page
    # The state filter offers the states by their Chinese labels.
    assert "办理中" in html(as_user("office").get("/caseview/list/"))


DATE_CELL = r'<span class="nowrap">(\d{4}-\d{2}-\d{2})</span>'  # a date in a list
DEADLINES = [date(2024, 6, 30), date(2024, 9, 30), date(2025, 3, 31)]  # the rest: 2024-12-31


@pytest.fixture()
def varied_deadlines(fresh_db, wf):
    """Three cases with deadlines other than the plan's 2024-12-31."""
    cases = wf.worker1_cases()[:3]
    for case_id, deadline in zip(cases, DEADLINES, strict=True):
        wf.act("admin", "change_deadline", case_id, deadline=deadline)
    return dict(zip(DEADLINES, cases, strict=True))


def test_deadline_filters(varied_deadlines, as_user):
    office = as_user("office")
    later = html(office.get("/caseview/list/?_flt_1_deadline=2024-12-31"))  # greater than
    assert record_count(later) == 1 and link(varied_deadlines[date(2025, 3, 31)]) in later
    earlier = html(office.get("/caseview/list/?_flt_2_deadline=2024-12-31"))  # smaller than
    assert record_count(earlier) == 2
    assert link(varied_deadlines[date(2024, 6, 30)]) in earlier
    both = html(office.get("/caseview/list/?_flt_1_deadline=2024-07-01&_flt_2_deadline=2024-12-31"))
    assert record_count(both) == 1 and link(varied_deadlines[date(2024, 9, 30)]) in both


def test_lists_sort_by_deadline(varied_deadlines, as_user):
    office = as_user("office")
    page = html(office.get("/caseview/list/?_oc_CaseView=deadline&_od_CaseView=desc"))
    deadlines = re.findall(DATE_CELL, page)
    assert len(deadlines) == 25 and deadlines == sorted(deadlines, reverse=True)
    assert deadlines[0] == "2025-03-31"
    page = html(office.get("/caseview/list/?_oc_CaseView=deadline&_od_CaseView=asc"))
    deadlines = re.findall(DATE_CELL, page)
    assert deadlines == sorted(deadlines) and deadlines[:2] == ["2024-06-30", "2024-09-30"]
    # Queues sort by deadline too, soonest first.
    page = html(as_user("worker1").get("/toacceptview/list/"))
    assert re.findall(DATE_CELL, page)[0] == "2024-06-30"


@pytest.mark.parametrize("username", ["worker1", "lead1", "office", "leader"])
def test_pages_never_show_none_or_english_leftovers(as_user, username):
    client = as_user(username)
    urls = ["/caseview/list/", f"/caseview/show/{first_visible(client)}"]
    urls += [QUEUES[q] for q in ROLE_QUEUES[username]]
    for url in urls:
        page = html(client.get(url))
        # FAB's hidden confirm/alert dialogs say Cancel/OK in English; the list pages
        # relabel them in Chinese when shown (templates/case/list_widget.html).
        page = re.sub(r'<div class="modal fade" id="modal-(confirm|alert)".*?</div>\s*</div>\s*</div>\s*</div>',
                      "", page, flags=re.S)
        text = re.sub(r"<script.*?</script>|<[^>]+>", " ", page, flags=re.S)
        assert not re.search(r"\bNone\b", text), url
        for english in ("RAG status", "Record Count", "To accept", "Deadline", "Cancel"):
            assert english not in text, (url, english)


def first_visible(client) -> int:
    page = html(client.get("/caseview/list/"))
    return int(re.search(r'href="/caseview/show/(\d+)"', page).group(1))


def test_worker2_lists_never_show_worker1_cases(as_user, wf):
    titles = set()
    for case_id in wf.worker1_cases(action_index=None):
        titles.add(link(case_id))
    for url in ["/caseview/list/", "/mycasesview/list/", "/toacceptview/list/"]:
        page = html(as_user("worker2").get(all_rows(url)))
        assert not any(t in page for t in titles), url
        assert record_count(page) > 0


# --- bulk actions --------------------------------------------------------------------------


def test_lead_bulk_verifies_selected_cases(fresh_db, as_user, wf):
    first, second, third = wf.worker1_cases()[:3]
    wf.drive(first, "submitted")
    wf.drive(second, "submitted")
    wf.drive(third, "in_progress")  # not verifiable: reported as failed
    page = html(as_user("lead1").post(
        "/toverifyview/action_post",
        data={"action": "bulk_verify", "rowid": [first, second, third], "comment": "材料齐全"},
        follow_redirects=True,
    ))
    messages = dict(flashes(page))
    assert "成功 2 件" in messages["success"]
    assert "失败 1 件" in messages["danger"]
    assert wf.case(third)["title"] in messages["danger"] and "办理中" in messages["danger"]
    assert wf.case(first)["state"] == wf.case(second)["state"] == "verified"
    assert wf.case(third)["state"] == "in_progress"
    assert wf.history(first, "transition")[-1]["comment"] == "材料齐全"


def test_office_bulk_urges_with_a_comment_or_the_default_text(fresh_db, as_user, wf):
    first, second = wf.worker1_cases()[:2]
    office = as_user("office")
    page = html(office.post(
        "/overdueview/action_post",
        data={"action": "bulk_urge", "rowid": [first], "comment": "请本周内报送进展"},
        follow_redirects=True,
    ))
    assert "成功 1 件" in dict(flashes(page))["success"]
    assert wf.history(first, "urge")[-1]["comment"] == "请本周内报送进展"
    html(office.post("/overdueview/action_post",
                     data={"action": "bulk_urge", "rowid": [second]}, follow_redirects=True))
    assert wf.history(second, "urge")[-1]["comment"] == "请抓紧推进该事项，按时报送工作进展。"


def test_caseworker_cannot_use_bulk_actions(fresh_db, as_user, wf):
    case_id = wf.worker1_cases()[0]
    wf.drive(case_id, "submitted")
    worker = as_user("worker1")
    for url, action in (("/toverifyview/action_post", "bulk_verify"),
                        ("/overdueview/action_post", "bulk_urge")):
        response = worker.post(url, data={"action": action, "rowid": [case_id]})
        assert response.status_code in (302, 403)
    refusals = [m for m in flashes(html(worker.get("/caseview/list/"))) if m[0] == "danger"]
    assert refusals == [("danger", "访问被拒绝")] * 2
    assert wf.case(case_id)["state"] == "submitted"
    assert wf.history(case_id, "urge") == []


def test_more_than_twenty_cases_are_queued_and_urged_by_the_worker(
    fresh_db, as_user, app, celery_worker
):
    from app.models import Case, CaseHistory
    from tests.integration.fixtures_celery import wait_for

    ids = sorted(scalar(app, select(func.array_agg(Case.id))))[:25]
    page = html(as_user("office").post(
        "/overdueview/action_post",
        data={"action": "bulk_urge", "rowid": ids, "comment": "集中催办"},
        follow_redirects=True,
    ))
    assert "已提交 25 件事项，正在后台处理" in dict(flashes(page))["info"]
    urged = select(func.count(CaseHistory.id)).where(
        CaseHistory.kind == "urge", CaseHistory.comment == "集中催办", CaseHistory.case_id.in_(ids)
    )
    wait_for(lambda: scalar(app, urged) == 25, timeout=60, message="25 urges by the worker")


def test_office_decides_extension_requests_from_the_queue(fresh_db, as_user, wf):
    case_id = wf.worker1_cases()[0]
    original = wf.case(case_id)["deadline"]
    wf.act("worker1", "request_extension", case_id, new_deadline=original + timedelta(days=30),
           reason="项目审批延后")
    office = as_user("office")
    page = html(office.get("/extensionrequestview/list/"))
    assert link(case_id) in page and "项目审批延后" in page
    extension_id = int(re.search(r'name="rowid" value="(\d+)"', page).group(1))

    page = html(office.post("/extensionrequestview/action_post",
                            data={"action": "approve", "rowid": [extension_id]},
                            follow_redirects=True))
    assert "成功 1 件" in dict(flashes(page))["success"]
    case = wf.case(case_id)
    assert case["deadline"] == original + timedelta(days=30)
    assert case["original_deadline"] == original
    assert link(case_id) not in html(office.get("/extensionrequestview/list/"))
