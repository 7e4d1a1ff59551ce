"""Figures every periodic report shares: per-action progress, indicators, what changed.

Pure-ish: they read the database and return plain dicts and lists, sorted, so the
templates only lay out and the same data always gives the same document.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from app.extensions import db
from app.formatting import plain_number
from app.models import (
    Action,
    Case,
    CaseHistory,
    Department,
    ExtensionRequest,
    Finding,
    Goal,
    Indicator,
    Inspection,
    Instruction,
    Plan,
    Problem,
    ProgressUpdate,
)
from app.plan_family import family_ids
from app.reports.snapshot import CaseAt, cases_at, local_day, moment_after
from workflows import inspections as rectification
from workflows.numerals import int_to_cn
from workflows.periods import Period
from workflows.vocabulary import STATE_ORDER

STATES = tuple(state.value for state in STATE_ORDER)
RAGS = ("green", "yellow", "red")

# Activity counted per period: label → what is counted.
ACTIVITY = (
    ("progress", "进展反馈"),
    ("accept", "签收"),
    ("submit", "报送"),
    ("verify", "核验通过"),
    ("return", "退回"),
    ("close", "办结"),
    ("urge", "催办"),
    ("extension", "批准延期"),
)


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 36 → 三十六 (for headings and action numbers)."""
    return int_to_cn(n)


def short_action(title: str) -> str:
    """产业培塑行动 for 大力实施产业培塑行动."""
    for prefix in ("大力实施", "深入实施", "实施"):
        if title.startswith(prefix):
            return title.removeprefix(prefix)
    return title


def percent(part: int | float, whole: int | float) -> int | None:
    """Rounded percentage, None when the whole is 0."""
    return round(100 * part / whole) if whole else None


@dataclass
class Tally:
    """Cases counted by state and light, with their percent done summed: all `totals` needs.

    The bulletins fill it from snapshots (`CaseAt`), the dashboard from one GROUP BY in SQL
    (app.services.dashboard); `totals` turns either into the same figures.
    """

    states: Counter = field(default_factory=Counter)
    rags: Counter = field(default_factory=Counter)
    cases: int = 0
    percent_sum: int = 0

    def add(self, state: str, rag: str, count: int = 1, percent_sum: int = 0) -> None:
        self.states[state] += count
        self.rags[rag] += count
        self.cases += count
        self.percent_sum += percent_sum

    def add_tally(self, other: Tally) -> None:
        self.states.update(other.states)
        self.rags.update(other.rags)
        self.cases += other.cases
        self.percent_sum += other.percent_sum

    @classmethod
    def of(cls, cases: list[CaseAt]) -> Tally:
        tally = cls()
        for case in cases:
            tally.add(case.state, case.rag, 1, case.percent_done)
        return tally


def totals(cases: list[CaseAt] | Tally) -> dict:
    """Counts by state and colour, completion and overdue for a list of cases (or their tally)."""
    tally = cases if isinstance(cases, Tally) else Tally.of(cases)
    states, rags, count = tally.states, tally.rags, tally.cases
    done = states["verified"] + states["closed"]
    return {
        "cases": count,
        "states": {s: states[s] for s in STATES},
        "rag": {r: rags[r] for r in RAGS},
        "done": done,
        "open": count - done,
        "done_percent": percent(done, count),
        "average_percent": round(tally.percent_sum / count) if count else 0,
        "overdue": rags["red"],  # red is overdue (CaseAt.overdue)
    }


def action_rows(plan_id: int, cases: list[CaseAt] | dict, activity: dict | None = None) -> list[dict]:
    """One row per action: its totals and (optionally) its activity in the period.

    `cases`: the snapshots, or their tallies by action id (the dashboard's SQL counts)."""
    if isinstance(cases, dict):
        by_action = cases
    else:
        by_action = defaultdict(Tally)
        for case in cases:
            by_action[case.action_id].add(case.state, case.rag, 1, case.percent_done)
    rows = []
    # The plan's actions; an implementation plan's is the action it implements.
    plan = db.session.get(Plan, plan_id)
    owner = (Action.plan_id == plan_id) | (Action.id == plan.action_id) if plan and plan.action_id \
        else Action.plan_id == plan_id
    actions = list(db.session.scalars(
        select(Action).where(owner).order_by(Action.index).options(joinedload(Action.lead_department))
    ))
    for action in actions:
        row = {
            "id": action.id,
            "index": action.index,
            "number": cn_number(action.index),
            "title": action.title,
            "short": short_action(action.title),
            "lead_department": action.lead_department.name if action.lead_department else "",
            **totals(by_action.get(action.id) or Tally()),
        }
        if activity is not None:
            row["activity"] = activity["by_action"].get(action.id, {})
        rows.append(row)
    known = {action.id for action in actions}
    others = Tally()
    for action_id, tally in by_action.items():
        if action_id not in known:
            others.add_tally(tally)
    if others.cases:  # a 民生实事 list or a meeting's decisions: cases of no action
        row = {"id": None, "index": 0, "number": "", "title": "其他事项", "short": "其他事项",
               "lead_department": "", **totals(others)}
        if activity is not None:
            row["activity"] = activity["by_action"].get(None, {})
        rows.append(row)
    return rows


def _between(column, period: Period):
    return column.between(moment_after(period.start - dt.timedelta(days=1)),
                          moment_after(period.end) - dt.timedelta(microseconds=1))


def activity(period: Period, plan_id: int) -> dict:
    """What happened in a period: counts by kind, overall and per action."""
    overall: Counter = Counter()
    by_action: dict[int, Counter] = defaultdict(Counter)

    def add(rows, key=None):
        for action_id, *name, count in rows:
            name = key or name[0]
            overall[name] += count
            by_action[action_id][name] += count

    in_plan = Case.plan_id.in_(family_ids(plan_id))
    add(db.session.execute(
        select(Case.action_id, func.count()).select_from(ProgressUpdate)
        .join(Case, Case.id == ProgressUpdate.case_id)
        .where(in_plan, _between(ProgressUpdate.created_at, period)).group_by(Case.action_id)
    ), "progress")
    add(db.session.execute(
        select(Case.action_id, CaseHistory.transition, func.count()).select_from(CaseHistory)
        .join(Case, Case.id == CaseHistory.case_id)
        .where(in_plan, CaseHistory.kind == "transition", _between(CaseHistory.at, period))
        .group_by(Case.action_id, CaseHistory.transition)
    ))
    add(db.session.execute(
        select(Case.action_id, func.count()).select_from(CaseHistory)
        .join(Case, Case.id == CaseHistory.case_id)
        .where(in_plan, CaseHistory.kind == "urge", _between(CaseHistory.at, period)).group_by(Case.action_id)
    ), "urge")
    add(db.session.execute(
        select(Case.action_id, func.count()).select_from(ExtensionRequest)
        .join(Case, Case.id == ExtensionRequest.case_id)
        .where(in_plan, ExtensionRequest.status == "approved", _between(ExtensionRequest.decided_at, period))
        .group_by(Case.action_id)
    ), "extension")
    return {
        "overall": {key: overall[key] for key, _ in ACTIVITY},
        "by_action": {aid: {key: counts[key] for key, _ in ACTIVITY} for aid, counts in by_action.items()},
    }


def compare_activity(now: dict, before: dict) -> list[dict]:
    """Rows of this period's counts against the previous period's."""
    return [
        {"key": key, "label": label, "now": now["overall"][key], "before": before["overall"][key],
         "change": now["overall"][key] - before["overall"][key]}
        for key, label in ACTIVITY
    ]


def events_in(period: Period, plan_id: int, transition: str) -> list[dict]:
    """Cases that went through `transition` in the period, with when and why, oldest first."""
    rows = db.session.execute(
        select(CaseHistory, Case)
        .join(Case, Case.id == CaseHistory.case_id)
        .where(Case.plan_id.in_(family_ids(plan_id)), CaseHistory.kind == "transition",
               CaseHistory.transition == transition, _between(CaseHistory.at, period))
        .order_by(CaseHistory.at, CaseHistory.id)
    )
    return [
        {"case_id": case.id, "title": case.title, "lead_department": case.lead_department_name or "",
         "action_index": case.action_index, "day": local_day(entry.at),
         "from_state": entry.from_state, "actor": entry.actor_name, "comment": entry.comment or ""}
        for entry, case in rows
    ]


def extensions_in(period: Period, plan_id: int) -> list[dict]:
    """Extensions approved in the period."""
    rows = db.session.execute(
        select(ExtensionRequest, Case)
        .join(Case, Case.id == ExtensionRequest.case_id)
        .where(Case.plan_id.in_(family_ids(plan_id)), ExtensionRequest.status == "approved",
               _between(ExtensionRequest.decided_at, period))
        .order_by(ExtensionRequest.decided_at, ExtensionRequest.id)
    )
    return [
        {"case_id": case.id, "title": case.title, "lead_department": case.lead_department_name or "",
         "old_deadline": ext.old_deadline, "new_deadline": ext.new_deadline, "reason": ext.reason,
         "day": local_day(ext.decided_at)}
        for ext, case in rows
    ]


def open_instructions_at(period: Period, plan_id: int) -> list[dict]:
    """领导批示 given by the period's end and not answered by then (待答复), oldest first."""
    end = moment_after(period.end)
    rows = db.session.execute(
        select(Instruction, Case)
        .join(Case, Case.id == Instruction.case_id)
        .where(Case.plan_id.in_(family_ids(plan_id)), Instruction.created_at < end,
               (Instruction.answered_at.is_(None)) | (Instruction.answered_at >= end))
        .order_by(Instruction.created_at, Instruction.id)
    )
    return [
        {"case_id": case.id, "title": case.title, "lead_department": case.lead_department_name or "",
         "by": row.created_by_name, "text": row.text, "day": local_day(row.created_at)}
        for row, case in rows
    ]


def open_problems_at(period: Period, plan_id: int) -> list[dict]:
    """难点堵点 raised by the period's end and not solved by then (待协调), oldest first."""
    end = moment_after(period.end)
    rows = db.session.execute(
        select(Problem, Case, Department.name)
        .join(Case, Case.id == Problem.case_id)
        .outerjoin(Department, Department.id == Problem.department_id)
        .where(Case.plan_id.in_(family_ids(plan_id)), Problem.created_at < end,
               (Problem.solved_at.is_(None)) | (Problem.solved_at >= end))
        .order_by(Problem.created_at, Problem.id)
    )
    return [
        {"case_id": case.id, "title": case.title, "lead_department": case.lead_department_name or "",
         "to": department or "区领导", "text": row.text, "day": local_day(row.created_at)}
        for row, case, department in rows
    ]


RECTIFICATION_LABELS = {
    rectification.CLOSED: "已销号",
    rectification.VERIFIED: "已核验待销号",
    rectification.SUBMITTED: "已报送待核验",
    rectification.OVERDUE: "逾期未整改",
    rectification.OPEN: "整改中",
}


# The report's sentence, in this order (已整改销号 and 逾期未整改 always said, the others when any).
RECTIFICATION_SUMMARY = (
    (rectification.CLOSED, "已整改销号"),
    (rectification.VERIFIED, "已核验待销号"),
    (rectification.SUBMITTED, "已报送待核验"),
    (rectification.OPEN, "正在整改"),
    (rectification.OVERDUE, "逾期未整改"),
)


def rectification_at(period: Period, plan_id: int) -> dict:
    """督查发现问题整改情况: the findings of inspections up to the period's end that the period
    concerns — found in it, or still not closed at its start — each with its rectification
    case's state at the period's end (已销号, 已核验待销号, 已报送待核验, 逾期未整改 with the working
    days, 整改中), by inspection date; and the counts the report's sentence states."""
    found = db.session.execute(
        select(Finding.id, Finding.case_id, Finding.text, Finding.position, Inspection.inspected_on,
               Inspection.subject, Department.name)
        .join(Inspection, Inspection.id == Finding.inspection_id)
        .join(Department, Department.id == Finding.department_id)
        .where(Inspection.plan_id.in_(family_ids(plan_id)), Inspection.inspected_on <= period.end)
        .order_by(Inspection.inspected_on, Inspection.id, Finding.position)
    ).all()
    if not found:
        return {"rows": [], "more": 0, "total": 0, "counts": {}, "summary": [], "found_in_period": 0}
    ids = [f.case_id for f in found]
    at_end = {c.id: c for c in cases_at(period.end, case_ids=ids)}
    at_start = {c.id: c for c in cases_at(period.start - dt.timedelta(days=1), case_ids=ids)}
    rows = []
    for f in found:
        case = at_end.get(f.case_id)
        if case is None:
            continue
        in_period = f.inspected_on >= period.start
        before = at_start.get(f.case_id)
        if not in_period and before is not None and before.state == "closed":
            continue  # 销号 before the period: an earlier report's
        status = rectification.rectification_status(case.state, case.overdue)
        label = RECTIFICATION_LABELS[status]
        if status == rectification.OVERDUE and case.overdue_days:
            label = f"{label}（逾期{case.overdue_days}个工作日）"
        rows.append({"case_id": f.case_id, "day": f.inspected_on, "subject": f.subject, "text": f.text,
                     "unit": f.name, "deadline": case.deadline, "status": status, "status_label": label,
                     "in_period": in_period})
    counts = Counter(r["status"] for r in rows)
    summary = [f"{words}{counts[key]}个" for key, words in RECTIFICATION_SUMMARY
               if counts[key] or key in (rectification.CLOSED, rectification.OVERDUE)]
    return {"rows": rows, "total": len(rows), "more": 0, "counts": dict(counts), "summary": summary,
            "found_in_period": sum(1 for r in rows if r["in_period"])}


def indicator_status(comparator: str, target, actual) -> tuple[int | None, bool | None]:
    """Actual as a share of target and whether it is reached; None without an actual.

    Only meaningful for amounts and levels; growth rates and ceilings are read with their
    kind through app.reports.targets.status.
    """
    if actual is None or target is None:
        return None, None
    target, actual = Decimal(target), Decimal(actual)
    if comparator == "≤":
        met = actual <= target
        ratio = 100 if actual <= 0 else round(100 * target / actual)
    else:
        met = actual >= target
        ratio = round(100 * actual / target) if target else (100 if met else 0)
    return min(ratio, 999), met


def _pace_ratio(state: dict) -> int | None:
    """Actual as a share of the expected value, for amounts and levels (not for % or ceilings)."""
    if state["actual"] is None or not state["expected"] or state["gap_unit"] == "pp" \
            or state["kind"] in ("ceiling", "qualitative", "growth"):
        return None
    return min(round(100 * state["actual"] / state["expected"]), 999)


def indicator_rows(plan_id: int, period: Period) -> list[dict]:
    """Every indicator of the plan: target, the actual of the latest statistical period up to the
    report's period (as recorded by its end), the one before, and the gap and light by kind."""
    from app.reports.targets import latest_actuals, status
    from workflows.targets import Frequency, StatPeriod

    now = moment_after(period.end)
    up_to = StatPeriod(period.end.year, period.end.month, Frequency.MONTHLY)
    previous_end = period.previous().end
    before = StatPeriod(previous_end.year, previous_end.month, Frequency.MONTHLY)
    goals = {g.id: g.index for g in db.session.scalars(select(Goal).where(Goal.plan_id == plan_id))}
    # Each indicator with the few columns of its case and its action that the rows read, in
    # the same statement: `ind.case` loaded lazily was three statements per case's indicator.
    indicators = list(db.session.scalars(
        select(Indicator).where(Indicator.plan_id == plan_id).options(
            joinedload(Indicator.action),
            joinedload(Indicator.case).options(
                load_only(Case.id, Case.seq, Case.action_id, Case.lead_department_id),
                joinedload(Case.action), lazyload(Case.lead_department),
                lazyload(Case.partner_departments), lazyload(Case.milestones),
                lazyload(Case.indicators)),
        )
    ).unique())
    ids = [ind.id for ind in indicators]
    latest = latest_actuals(ids, up_to=up_to, recorded_before=now)
    previous = latest_actuals(ids, up_to=before, recorded_before=moment_after(previous_end))
    rows = []
    for ind in indicators:
        if ind.goal_id:
            scope, order = f"目标{cn_number(goals.get(ind.goal_id, 0))}", (0, goals.get(ind.goal_id, 0), 0)
        elif ind.case_id:
            scope = f"行动{cn_number(ind.case.action_index or 0)}"
            order = (1, ind.case.action_index or 0, ind.case.seq)
        else:
            scope = f"行动{cn_number(ind.action.index)}" if ind.action else ""
            order = (1, ind.action.index if ind.action else 0, 0)
        actual = latest.get(ind.id)
        state = status(ind, actual)
        before_row = previous.get(ind.id)
        rows.append({
            "id": ind.id,
            "order": (*order, ind.position, ind.id),
            "scope": scope,
            "name": ind.name,
            "kind": ind.kind,
            "comparator": ind.comparator,
            "target": plain_number(ind.value) if ind.value is not None else "",
            "unit": ind.unit,
            "actual": plain_number(actual.value) if actual is not None and actual.value is not None
            else (state["judgement_label"] if actual is not None else ""),
            "period": state["period"] or "",
            "previous": plain_number(before_row.value)
            if before_row is not None and before_row.value is not None else "",
            "expected": state["expected_text"],
            "gap": state["gap_text"],
            "light": state["light"],
            "reported": actual is not None,
            "ratio": _pace_ratio(state),
            "met": state["light"] == "green",
        })
    rows.sort(key=lambda r: r["order"])
    return rows


def indicator_summary(rows: list[dict]) -> dict:
    """How many indicators have an actual, and how many of those are green, yellow and red."""
    reported = [r for r in rows if r["reported"]]
    lights = Counter(r["light"] for r in reported)
    return {
        "total": len(rows),
        "reported": len(reported),
        "met": lights["green"],
        "green": lights["green"],
        "yellow": lights["yellow"],
        "red": lights["red"],
        "missing": len(rows) - len(reported),
    }
