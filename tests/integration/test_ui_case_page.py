"""The case page: what each user may do there, and that every form goes through the service."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration.fixtures_browser import flashes, html, scalar, small_pdf

BUTTONS = ["accept", "submit", "verify", "return", "close", "reopen", "reassign",
           "progress", "urge", "extension", "instruction", "problem"]

# state → user → the buttons (transitions and other acts) the case page offers them. Leaders
# and the office add 领导批示 in every state; the lead unit and the task force raise 难点堵点
# until the case is closed.
OFFERED = {
    "assigned": {
        "worker1": {"accept", "progress", "extension", "problem"},
        "lead1": {"urge", "problem"},
        "office": {"reassign", "urge", "instruction"},
        "leader": {"instruction"},
    },
    "submitted": {
        "worker1": {"progress", "extension", "problem"},
        "lead1": {"verify", "return", "urge", "problem"},
        "office": {"reassign", "urge", "instruction"},
        "leader": {"instruction"},
    },
    "verified": {
        "worker1": {"progress", "problem"},
        "lead1": {"urge", "problem"},
        "office": {"close", "return", "reassign", "urge", "instruction"},
        "leader": {"instruction"},
    },
    "closed": {
        "worker1": set(),
        "lead1": set(),
        "office": {"reopen", "instruction"},
        "leader": {"instruction"},
    },
}


def post(client, url, **data):
    """Post a form and follow the redirect back to the case page."""
    return client.post(url, data=data, follow_redirects=True)


def flash_of(page: str, category: str) -> str:
    return " ".join(text for cat, text in flashes(page) if cat == category)


@pytest.fixture()
def case_id(fresh_db, wf):
    """An action-1 case led by worker1's department (区商务局), with targets."""
    from app.models import Indicator

    with_targets = [c for c in wf.worker1_cases() if wf.count(Indicator, case_id=c)]
    return with_targets[0]


@pytest.mark.parametrize("state", list(OFFERED))
def test_the_page_offers_only_what_the_user_may_do(case_id, wf, as_user, state):
    wf.drive(case_id, state)
    for username, offered in OFFERED[state].items():
        page = html(as_user(username).get(f"/caseview/show/{case_id}"))
        shown = {b for b in BUTTONS if f'id="btn-{b}"' in page}
        assert shown == offered, (state, username)
        # A dialog exists exactly for each offered transition.
        dialogs = set(re.findall(r'id="dlg-(\w+)"', page))
        assert dialogs == offered, (state, username)
    # Read-only but for 领导批示: the instruction dialog is the leader's only form.
    leader_page = html(as_user("leader").get(f"/caseview/show/{case_id}"))
    actions = set(re.findall(r'<form[^>]*action="([^"]+)"[^>]*method="post"', leader_page)) | \
        set(re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', leader_page))
    assert actions and all("instruction" in a for a in actions), actions


def test_the_page_shows_the_case(case_id, wf, as_user):
    case = wf.case(case_id)
    page = html(as_user("worker1").get(f"/caseview/show/{case_id}"))
    for text in (case["title"], case["text"], "区商务局", "已交办", "2024-12-31", "目标指标",
                 "流转记录", "红黄绿灯"):
        assert text in page, text
    assert 'class="rag rag-red"' in page  # 2024's deadline has passed: 逾期
    assert "None" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)


def test_a_transition_form_goes_through_the_service(case_id, wf, as_user):
    page = html(post(as_user("worker1"), f"/caseview/transition/{case_id}",
                     transition="accept", version=1))
    assert "签收成功，事项现为“办理中”。" in flash_of(page, "success")
    assert wf.case(case_id)["state"] == "in_progress"
    [entry] = wf.history(case_id, "transition")
    assert (entry["transition"], entry["actor_name"]) == ("accept", "经办人 一")


def test_a_stale_form_is_refused_and_changes_nothing(case_id, wf, as_user):
    wf.drive(case_id, "in_progress")  # version 2 now; the form below was loaded at version 1
    page = html(post(as_user("worker1"), f"/caseview/transition/{case_id}",
                     transition="submit", comment="完成", version=1))
    message = flash_of(page, "danger")
    assert "他人" in message and "刷新" in message, message
    assert wf.case(case_id)["state"] == "in_progress"
    assert len(wf.history(case_id, "transition")) == 1


def test_a_missing_reason_is_refused_in_chinese(case_id, wf, as_user):
    wf.drive(case_id, "submitted")
    page = html(post(as_user("lead1"), f"/caseview/transition/{case_id}",
                     transition="return", comment="  ", version=3))
    assert "理由" in flash_of(page, "danger")
    assert wf.case(case_id)["state"] == "submitted"


def test_a_transition_from_the_wrong_state_says_why(case_id, wf, as_user):
    page = html(post(as_user("worker1"), f"/caseview/transition/{case_id}",
                     transition="submit", comment="完成"))
    assert "已交办" in flash_of(page, "danger")
    assert wf.case(case_id)["state"] == "assigned"


def every_form(case_id: int, extension_id: int, evidence_id: int) -> list[tuple]:
    """(method, url, data) for every page endpoint that acts on a case."""
    return [
        ("POST", f"/caseview/transition/{case_id}", {"transition": "submit", "comment": "x"}),
        ("POST", f"/caseview/progress/{case_id}", {"note": "x", "percent": "50"}),
        ("POST", f"/caseview/urge/{case_id}", {"comment": "x"}),
        ("POST", f"/caseview/extension/{case_id}", {"new_deadline": "2025-06-30", "reason": "x"}),
        ("POST", f"/caseview/decide/{case_id}/{extension_id}", {"decision": "approve"}),
        ("POST", f"/caseview/comment/{case_id}", {"text": "x"}),
        ("GET", f"/caseview/evidence/{case_id}/{evidence_id}", None),
        ("GET", f"/caseview/show/{case_id}", None),
    ]


@pytest.fixture()
def busy_case(case_id, wf):
    """worker1's case in progress with an evidence file and a pending extension request."""
    from werkzeug.datastructures import FileStorage

    wf.drive(case_id, "in_progress")
    pdf = FileStorage(io.BytesIO(small_pdf()), filename="证明.pdf")
    wf.act("worker1", "add_progress", case_id, note="进展", percent=40, files=[pdf])
    extension_id = wf.act("worker1", "request_extension", case_id,
                          new_deadline=wf.case(case_id)["deadline"] + timedelta(days=30),
                          reason="等待审批")
    from app.models import EvidenceFile

    evidence_id = scalar(wf.app, select(EvidenceFile.id).where(EvidenceFile.case_id == case_id))
    return case_id, extension_id, evidence_id


def snapshot(wf, case_id):
    case = wf.case(case_id)
    return (case["state"], case["version"], case["deadline"], case["percent_done"],
            len(wf.history(case_id)))


def test_another_department_gets_404_everywhere_and_nothing_changes(busy_case, wf, as_user):
    case_id = busy_case[0]
    before = snapshot(wf, case_id)
    worker2 = as_user("worker2")
    for method, url, data in every_form(*busy_case):
        response = worker2.open(url, method=method, data=data)
        assert response.status_code == 404, url
    assert snapshot(wf, case_id) == before


def test_a_leader_is_refused_every_action_and_nothing_changes(busy_case, wf, as_user):
    case_id = busy_case[0]
    before = snapshot(wf, case_id)
    leader = as_user("leader")
    for method, url, data in every_form(*busy_case):
        response = leader.open(url, method=method, data=data)
        expected = 200 if method == "GET" else 403  # leaders read (and download) only
        assert response.status_code == expected, url
    assert snapshot(wf, case_id) == before


def test_progress_with_targets_and_evidence_then_download(case_id, wf, as_user, app):
    from app.models import Indicator

    indicator_id = scalar(app, select(Indicator.id).where(Indicator.case_id == case_id))
    pdf = small_pdf("跨境电商企业名单")
    worker = as_user("worker1")
    page = html(worker.post(
        f"/caseview/progress/{case_id}",
        data={
            "note": "已新增跨境电商企业2家",
            "percent": "60",
            f"indicator-{indicator_id}": "2",
            "files": [(io.BytesIO(pdf), "企业名单.pdf")],
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    ))
    assert "进展反馈已保存（完成 60%）" in flash_of(page, "success")
    assert "已新增跨境电商企业2家" in page and "完成 60%" in page
    assert re.search(r'class="nowrap target-actual">2\S*</td>', page)  # latest actual value
    href = re.search(r'href="(/caseview/evidence/\d+/\d+)" class="evidence-link">企业名单.pdf', page)
    assert href, "evidence link missing"

    download = worker.get(href.group(1))
    assert download.status_code == 200 and download.data == pdf
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert as_user("lead1").get(href.group(1)).status_code == 200  # lead of action 1 sees it
    assert as_user("worker2").get(href.group(1)).status_code == 404


def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_written(case_id, wf, as_user):
    from app.models import EvidenceFile, ProgressUpdate

    response = as_user("worker1").post(
        f"/caseview/progress/{case_id}",
        data={"note": "附件", "percent": "30",
              "files": [(io.BytesIO(b"MZ\x90\x00" + bytes(200)), "setup.pdf")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 422  # the page again, with the dialog as typed
    page = response.get_data(as_text=True)
    assert "setup.pdf" in flash_of(page, "danger")
    assert wf.count(ProgressUpdate, case_id=case_id) == 0
    assert wf.count(EvidenceFile, case_id=case_id) == 0
    assert wf.case(case_id)["percent_done"] == 0


def test_bad_percent_is_refused_in_chinese(case_id, wf, as_user):
    response = post(as_user("worker1"), f"/caseview/progress/{case_id}", note="x", percent="120")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "0" in flash_of(page, "danger") and "100" in flash_of(page, "danger")
    assert wf.case(case_id)["percent_done"] == 0


def test_urge_comment_and_extension_decision_from_the_page(case_id, wf, as_user):
    worker, office = as_user("worker1"), as_user("office")
    page = html(post(office, f"/caseview/urge/{case_id}", comment="请于本周五前报送进展"))
    assert flash_of(page, "success")
    page = html(post(worker, f"/caseview/comment/{case_id}", text="已安排专人对接"))
    assert "评论已发表" in flash_of(page, "success")
    page = html(post(worker, f"/caseview/extension/{case_id}", new_deadline="2025-03-31",
                     reason="项目审批延后"))
    assert "2025-03-31" in flash_of(page, "success")
    assert 'id="btn-extension"' not in page  # one pending request at a time

    page = html(office.get(f"/caseview/show/{case_id}"))
    assert "待审批的延期申请" in page and "项目审批延后" in page
    extension_id = re.search(r"/caseview/decide/\d+/(\d+)", page).group(1)
    refused = html(post(office, f"/caseview/decide/{case_id}/{extension_id}", decision="refuse"))
    assert flash_of(refused, "danger")  # refusing needs a reason
    page = html(post(office, f"/caseview/decide/{case_id}/{extension_id}", decision="approve",
                     comment="同意"))
    assert "已同意" in flash_of(page, "success")
    assert "已延期，原完成时限 2024-12-31" in page
    case = wf.case(case_id)
    assert str(case["deadline"]) == "2025-03-31" and str(case["original_deadline"]) == "2024-12-31"
    timeline = page[page.index('class="timeline"'):]
    for text in ("催办", "请于本周五前报送进展", "已安排专人对接", "项目审批延后", "新完成时限 2025-03-31"):
        assert text in timeline, text
    # Oldest first: the urge comes before the comment, the request before the decision.
    assert timeline.index("请于本周五前报送进展") < timeline.index("已安排专人对接")
    assert timeline.index("项目审批延后") < timeline.index("新完成时限 2025-03-31")


def test_reassign_asks_for_a_department_and_moves_the_case(case_id, wf, as_user):
    office = as_user("office")
    page = html(office.get(f"/caseview/show/{case_id}"))
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>', page)
    assert options and "区商务局" not in [name for _, name in options]
    new_id, new_name = next((i, n) for i, n in options if n == "区科学技术局")
    missing = html(post(office, f"/caseview/transition/{case_id}", transition="reassign",
                        version=1))
    assert "牵头单位" in flash_of(missing, "danger")
    page = html(post(office, f"/caseview/transition/{case_id}", transition="reassign",
                     version=1, new_department_id=new_id, comment="职责调整"))
    assert "改派成功" in flash_of(page, "success")
    assert f"由 区商务局 改派至 {new_name}" in page
    assert as_user("worker1").get(f"/caseview/show/{case_id}").status_code == 404
    assert as_user("worker2").get(f"/caseview/show/{case_id}").status_code == 200


def test_forms_carry_a_csrf_token_and_a_post_without_one_is_refused(case_id, wf, as_user, app):
    worker = as_user("worker1")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = html(worker.get(f"/caseview/show/{case_id}"))
        tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
        assert len(tokens) == 1 and page.count('name="csrf_token"') >= 4  # every form
        refused = post(worker, f"/caseview/transition/{case_id}", transition="accept")
        assert refused.status_code == 400
        assert "表单已过期" in refused.get_data(as_text=True)
        assert wf.case(case_id)["state"] == "assigned"
        accepted = html(post(worker, f"/caseview/transition/{case_id}", transition="accept",
                             csrf_token=tokens.pop()))
        assert flash_of(accepted, "success")
        assert wf.case(case_id)["state"] == "in_progress"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_urging_a_unit_without_users_says_nobody_will_be_notified(fresh_db, wf, as_user):
    """催办 of a case whose lead unit has no caseworker account: the office is told so."""
    from sqlalchemy import exists, select

    from app.models import Case, Department, user_department

    lonely = wf._scalar(
        select(Case.id).join(Department, Department.id == Case.lead_department_id)
        .where(~exists().where(user_department.c.department_id == Department.id),
               Case.state != "closed")
        .order_by(Case.id).limit(1)
    )
    unit = wf._scalar(select(Department.name).join(Case, Case.lead_department_id == Department.id)
                      .where(Case.id == lonely))
    page = html(post(as_user("office"), f"/caseview/urge/{lonely}", comment="请尽快报送"))
    warning = flash_of(page, "warning")
    assert "没有人会收到这条催办" in warning and unit in warning
    # A unit with a caseworker gets no such warning.
    page = html(post(as_user("office"), f"/caseview/urge/{wf.worker1_cases()[0]}", comment="请尽快报送"))
    assert flash_of(page, "success") and not flash_of(page, "warning")
