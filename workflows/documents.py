"""Official documents the office signs and sends (issue 12): plain rules, no Flask, no SQLAlchemy.

- Numbers: one series per document kind and issuer (its 机关代字) per calendar year of
  ISSUE; a number is assigned when a document is issued and never reused (the register in
  `app.services.documents`). `format_number` writes 鹤督查〔2024〕3号; a draft has none.
- 成文日期: on a working day — by default the first working day after the period.
- The life of a document: draft → signed (签发) → issued. A draft's wording (remarks,
  highlights, next steps) may be edited; signing records the 签发人; issuing fixes the number
  and the date; an issued document never changes.
- Praise and criticism by rules the office can read (`PRAISE_RULES`): never the same unit in
  both; no praise for a unit with an overdue or late-finished task in the period; a
  submission waiting for verification past its deadline counts against the verifier (shown
  as 已报送待核验超期), not the department.
- Verdicts against 序时进度 (the share of each task's time already elapsed), never against
  the plan average; "滞后" only where its facts hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from workflows.errors import DomainError
from workflows.vocabulary import Role

__all__ = [
    "DRAFT_NUMBER",
    "EDITABLE_WORDING",
    "PRAISE_RULES",
    "AlreadyIssued",
    "DocState",
    "DocumentLocked",
    "SignerRequired",
    "UnitFacts",
    "WrongDocState",
    "action_verdict",
    "default_issue_date",
    "expected_percent",
    "format_number",
    "is_upward",
    "praise_and_criticism",
]

# Kinds sent upwards (上行文): GB/T 9704 §7.2.5 — the header carries 签发人.
UPWARD_KINDS = frozenset({"work-report"})
# What the office may edit in a generated draft.
EDITABLE_WORDING = ("remarks", "highlights", "next_steps")
# The number a draft prints before it is issued: the series and year are left blank.
DRAFT_NUMBER = "〔　　　　〕　号"


class DocState(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    ISSUED = "issued"


class DocumentLocked(DomainError):
    code = "document_issued"
    status = 409
    msgid = "Document %(number)s has been issued and cannot change."


class WrongDocState(DomainError):
    code = "wrong_document_state"
    status = 409
    msgid = "The document is still a draft: sign it before it is issued."


class AlreadyIssued(DomainError):
    code = "document_already_issued"
    status = 409
    msgid = "This document was already issued as %(number)s (report %(report)s); it is not issued twice."


class SignerRequired(DomainError):
    code = "signer_required"
    status = 422
    msgid = "A report sent upwards must be signed (签发人) before it is issued."


def is_upward(kind: str) -> bool:
    return kind in UPWARD_KINDS


# Who reads an issued document (it is delivered to them): a report sent upwards (工作月报 to
# 区委、区政府) goes to the district's leaders and the office; the other periodic documents
# are circulated to every unit (主送 各专班，区直各单位，各乡镇（街道）): leaders, the office,
# the task-force leads and the units' caseworkers. Admins configure the system; they are
# not readers.
UPWARD_READERS = frozenset({Role.LEADER, Role.OFFICE})
CIRCULATED_READERS = frozenset({Role.LEADER, Role.OFFICE, Role.TASK_FORCE_LEAD, Role.CASEWORKER})


def readers(kind: str) -> frozenset[Role]:
    """The roles an issued document of `kind` is delivered to."""
    return UPWARD_READERS if is_upward(kind) else CIRCULATED_READERS


def format_number(prefix: str, year: int, seq: int) -> str:
    """发文字号: 鹤督查〔2024〕3号 (GB/T 9704 §7.2.4: 六角括号, no leading zeros)."""
    if seq < 1:
        raise ValueError("document numbers start at 1")
    return f"{prefix}〔{year}〕{seq}号"


def next_seq(used: Iterable[int]) -> int:
    """The next number of a series: one past the highest issued (numbers are never reused)."""
    return max(used, default=0) + 1


def default_issue_date(period_end: dt.date, is_working_day: Callable[[dt.date], bool]) -> dt.date:
    """成文日期 by default: the first working day after the period (never a holiday)."""
    day = period_end + dt.timedelta(days=1)
    for _ in range(60):
        if is_working_day(day):
            return day
        day += dt.timedelta(days=1)
    raise ValueError("no working day within 60 days")


def check_transition(state: str, action: str, *, kind: str = "", signer: bool = False) -> DocState:
    """The state after `action` (edit, sign, issue) from `state`; DomainError when not allowed."""
    state = DocState(state)
    if state == DocState.ISSUED:
        raise DocumentLocked(number="")
    if action == "edit":
        return DocState.DRAFT  # editing a signed draft withdraws the signature
    if action == "sign":
        return DocState.SIGNED
    if action == "issue":
        if is_upward(kind) and state != DocState.SIGNED:
            raise SignerRequired()
        if state == DocState.DRAFT and not signer:
            raise WrongDocState()
        return DocState.ISSUED
    raise ValueError(action)


# --- praise and criticism --------------------------------------------------------------------


@dataclass
class UnitFacts:
    """What a unit did in a period, as the rules read it."""

    unit: str
    cases: int = 0
    done: int = 0
    on_time: int = 0
    overdue: int = 0  # cases overdue at the period's end, by the department's own fault
    max_overdue_days: int = 0
    late_finished: int = 0  # finished in the period after their original deadline
    average_percent: int = 0
    waiting_verification: int = 0  # submitted on time, waiting for the verifier past the deadline
    score: float | None = None  # the evaluation total, when the period was evaluated
    notes: list[str] = field(default_factory=list)


PRAISE_RULES = (
    "表扬：本期有任务完成、无逾期任务、无超期完成任务的单位，按完成数由多到少，至多5个；"
    "有三看三评三比评价结果时，取排名靠前且符合上述条件的单位。",
    "批评：本期末有本单位原因逾期任务的单位，按逾期数和最长逾期工作日由多到少，至多10个；"
    "有评价结果时，另取排名靠后且有逾期或超期完成任务的单位。",
    "同一单位不同时表扬和批评。",
    "已报送、待核验超过完成时限的任务计入核验单位（已报送待核验超期），不计入牵头单位。",
)


def praise_and_criticism(units: list[UnitFacts], *, praise_limit: int = 5,
                         criticism_limit: int = 10) -> tuple[list[dict], list[dict]]:
    """The units to praise and to criticise, each with why, by PRAISE_RULES."""
    scored = any(u.score is not None for u in units)

    def clean(u: UnitFacts) -> bool:
        return u.done > 0 and u.overdue == 0 and u.late_finished == 0

    if scored:
        ordered = sorted(units, key=lambda u: (-(u.score or 0), u.unit))
        praise_units = [u for u in ordered if clean(u)][:min(3, praise_limit)]
    else:
        ordered = sorted(units, key=lambda u: (-u.done, -u.average_percent, u.unit))
        praise_units = [u for u in ordered if clean(u)][:praise_limit]
    praised = {u.unit for u in praise_units}
    critic_units = sorted((u for u in units if u.overdue and u.unit not in praised),
                          key=lambda u: (-u.overdue, -u.max_overdue_days, u.unit))
    if scored:
        tail = [u for u in sorted(units, key=lambda u: ((u.score or 0), u.unit))[:3]
                if (u.overdue or u.late_finished) and u.unit not in praised and u not in critic_units]
        critic_units += tail
    critic_units = critic_units[:criticism_limit]
    praise = []
    for u in praise_units:
        why = f"已完成{u.done}项任务，无逾期事项"
        if u.score is not None:
            why = f"综合评价{_num(u.score)}分，{why}"
        praise.append({"department": u.unit, "why": why})
    criticism = []
    for u in critic_units:
        parts = []
        if u.overdue:
            parts.append(f"{u.overdue}项任务逾期，最长逾期{u.max_overdue_days}个工作日")
        if u.late_finished:
            parts.append(f"{u.late_finished}项任务超期完成")
        if u.score is not None:
            parts.append(f"综合评价{_num(u.score)}分，排名靠后")
        criticism.append({"department": u.unit, "why": "，".join(parts)})
    assert not ({p["department"] for p in praise} & {c["department"] for c in criticism})
    return praise, criticism


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# --- verdicts against 序时进度 ----------------------------------------------------------------


def expected_percent(start: dt.date, deadline: dt.date, day: dt.date) -> int:
    """序时进度 of one task on `day`: the share of its time from start to deadline elapsed."""
    if day >= deadline:
        return 100
    if day < start or deadline <= start:
        return 0
    return round(100 * (day - start).days / (deadline - start).days)


def action_verdict(*, cases: int, average_percent: int, expected: int, overdue: int) -> str:
    """进展较快 / 进展平稳 / 进展滞后 / 暂无任务, against 序时进度 (not the plan average).

    滞后 when an open task is overdue or the average is 10 points or more behind the pace;
    较快 when 10 points or more ahead; else 平稳 (so 5% at a 50% pace is 滞后, not 平稳).
    """
    if not cases:
        return "暂无任务"
    if overdue or average_percent <= expected - 10:
        return "进展滞后"
    if average_percent >= expected + 10:
        return "进展较快"
    return "进展平稳"
