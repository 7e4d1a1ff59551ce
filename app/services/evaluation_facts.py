"""What the data says about each unit in a period, for 三看三评三比 (workflows.evaluation_scoring).

Read-only: the cases as they stood at the period's end (app.reports.snapshot), their history
(progress, submissions, returns, urges), the system's stale-report reminders, the approved
extensions, the indicators' lights (app.reports.figures) and the office's scores.

Whose facts: a district department or township has the cases it leads and the indicators it
is responsible for (a case's indicator without one: the case's lead unit); a task force has
its action's cases and indicators, and the submissions waiting for its verification past
their deadline (已报送待核验超期 counts against the verifier, not the department).

Set-based (issue 14): a constant number of statements whatever the number of cases. Each
task's snapshot at the period's end — state, deadline, percentage, last verification, an
approved extension, its last submission — and its light (app.rag_sql.light_of, the rules of
app.rag at the period's end) come from one SELECT; the (task, dekad) pairs that owed a report
and whether one came, the returns and urges of the period, the stale reminders, the
indicators' actuals and the office's scores from one SELECT each. The explanations name every
task, so the rows are per task (or per event); Python only groups them by unit and words them.
tests/integration/test_evaluation_sql.py checks them against the per-case computation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Date, and_, case, exists, func, literal, or_, select, true, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from app.clock import local_today
from app.extensions import db
from app.models import (
    Case,
    CaseHistory,
    Department,
    EvaluationScore,
    ExtensionRequest,
    Indicator,
    IndicatorActual,
    Milestone,
    Notification,
    ProgressUpdate,
    TaskForceReport,
)
from app.plan_family import family_ids
from app.rag_sql import light_of, thresholds
from app.reports.snapshot import local_day, moment_after
from app.reports.targets import JUDGEMENT_LABELS, gap_text, number, target_of
from app.working_days import current_calendar
from workflows.calendar import UnknownCalendarYear
from workflows.documents import expected_percent
from workflows.evaluation import Scheme
from workflows.evaluation_scoring import (
    DekadFact,
    Event,
    IndicatorFact,
    OfficeScore,
    TaskFact,
    UnitInput,
)
from workflows.periods import Period, PeriodKind
from workflows.rag import DONE_STATES, overdue_working_days
from workflows.reminders import WITH_CASEWORKER
from workflows.targets import Frequency, StatPeriod, assess, period_of_key
from workflows.task_force_reports import due_date, report_kind, timeliness

_DONE = tuple(str(s) for s in DONE_STATES)
_OPEN_WITH_CASEWORKER = tuple(str(s) for s in WITH_CASEWORKER)


class as_date(FunctionElement):
    """A 'YYYY-MM-DD…' text as a date (PostgreSQL); SQLite keeps dates as that text."""

    type = Date()
    inherit_cache = True


@compiles(as_date, "postgresql")
def _as_date_pg(element, compiler, **kw):
    (text,) = list(element.clauses)
    return f"CAST(substr({compiler.process(text, **kw)}, 1, 10) AS DATE)"


@compiles(as_date)
def _as_date_sqlite(element, compiler, **kw):
    (text,) = list(element.clauses)
    return f"substr({compiler.process(text, **kw)}, 1, 10)"


def _scope(period: Period, plan_ids: list[int] | None):
    """The period's tasks as they stood at its end (app.reports.snapshot's rules, in SQL):
    started by its end, not done before its start; of the plans' family, or of all plans."""
    moment = moment_after(period.end)
    h = aliased(CaseHistory)
    state_after = (select(h.from_state).where(h.case_id == Case.id, h.kind == "transition", h.at >= moment)
                   .order_by(h.at, h.id).limit(1).scalar_subquery())
    old = func.coalesce(func.nullif(h.data["old"].as_string(), ""), func.nullif(h.data["old_deadline"].as_string(), ""))
    deadline_after = (select(as_date(old)).where(
        h.case_id == Case.id, h.at >= moment, old.is_not(None),
        or_(h.kind == "deadline_change",
            and_(h.kind == "extension_decision", h.data["approved"].as_boolean().is_(True))))
        .order_by(h.at, h.id).limit(1).scalar_subquery())
    p = aliased(ProgressUpdate)
    percent_before = (select(p.percent_done).where(p.case_id == Case.id, p.created_at < moment)
                      .order_by(p.created_at.desc(), p.id.desc()).limit(1).scalar_subquery())
    any_progress = exists(select(literal(1)).where(p.case_id == Case.id))
    # The last verification by the moment and the last submission (ever), for every case in
    # one GROUP BY over the history rather than a lookup per case.
    marks = (select(h.case_id.label("case_id"),
                    func.max(h.at).filter(h.to_state == "verified", h.at < moment).label("verified"),
                    func.max(h.at).filter(h.to_state == "submitted",
                                          or_(h.transition.is_(None), h.transition != "return")).label("submitted"))
             .where(h.kind == "transition", h.to_state.in_(("verified", "submitted")))
             .group_by(h.case_id).subquery("marks"))
    extended = exists(select(literal(1)).where(
        ExtensionRequest.case_id == Case.id, ExtensionRequest.status == "approved",
        ExtensionRequest.decided_at < moment))
    query = select(
        Case.id.label("id"), Case.seq.label("seq"), Case.title.label("title"), Case.action_id.label("action_id"),
        Case.lead_department_id.label("lead_department_id"), Case.start_date.label("start_date"),
        Case.original_deadline.label("original_deadline"),
        func.coalesce(deadline_after, Case.deadline).label("deadline"),
        func.coalesce(state_after, Case.state).label("state"), Case.state.label("current_state"),
        func.coalesce(percent_before, case((any_progress, 0), else_=Case.percent_done)).label("percent"),
        func.coalesce(marks.c.verified, Case.verified_at).label("verified"),
        extended.label("extended"), marks.c.submitted.label("submitted"),
    ).outerjoin(marks, marks.c.case_id == Case.id).where(Case.start_date <= period.end)
    if plan_ids is not None:
        query = query.where(Case.plan_id.in_(plan_ids))
    # Materialized: the light reads state, deadline and percentage many times; inlined, each
    # read would run their subqueries again.
    return query.cte("snap").prefix_with("MATERIALIZED")


def _cases(period: Period, plan_ids: list[int] | None):
    """The cases `_scope` reads, without their snapshot: what the other statements join (the
    tasks done before the period, which the snapshot leaves out, are dropped from their rows)."""
    query = select(Case.id.label("id"), Case.start_date.label("start_date"), Case.state.label("current_state")) \
        .where(Case.start_date <= period.end)
    if plan_ids is not None:
        query = query.where(Case.plan_id.in_(plan_ids))
    return query.cte("scope")


def _tasks(active, period: Period):
    """One row per task, with its light at the period's end (app.rag_sql.light_of), but those
    done before the period began."""
    moment = moment_after(period.end)
    since = moment_after(period.start - dt.timedelta(days=1))
    percent = case((active.c.state.in_(_DONE), 100), else_=func.coalesce(active.c.percent, 0))

    def missed(before):
        return exists(select(literal(1)).where(
            Milestone.case_id == active.c.id, or_(Milestone.done_at.is_(None), Milestone.done_at >= moment),
            Milestone.due_date < before))

    light = light_of(thresholds(period.end), state=active.c.state, deadline=active.c.deadline,
                     start_date=active.c.start_date, percent_done=percent, missed=missed)
    rows = db.session.execute(select(active, percent.label("shown_percent"), light.label("light"))
                              .order_by(active.c.action_id, active.c.seq, active.c.id))
    return [row for row in rows if not (row.state in _DONE and row.verified is not None and row.verified < since)]


def _dekad_rows(active, dekads: list[Period], tasks) -> dict[str, dict[int, bool]]:
    """dekad → task → reported, for the pairs that owed a report: the task had started by the
    dekad's end and was with its caseworker at the dekad's start or after a transition in it;
    reported by a progress update or a submission in the dekad."""
    if not dekads:
        return {}
    table = union_all(*(select(literal(d.key).label("key"),
                               literal(moment_after(d.start - dt.timedelta(days=1))).label("since"),
                               literal(moment_after(d.end)).label("until"), literal(d.end).label("last"))
                        for d in dekads)).cte("dekads")
    h = aliased(CaseHistory)
    later = select(h.from_state).where(h.case_id == active.c.id, h.kind == "transition", h.at >= table.c.since)
    state_then = case((exists(later), later.order_by(h.at, h.id).limit(1).scalar_subquery()),
                      else_=active.c.current_state)
    reopened = exists(select(literal(1)).where(
        h.case_id == active.c.id, h.kind == "transition", h.to_state.in_(_OPEN_WITH_CASEWORKER),
        h.at >= table.c.since, h.at < table.c.until))
    progress = exists(select(literal(1)).where(
        ProgressUpdate.case_id == active.c.id, ProgressUpdate.created_at >= table.c.since,
        ProgressUpdate.created_at < table.c.until))
    submitted = exists(select(literal(1)).where(
        h.case_id == active.c.id, h.kind == "transition", h.to_state == "submitted",
        h.at >= table.c.since, h.at < table.c.until))
    rows = db.session.execute(
        select(active.c.id, table.c.key, or_(progress, submitted))
        .select_from(active.join(table, active.c.start_date <= table.c.last))
        .where(or_(state_then.in_(_OPEN_WITH_CASEWORKER), reopened)))
    found: dict[str, dict[int, bool]] = defaultdict(dict)
    for case_id, key, reported in rows:
        if case_id in tasks:
            found[key][case_id] = bool(reported)
    return found


def _period_events(active, period: Period, tasks) -> dict[int, dict[str, list[tuple[dt.date, str]]]]:
    """case_id → kind ('return', 'urge') → [(local day, comment)] in the period, in order."""
    found: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    rows = db.session.execute(
        select(CaseHistory.case_id, CaseHistory.at, CaseHistory.kind, CaseHistory.comment)
        .where(CaseHistory.case_id.in_(select(active.c.id)),
               CaseHistory.at >= moment_after(period.start - dt.timedelta(days=1)),
               CaseHistory.at < moment_after(period.end),
               or_(CaseHistory.kind == "urge",
                   and_(CaseHistory.kind == "transition", CaseHistory.transition == "return")))
        .order_by(CaseHistory.case_id, CaseHistory.at, CaseHistory.id))
    for case_id, at, kind, comment in rows:
        if case_id in tasks:
            found[case_id]["urge" if kind == "urge" else "return"].append((local_day(at), comment or ""))
    return found


def _stale_days(active, period: Period, tasks) -> dict[int, list[dt.date]]:
    """The days the system reminded a task's unit to report (stale), once per task and day."""
    found: dict[int, list] = defaultdict(list)
    for case_id, day in db.session.execute(
            select(Notification.case_id, Notification.day).distinct()
            .where(Notification.case_id.in_(select(active.c.id)), Notification.kind == "stale",
                   Notification.day >= period.start, Notification.day <= period.end)
            .order_by(Notification.case_id, Notification.day)):
        if case_id in tasks:
            found[case_id].append(day)
    return found


class _Actual:
    __slots__ = ("judgement", "period", "value")

    def __init__(self, period, value, judgement):
        self.period, self.value, self.judgement = period, value, judgement


def _latest_actuals(plan_ids, period: Period) -> dict[int, _Actual]:
    """Each indicator's latest actual up to the period's end, as recorded by then (the rule
    of app.reports.targets.latest_actuals: latest period, then latest recorded)."""
    up_to = StatPeriod(period.end.year, period.end.month, Frequency.MONTHLY)
    query = (select(IndicatorActual.indicator_id, IndicatorActual.period, IndicatorActual.value,
                    IndicatorActual.judgement, IndicatorActual.recorded_at, IndicatorActual.id)
             .join(Indicator, Indicator.id == IndicatorActual.indicator_id)
             .where(IndicatorActual.recorded_at < moment_after(period.end)))
    if plan_ids is not None:
        query = query.where(Indicator.plan_id.in_(plan_ids))
    periods: dict[str, StatPeriod] = {}
    latest: dict[int, tuple] = {}
    for indicator_id, key, value, judgement, recorded_at, row_id in db.session.execute(query):
        stat = periods.get(key)
        if stat is None:
            stat = periods[key] = period_of_key(key)
        if (stat.year, stat.end_month) > (up_to.year, up_to.end_month):
            continue
        rank = (stat.year, stat.end_month, recorded_at, row_id)
        if indicator_id not in latest or rank > latest[indicator_id][0]:
            latest[indicator_id] = (rank, _Actual(key, value, judgement))
    return {indicator_id: actual for indicator_id, (_rank, actual) in latest.items()}


def _all_scores(period_key: str) -> dict[int, dict[str, list[OfficeScore]]]:
    """department → criterion → the office's scores, in the order they were given."""
    found: dict[int, dict[str, list[OfficeScore]]] = defaultdict(lambda: defaultdict(list))
    for department_id, criterion, score, comment, first, last, username, user_id in db.session.execute(
            select(EvaluationScore.department_id, EvaluationScore.criterion, EvaluationScore.score,
                   EvaluationScore.comment, User.first_name, User.last_name, User.username, User.id)
            .outerjoin(User, User.id == EvaluationScore.scorer_id)
            .where(EvaluationScore.period_key == period_key)
            .order_by(EvaluationScore.department_id, EvaluationScore.scored_at, EvaluationScore.id)):
        name = "督查室" if user_id is None else (f"{first or ''}{last or ''}".strip() or username)
        found[department_id][criterion].append(OfficeScore(name, score, comment or ""))
    return found


def gather(scheme: Scheme, period: Period, plan_id: int | None) -> list[UnitInput]:
    """One UnitInput per unit of the scheme's groups that has a task or an indicator
    (of the plan's family; of every plan when `plan_id` is None)."""
    plan_ids = family_ids(plan_id) if plan_id is not None else None
    rows = _tasks(_scope(period, plan_ids), period)
    titles = {row.id: row.title for row in rows}
    scope = _cases(period, plan_ids)
    calendar = current_calendar()
    dekads = _dekads(period)
    expected = _dekad_rows(scope, dekads, titles)
    happened = _period_events(scope, period, titles)
    stale = _stale_days(scope, period, titles)
    indicators = list(db.session.scalars(select(Indicator).where(
        Indicator.plan_id.in_(plan_ids) if plan_ids is not None else true()).order_by(Indicator.id)))
    latest = _latest_actuals(plan_ids, period)
    scores = _all_scores(period.key)

    day_ends: dict[dt.date, dt.datetime] = {}
    overdue: dict[dt.date, int] = {}

    def end_of(day: dt.date) -> dt.datetime:
        if day not in day_ends:
            day_ends[day] = moment_after(day)
        return day_ends[day]

    def overdue_days(deadline: dt.date) -> int:
        if deadline not in overdue:
            try:
                overdue[deadline] = overdue_working_days(deadline, period.end, calendar)
            except UnknownCalendarYear:
                overdue[deadline] = (period.end - deadline).days
        return overdue[deadline]

    tasks: dict[int, TaskFact] = {}
    red, waiting = {}, {}
    by_lead, by_action = defaultdict(list), defaultdict(list)
    case_lead, case_action = {}, {}
    for row in rows:
        done = row.state in _DONE
        snapshot_overdue = overdue_days(row.deadline) if not done and period.end > row.deadline else 0
        deadline = row.deadline if row.extended else row.original_deadline
        common = {"id": row.id, "title": row.title, "deadline": deadline.isoformat(), "extended": bool(row.extended),
                  "percent": int(row.shown_percent)}
        if done:
            late = row.verified is not None and row.verified >= end_of(deadline)
            task = TaskFact(outcome="late_done" if late else "on_time", **common)
        elif row.state == "submitted":
            late = row.submitted >= end_of(deadline) if row.submitted is not None else period.end > deadline
            task = TaskFact(outcome="late_submitted" if late else "submitted", **common)
        elif deadline < period.end:
            task = TaskFact(outcome="overdue", overdue_days=overdue_days(deadline), **common)
        else:
            task = TaskFact(outcome="not_due", expected=expected_percent(row.start_date, deadline, period.end),
                            **common)
        tasks[row.id] = task
        if row.light == "red":
            if row.state == "submitted":
                waiting[row.id] = Event(row.id, row.title, "", f"已报送待核验超期{snapshot_overdue}个工作日")
            else:
                red[row.id] = Event(row.id, row.title, "", "期末红灯" + (
                    f"，逾期{snapshot_overdue}个工作日" if snapshot_overdue else ""))
        by_lead[row.lead_department_id].append(row)
        by_action[row.action_id].append(row)
        case_lead[row.id], case_action[row.id] = row.lead_department_id, row.action_id

    # Each fact once, shared by the task's lead unit and its action's task force.
    pairs = {key: {case_id: DekadFact(case_id, titles[case_id], key, reported) for case_id, reported in owed.items()}
             for key, owed in expected.items()}
    returns, urges, late_reports = {}, {}, {}
    for case_id, kinds_of in happened.items():
        for kind, into in (("return", returns), ("urge", urges)):
            if kinds_of.get(kind):
                into[case_id] = [Event(case_id, titles[case_id], day.isoformat(), reason)
                                 for day, reason in kinds_of[kind]]
    for case_id, days in stale.items():
        late_reports[case_id] = [Event(case_id, titles[case_id], day.isoformat(), "超过十天未报送进展") for day in days]

    inds_of_department, inds_of_action = defaultdict(list), defaultdict(list)
    gaps: dict = {}
    for ind in indicators:
        fact = None
        owner = ind.responsible_department_id
        if owner is None and ind.case_id:
            owner = case_lead.get(ind.case_id)
        actions = {a for a in (ind.action_id, case_action.get(ind.case_id) if ind.case_id else None) if a is not None}
        if owner is not None or actions:
            fact = _indicator(ind, latest.get(ind.id), gaps)
        if owner is not None:
            inds_of_department[owner].append(fact)
        for action_id in actions:
            inds_of_action[action_id].append(fact)

    units = []
    kinds = {k: g.key for g in scheme.groups for k in g.kinds}
    voice = _task_force_reports(period)
    for dept_id, dept_name, dept_kind, dept_action in db.session.execute(
            select(Department.id, Department.name, Department.kind, Department.action_id)
            .where(Department.kind.in_(list(kinds))).order_by(Department.id)):
        task_force = dept_kind == "task_force"
        if task_force:
            if dept_action is None:
                continue
            mine = by_action.get(dept_action, [])
            mine_inds = inds_of_action.get(dept_action, [])
        else:
            mine = by_lead.get(dept_id, [])
            mine_inds = inds_of_department.get(dept_id, [])
        if not mine and not mine_inds:
            continue
        unit = UnitInput(dept_id, dept_name, kinds[dept_kind])
        unit.tasks = [tasks[c.id] for c in mine]
        unit.indicators = list(mine_inds)
        unit.dekads = [f for d in dekads for owed in (pairs.get(d.key, {}),) for c in mine if (f := owed.get(c.id))]
        unit.events = {
            "red_light": [red[c.id] for c in mine if c.id in red],
            "return": [e for c in mine for e in returns.get(c.id, ())],
            "urge": [e for c in mine for e in urges.get(c.id, ())],
            "late_report": [e for c in mine for e in late_reports.get(c.id, ())],
            "waiting_verification": [waiting[c.id] for c in mine if c.id in waiting] if task_force else [],
            "task_force_report": voice.get(dept_id, []) if task_force else [],
        }
        unit.scores = {k: list(v) for k, v in scores.get(dept_id, {}).items()}
        units.append(unit)
    return units


def scores_of(period_key: str, department_id: int) -> dict[str, list[OfficeScore]]:
    found: dict[str, list[OfficeScore]] = defaultdict(list)
    for row in db.session.scalars(select(EvaluationScore).where(
            EvaluationScore.period_key == period_key, EvaluationScore.department_id == department_id)
            .order_by(EvaluationScore.scored_at, EvaluationScore.id)):
        found[row.criterion].append(OfficeScore(scorer_name(row.scorer), row.score, row.comment or ""))
    return dict(found)


def scorer_name(user) -> str:
    if user is None:
        return "督查室"
    return f"{user.first_name or ''}{user.last_name or ''}".strip() or user.username


def _indicator(ind: Indicator, actual, gaps: dict | None = None) -> IndicatorFact:
    """The indicator's light by its kind against target and pace (workflows.targets), in words
    (`gaps`: the gaps worded so far, by assessment and unit: the wording is translated text)."""
    if actual is None:
        return IndicatorFact(ind.id, ind.name, None, "未报送实际值")
    assessment = assess(target_of(ind), period_of_key(actual.period), actual.value, actual.judgement)
    if actual.value is not None:
        text = f"实际{number(actual.value)}{ind.unit}（{actual.period}）"
    else:
        text = f"{JUDGEMENT_LABELS.get(actual.judgement, '')}（{actual.period}）"
    if gaps is None:
        gap = gap_text(assessment, ind.unit)
    else:
        key = (assessment, ind.unit)
        gap = gaps.get(key)
        if gap is None:
            gap = gaps[key] = gap_text(assessment, ind.unit)
    if gap:
        text += f"，{gap}"
    return IndicatorFact(ind.id, ind.name, assessment.light.value if assessment.light else None, text)


# --------------------------------------------------------------------------- dekads


def _task_force_reports(period: Period) -> dict[int, list[Event]]:
    """Task force id → its 专班报送 due in the period (each dekad and month ended by today)
    that came after the due date or not at all."""
    today = local_today()
    due = list(_dekads(period))
    day = period.start
    while day <= period.end:
        month = Period.containing(PeriodKind.MONTH, day)
        if month.end < today and month.end <= period.end:
            due.append(month)
        day = month.end + dt.timedelta(days=1)
    found: dict[int, list[Event]] = defaultdict(list)
    if not due:
        return found
    rows = {(r.kind, r.period_key, r.department_id): r for r in db.session.scalars(
        select(TaskForceReport).where(TaskForceReport.period_key.in_([p.key for p in due])))}
    forces = db.session.scalars(select(Department.id).where(Department.kind == "task_force",
                                                            Department.action_id.is_not(None)))
    for force in forces:
        for p in due:
            row = rows.get((report_kind(p), p.key, force))
            when = timeliness(p, local_day(row.submitted_at) if row else None, today)
            if when.late:
                what = "旬简报" if report_kind(p) == "dekad" else "月通报"
                found[force].append(Event(0, f"{p.label_zh}{what}专班报送", due_date(p).isoformat(),
                                          "逾期报送" if when.status == "late" else "未报送"))
    return found


def _dekads(period: Period) -> list[Period]:
    """The period's dekads that have ended (by today)."""
    today = local_today()
    day, found = period.start, []
    while day <= period.end:
        dekad = Period.containing(PeriodKind.DEKAD, day)
        if dekad.end < today:
            found.append(dekad)
        day = dekad.end + dt.timedelta(days=1)
    return found
