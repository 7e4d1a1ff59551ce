"""The test's oracle: the per-case computation of the 三看 facts that app.services.evaluation_facts
replaced with set-based SQL (issue 14), kept as it was (indicators ordered by id, which the
old query left to the database) for tests/integration/test_evaluation_sql.py.
The parts SQL did not replace (the 专班报送 events, the dekads, the office's scores) are the
service's own, imported.

What the data says about each unit in a period, for 三看三评三比 (workflows.evaluation_scoring).

Read-only: the cases as they stood at the period's end (app.reports.snapshot), their history
(progress, submissions, returns, urges), the system's stale-report reminders, the approved
extensions, the indicators' lights (app.reports.figures) and the office's scores.

Whose facts: a district department or township has the cases it leads and the indicators it
is responsible for (a case's indicator without one: the case's lead unit); a task force has
its action's cases and indicators, and the submissions waiting for its verification past
their deadline (已报送待核验超期 counts against the verifier, not the department).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Case,
    CaseHistory,
    Department,
    ExtensionRequest,
    Indicator,
    Notification,
    ProgressUpdate,
)
from app.plan_family import family_ids
from app.reports.snapshot import CaseAt, cases_at, local_day, moment_after
from app.reports.targets import JUDGEMENT_LABELS, gap_text, latest_actuals, number, target_of
from app.services.evaluation_facts import _dekads, _task_force_reports, scores_of
from app.working_days import current_calendar
from workflows.calendar import UnknownCalendarYear
from workflows.documents import expected_percent
from workflows.evaluation import Scheme
from workflows.evaluation_scoring import (
    DekadFact,
    Event,
    IndicatorFact,
    TaskFact,
    UnitInput,
)
from workflows.periods import Period
from workflows.rag import overdue_working_days
from workflows.reminders import WITH_CASEWORKER
from workflows.targets import Frequency, StatPeriod, assess, period_of_key


def gather(scheme: Scheme, period: Period, plan_id: int | None) -> list[UnitInput]:
    """One UnitInput per unit of the scheme's groups that has a task or an indicator
    (of the plan's family; of every plan when `plan_id` is None)."""
    plan_ids = family_ids(plan_id) if plan_id is not None else None
    moment = moment_after(period.end)
    cases = [c for c in cases_at(period.end, plan_id=plan_id)
             if not (c.done and c.done_on and c.done_on < period.start)]
    ids = [c.id for c in cases]
    history = _history(ids, moment)
    extended = set(db.session.scalars(
        select(ExtensionRequest.case_id).where(ExtensionRequest.status == "approved",
                                               ExtensionRequest.decided_at < moment,
                                               ExtensionRequest.case_id.in_(ids or [0]))))
    reports = _report_days(ids, moment, history)
    current = dict(db.session.execute(select(Case.id, Case.state).where(Case.id.in_(ids or [0]))).all())
    calendar = current_calendar()
    tasks = {c.id: _task(c, period, calendar, c.id in extended, history) for c in cases}
    dekads = _dekads(period)
    stale = _stale(ids, period)
    indicators = list(db.session.scalars(select(Indicator).where(
        Indicator.plan_id.in_(plan_ids) if plan_ids is not None else True).order_by(Indicator.id)))
    # Each indicator's latest actual up to the period's end, as recorded by then.
    latest = latest_actuals([i.id for i in indicators], recorded_before=moment,
                            up_to=StatPeriod(period.end.year, period.end.month, Frequency.MONTHLY))
    case_lead = {c.id: c.lead_department_id for c in cases}
    case_action = {c.id: c.action_id for c in cases}
    by_lead, by_action = defaultdict(list), defaultdict(list)
    for c in cases:
        by_lead[c.lead_department_id].append(c)
        by_action[c.action_id].append(c)

    units = []
    kinds = {k: g.key for g in scheme.groups for k in g.kinds}
    voice = _task_force_reports(period)
    for dept in db.session.scalars(select(Department).where(Department.kind.in_(list(kinds)))
                                   .order_by(Department.id)):
        task_force = dept.kind == "task_force"
        if task_force:
            if dept.action_id is None:
                continue
            mine = by_action.get(dept.action_id, [])
            mine_inds = [i for i in indicators if i.action_id == dept.action_id
                         or (i.case_id and case_action.get(i.case_id) == dept.action_id)]
        else:
            mine = by_lead.get(dept.id, [])
            mine_inds = [i for i in indicators if i.responsible_department_id == dept.id
                         or (i.responsible_department_id is None and i.case_id and case_lead.get(i.case_id) == dept.id)]
        if not mine and not mine_inds:
            continue
        waiting = [c for c in mine if _waiting(c)]
        unit = UnitInput(dept.id, dept.name, kinds[dept.kind])
        unit.tasks = [tasks[c.id] for c in mine]
        unit.indicators = [_indicator(i, latest.get(i.id)) for i in mine_inds]
        unit.dekads = [DekadFact(c.id, c.title, d.key, _reported(reports.get(c.id, ()), d))
                       for d in dekads for c in mine if _expected_in(c, d, history.get(c.id, ()), current)]
        unit.events = {
            "red_light": [Event(c.id, c.title, "", f"期末红灯{'，逾期' + str(c.overdue_days) + '个工作日' if c.overdue_days else ''}")
                          for c in mine if c.rag == "red" and not _waiting(c)],
            "return": [Event(cid, title, day.isoformat(), reason) for cid, title in ((c.id, c.title) for c in mine)
                       for day, reason in _events(history.get(cid, ()), "return", period)],
            "urge": [Event(cid, title, day.isoformat(), reason) for cid, title in ((c.id, c.title) for c in mine)
                     for day, reason in _events(history.get(cid, ()), "urge", period)],
            "late_report": [Event(c.id, c.title, day.isoformat(), "超过十天未报送进展")
                            for c in mine for day in stale.get(c.id, ())],
            "waiting_verification": [Event(c.id, c.title, "", f"已报送待核验超期{c.overdue_days}个工作日")
                                     for c in waiting] if task_force else [],
            "task_force_report": voice.get(dept.id, []) if task_force else [],
        }
        unit.scores = scores_of(period.key, dept.id)
        units.append(unit)
    return units


# --------------------------------------------------------------------------- tasks


def _waiting(c: CaseAt) -> bool:
    return c.state == "submitted" and c.overdue


def _task(c: CaseAt, period: Period, calendar, extended: bool, history) -> TaskFact:
    """The task's outcome against the deadline first set, or the extended one if approved."""
    deadline = c.deadline if extended else c.original_deadline
    submitted = [local_day(at) for at, kind, _frm, to, _c in history.get(c.id, ()) if kind == "transition"
                 and to == "submitted"]
    common = {"id": c.id, "title": c.title, "deadline": deadline.isoformat(), "extended": extended,
              "percent": c.percent_done}
    if c.done:
        late = c.done_on is not None and c.done_on > deadline
        return TaskFact(outcome="late_done" if late else "on_time", **common)
    if c.state == "submitted":
        last = submitted[-1] if submitted else period.end
        return TaskFact(outcome="late_submitted" if last > deadline else "submitted", **common)
    if deadline < period.end:
        try:
            days = overdue_working_days(deadline, period.end, calendar)
        except UnknownCalendarYear:
            days = (period.end - deadline).days
        return TaskFact(outcome="overdue", overdue_days=days, **common)
    return TaskFact(outcome="not_due", expected=expected_percent(c.start_date, deadline, period.end), **common)


def _indicator(ind: Indicator, actual) -> IndicatorFact:
    """The indicator's light by its kind against target and pace (workflows.targets), in words."""
    if actual is None:
        return IndicatorFact(ind.id, ind.name, None, "未报送实际值")
    assessment = assess(target_of(ind), period_of_key(actual.period), actual.value, actual.judgement)
    if actual.value is not None:
        text = f"实际{number(actual.value)}{ind.unit}（{actual.period}）"
    else:
        text = f"{JUDGEMENT_LABELS.get(actual.judgement, '')}（{actual.period}）"
    gap = gap_text(assessment, ind.unit)
    if gap:
        text += f"，{gap}"
    return IndicatorFact(ind.id, ind.name, assessment.light.value if assessment.light else None, text)


# --------------------------------------------------------------------------- history


def _history(ids, moment) -> dict[int, list[tuple]]:
    """case_id → [(at, kind, from_state, to_state, comment)] up to `moment`, in order."""
    found: dict[int, list[tuple]] = defaultdict(list)
    if not ids:
        return found
    for case_id, at, kind, frm, to, transition, comment in db.session.execute(
        select(CaseHistory.case_id, CaseHistory.at, CaseHistory.kind, CaseHistory.from_state,
               CaseHistory.to_state, CaseHistory.transition, CaseHistory.comment)
        .where(CaseHistory.case_id.in_(ids), CaseHistory.kind.in_(("transition", "urge")))
        .order_by(CaseHistory.case_id, CaseHistory.at, CaseHistory.id)
    ):
        label = "return" if kind == "transition" and transition == "return" else kind
        found[case_id].append((at, label if label != "transition" else "transition", frm, to, comment or ""))
    return found


def _events(rows, kind: str, period: Period) -> list[tuple[dt.date, str]]:
    return [(local_day(at), comment) for at, k, _f, _t, comment in rows
            if k == kind and period.contains(local_day(at))]


def _report_days(ids, moment, history) -> dict[int, set[dt.date]]:
    """Days a task was reported on: progress updates and submissions."""
    days: dict[int, set[dt.date]] = defaultdict(set)
    if not ids:
        return days
    for case_id, at in db.session.execute(select(ProgressUpdate.case_id, ProgressUpdate.created_at).where(
            ProgressUpdate.case_id.in_(ids), ProgressUpdate.created_at < moment)):
        days[case_id].add(local_day(at))
    for case_id, rows in history.items():
        for at, _kind, _frm, to, _c in rows:
            if to == "submitted":
                days[case_id].add(local_day(at))
    return days


def _stale(ids, period: Period) -> dict[int, list[dt.date]]:
    """The days the system reminded a task's unit to report (stale), once per task and day."""
    found: dict[int, set] = defaultdict(set)
    if not ids:
        return {}
    for case_id, day in db.session.execute(select(Notification.case_id, Notification.day).where(
            Notification.case_id.in_(ids), Notification.kind == "stale",
            Notification.day >= period.start, Notification.day <= period.end)):
        found[case_id].add(day)
    return {k: sorted(v) for k, v in found.items()}


# --------------------------------------------------------------------------- dekads


def _state_at(rows, moment: dt.datetime, current: str) -> str:
    for at, kind, frm, _to, _c in rows:
        if kind in ("transition", "return") and at >= moment:
            return frm
    return current


def _expected_in(c: CaseAt, dekad: Period, rows, current: dict) -> bool:
    """A task owes a report in a dekad when it has started by the dekad's end and was open
    (assigned or in progress) at some point of it: at its start, or after a return in it."""
    if c.start_date > dekad.end:
        return False
    state = _state_at(rows, moment_after(dekad.start - dt.timedelta(days=1)), current.get(c.id, c.state))
    if state in WITH_CASEWORKER:
        return True
    return any(to in WITH_CASEWORKER and dekad.contains(local_day(at)) for at, kind, _f, to, _c in rows
               if kind in ("transition", "return"))


def _reported(days, dekad: Period) -> bool:
    return any(dekad.contains(d) for d in days)
