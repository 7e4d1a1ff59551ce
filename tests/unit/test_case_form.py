"""Cases by hand: what the office types for a new case, checked before anything is written."""

import datetime as dt
from decimal import Decimal

import pytest

from workflows.case_form import (
    BadTarget,
    DeadlineInPast,
    FieldMissing,
    MayNotEditField,
    MilestoneAfterDeadline,
    NotADate,
    NotAnId,
    PlanOrActionMissing,
    TextTooLong,
    check_may_edit,
    editable_fields,
    may_create,
    read_case,
)
from workflows.case_workflow import Actor, Role

TODAY = dt.date(2024, 5, 6)
OFFICE = Actor(user_id=1, roles=frozenset({Role.OFFICE}))
LEAD = Actor(user_id=2, roles=frozenset({Role.TASK_FORCE_LEAD}), led_action_ids=frozenset({1}))
WORKER = Actor(user_id=3, roles=frozenset({Role.CASEWORKER}), department_ids=frozenset({5}))

GOOD = {
    "title": "落实区长批示：新能源产业园用电保障",
    "text": "区长批示：请区发改局牵头，6月底前拿出方案。",
    "source": "区长批示（2024年5月6日）",
    "action_id": 1,
    "lead_department_id": "5",
    "partner_department_ids": [7, "8", 7],
    "deadline": "2024-09-30",
    "milestones": [{"title": "拿出方案", "due_date": "2024-06-30"}, {"title": "完成调度", "due": "2024-08-31"}],
    "targets": [{"name": "新增供电容量", "value": "2", "unit": "万千伏安", "comparator": "≥"}],
}


def test_a_good_case_is_read_into_typed_values():
    case = read_case(GOOD, TODAY)
    assert case["lead_department_id"] == 5 and case["partner_department_ids"] == [7, 8]
    assert case["deadline"] == dt.date(2024, 9, 30)
    assert case["milestones"] == [("拿出方案", dt.date(2024, 6, 30)), ("完成调度", dt.date(2024, 8, 31))]
    assert case["targets"][0]["value"] == Decimal("2")


@pytest.mark.parametrize(("change", "error"), [
    ({"title": " "}, FieldMissing),
    ({"title": "长" * 201}, TextTooLong),
    ({"lead_department_id": None}, FieldMissing),
    ({"lead_department_id": "区发改局"}, NotAnId),
    ({"deadline": "2024-9-31"}, NotADate),
    ({"deadline": "2024-05-05"}, DeadlineInPast),
    ({"milestones": [{"title": "拿出方案", "due_date": "2024-10-31"}]}, MilestoneAfterDeadline),
    ({"targets": [{"name": "新增供电容量", "value": "两万"}]}, BadTarget),
    ({"targets": [{"name": "新增供电容量", "value": 2, "comparator": ">"}]}, BadTarget),
    ({"action_id": None}, PlanOrActionMissing),
])
def test_bad_values_are_refused(change, error):
    with pytest.raises(error) as info:
        read_case({**GOOD, **change}, TODAY)
    assert info.value.status == 422


def test_an_edit_reads_only_the_fields_given():
    assert read_case({"title": "新标题"}, TODAY, partial=True) == {"title": "新标题"}
    with pytest.raises(MilestoneAfterDeadline):
        read_case({"milestones": [{"title": "x", "due_date": "2024-12-01"}]}, TODAY, partial=True,
                  current_deadline=dt.date(2024, 11, 30))


def test_who_creates_and_edits_what():
    assert may_create(OFFICE) and not may_create(LEAD) and not may_create(WORKER)
    assert "lead_department_id" in editable_fields(OFFICE, 1)
    assert editable_fields(LEAD, 1) == {"milestones", "targets"}
    assert editable_fields(LEAD, 2) == frozenset()  # another action's case
    assert editable_fields(WORKER, 1) == frozenset()
    check_may_edit(LEAD, 1, ["milestones"])
    with pytest.raises(MayNotEditField) as info:
        check_may_edit(LEAD, 1, ["milestones", "deadline"])
    assert info.value.status == 403 and info.value.params["field"] == "deadline"
