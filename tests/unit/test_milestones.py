"""Who reports a 时间节点 done, and what the report needs."""

import pytest

from workflows.case_workflow import Actor, Role
from workflows.milestones import (
    CaseClosedForMilestones,
    MayNotReportMilestone,
    MilestoneAlreadyDone,
    MilestoneNoteMissing,
    check_report,
)

WORKER = Actor(user_id=3, roles=frozenset({Role.CASEWORKER}), department_ids=frozenset({5}))
PARTNER = Actor(user_id=4, roles=frozenset({Role.CASEWORKER}), department_ids=frozenset({6}))
OFFICE = Actor(user_id=1, roles=frozenset({Role.OFFICE}))


def report(actor=WORKER, state="in_progress", done=None, note="方案已印发"):
    return check_report(actor, state=state, lead_department_id=5, done_at_text=done, note=note)


def test_the_lead_caseworker_reports_with_a_note():
    assert report(note="  方案已印发，见附件  ") == "方案已印发，见附件"


@pytest.mark.parametrize(("kwargs", "error", "status"), [
    ({"actor": PARTNER}, MayNotReportMilestone, 403),
    ({"actor": OFFICE}, MayNotReportMilestone, 403),
    ({"state": "closed"}, CaseClosedForMilestones, 409),
    ({"done": "2024-06-28 10:00"}, MilestoneAlreadyDone, 409),
    ({"note": "  "}, MilestoneNoteMissing, 422),
    ({"actor": PARTNER, "note": ""}, MayNotReportMilestone, 403),  # who before what
])
def test_refusals_in_order(kwargs, error, status):
    with pytest.raises(error) as info:
        report(**kwargs)
    assert info.value.status == status
