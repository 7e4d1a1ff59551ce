"""The living demo: the loaded plan shown as an office in the middle of its year.

`flask demo` (and so `scripts/run`) builds it once on top of the demo users: the plan's
cases are moved into the current year (the shipped plan file is not touched: only its copy
in the database), every lead-less case is given to a demo unit, every leading department
and task force gets a demo user, and each case is taken through its story by the real
services — accept, progress with percentages, indicator actuals and evidence, submit,
verify, return, close, urge, extension requests — so the history, the outbox and the
notifications are the ones real use leaves. Each step is then dated back to the day it
"happened", so reports on past periods and the dashboard read like the middle of a year.

The demonstration is marked in the Setting table (`demo.living`): every page shows a
"演示数据" banner, the plan loader leaves the shifted plan alone, and running the demo again
changes nothing.

Deadlines are placed relative to today: finished cases anywhere in the year, open cases
mostly ahead of today with enough progress for their pace (green), some due within the
next working days or behind pace (yellow), a few already past (red).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case as sql_case
from sqlalchemy import delete, event, func, select, update
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import (
    Case,
    CaseHistory,
    Department,
    EvidenceFile,
    ExtensionRequest,
    Goal,
    Indicator,
    IndicatorActual,
    Notification,
    NotificationDelivery,
    OutboxEvent,
    Plan,
    ProgressUpdate,
    Report,
    utcnow,
)
from app.security import CASEWORKER, TASK_FORCE_LEAD, actor_for
from app.services.calendar import current_calendar, local_today, office_zone
from app.services.demo import DemoError
from app.services.living_demo_users import DEMO_UNIT as DEMO_UNIT
from app.services.living_demo_users import (
    _add_user,
    _demo_unit,
    _first_user,
    _members,
    _next_name,
    _office_user,
    ensure_unit_users,
)
from app.services.plans import latest_plan
from app.services.settings import get_setting, set_setting

LIVING_KEY = "demo.living"
SEED = 20240101  # the same story every time for the same plan and day

# Share of all cases per story (the rest are green and in progress).
STORY_SHARES = (
    ("closed", 0.22),
    ("verified", 0.10),
    ("submitted", 0.10),
    ("returned", 0.03),
    ("red", 0.08),
    ("yellow_soon", 0.06),
    ("yellow_pace", 0.04),
    ("assigned", 0.05),
)

NOTES = (
    (0, "召开专题推进会，明确责任分工、工作台账和时间节点。"),
    (25, "完成前期调研和方案制定，已报区政府审定。"),
    (45, "协调解决要素保障问题，各项工作按计划推进。"),
    (60, "组织现场调度，督促整改发现的问题，完成阶段性目标。"),
    (80, "主体工作基本完成，正在查漏补缺并整理佐证材料。"),
    (100, "全部任务已完成，工作总结和佐证材料已上传。"),
)
RETURN_REASON = "佐证材料不全：请补充完成情况的数据来源和现场照片。"
URGE_TEXT = "该事项已超过完成时限，请于本周内报送进展和下步措施。"
EXTENSION_REASON = "受项目审批进度影响，需顺延完成时限。"


def living_demo_info() -> dict | None:
    """The living demo's record (plan, year, day built), or None when there is none."""
    info = get_setting(LIVING_KEY, None)
    return info if isinstance(info, dict) else None


def is_demo() -> bool:
    """Whether this database holds demonstration data (pages show a banner)."""
    return living_demo_info() is not None


@dataclass
class LivingResult:
    """What building the living demo did."""

    built: bool  # False: it was already there, nothing changed
    year: int
    states: dict[str, int] = field(default_factory=dict)
    caseworkers: list[str] = field(default_factory=list)  # usernames added for departments
    leads: list[str] = field(default_factory=list)  # usernames added for task forces


# --- the clock: each step dated back to its day ---------------------------------------------

_STAMPED = (
    (CaseHistory, "at"),
    (ProgressUpdate, "created_at"),
    (IndicatorActual, "recorded_at"),
    (EvidenceFile, "uploaded_at"),
    (ExtensionRequest, "requested_at"),
    (OutboxEvent, "created_at"),
)
_CASE_TIMES = ("last_progress_at", "assigned_at", "submitted_at", "verified_at", "closed_at",
               "state_changed_at")


def _utc(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """Naive UTC of a local office time on `day`."""
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=office_zone())
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _at(moment: dt.datetime, case_id: int, service, *args, **kwargs):
    """Run a service as of `moment`: what it wrote (stamped now) is dated back to `moment`."""
    wall = utcnow() - dt.timedelta(seconds=1)
    result = service(*args, **kwargs)
    for model, column in _STAMPED:
        col = getattr(model, column)
        db.session.execute(update(model).where(col >= wall).values({column: moment}))
    db.session.execute(update(Case).where(Case.id == case_id).values({
        column: sql_case(
            (getattr(Case, column) >= wall, moment), else_=getattr(Case, column)
        ) for column in _CASE_TIMES
    }))
    db.session.commit()
    return result


def _relay_as_of_then(before_notes: int) -> None:
    """Relay the demo's events into notifications, dated on the day of each event.

    They were in-app notifications on their (past) day, not mail to send today: their
    deliveries are dropped.
    """
    from app.services.relay import relay_pending

    while relay_pending(limit=500).relayed:
        pass
    new_notes = select(Notification.id).where(Notification.id > before_notes)
    db.session.execute(delete(NotificationDelivery).where(NotificationDelivery.notification_id.in_(new_notes)))
    for note_id, day in db.session.execute(
        select(Notification.id, Notification.day).where(Notification.id > before_notes)
    ).all():
        db.session.execute(update(Notification).where(Notification.id == note_id)
                           .values(created_at=_utc(day, 11)))
    db.session.commit()


# --- the stories ----------------------------------------------------------------------------


@dataclass
class _Story:
    case_id: int
    kind: str
    deadline: dt.date
    percent: int  # the last progress reported
    extension: str | None = None  # "approved" | "pending"
    urged: bool = False


def _stories(cases: list[Case], today: dt.date, rng: random.Random) -> list[_Story]:
    """Which story each case tells, and its deadline and last percentage."""
    year = today.year
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    calendar = current_calendar()
    n = len(cases)
    kinds: list[str] = []
    for kind, share in STORY_SHARES:
        kinds += [kind] * max(1, round(n * share))
    kinds = (kinds + ["green"] * n)[:n]
    # Lead-less cases are the ones the office has just handed to the demo unit: the
    # unsigned ones (待签收) come from them first.
    leadless = [c for c in cases if c.lead_department_id is None]
    others = [c for c in cases if c.lead_department_id is not None]
    rng.shuffle(others)
    assigned_count = kinds.count("assigned")
    ordered = leadless[:assigned_count] + others + leadless[assigned_count:]
    rest = [k for k in kinds if k != "assigned"]
    rng.shuffle(rest)
    kinds = ["assigned"] * assigned_count + rest

    def between(a: dt.date, b: dt.date) -> dt.date:
        if b <= a:
            return a
        return a + dt.timedelta(days=rng.randint(0, (b - a).days))

    def pace(deadline: dt.date) -> int:
        total = max(1, (deadline - start).days)
        return math.ceil(min(1.0, max(0.0, (today - start).days / total)) * 100)

    stories = []
    extension_given = pending_given = False
    for case, kind in zip(ordered, kinds, strict=True):
        if kind in ("closed", "verified"):
            deadline = between(min(start + dt.timedelta(days=120), end), end)
            percent = 100
        elif kind == "submitted":
            deadline = between(min(today + dt.timedelta(days=5), end), end)
            percent = 100
        elif kind == "red":
            deadline = between(max(start + dt.timedelta(days=30), today - dt.timedelta(days=40)),
                               today - dt.timedelta(days=3))
            percent = rng.choice((30, 40, 50, 60))
        elif kind == "yellow_soon":
            deadline = min(end, calendar.add_working_days(today, rng.randint(1, 4)))
            percent = rng.choice((70, 75, 80, 85))
        elif kind == "yellow_pace":
            deadline = between(min(today + dt.timedelta(days=30), end), end)
            percent = max(5, 5 * ((pace(deadline) - 35) // 5))
        else:  # green, returned, assigned
            deadline = between(min(today + dt.timedelta(days=10), end), end)
            percent = 0 if kind == "assigned" else min(95, 5 * ((pace(deadline) - 5 + rng.randint(0, 15)) // 5))
        story = _Story(case.id, kind, deadline, max(0, percent))
        if kind == "green" and not extension_given:
            story.extension, extension_given = "approved", True
        elif kind == "yellow_soon" and not pending_given:
            story.extension, pending_given = "pending", True
        if kind == "red" and rng.random() < 0.6:
            story.urged = True
        stories.append(story)
    return stories


def _evidence(name: str, text: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(text.encode("utf-8")), filename=name,
                       content_type="text/plain")


def _note_for(percent: int) -> str:
    return [text for threshold, text in NOTES if percent >= threshold][-1]


def _indicator_values(case: Case, percent: int) -> dict[int, str]:
    values = {}
    for indicator in case.indicators:
        if indicator.value is None or indicator.kind == "qualitative":
            continue  # judged by the office, not reported with progress
        target = Decimal(indicator.value)
        value = target * Decimal(percent) / Decimal(100)
        exponent = Decimal(1) if target == target.to_integral_value() and target >= 10 else Decimal("0.01")
        values[indicator.id] = str(value.quantize(exponent))
    return values


def _tell(story: _Story, case: Case, today: dt.date, rng: random.Random, people: dict) -> None:
    """Take one case through its story with the real services."""
    from app.services import case_acts, progress, transitions

    year_start = dt.date(today.year, 1, 1)
    office = people["office"]
    if case.lead_department_id is None:
        handed = today - dt.timedelta(days=rng.randint(2, 9)) if story.kind == "assigned" \
            else year_start + dt.timedelta(days=rng.randint(10, 20))
        _at(_utc(max(year_start, handed), 9, 30), case.id, transitions.apply_transition, case.id, office,
            "reassign", comment="牵头单位待明确，督查室交由演示承办单位办理。",
            new_department_id=people["demo_unit"])
        db.session.expire_all()
        case = db.session.get(Case, case.id)
    if story.kind == "assigned":
        return
    worker = _actor(people, case.lead_department_id, CASEWORKER)
    lead = _actor(people, _task_force_id(case), TASK_FORCE_LEAD)
    if worker is None:
        raise DemoError(f"{case.lead_department_name} 没有经办人")
    last_day = today - dt.timedelta(days=1)

    accepted = min(last_day, year_start + dt.timedelta(days=rng.randint(12, 30)))
    _at(_utc(accepted, 9, 15), case.id, transitions.apply_transition, case.id, worker, "accept")

    # When the work is reported done (finished stories), and the reports on the way there.
    if story.kind in ("closed", "verified"):
        latest_finish = today - dt.timedelta(days=12 if story.kind == "closed" else 3)
        finished = min(latest_finish, story.deadline - dt.timedelta(days=rng.randint(3, 20)))
        if rng.random() < 0.12:  # now and then a case is done a little late
            finished = min(latest_finish, story.deadline + dt.timedelta(days=rng.randint(3, 10)))
        finished = max(accepted + dt.timedelta(days=20), finished)
        finished = min(finished, latest_finish)
    elif story.kind == "submitted":
        finished = today - dt.timedelta(days=rng.randint(1, 6))
    elif story.kind == "returned":
        finished = today - dt.timedelta(days=rng.randint(12, 20))
    elif story.kind == "red":
        finished = today - dt.timedelta(days=rng.randint(25, 45))  # last report, long ago
    else:
        finished = today - dt.timedelta(days=rng.randint(2, 14))
    finished = max(accepted + dt.timedelta(days=1), finished)

    steps = max(1, min(3, (finished - accepted).days // 60 + 1))
    final = 100 if story.kind in ("closed", "verified", "submitted", "returned") else story.percent
    for i in range(1, steps + 1):
        day = accepted + (finished - accepted) * i // steps
        percent = final if i == steps else max(5, 5 * round(final * i / steps / 5))
        files = ()
        if percent == 100:
            files = (_evidence("工作总结.txt", f"{case.title}\n\n{NOTES[-1][1]}\n"),)
        _at(_utc(day, 15, 30), case.id, progress.add_progress, case.id, worker, note=_note_for(percent),
            percent=percent, indicator_values=_indicator_values(case, percent), files=files)

    if story.extension == "approved":
        asked = today - dt.timedelta(days=rng.randint(20, 30))
        old = db.session.get(Case, case.id).deadline
        # The deadline asked for is the one the story ends with; it was nearer before.
        db.session.execute(update(Case).where(Case.id == case.id).values(
            deadline=max(asked + dt.timedelta(days=5), story.deadline - dt.timedelta(days=30)),
            original_deadline=max(asked + dt.timedelta(days=5), story.deadline - dt.timedelta(days=30))))
        db.session.commit()
        request = _at(_utc(asked, 11), case.id, case_acts.request_extension, case.id, worker,
                      new_deadline=max(old, story.deadline), reason=EXTENSION_REASON)
        decided = asked + dt.timedelta(days=2)
        _at(_utc(decided, 16), case.id, case_acts.decide_extension, request.id, people["office_actor"],
            approve=True, comment="同意延期，请按新时限完成。")
        db.session.execute(update(ExtensionRequest).where(ExtensionRequest.id == request.id)
                           .values(decided_at=_utc(decided, 16)))
        db.session.commit()
    elif story.extension == "pending":
        new_deadline = min(dt.date(today.year, 12, 31), story.deadline + dt.timedelta(days=20))
        if new_deadline > story.deadline:
            _at(_utc(last_day, 17), case.id, case_acts.request_extension, case.id, worker,
                new_deadline=new_deadline, reason=EXTENSION_REASON)

    if story.kind in ("closed", "verified", "submitted", "returned"):
        _at(_utc(finished, 16, 30), case.id, transitions.apply_transition, case.id, worker, "submit",
            comment="任务已完成，请核验。")
    if story.kind == "returned" and lead is not None:
        returned = finished + dt.timedelta(days=2)
        _at(_utc(returned, 10, 30), case.id, transitions.apply_transition, case.id, lead, "return",
            comment=RETURN_REASON)
        _at(_utc(min(last_day, returned + dt.timedelta(days=3)), 14), case.id, case_acts.add_comment,
            case.id, worker, text="收到，正在补充材料。")
    if story.kind in ("closed", "verified") and lead is not None:
        verified = min(last_day, finished + dt.timedelta(days=rng.randint(1, 4)))
        _at(_utc(verified, 10), case.id, transitions.apply_transition, case.id, lead, "verify",
            comment="经核验，任务完成情况属实。")
        if story.kind == "closed":
            closed = min(last_day, verified + dt.timedelta(days=rng.randint(2, 7)))
            _at(_utc(closed, 15), case.id, transitions.apply_transition, case.id, people["office_actor"],
                "close", comment="同意办结。")
    if story.urged:
        _at(_utc(last_day, 9, 45), case.id, case_acts.urge, case.id, people["office_actor"], comment=URGE_TEXT)


def _actor(people: dict, department_id: int | None, role_name: str):
    """The first demo user of that role in a department, as the workflow sees them (cached)."""
    key = (department_id, role_name)
    if key not in people:
        user = _first_user(department_id, role_name)
        people[key] = actor_for(user) if user is not None else None
    return people[key]


def _task_force_id(case: Case) -> int | None:
    return db.session.scalar(
        select(Department.id).where(Department.kind == "task_force", Department.action_id == case.action_id)
    )


def _goal_actuals(plan: Plan, today: dt.date, rng: random.Random, office) -> int:
    """Figures for the plan's main targets, entered by the office (the statistics bureau's)."""
    from app.services.indicators import record_actual
    from workflows.targets import Kind, period_for

    month = today.month - 1 if today.month > 1 else 1
    share = min(1.0, max(0.1, month / 12))
    count = 0
    indicators = list(db.session.scalars(
        select(Indicator).join(Goal, Goal.id == Indicator.goal_id).where(Indicator.plan_id == plan.id)
        .order_by(Indicator.id)
    ))
    for indicator in indicators:
        period = period_for(today.year, month, indicator.frequency).key
        if indicator.kind == Kind.QUALITATIVE or indicator.value is None:
            judgement = rng.choices(("done", "mostly_done", "not_done"), (4, 5, 1))[0]
            fields = {"judgement": judgement}
        else:
            target = Decimal(indicator.value)
            factor = {
                Kind.CUMULATIVE: share * rng.uniform(0.9, 1.1),
                Kind.CEILING: rng.uniform(0.8, 0.98),
            }.get(indicator.kind, rng.uniform(0.93, 1.05))
            value = target * Decimal(str(round(factor, 3)))
            # Counts of things (个, 家, 人) are whole numbers; rates and amounts keep 2 places.
            whole = indicator.kind == Kind.CUMULATIVE and target == target.to_integral_value() \
                and indicator.unit not in ("亿元", "万元", "万吨", "万平方米", "%")
            fields = {"value": str(value.quantize(Decimal(1) if whole else Decimal("0.01")))}
        _at(_utc(today - dt.timedelta(days=rng.randint(3, 12)), 10), 0, record_actual, indicator.id,
            office, period=period, source="区统计局（演示）", **fields)
        count += 1
    return count


def _report(today: dt.date) -> None:
    """One generated 月通报 on the last finished month of this year."""
    from app.services.reports import generate_report, request_report

    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    if last_month_end.year != today.year:
        return  # January: no finished month of this year yet
    office = actor_for(_office_user())
    report = request_report(office, "monthly", period=f"{last_month_end:%Y-%m}")
    generate_report(report.id)


@contextmanager
def _quietly():
    """While the demo is built: no Celery task per commit (the demo relays its events
    itself), and on PostgreSQL no wait for the disk at each of its many small commits
    (synchronous_commit off: only the last seconds could be lost on a crash, and the
    demo would then be built again on an empty database)."""
    from app.services.after_commit import _PENDING

    session = db.session()

    def drop_tasks(sess):
        sess.info.pop(_PENDING, None)

    def no_fsync(sess, transaction, connection):
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO off")

    event.listen(session, "before_commit", drop_tasks)
    event.listen(session, "after_begin", no_fsync)
    try:
        yield
    finally:
        event.remove(session, "before_commit", drop_tasks)
        event.remove(session, "after_begin", no_fsync)


def build_living_demo(password: str, today: dt.date | None = None) -> LivingResult:
    """Build the living demo once (see the module docstring); later calls change nothing."""
    plan = latest_plan()
    if plan is None:
        raise DemoError("尚未导入方案：请先运行 flask plan load")
    info = living_demo_info()
    if info is not None:
        if info.get("status") != "done":
            raise DemoError("上次生成演示数据时中断：请清空数据库后重新运行 scripts/run")
        caseworkers, leads = ensure_unit_users(plan, password)
        return LivingResult(False, int(info["year"]), dict(info.get("states", {})), caseworkers, leads)
    with _quietly():
        return _build(plan, password, today or local_today())


def _build(plan: Plan, password: str, today: dt.date) -> LivingResult:
    touched = db.session.scalar(
        select(func.count(CaseHistory.id)).join(Case, Case.id == CaseHistory.case_id)
        .where(Case.plan_id == plan.id)
    )
    if touched:
        raise DemoError("方案中已有办理记录：演示数据只在新数据库上生成")
    source_year = plan.year
    set_setting(LIVING_KEY, {"status": "building", "plan_id": plan.id, "source_year": source_year,
                             "year": today.year, "built_on": today.isoformat()},
                "演示数据：方案已移至当年并模拟办理进度")
    db.session.commit()

    # The plan's copy in the database moves into this year.
    year_start = dt.date(today.year, 1, 1)
    plan.year = today.year
    db.session.execute(update(Indicator).where(Indicator.plan_id == plan.id, Indicator.year == source_year)
                       .values(year=today.year))
    cases = list(db.session.scalars(
        select(Case).where(Case.plan_id == plan.id).order_by(Case.action_id, Case.seq, Case.id)
    ))
    rng = random.Random(SEED + today.toordinal())
    stories = _stories(cases, today, rng)
    assigned_at = _utc(year_start + dt.timedelta(days=3), 9)
    for story in stories:
        db.session.execute(update(Case).where(Case.id == story.case_id).values(
            start_date=year_start, deadline=story.deadline, original_deadline=story.deadline,
            assigned_at=assigned_at, state_changed_at=assigned_at, created_at=assigned_at,
        ))
    db.session.commit()

    unit = _demo_unit()
    office_user = _office_user()
    # The demo unit's caseworker exists before the office hands it cases.
    if not _members(unit.id, CASEWORKER):
        _add_user(_next_name("worker", 3), "经办人", "演示", CASEWORKER, unit, password)
        db.session.commit()
    caseworkers, leads = ensure_unit_users(plan, password)
    office_actor = actor_for(office_user)
    people = {"office": office_actor, "office_actor": office_actor, "demo_unit": unit.id}
    by_id = {c.id: c for c in cases}
    before_notes = db.session.scalar(select(func.max(Notification.id))) or 0
    for story in stories:
        db.session.expire_all()
        _tell(story, db.session.get(Case, by_id[story.case_id].id), today, rng, people)
    _relay_as_of_then(before_notes)
    _goal_actuals(plan, today, rng, office_actor)
    # What was read by now: everything older than three days.
    db.session.execute(update(Notification).where(Notification.created_at < _utc(today - dt.timedelta(days=3)))
                       .values(read_at=Notification.created_at))
    db.session.commit()
    _report(today)
    states = dict(db.session.execute(
        select(Case.state, func.count(Case.id)).where(Case.plan_id == plan.id).group_by(Case.state)
    ).all())
    set_setting(LIVING_KEY, {"status": "done", "plan_id": plan.id, "source_year": source_year,
                             "year": today.year, "built_on": today.isoformat(), "states": states})
    db.session.commit()
    return LivingResult(True, today.year, states, caseworkers, leads)


def demo_reports() -> int:
    """How many reports the demo holds (for its summary)."""
    return db.session.scalar(select(func.count(Report.id))) or 0
