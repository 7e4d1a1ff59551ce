"""Rules of official documents (workflows.documents): numbers, dates, praise and criticism, verdicts."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows.calendar import WorkingDayCalendar
from workflows.documents import (
    DocumentLocked,
    SignerRequired,
    UnitFacts,
    WrongDocState,
    action_verdict,
    check_transition,
    default_issue_date,
    expected_percent,
    format_number,
    next_seq,
    praise_and_criticism,
)


def test_numbers_continue_their_series_and_are_never_reused():
    assert format_number("鹤督查", 2024, 3) == "鹤督查〔2024〕3号"
    assert next_seq([]) == 1 and next_seq([1, 2, 5]) == 6
    with pytest.raises(ValueError):
        format_number("鹤督查", 2024, 0)


def test_the_date_written_is_the_first_working_day_after_the_period():
    working = WorkingDayCalendar().is_working_day
    assert default_issue_date(dt.date(2024, 9, 30), working) == dt.date(2024, 10, 8)  # National Day
    assert default_issue_date(dt.date(2024, 12, 31), working) == dt.date(2025, 1, 2)  # New Year
    assert default_issue_date(dt.date(2024, 6, 30), working) == dt.date(2024, 7, 1)


def test_draft_sign_issue():
    assert check_transition("draft", "edit") == "draft"
    assert check_transition("signed", "edit") == "draft"  # editing withdraws the signature
    assert check_transition("draft", "sign") == "signed"
    assert check_transition("signed", "issue", kind="monthly", signer=True) == "issued"
    with pytest.raises(SignerRequired):
        check_transition("draft", "issue", kind="work-report")
    with pytest.raises(WrongDocState):
        check_transition("draft", "issue", kind="monthly")
    for action in ("edit", "sign", "issue"):
        with pytest.raises(DocumentLocked):
            check_transition("issued", action, kind="monthly", signer=True)


def test_no_unit_is_praised_and_criticised_and_late_units_are_not_praised():
    units = [
        UnitFacts("甲局", done=5, overdue=0, average_percent=90),
        UnitFacts("乙局", done=6, overdue=2, max_overdue_days=66, average_percent=70),
        UnitFacts("丙局", done=3, late_finished=1, average_percent=80),
        UnitFacts("丁局", done=0, overdue=0, waiting_verification=2, average_percent=100),
    ]
    praise, criticism = praise_and_criticism(units)
    assert [p["department"] for p in praise] == ["甲局"]
    assert [c["department"] for c in criticism] == ["乙局"]
    assert "66个工作日" in criticism[0]["why"]


def test_with_scores_the_tail_is_criticised_only_when_it_was_late():
    units = [UnitFacts(name, done=1, score=score) for name, score in
             (("甲", 90), ("乙", 90), ("丙", 90), ("丁", 90))]
    praise, criticism = praise_and_criticism(units)
    assert len(praise) == 3 and criticism == []  # four equal scores: nobody both praised and criticised
    units[3].late_finished = 1
    praise, criticism = praise_and_criticism(units)
    assert "丁" not in {p["department"] for p in praise}
    assert [c["department"] for c in criticism] == ["丁"]


def test_verdicts_follow_the_pace_not_the_average():
    start, deadline = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    pace = expected_percent(start, deadline, dt.date(2024, 6, 30))
    assert 48 <= pace <= 50
    assert action_verdict(cases=4, average_percent=5, expected=pace, overdue=0) == "进展滞后"
    assert action_verdict(cases=4, average_percent=50, expected=pace, overdue=0) == "进展平稳"
    assert action_verdict(cases=4, average_percent=70, expected=pace, overdue=0) == "进展较快"
    assert action_verdict(cases=4, average_percent=70, expected=pace, overdue=1) == "进展滞后"
    assert action_verdict(cases=0, average_percent=0, expected=0, overdue=0) == "暂无任务"
