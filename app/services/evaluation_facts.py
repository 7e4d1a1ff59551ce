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
app.rag at the period's end) come from one SELECT; the period's history (transitions, urges,
progress updates), the stale reminders, the indicators' actuals and the office's scores from
one SELECT each. The period's history is few rows: the (task, dekad) pairs that owed a report
and whether one came are worked out from it in Python (`_owed`), as are the returns and urges.
The explanations name every task, so the facts are per task (or per pair, per event), named
tuples built in one pass over the tasks, each shared by the task's lead unit and its action's
task force. tests/integration/test_evaluation_sql.py checks them against the per-case
computation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Date, and_, case, exists, func, literal, null, or_, select, true, union_all
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
_OPEN_SET = frozenset(_OPEN_WITH_CASEWORKER)


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
    # The first transition from the moment on: its from_state ('' when it has none), NULL when
    # there is none — the snapshot's state, and the dekads' state before a later transition.
    state_after = (select(func.coalesce(h.from_state, "")).where(h.case_id == Case.id, h.kind == "transition",
                                                                 h.at >= moment)
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
        state_after.label("after"), Case.state.label("current_state"),
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
    state = func.coalesce(func.nullif(active.c.after, ""), active.c.current_state)
    percent = case((state.in_(_DONE), 100), else_=func.coalesce(active.c.percent, 0))

    def missed(before):
        return exists(select(literal(1)).where(
            Milestone.case_id == active.c.id, or_(Milestone.done_at.is_(None), Milestone.done_at >= moment),
            Milestone.due_date < before))

    light = light_of(thresholds(period.end), state=state, deadline=active.c.deadline,
                     start_date=active.c.start_date, percent_done=percent, missed=missed)
    c = active.c
    rows = db.session.execute(select(
        c.id, c.title, c.action_id, c.lead_department_id, c.start_date, c.original_deadline, c.deadline,
        state, c.current_state, c.after, percent, c.verified, c.extended, c.submitted, light, c.seq)).all()
    # Plain tuples: (id, title, action, lead, start, original deadline, deadline, state, current
    # state, after, shown percent, verified, extended, submitted, light, seq). Ordered here by
    # action (no action last, as ORDER BY puts NULL), seq, id: in SQL the sort of a province's
    # wide rows spills to disk.
    kept = [row for row in rows if not (row[7] in _DONE and row[11] is not None and row[11] < since)]
    kept.sort(key=lambda row: (row[2] is None, row[2] or 0, row[15], row[0]))
    return kept


def _period_history(period: Period, plan_ids: list[int] | None, tasks) -> dict[int, tuple[list, list, list]]:
    """case_id → (its transitions in the period [(at, from_state, to_state, transition, comment)],
    its urges [(at, comment)], its progress updates' times), each in order (at, id): one
    statement for the returns and urges of the period and for the dekads' reports. Joined to
    the cases rather than probing each case's history: the period's rows are few, the cases many."""
    since, until = moment_after(period.start - dt.timedelta(days=1)), moment_after(period.end)
    h = CaseHistory
    p = ProgressUpdate
    history = (select(h.case_id.label("case_id"), h.at.label("at"), h.id.label("id"), h.kind.label("kind"),
                      h.transition.label("transition"), h.from_state.label("from_state"),
                      h.to_state.label("to_state"), h.comment.label("comment"))
               .join(Case, Case.id == h.case_id)
               .where(h.at >= since, h.at < until, h.kind.in_(("transition", "urge")), Case.start_date <= period.end))
    progress = (select(p.case_id, p.created_at, p.id, literal("progress"), null(), null(), null(), null())
                .join(Case, Case.id == p.case_id)
                .where(p.created_at >= since, p.created_at < until, Case.start_date <= period.end))
    if plan_ids is not None:
        history, progress = history.where(Case.plan_id.in_(plan_ids)), progress.where(Case.plan_id.in_(plan_ids))
    both = union_all(history, progress).subquery("period_history")
    found: dict[int, tuple[list, list, list]] = {}
    for case_id, at, _id, kind, transition, from_state, to_state, comment in db.session.execute(
            select(both).order_by(both.c.case_id, both.c.at, both.c.id)):
        if case_id not in tasks:
            continue
        mine = found.get(case_id)
        if mine is None:
            mine = found[case_id] = ([], [], [])
        if kind == "transition":
            mine[0].append((at, from_state, to_state, transition, comment))
        elif kind == "urge":
            mine[1].append((at, comment))
        else:
            mine[2].append(at)
    return found


_NO_HISTORY = ((), (), ())
_UNSET = object()


def _owed(dekads: list[tuple], start: dt.date, before, history) -> list[tuple[int, bool]]:
    """The dekads (index, reported) in which a task owed a report: it had started by the
    dekad's end and was with its caseworker at the dekad's start (the state before its first
    transition from then on, `before` when none came in the period) or after a transition in
    it; reported by a progress update or a submission in the dekad."""
    transitions, _urges, progress = history
    found = []
    for index, (since, until, last) in enumerate(dekads):
        if start > last:
            continue
        state = _UNSET
        reopened = reported = False
        for at, from_state, to_state, _transition, _comment in transitions:
            if at >= since:
                if state is _UNSET:
                    state = from_state
                if at < until:
                    if to_state in _OPEN_SET:
                        reopened = True
                    if to_state == "submitted":
                        reported = True
        if state is _UNSET:
            state = before
        if state in _OPEN_SET or reopened:
            if not reported:
                reported = any(since <= at < until for at in progress)
            found.append((index, reported))
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


class _Facts:
    """A unit's facts as the tasks are read: its tasks, its dekads' facts (a list per dekad),
    its events."""

    __slots__ = ("dekads", "late", "red", "returns", "tasks", "urges", "waiting")

    def __init__(self, dekads: int):
        self.tasks, self.red, self.waiting, self.returns, self.urges, self.late = [], [], [], [], [], []
        self.dekads = [[] for _ in range(dekads)]


def gather(scheme: Scheme, period: Period, plan_id: int | None) -> list[UnitInput]:
    """One UnitInput per unit of the scheme's groups that has a task or an indicator
    (of the plan's family; of every plan when `plan_id` is None)."""
    plan_ids = family_ids(plan_id) if plan_id is not None else None
    rows = _tasks(_scope(period, plan_ids), period)
    titles = {row[0]: row[1] for row in rows}
    scope = _cases(period, plan_ids)
    calendar = current_calendar()
    dekads = _dekads(period)
    windows = [(moment_after(d.start - dt.timedelta(days=1)), moment_after(d.end), d.end) for d in dekads]
    keys = [d.key for d in dekads]
    unreported: dict[tuple, list] = {}
    happened = _period_history(period, plan_ids, titles)
    stale = _stale_days(scope, period, titles)
    indicators = db.session.execute(select(
        Indicator.id, Indicator.name, Indicator.unit, Indicator.responsible_department_id, Indicator.case_id,
        Indicator.action_id, Indicator.kind, Indicator.value, Indicator.year, Indicator.baseline,
        Indicator.schedule)
        .where(Indicator.plan_id.in_(plan_ids) if plan_ids is not None else true()).order_by(Indicator.id)).all()
    latest = _latest_actuals(plan_ids, period)
    scores = _all_scores(period.key)

    day_ends: dict[dt.date, dt.datetime] = {}
    overdue: dict[dt.date, int] = {}
    expected: dict[tuple, int] = {}
    isoformat: dict[dt.date, str] = {}

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

    # Each fact once, shared by the task's lead unit and its action's task force; each unit's
    # lists filled in the tasks' order (action, seq, id), the dekads' facts dekad by dekad.
    end = period.end
    by_lead: dict = {}
    by_action: dict = {}
    case_lead, case_action = {}, {}
    for row in rows:
        (case_id, title, action_id, lead_id, start_date, original_deadline, snapshot_deadline, state,
         current_state, after, shown_percent, verified, extended, submitted, light, _seq) = row
        done = state in _DONE
        deadline = snapshot_deadline if extended else original_deadline
        day = isoformat.get(deadline)
        if day is None:
            day = isoformat[deadline] = deadline.isoformat()
        extended = bool(extended)
        if done:
            late = verified is not None and verified >= end_of(deadline)
            task = TaskFact(case_id, title, "late_done" if late else "on_time", day, extended, 0, int(shown_percent))
        elif state == "submitted":
            late = submitted >= end_of(deadline) if submitted is not None else end > deadline
            task = TaskFact(case_id, title, "late_submitted" if late else "submitted", day, extended, 0,
                            int(shown_percent))
        elif deadline < end:
            task = TaskFact(case_id, title, "overdue", day, extended, overdue_days(deadline), int(shown_percent))
        else:
            key = (start_date, deadline)
            pace = expected.get(key)
            if pace is None:
                pace = expected[key] = expected_percent(start_date, deadline, end)
            task = TaskFact(case_id, title, "not_due", day, extended, 0, int(shown_percent), pace)
        red = waiting = None
        if light == "red":
            snapshot_overdue = overdue_days(snapshot_deadline) if not done and end > snapshot_deadline else 0
            if state == "submitted":
                waiting = Event(case_id, title, "", f"已报送待核验超期{snapshot_overdue}个工作日")
            else:
                red = Event(case_id, title, "", "期末红灯" + (
                    f"，逾期{snapshot_overdue}个工作日" if snapshot_overdue else ""))
        before = current_state if after is None else (after or None)
        history = happened.get(case_id)
        if history is None:
            # Nothing happened in the period: the state at each dekad's start is `before`, no
            # report came; the dekads it owes depend on its start and that state alone.
            key = (start_date, before in _OPEN_SET)
            owed = unreported.get(key)
            if owed is None:
                owed = unreported[key] = _owed(windows, start_date, before, _NO_HISTORY)
            returns = urges = ()
        else:
            owed = _owed(windows, start_date, before, history)
            returns = [Event(case_id, title, local_day(at).isoformat(), comment or "")
                       for at, _f, _t, transition, comment in history[0] if transition == "return"]
            urges = [Event(case_id, title, local_day(at).isoformat(), comment or "") for at, comment in history[1]]
        dekad_facts = [(index, DekadFact(case_id, title, keys[index], reported)) for index, reported in owed]
        reminded = stale.get(case_id)
        late_reports = [Event(case_id, title, day.isoformat(), "超过十天未报送进展")
                        for day in reminded] if reminded else ()
        for into, key in ((by_lead, lead_id), (by_action, action_id)):
            mine = into.get(key)
            if mine is None:
                mine = into[key] = _Facts(len(dekads))
            mine.tasks.append(task)
            for index, fact in dekad_facts:
                mine.dekads[index].append(fact)
            if red is not None:
                mine.red.append(red)
            if waiting is not None:
                mine.waiting.append(waiting)
            if returns:
                mine.returns += returns
            if urges:
                mine.urges += urges
            if late_reports:
                mine.late += late_reports
        case_lead[case_id], case_action[case_id] = lead_id, action_id

    inds_of_department, inds_of_action = defaultdict(list), defaultdict(list)
    gaps: dict = {}
    worded: dict = {}
    for ind in indicators:
        fact = None
        owner = ind.responsible_department_id
        if owner is None and ind.case_id:
            owner = case_lead.get(ind.case_id)
        actions = {a for a in (ind.action_id, case_action.get(ind.case_id) if ind.case_id else None) if a is not None}
        if owner is not None or actions:
            fact = _indicator(ind, latest.get(ind.id), gaps, worded)
        if owner is not None:
            inds_of_department[owner].append(fact)
        for action_id in actions:
            inds_of_action[action_id].append(fact)

    units = []
    kinds = {k: g.key for g in scheme.groups for k in g.kinds}
    voice = _task_force_reports(period)
    nothing = _Facts(len(dekads))
    for dept_id, dept_name, dept_kind, dept_action in db.session.execute(
            select(Department.id, Department.name, Department.kind, Department.action_id)
            .where(Department.kind.in_(list(kinds))).order_by(Department.id)):
        task_force = dept_kind == "task_force"
        if task_force:
            if dept_action is None:
                continue
            mine = by_action.get(dept_action, nothing)
            mine_inds = inds_of_action.get(dept_action, [])
        else:
            mine = by_lead.get(dept_id, nothing)
            mine_inds = inds_of_department.get(dept_id, [])
        if not mine.tasks and not mine_inds:
            continue
        unit = UnitInput(dept_id, dept_name, kinds[dept_kind])
        unit.tasks = list(mine.tasks)
        unit.indicators = list(mine_inds)
        unit.dekads = [f for facts in mine.dekads for f in facts]
        unit.events = {
            "red_light": list(mine.red),
            "return": list(mine.returns),
            "urge": list(mine.urges),
            "late_report": list(mine.late),
            "waiting_verification": list(mine.waiting) if task_force else [],
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


def _indicator(ind: Indicator, actual, gaps: dict | None = None, worded: dict | None = None) -> IndicatorFact:
    """The indicator's light by its kind against target and pace (workflows.targets), in words
    (`gaps`: the gaps worded so far, by assessment and unit: the wording is translated text)."""
    if actual is None:
        return IndicatorFact(ind.id, ind.name, None, "未报送实际值")
    if worded is not None:
        # The light and the words depend on the target and the actual alone: indicators alike
        # (a province's districts share their targets) are worded once.
        key = (ind.kind, str(ind.value), ind.unit, ind.year, str(ind.baseline),
               tuple(str(v) for v in ind.schedule) if ind.schedule else None,
               actual.period, str(actual.value), actual.judgement)
        known = worded.get(key)
        if known is None:
            fact = _indicator(ind, actual, gaps)
            known = worded[key] = (fact.light, fact.text)
        return IndicatorFact(ind.id, ind.name, *known)
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
