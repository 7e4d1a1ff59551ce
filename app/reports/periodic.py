"""Data for the periodic reports: 督查通报, 旬简报, 月通报, 工作月报, 季讲评.

Each builder takes a Period (and options) and returns the template's context: a
`Document` (the official frame) and plain dicts with every figure, as they stood at
the end of the period.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from sqlalchemy import select

from app.extensions import db
from app.formatting import plain_number
from app.models import EvaluationResult, Plan
from app.reports import charts
from app.reports.document import Document, issue_date, organisation_of
from app.reports.figures import (
    action_rows,
    activity,
    cn_number,
    compare_activity,
    events_in,
    extensions_in,
    indicator_rows,
    indicator_summary,
    open_instructions_at,
    open_problems_at,
    percent,
    rectification_at,
    totals,
)
from app.reports.snapshot import CaseAt, case_scope, cases_at, missed_milestones_at
from app.reports.voice import task_force_voice
from workflows.documents import DRAFT_NUMBER, UnitFacts, action_verdict, expected_percent, is_upward
from workflows.documents import praise_and_criticism as ruled_praise_and_criticism
from workflows.evaluation import DEFAULT_SCHEME
from workflows.organisation import Issuer, campaign_of
from workflows.periods import Period, PeriodKind
from workflows.report_kinds import KINDS

# Long lists are summarised: the first rows are printed, the rest counted (see stack-notes).
LIST_LIMIT = 15
RANKING_LIMIT = 30


def campaign(plan: Plan) -> str:
    """The campaign's name from the plan title: “八大行动” for 实施“八大行动”总体方案; another
    plan (a 民生实事 list, a meeting's decisions) by its title, so a report names its plan."""
    if plan is not None and not re.search(r"实施(.+?)(总体)?方案", plan.title or ""):
        return f"《{plan.title}》"
    return campaign_of(plan.title if plan else "")


def _verdict(action: dict, expected: int) -> str:
    """进展较快 / 进展平稳 / 进展滞后 against the action's 序时进度 (workflows.documents.action_verdict)."""
    return action_verdict(cases=action["cases"], average_percent=action["average_percent"],
                          expected=expected, overdue=action["overdue"])


def pace_by_action(cases: list[CaseAt], day) -> dict:
    """序时进度 of each action on `day`: the mean over its tasks of the share of their time elapsed."""
    by_action = defaultdict(list)
    for c in cases:
        by_action[c.action_id].append(100 if c.done else expected_percent(c.start_date, c.original_deadline, day))
    return {a: round(sum(v) / len(v)) for a, v in by_action.items()}


def period_dict(period: Period) -> dict:
    previous = period.previous()
    unit = {PeriodKind.DEKAD: "旬", PeriodKind.MONTH: "月", PeriodKind.QUARTER: "季度",
            PeriodKind.YEAR: "年"}[period.kind]
    return {
        "key": period.key,
        "label": period.label_zh,
        "start": period.start,
        "end": period.end,  # a running period's: the day its facts stand at (截至今日)
        "running": period.running,
        "unit": unit,
        # 本旬 for a finished dekad; 本旬以来 (since it began) for the running one.
        "this": f"本{unit}以来" if period.running else f"本{unit}",
        "previous": f"上{unit}",
        "previous_label": previous.label_zh,
        "next_label": period.next().label_zh,
    }


def capped(rows: list, limit: int = LIST_LIMIT) -> dict:
    """The first `limit` rows and how many more there are."""
    return {"rows": rows[:limit], "more": max(0, len(rows) - limit), "total": len(rows)}


def case_row(case: CaseAt) -> dict:
    return {
        "id": case.id,
        "title": case.title,
        "action_index": case.action_index,
        "lead_department": case.lead_department or "（未明确）",
        "deadline": case.deadline,
        "state": case.state,
        "percent_done": case.percent_done,
        "overdue_days": case.overdue_days,
        "waiting": waiting_verification(case),
    }


def overview(period: Period, plan: Plan) -> dict:
    """Everything a periodic report may print about a period, at its end."""
    cases = cases_at(period.end, plan_id=plan.id)
    before = cases_at(period.previous().end, plan_id=plan.id)
    now_activity = activity(period, plan.id)
    actions = action_rows(plan.id, cases, now_activity)
    indicators = indicator_rows(plan.id, period)
    overdue = sorted((c for c in cases if c.overdue), key=lambda c: (-c.overdue_days, c.action_index or 0, c.seq, c.id))
    at_risk = sorted((c for c in cases if c.rag == "yellow"), key=lambda c: (c.deadline, c.action_index or 0, c.seq, c.id))
    following = period.next()
    due_next = sorted(
        (c for c in cases if not c.done and following.contains(c.deadline)),
        key=lambda c: (c.deadline, c.action_index or 0, c.seq, c.id),
    )
    now_totals, before_totals = totals(cases), totals(before)
    return {
        "period": period_dict(period),
        "totals": now_totals,
        "previous_totals": before_totals,
        "delta": {
            "done": now_totals["done"] - before_totals["done"],
            "average_percent": now_totals["average_percent"] - before_totals["average_percent"],
            "overdue": now_totals["overdue"] - before_totals["overdue"],
        },
        "actions": actions,
        "changes": compare_activity(now_activity, activity(period.previous(), plan.id)),
        "completed": capped(events_in(period, plan.id, "verify")),
        "returned": capped(events_in(period, plan.id, "return")),
        "extensions": capped(extensions_in(period, plan.id)),
        "indicators": capped([r for r in indicators if r["reported"]], 25),
        "indicator_summary": indicator_summary(indicators),
        "overdue": capped([case_row(c) for c in overdue]),
        # 时间节点 passed and not reported done by the period's end (cases still open)
        "missed_milestones": capped(missed_milestones_at(
            cases, period.end, scope=case_scope(period.end, plan_id=plan.id))),
        "at_risk": capped([case_row(c) for c in at_risk]),
        "due_next": capped([case_row(c) for c in due_next]),
        "ranking": department_ranking(period, cases, plan.id),
        "pace": pace_by_action(cases, period.end),
        "charts": {
            "actions": charts.action_progress_chart(actions),
            "indicators": charts.indicator_chart(indicators),
        },
    }


def department_ranking(period: Period, cases: list[CaseAt], plan_id: int | None = None) -> dict:
    """Units ranked by the period's published 三看三评三比 results (app.services.evaluation) when
    there are any, each peer group apart; else lead departments by on-time rate.

    On-time rate = cases done by their first deadline ÷ cases due by the period's end or
    already done; ties go to fewer overdue cases, then higher average progress.
    """
    evaluations = list(db.session.scalars(select(EvaluationResult).where(
        EvaluationResult.period_key == period.key, EvaluationResult.plan_id == plan_id,
        EvaluationResult.published_at.is_not(None))))
    by_department = defaultdict(list)
    for case in cases:
        if case.lead_department_id:
            by_department[case.lead_department].append(case)
    if evaluations and not period.running:  # a running period is not evaluated yet
        groups = {g["key"]: (n, g["name"]) for n, g in enumerate(DEFAULT_SCHEME["groups"])}
        rows = sorted(
            ({"department": e.department.name, "group": groups.get(e.group_key, (9, e.group_key))[1],
              "group_order": groups.get(e.group_key, (9, ""))[0], "kan": plain_number(e.kan),
              "ping": plain_number(e.ping), "bi": plain_number(e.bi), "total": plain_number(e.total),
              "total_value": e.total, "rank": e.rank, "remarks": ""} for e in evaluations),
            key=lambda r: (r["group_order"], r["rank"], r["department"]),
        )
        facts = _unit_facts(period, by_department)
        units = [facts.get(r["department"]) or UnitFacts(r["department"]) for r in rows]
        for unit, row in zip(units, rows, strict=True):
            unit.score = float(row["total_value"])
        praise, criticism = ruled_praise_and_criticism(units, criticism_limit=10)
        return {"source": "evaluation", "rows": rows[:RANKING_LIMIT], "more": max(0, len(rows) - RANKING_LIMIT),
                "praise": praise, "criticism": criticism}
    rows = []
    facts = _unit_facts(period, by_department)
    for department, items in by_department.items():
        due = [c for c in items if c.done or c.original_deadline <= period.end]
        on_time = sum(1 for c in items if c.on_time)
        unit = facts[department]
        rows.append({
            "department": department,
            "cases": len(items),
            "due": len(due),
            "done": unit.done,
            "on_time": on_time,
            "rate": percent(on_time, len(due)),
            "overdue": unit.overdue,
            "waiting": unit.waiting_verification,
            "max_overdue_days": unit.max_overdue_days,
            "average_percent": unit.average_percent,
        })
    rows.sort(key=lambda r: (r["rate"] is None, -(r["rate"] or 0), r["overdue"], -r["average_percent"], r["department"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    praise, criticism = ruled_praise_and_criticism(list(facts.values()))
    return {"source": "on_time", "rows": rows[:RANKING_LIMIT], "more": max(0, len(rows) - RANKING_LIMIT),
            "praise": praise, "criticism": criticism}


def waiting_verification(case: CaseAt) -> bool:
    """Submitted and waiting for the verifier past the deadline: 已报送待核验超期 (the verifier's delay)."""
    return case.state == "submitted" and case.overdue


def _unit_facts(period: Period, by_department: dict[str, list[CaseAt]]) -> dict[str, UnitFacts]:
    """What the praise and criticism rules read of each lead department at the period's end."""
    facts = {}
    for department, items in by_department.items():
        own_overdue = [c for c in items if c.overdue and not waiting_verification(c)]
        facts[department] = UnitFacts(
            unit=department,
            cases=len(items),
            done=sum(1 for c in items if c.done),
            on_time=sum(1 for c in items if c.on_time),
            overdue=len(own_overdue),
            max_overdue_days=max((c.overdue_days for c in own_overdue), default=0),
            late_finished=sum(1 for c in items if c.done and c.done_on and c.done_on > c.original_deadline
                              and period.start <= c.done_on <= period.end),
            average_percent=round(sum(c.percent_done for c in items) / len(items)),
            waiting_verification=sum(1 for c in items if waiting_verification(c)),
        )
    return facts


def _frame(kind: str, period: Period, plan: Plan, options: dict, *, title: str, issuer: Issuer,
           recipients: str, copy_to: str = "") -> Document:
    """The official frame. Number and date are the issued document's (options "number", "date");
    a draft prints the blank number 〔　　　　〕　号 and the default 成文日期 (first working day after)."""
    red_header = options.get("red_header", KINDS[kind].default("red_header"))
    org = organisation_of(plan)
    number = options.get("number") or org.prefix(kind, KINDS[kind].default_prefix) + DRAFT_NUMBER
    day = dt.date.fromisoformat(options["date"]) if options.get("date") else issue_date(period)
    subtitle = ""
    if period.running:
        # 截至今日: dated the day its facts stand at, never numbered, and it says so.
        day, number = period.end, ""
        subtitle = provisional_note(period)
    return Document(
        kind=kind,
        title=title,
        subtitle=subtitle,
        issuer=issuer.name,
        date=day,
        number=number,
        signer=options.get("signer", "") if is_upward(kind) else "",
        draft=period.running or not options.get("number"),
        masthead=issuer.masthead if red_header else "",
        recipients=recipients,
        copy_to=copy_to,
        printed_by=issuer.name,
    )


def provisional_note(period: Period) -> str:
    """The line under a running period's title: as of which day, and not the final report."""
    unit = period_dict(period)["unit"]
    return (f"（截至{period.end.month}月{period.end.day}日。本{unit}尚未结束，"
            f"本报告不是{period.label_zh}的正式报告，以期末报告为准）")


def build_inspection(period: Period, plan: Plan, options: dict) -> dict:
    """督查通报: the supervision office's report on progress, overdue cases and ranking."""
    data = overview(period, plan)
    org = organisation_of(plan)
    doc = _frame(
        "inspection", period, plan, options,
        title=f"关于{period.label_zh}{campaign(plan)}重点任务推进情况的督查通报",
        issuer=org.office, recipients=org.circulation, copy_to=org.copy_to,
    )
    return {"doc": doc, "remarks": (options.get("remarks") or "").strip(), "campaign": campaign(plan),
            "instructions": capped(open_instructions_at(period, plan.id)),
            "problems": capped(open_problems_at(period, plan.id)),
            "rectification": _capped_rectification(rectification_at(period, plan.id)), **data}


def _capped_rectification(found: dict) -> dict:
    """The findings' table capped like every list; the counts stay those of all of them."""
    return {**found, **capped(found["rows"])}


def build_dekad(period: Period, plan: Plan, options: dict) -> dict:
    """旬简报: a dekad's progress per action, indicators and changes since the last dekad."""
    data = overview(period, plan)
    org = organisation_of(plan)
    doc = _frame("dekad", period, plan, options, title=f"{period.label_zh}{campaign(plan)}推进情况简报",
                 issuer=org.task_force_office, recipients=org.circulation)
    return {"doc": doc, "campaign": campaign(plan), "voice": task_force_voice(period, plan.id, doc.date), **data}


def build_monthly(period: Period, plan: Plan, options: dict) -> dict:
    """月通报: the month's bulletin to every unit."""
    data = overview(period, plan)
    org = organisation_of(plan)
    doc = _frame("monthly", period, plan, options, title=f"关于{period.label_zh}{campaign(plan)}推进情况的通报",
                 issuer=org.task_force_office, recipients=org.circulation)
    return {"doc": doc, "campaign": campaign(plan), "voice": task_force_voice(period, plan.id, doc.date), **data}


def build_work_report(period: Period, plan: Plan, options: dict) -> dict:
    """工作月报: the overall task force's month-end report to the district's leaders."""
    data = overview(period, plan)
    org = organisation_of(plan)
    doc = _frame("work-report", period, plan, options, title=f"关于{period.label_zh}{campaign(plan)}工作情况的报告",
                 issuer=org.task_force_office, recipients=org.government)
    return {"doc": doc, "campaign": campaign(plan), **data}


def build_quarterly(period: Period, plan: Plan, options: dict) -> dict:
    """季讲评: the quarter's review, action by action, with the department ranking."""
    data = overview(period, plan)
    org = organisation_of(plan)
    doc = _frame("quarterly", period, plan, options, title=f"{period.label_zh}{campaign(plan)}推进情况讲评",
                 issuer=org.task_force_office, recipients=org.circulation)
    ranked = sorted(data["actions"], key=lambda a: (-a["average_percent"], -(a["done_percent"] or 0), a["index"]))
    pace = data["pace"]
    for place, action in enumerate(ranked, 1):
        action["place"] = place
        action["place_number"] = cn_number(place)
        action["expected_percent"] = pace.get(action["id"], 0)
        action["verdict"] = _verdict(action, action["expected_percent"])
    return {"doc": doc, "campaign": campaign(plan), "actions_ranked": ranked, **data}
