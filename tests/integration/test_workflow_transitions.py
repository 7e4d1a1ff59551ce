"""Case transitions over the API: every role × transition × state, inputs, the full path."""

from __future__ import annotations

import pytest

from tests.integration.fixtures_workflow import PATH, WORKER2_DEPARTMENT

TRANSITIONS = ["accept", "submit", "verify", "return", "close", "reopen", "reassign"]
USERS = ["worker1", "worker2", "lead1", "office", "leader", "admin"]

# Who may fire what from which state, on an action-1 case led by worker1's department
# (domain.md). Everything else: 403 for users who see the case, 404 for worker2.
ALLOWED = {
    ("worker1", "accept"): {"assigned"},
    ("worker1", "submit"): {"in_progress"},
    ("lead1", "verify"): {"submitted"},
    ("lead1", "return"): {"submitted"},
    ("office", "return"): {"verified"},
    ("office", "close"): {"verified"},
    ("office", "reopen"): {"closed"},
    ("office", "reassign"): {"assigned", "in_progress", "submitted", "verified"},
}
TARGET = {
    "accept": "in_progress", "submit": "submitted", "verify": "verified",
    "return": "in_progress", "close": "closed", "reopen": "in_progress", "reassign": "assigned",
}


def expected_status(user: str, transition: str, state: str) -> int:
    if user == "worker2":
        return 404  # does not see the case at all
    if (user, transition) not in ALLOWED:
        return 403  # leader, admin, and relations that never fire it
    return 200 if state in ALLOWED[(user, transition)] else 409




@pytest.mark.parametrize("state", ["assigned", "in_progress", "submitted", "verified", "closed"])
def test_every_role_and_transition_from_each_state(fresh_db, wf, state):
    cases = wf.worker1_cases()
    allowed = [(u, t) for (u, t), states in ALLOWED.items() if state in states]
    for case_id in cases[: len(allowed) + 1]:
        wf.drive(case_id, state)
    probe, spare = cases[0], iter(cases[1:])
    history_before = len(wf.history(probe))
    version = wf.case(probe)["version"]
    # Everything any transition may need, so that only the rule decides.
    body = {"comment": "测试理由", "new_department_id": wf.department_id(WORKER2_DEPARTMENT)}

    for user in USERS:
        for transition in TRANSITIONS:
            expected = expected_status(user, transition, state)
            case_id = next(spare) if expected == 200 else probe
            response = wf.transition(user, case_id, transition, **body)
            assert response.status_code == expected, (user, transition, response.get_json())
            answer = response.get_json()
            if expected == 200:
                assert answer["state"] == TARGET[transition]
                assert wf.case(case_id)["state"] == TARGET[transition]
                last = wf.history(case_id, "transition")[-1]
                assert (last["transition"], last["from_state"], last["to_state"]) == (
                    transition, state, TARGET[transition],
                )
            else:
                assert answer["code"] and answer["message"]
                assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["message"]), answer

    # Nothing refused left a trace.
    assert wf.case(probe)["state"] == state
    assert wf.case(probe)["version"] == version
    assert len(wf.history(probe)) == history_before


def test_refusals_say_why_in_chinese(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    wf.drive(case_id, "in_progress")

    response = wf.transition("lead1", case_id, "verify")
    assert response.status_code == 409
    assert response.get_json() == {
        "code": "transition_not_possible",
        "message": "办理中的事项不能核验通过：只有已报送的事项可以核验通过。",
    }

    response = wf.transition("worker1", case_id, "verify")
    assert response.status_code == 403
    assert response.get_json()["code"] == "transition_not_allowed"
    assert "专班负责人" in response.get_json()["message"]

    response = wf.transition("worker2", case_id, "accept")
    assert response.status_code == 404
    assert response.get_json()["message"] == "事项不存在或您无权查看。"


BAD_INPUT = [
    ("in_progress", "worker1", "submit", {}, "missing_input"),
    ("in_progress", "worker1", "submit", {"comment": "   "}, "missing_input"),
    ("submitted", "lead1", "return", {}, "missing_input"),
    ("closed", "office", "reopen", {}, "missing_input"),
    ("assigned", "office", "reassign", {"comment": "改派"}, "missing_input"),
    ("assigned", "office", "reassign", {"new_department_id": "same"}, "missing_input"),
    ("assigned", "office", "reassign", {"new_department_id": 999999}, "invalid_department"),
    ("assigned", "office", "reassign", {"new_department_id": "task_force"}, "invalid_department"),
    ("assigned", "worker1", "sign", {}, "unknown_transition"),
    ("in_progress", "worker1", "submit", {"comment": "x" * 5001}, "invalid_input"),
]


def test_missing_or_bad_input_is_422_and_changes_nothing(fresh_db, wf):
    states = ["assigned", "in_progress", "submitted", "closed"]
    case_in = dict(zip(states, wf.worker1_cases(), strict=False))
    for state, case_id in case_in.items():
        wf.drive(case_id, state)
    before = {state: wf.case(case_id) for state, case_id in case_in.items()}
    for state, user, transition, extra, code in BAD_INPUT:
        if extra.get("new_department_id") == "same":
            extra = {"new_department_id": before[state]["lead_department_id"]}
        elif extra.get("new_department_id") == "task_force":
            extra = {"new_department_id": wf.department_id("产业培塑行动专班")}
        response = wf.transition(user, case_in[state], transition, **extra)
        assert response.status_code == 422, (state, transition, extra, response.get_json())
        assert response.get_json()["code"] == code, (state, transition, extra)
    for state, case_id in case_in.items():
        after = wf.case(case_id)
        assert (after["state"], after["version"], after["lead_department_id"]) == (
            before[state]["state"], before[state]["version"], before[state]["lead_department_id"],
        )
        assert len(wf.history(case_id)) == len(PATH.get(state, []))


def test_submit_message_names_the_missing_note(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    wf.drive(case_id, "in_progress")
    message = wf.transition("worker1", case_id, "submit").get_json()["message"]
    assert message == "报送此事项需要提供进展说明。"


MALFORMED = [
    [], {"comment": "x"}, {"transition": 5}, {"transition": "accept", "version": "1"},
    {"transition": "accept", "comment": 3}, {"transition": "accept", "version": True},
]


def test_malformed_body_is_400(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    path = f"/api/v1/case/{case_id}/transition"
    responses = [wf.call("worker1", "POST", path, data="accept", content_type="text/plain")]
    responses += [wf.call("worker1", "POST", path, json=body) for body in MALFORMED]
    for body, response in zip(["text", *MALFORMED], responses, strict=True):
        assert response.status_code == 400, body
        assert response.get_json()["code"] == "bad_request"
    assert wf.case(case_id)["state"] == "assigned"


def test_stale_version_is_409_and_says_so(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    version = wf.case(case_id)["version"]
    assert wf.transition("worker1", case_id, "accept", version=version).status_code == 200
    response = wf.transition("office", case_id, "reassign", version=version,
                             new_department_id=wf.department_id(WORKER2_DEPARTMENT))
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "stale_version"
    assert "已被他人修改" in body["message"]
    assert wf.case(case_id)["lead_department_id"] != wf.department_id(WORKER2_DEPARTMENT)


def test_full_path_assigned_to_closed(fresh_db, wf):
    """worker1 accepts and submits, lead1 verifies, office closes; worker2 never gets in."""
    case_id = wf.worker1_cases()[0]
    steps = [
        ("worker1", "accept", None, "in_progress"),
        ("worker1", "submit", "已完成年度招商任务，附台账", "submitted"),
        ("lead1", "verify", "核验无误", "verified"),
        ("office", "close", None, "closed"),
    ]
    version = wf.case(case_id)["version"]
    for user, transition, comment, state in steps:
        assert wf.transition("worker2", case_id, transition, comment="x").status_code == 404
        response = wf.transition(user, case_id, transition, comment=comment, version=version)
        assert response.status_code == 200, response.get_json()
        assert response.get_json() == {"id": case_id, "state": state, "version": version + 1}
        version += 1

    case = wf.case(case_id)
    assert case["submitted_at"] and case["verified_at"] and case["closed_at"]
    assert case["assignee_id"] == wf.user_id("worker1")  # who signed for it works it
    history = wf.call("lead1", "GET", f"/api/v1/case/{case_id}/history").get_json()["result"]
    assert [(h["transition"], h["from_state"], h["to_state"]) for h in history] == [
        ("accept", "assigned", "in_progress"),
        ("submit", "in_progress", "submitted"),
        ("verify", "submitted", "verified"),
        ("close", "verified", "closed"),
    ]
    assert [h["actor_name"] for h in history] == [
        "经办人 一", "经办人 一", "行动一专班 负责人", "督查室 干部",
    ]
    assert history[1]["comment"] == "已完成年度招商任务，附台账"
    assert history[0]["summary"] == "签收：已交办 → 办理中"
    assert wf.call("worker2", "GET", f"/api/v1/case/{case_id}/history").status_code == 404

    from app.models import OutboxEvent

    assert wf.count(OutboxEvent, case_id=case_id, kind="case.transitioned") == 4


def test_return_and_reopen(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    wf.drive(case_id, "submitted")
    assert wf.transition("lead1", case_id, "return", comment="缺少佐证台账").status_code == 200
    assert wf.case(case_id)["submitted_at"] is None
    assert wf.transition("worker1", case_id, "submit", comment="已补充台账").status_code == 200
    assert wf.transition("lead1", case_id, "verify").status_code == 200
    assert wf.transition("office", case_id, "return", comment="数据需复核").status_code == 200
    assert wf.case(case_id)["verified_at"] is None
    assert wf.transition("worker1", case_id, "submit", comment="已复核").status_code == 200
    assert wf.transition("lead1", case_id, "verify").status_code == 200
    assert wf.transition("office", case_id, "close").status_code == 200
    assert wf.transition("office", case_id, "reopen", comment="督查发现问题").status_code == 200

    case = wf.case(case_id)
    assert case["state"] == "in_progress" and case["closed_at"] is None
    rows = wf.history(case_id, "transition")
    assert [r["transition"] for r in rows] == [
        "accept", "submit", "return", "submit", "verify", "return", "submit", "verify",
        "close", "reopen",
    ]
    assert [r["comment"] for r in rows if r["transition"] in ("return", "reopen")] == [
        "缺少佐证台账", "数据需复核", "督查发现问题",
    ]


def test_reassign_moves_the_case_to_the_new_department(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    wf.drive(case_id, "in_progress")
    new_department = wf.department_id(WORKER2_DEPARTMENT)
    response = wf.transition("office", case_id, "reassign", comment="职责调整",
                             new_department_id=new_department)
    assert response.status_code == 200 and response.get_json()["state"] == "assigned"
    case = wf.case(case_id)
    assert case["lead_department_id"] == new_department
    assert case["assignee_id"] is None and case["owner_id"] is None
    entry = wf.history(case_id, "transition")[-1]
    assert entry["data"]["old_department"] == "区商务局"
    assert entry["data"]["new_department"] == WORKER2_DEPARTMENT
    # Visibility follows the lead department: now worker2 acts and worker1 no longer sees it.
    assert wf.call("worker1", "GET", f"/api/v1/case/{case_id}").status_code == 404
    assert wf.transition("worker2", case_id, "accept").status_code == 200


def test_submit_needs_evidence_when_the_case_requires_it(fresh_db, wf, app):
    from app.extensions import db
    from app.models import Case

    case_id = wf.worker1_cases()[0]
    with app.app_context():
        db.session.get(Case, case_id).requires_evidence = True
        db.session.commit()
        db.session.remove()
    wf.drive(case_id, "in_progress")
    response = wf.transition("worker1", case_id, "submit", comment="已完成")
    assert response.status_code == 422
    assert response.get_json()["message"] == "报送此事项需要提供佐证材料。"

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    import io

    response = wf.call(
        "worker1", "POST", f"/api/v1/case/{case_id}/progress",
        data={"note": "上传台账", "percent": "100", "files": (io.BytesIO(pdf), "台账.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    assert wf.transition("worker1", case_id, "submit", comment="已完成").status_code == 200
