"""The reminder timers: evaluate workflows.reminders for the open cases due and record it.

`run_reminders(at)` is what beat (every 15 minutes) and `flask reminders tick --at` call. On a
working day within office hours it selects in SQL the open cases that may be due today
(workflows.reminders.DueWindow: a superset, by indexed date bounds), evaluates today's rules
on them and records the due notifications not recorded yet by their natural key, so later
ticks of the same day, a doubled beat or two concurrent ticks add nothing. After days without a run only today is evaluated; the
rules' "reached at least" marks then fire the latest missed mark once (catch_up_days), so
nothing floods. A date the working-day calendar does not know is an explicit error: logged,
returned to the caller and shown to admins on the status page — never a guess.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import gettext, lazy_gettext
from sqlalchemy import Integer, and_, any_, bindparam, func, or_, select, union
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import raiseload

from app.clock import timezone_name
from app.extensions import db
from app.models import (
    Case,
    Milestone,
    Notification,
    NotificationDelivery,
    OutboxEvent,
    Plan,
    TimerRun,
    utcnow,
)
from app.services import task_force_reports
from app.services.calendar import OFFICE_YEARS_KEY, current_calendar
from app.services.case_acts import URGE_INTERVAL_DEFAULT, URGE_INTERVAL_KEY
from app.services.notifications import (
    add_notifications,
    caseworkers_by_department,
    compose,
    dialect_insert,
    office_user_ids,
    task_force_leads_by_action,
)
from app.services.settings import get_setting, set_setting
from workflows import errors
from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar, known_years
from workflows.reminders import (
    OPEN_STATES,
    RULES,
    WITH_CASEWORKER,
    CaseReminderFacts,
    DueNotification,
    DueWindow,
    NotificationKind,
    ReminderRules,
    catch_up_days,
    due_notifications,
    due_window,
    in_office_hours,
    local_day,
    rules_from_settings,
)
from workflows.vocabulary import State

log = logging.getLogger(__name__)

TICK_RUN = "reminders.tick"
LAST_PROBLEMS_KEY = "reminders.last_tick_problems"  # not a rule: the last tick's calendar errors


# --- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingField:
    """One editable setting: its key, label, help and how to parse the form's text."""

    key: str
    label: object
    help: object
    kind: str  # ints, int, time_range, bool, time, years
    minimum: int = 0
    maximum: int = 365


# The rules' own settings come from their registry entries (workflows.reminders.RULES);
# the others say when messages go out and which calendar years the office has entered.
SETTING_FIELDS = (
    *(
        SettingField(rs.key, lazy_gettext(rs.label), lazy_gettext(rs.help), rs.kind, rs.minimum, rs.maximum)
        for rule in RULES for rs in rule.settings
    ),
    SettingField(
        "reminders.office_hours", lazy_gettext("Office hours"),
        lazy_gettext("Start and end, e.g. 09:00-17:30 (Asia/Shanghai)."), "time_range",
    ),
    SettingField(
        "notifications.office_hours_only", lazy_gettext("Send email and webhooks only in office hours"),
        lazy_gettext("Off: messages go out at any time, also on holidays."), "bool",
    ),
    SettingField(
        "notifications.digest_time", lazy_gettext("Daily digest time"),
        lazy_gettext("Users who chose a daily digest get one email at this time, e.g. 10:00."),
        "time",
    ),
    SettingField(
        URGE_INTERVAL_KEY, lazy_gettext("Working days between two urges of one case"),
        lazy_gettext(
            "Working days before the same case can be urged again (by anyone); 1 = once per "
            "working day, 0 = no limit."
        ),
        "int", 0, 20,
    ),
    SettingField(
        OFFICE_YEARS_KEY, lazy_gettext("Years entered by the office"),
        lazy_gettext(
            "Years the calendar package does not know yet, whose holidays and make-up working "
            "days you have entered as working-day adjustments, e.g. 2027."
        ),
        "years", 2000, 2100,
    ),
)


class InvalidSettings(errors.InvalidInput, ValueError):
    """Some submitted settings are invalid; `errors` maps each key to a Chinese message."""

    code = "invalid_settings"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def _defaults() -> dict:
    base = ReminderRules()
    return {
        **{rs.key: rs.default for rule in RULES for rs in rule.settings},
        "reminders.office_hours": [t.strftime("%H:%M") for t in base.office_hours],
        "notifications.office_hours_only": True,
        "notifications.digest_time": "10:00",
        URGE_INTERVAL_KEY: URGE_INTERVAL_DEFAULT,
        OFFICE_YEARS_KEY: [],
    }


def current_settings() -> dict:
    """Every reminder setting: the stored value, or the default."""
    return {key: get_setting(key, default) for key, default in _defaults().items()}


def reminder_rules() -> ReminderRules:
    """The rules in force (Setting rows over ReminderRules' defaults)."""
    values = current_settings()
    start, end = (dt.time.fromisoformat(t) for t in values["reminders.office_hours"])
    return rules_from_settings(values, office_hours=(start, end),
                               timezone=timezone_name())


def sending_rules() -> dict:
    """When messages go out: only in office hours?, and the daily digest time."""
    values = current_settings()
    return {
        "office_hours_only": bool(values["notifications.office_hours_only"]),
        "digest_time": dt.time.fromisoformat(values["notifications.digest_time"]),
    }


def settings_as_text() -> dict[str, str]:
    """The settings as the form shows them."""
    values = current_settings()
    text = {}
    for f in SETTING_FIELDS:
        value = values[f.key]
        if f.kind in ("ints", "years"):
            text[f.key] = ",".join(str(v) for v in value)
        elif f.kind == "time_range":
            text[f.key] = "-".join(value)
        elif f.kind == "bool":
            text[f.key] = "1" if value else ""
        else:
            text[f.key] = str(value)
    return text


def save_settings(form) -> None:
    """Validate every submitted setting and store them all, or none (InvalidSettings)."""
    parsed, errors = {}, {}
    for f in SETTING_FIELDS:
        raw = (form.get(f.key) or "").strip()
        try:
            parsed[f.key] = _parse(f, raw)
        except ValueError as exc:
            errors[f.key] = str(exc)
    for rule in RULES:
        refusal = rule.check(parsed) if rule.check and not errors else None
        if refusal:
            errors[refusal[0]] = gettext(refusal[1])
    if errors:
        raise InvalidSettings(errors)
    for f in SETTING_FIELDS:
        set_setting(f.key, parsed[f.key], description=str(f.label))
    db.session.commit()


def _parse(f: SettingField, raw: str):
    if f.kind == "bool":
        return raw.lower() in {"1", "on", "true", "yes", "y"}
    if f.kind in ("ints", "years"):
        parts = [p for p in raw.replace("，", ",").replace(" ", ",").split(",") if p]
        try:
            numbers = sorted({int(p) for p in parts}, reverse=f.kind == "ints")
        except ValueError:
            raise ValueError(
                gettext("Enter whole numbers separated by commas, e.g. %(example)s.",
                        example="5,3,1" if f.kind == "ints" else "2027")
            ) from None
        _check_range(f, numbers)
        return numbers if f.kind == "ints" else sorted(numbers)
    if f.kind == "int":
        try:
            number = int(raw)
        except ValueError:
            raise ValueError(gettext("Enter a whole number.")) from None
        _check_range(f, [number])
        return number
    if f.kind == "time":
        return _time(raw).strftime("%H:%M")
    if f.kind == "time_range":
        start, sep, end = raw.replace("–", "-").replace("—", "-").partition("-")
        if not sep:
            raise ValueError(gettext("Enter a start and an end time, e.g. 09:00-17:30."))
        start_time, end_time = _time(start.strip()), _time(end.strip())
        if start_time >= end_time:
            raise ValueError(gettext("The end of office hours must be after the start."))
        return [start_time.strftime("%H:%M"), end_time.strftime("%H:%M")]
    raise AssertionError(f.kind)


def _check_range(f: SettingField, numbers: list[int]) -> None:
    for n in numbers:
        if not f.minimum <= n <= f.maximum:
            raise ValueError(
                gettext("Enter numbers from %(min)s to %(max)s.", min=f.minimum, max=f.maximum)
            )


def _time(raw: str) -> dt.time:
    try:
        return dt.time.fromisoformat(raw if len(raw) != 4 else "0" + raw)
    except ValueError:
        raise ValueError(gettext("Not a valid time: %(value)s (use HH:MM).", value=raw)) from None


# --- the tick -------------------------------------------------------------------------------


@dataclass
class TickResult:
    """What one tick did (the CLI prints it, the task returns it)."""

    at: dt.datetime
    day: dt.date
    evaluated: bool = False
    skipped: str | None = None  # outside_office_hours, not_working_day, unknown_calendar_year
    cases: int = 0
    due: int = 0
    created: int = 0
    by_kind: Counter = field(default_factory=Counter)
    task_force_reminders: int = 0  # 专班报送 reminders created (not about a case)
    previous_day: dt.date | None = None
    first_run_today: bool = False
    missed_working_days: int = 0
    # year → case ids that could not be evaluated because the calendar does not know it
    unknown_years: dict[int, list[int]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "day": self.day.isoformat(),
            "evaluated": self.evaluated,
            "skipped": self.skipped,
            "cases": self.cases,
            "due": self.due,
            "created": self.created,
            "by_kind": dict(self.by_kind),
            "task_force_reminders": self.task_force_reminders,
            "previous_day": self.previous_day.isoformat() if self.previous_day else None,
            "missed_working_days": self.missed_working_days,
            "unknown_years": {str(y): ids for y, ids in self.unknown_years.items()},
        }


def run_reminders(at: dt.datetime) -> TickResult:
    """Evaluate every reminder rule at instant `at` (aware) and record what is due, once."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime")
    rules, calendar = reminder_rules(), current_calendar()
    day = local_day(at, rules)
    result = TickResult(at=at, day=day)
    run = db.session.get(TimerRun, TICK_RUN)
    result.previous_day = run.last_day if run else None
    try:
        in_hours = in_office_hours(at, rules, calendar)
        result.first_run_today = catch_up_days(result.previous_day, day, calendar) == [day]
    except UnknownCalendarYear as exc:
        _unknown_year(result, exc, None)
        _remember_problems(result)
        record_run(TICK_RUN)
        db.session.commit()
        return result
    if not in_hours:
        result.skipped = "outside_office_hours" if calendar.is_working_day(day) else "not_working_day"
        record_run(TICK_RUN)
        db.session.commit()
        return result
    if result.first_run_today and result.previous_day is not None:
        result.missed_working_days = max(
            0, calendar.working_days_between(result.previous_day, day) - 1
        )
    try:
        window = due_window(day, rules, calendar)
    except UnknownCalendarYear as exc:
        # The due-soon reach of `day` is unknown: every open case's evaluation would raise it.
        for case_id in open_case_ids():
            _unknown_year(result, exc, case_id)
        window = None
    wanted = due_case_ids(window, rules) if window else []
    facts, titles = case_reminder_facts(rules, wanted)
    result.cases = len(facts)
    due: list[DueNotification] = []
    for case_facts in facts:
        try:
            due += due_notifications(case_facts, day, rules, calendar)
        except UnknownCalendarYear as exc:
            _unknown_year(result, exc, case_facts.case_id)
    result.due = len(due)
    # Compose and insert only what is not recorded yet (most of a day's ticks: nothing).
    rows = _new_rows(due, recorded_keys(day, due), titles, day, calendar)
    created = set(add_notifications(rows))
    # 专班报送: each task force is reminded before each brief and bulletin (counted apart)
    result.task_force_reminders = len(add_notifications(task_force_reports.reminder_rows(day, calendar)))
    result.created = len(created)
    result.by_kind = Counter(str(d.kind) for d in due)
    result.evaluated = True
    _remember_problems(result)
    record_run(TICK_RUN, day)
    db.session.commit()
    return result


def _unknown_year(result: TickResult, exc: UnknownCalendarYear, case_id: int | None) -> None:
    result.skipped = result.skipped or ("unknown_calendar_year" if case_id is None else None)
    result.unknown_years.setdefault(exc.year, [])
    if case_id is not None:
        result.unknown_years[exc.year].append(case_id)
    log.error(
        "Reminders: the working-day calendar does not know %s (case %s): %s",
        exc.year, case_id or "all", exc,
    )


def _remember_problems(result: TickResult) -> None:
    """Keep the last evaluation's calendar problems for the admin pages (cleared when none)."""
    stored = get_setting(LAST_PROBLEMS_KEY, None)
    if result.unknown_years:
        set_setting(
            LAST_PROBLEMS_KEY,
            {"at": result.at.isoformat(), "day": result.day.isoformat(),
             "years": {str(y): ids for y, ids in result.unknown_years.items()}},
            description="Calendar problems of the last reminder tick",
        )
    elif stored:
        set_setting(LAST_PROBLEMS_KEY, None)


def _utc_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Naive UTC of the office's midnight starting `day`: local_date(v) < day ⇔ v < this."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


def _open():
    return Case.state.in_([str(s) for s in OPEN_STATES])


def candidate_ids(window: DueWindow, rules: ReminderRules):
    """A subquery (column `id`) of the open cases that may be due in `window`: DueWindow.may_be_due in SQL.

    A union of index range scans, one per rule's bound (the partial indexes of migration
    c14a0d0e0001), so its cost follows the cases due, not the cases in the database.
    """
    zone = ZoneInfo(rules.timezone)
    stale = _utc_midnight(window.stale_before, zone)
    with_caseworker = Case.state.in_([str(s) for s in WITH_CASEWORKER])
    submitted = Case.state == str(State.SUBMITTED)
    return union(
        # due soon, overdue, escalation (and a deadline in a year the calendar does not know)
        select(Case.id).where(_open(), Case.deadline < window.due_before),
        select(Milestone.case_id).where(
            Milestone.done_at.is_(None),
            or_(and_(Milestone.due_date >= window.on, Milestone.due_date < window.due_before),
                Milestone.due_date < window.known_from),
        ),
        # stale: the later of last progress and assignment before the bound
        select(Case.id).where(with_caseworker, Case.last_progress_at < stale, Case.assigned_at < stale),
        select(Case.id).where(with_caseworker, Case.last_progress_at.is_(None), Case.assigned_at < stale),
        select(Case.id).where(submitted, or_(
            Case.submitted_at < _utc_midnight(window.submitted_before, zone),
            Case.submitted_at >= _utc_midnight(window.known_until + dt.timedelta(days=1), zone),
        )),
    ).subquery()


def due_case_ids(window: DueWindow, rules: ReminderRules) -> list[int]:
    """The ids of the open cases that may be due in `window`, in one statement."""
    return list(db.session.scalars(select(candidate_ids(window, rules).c.id).order_by("id")))


def _among(column, ids: list[int]):
    """`column` is one of `ids`: one array parameter on PostgreSQL (a primary-key or index
    lookup per id, never a scan joined to a subquery; no thousands of placeholders)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def open_case_ids() -> list[int]:
    """Every open case's id (a tick whose due-soon reach the calendar does not know)."""
    return list(db.session.scalars(select(Case.id).where(_open()).order_by(Case.id)))


def case_reminder_facts(
    rules: ReminderRules, wanted: list[int]
) -> tuple[list[CaseReminderFacts], dict[int, str]]:
    """CaseReminderFacts of the open cases among `wanted` (ids), with recipients.

    Five statements whatever the number of cases, columns only (no ORM objects), each a
    lookup by id (one array parameter): the cases,
    their open milestones, caseworkers, task-force leads, the office. Returns the facts and
    the open milestones' titles by id (for the messages).
    """
    zone = ZoneInfo(rules.timezone)
    if not wanted:
        return [], {}
    cases = db.session.execute(
        select(Case.id, Case.state, Case.deadline, Case.last_progress_at, Case.assigned_at,
               Case.submitted_at, Case.lead_department_id, Case.owner_id, Case.action_id,
               Plan.organisation_id)
        .join(Plan, Plan.id == Case.plan_id)
        .where(_open(), _among(Case.id, wanted))
        .order_by(Case.id)
    ).all()
    open_milestones: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
    titles: dict[int, str] = {}
    if cases:
        rows = db.session.execute(
            select(Milestone.id, Milestone.case_id, Milestone.due_date, Milestone.title)
            .where(Milestone.done_at.is_(None), _among(Milestone.case_id, [c.id for c in cases]))
            .order_by(Milestone.case_id, Milestone.due_date, Milestone.id)
        )
        for milestone_id, case_id, due, title in rows:
            open_milestones[case_id].append((milestone_id, due))
            titles[milestone_id] = title
    caseworkers = caseworkers_by_department(c.lead_department_id for c in cases)
    leads = task_force_leads_by_action(c.action_id for c in cases)
    facts = [
        CaseReminderFacts(
            case_id=c.id,
            state=State(c.state),
            deadline=c.deadline,
            milestones=tuple(open_milestones.get(c.id, ())),
            last_progress_at=_local_date(c.last_progress_at, zone),
            assigned_at=_local_date(c.assigned_at, zone),
            submitted_at=_local_date(c.submitted_at, zone),
            caseworker_ids=caseworkers.get(c.lead_department_id, frozenset()),
            owner_id=c.owner_id,
            task_force_lead_ids=leads.get(c.action_id, frozenset()),
            # Escalations go to the case's own 督查室 (or the nearest above), not every office.
            office_ids=office_user_ids(c.organisation_id),
        )
        for c in cases
    ]
    return facts, titles


def _cases_to_write(case_ids: set[int]) -> dict[int, Case]:
    """The cases whose new reminders are composed (with action and lead department joined)."""
    return {c.id: c for c in db.session.scalars(
        select(Case).where(_among(Case.id, sorted(case_ids)))
        # Nothing composed reads milestones, indicators or partners: never loaded per case.
        .options(raiseload(Case.milestones), raiseload(Case.indicators), raiseload(Case.partner_departments))
    )}


def _new_rows(due: list[DueNotification], recorded: set[tuple], titles: dict[int, str],
              on: dt.date, calendar: WorkingDayCalendar) -> list[dict]:
    """Notification rows for the due reminders not recorded yet; each text composed once for
    all its recipients (it does not name them)."""
    new = [d for d in due if _key(d) not in recorded]
    cases = _cases_to_write({d.case_id for d in new}) if new else {}
    texts: dict[tuple, tuple[str, str]] = {}
    rows = []
    for d in new:
        milestone = titles.get(d.milestone_id) if d.milestone_id is not None else None
        days = d.mark
        if d.kind == "due_soon":
            days = max(0, calendar.working_days_until(on, d.due_date))  # true count when catching up
        text_key = (d.case_id, str(d.kind), days, milestone)
        if text_key not in texts:
            texts[text_key] = compose(str(d.kind), cases[d.case_id], days=days, milestone=milestone)
        title, body = texts[text_key]
        rows.append({
            "case_id": d.case_id,
            "kind": str(d.kind),
            "recipient_id": d.recipient_id,
            "due_date": d.due_date,
            "day": d.day,
            "milestone_key": d.milestone_id or 0,
            "source_key": "",
            "title": title,
            "body": body,
        })
    return rows


def _key(d: DueNotification) -> tuple:
    return (d.case_id, str(d.kind), d.due_date, d.recipient_id, d.day, d.milestone_id or 0)


def recorded_keys(on: dt.date, due: list[DueNotification]) -> set[tuple]:
    """The keys among `due` recorded already, in one statement over the candidate cases.

    Daily overdue messages are read for `on` only (older days can never be due again), the
    other kinds from the earliest day due on: a case's reminders, not the whole table.
    """
    if not due:
        return set()
    kinds = sorted({str(d.kind) for d in due})
    first_day = min(d.day for d in due)
    rows = db.session.execute(
        select(Notification.case_id, Notification.kind, Notification.due_date,
               Notification.recipient_id, Notification.day, Notification.milestone_key)
        .where(
            _among(Notification.case_id, sorted({d.case_id for d in due})),
            Notification.kind.in_(kinds),
            Notification.source_key == "",
            Notification.day >= first_day,
            or_(Notification.kind != str(NotificationKind.OVERDUE), Notification.day == on),
        )
    )
    return {tuple(r) for r in rows}


def _local_date(value: dt.datetime | None, zone: ZoneInfo) -> dt.date | None:
    return value.replace(tzinfo=dt.UTC).astimezone(zone).date() if value else None


def record_run(name: str, day: dt.date | None = None) -> None:
    """Upsert the TimerRun row of a periodic job: when it last ran (wall clock, for the
    status page) and the last day it evaluated (only grows; a tick --at a past day keeps it)."""
    stamp = utcnow()
    insert = dialect_insert(TimerRun).values(name=name, last_run_at=stamp, last_day=day)
    greatest = func.greatest if db.session.get_bind().dialect.name == "postgresql" else func.max
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=[TimerRun.name],
            set_={
                "last_run_at": insert.excluded.last_run_at,
                "last_day": func.coalesce(
                    greatest(TimerRun.last_day, insert.excluded.last_day),
                    TimerRun.last_day,
                    insert.excluded.last_day,
                ),
            },
        )
    )


# --- status for admins ----------------------------------------------------------------------


def timer_status(now: dt.datetime | None = None) -> dict:
    """What the status page shows: last runs, backlog, the failing deliveries (named) and
    calendar problems."""
    now = now or dt.datetime.now(dt.UTC)
    runs = {r.name: r for r in db.session.scalars(select(TimerRun))}
    pending_events = db.session.scalar(
        select(func.count(OutboxEvent.id)).where(OutboxEvent.relayed_at.is_(None))
    )
    deliveries = dict(
        db.session.execute(
            select(NotificationDelivery.status, func.count(NotificationDelivery.id)).group_by(
                NotificationDelivery.status
            )
        ).all()
    )
    failed = list(
        db.session.scalars(
            select(NotificationDelivery)
            .where(NotificationDelivery.status == "failed")
            .order_by(NotificationDelivery.id.desc())
            .limit(20)
        )
    )
    stale_before = now.astimezone(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=40)
    tick = runs.get(TICK_RUN)
    from app.services import delivery_status  # local: it imports the delivery service

    return {
        "failing": delivery_status.failing_targets(),
        "sending_late": delivery_status.sending_late(now),
        "runs": runs,
        "tick_late": tick is None or tick.last_run_at < stale_before,
        "pending_events": pending_events or 0,
        "deliveries": deliveries,
        "failed": failed,
        "calendar_problems": calendar_problems(now),
        "known_years": known_years(),
    }


def calendar_problems(now: dt.datetime | None = None) -> list[dict]:
    """Years the calendar does not know but today's reminders need, with the cases affected.

    Runs the same evaluation as the tick for today (or the next working day), so the page
    and the timers can never disagree.
    """
    now = now or dt.datetime.now(dt.UTC)
    rules, calendar = reminder_rules(), current_calendar()
    day = local_day(now, rules)
    problems: dict[int, set[int]] = defaultdict(set)
    try:
        on = day if calendar.is_working_day(day) else calendar.next_working_day(day)
    except UnknownCalendarYear as exc:
        return [{"year": exc.year, "case_ids": [], "all": True, "at": None}]
    try:
        facts = case_reminder_facts(rules, due_case_ids(due_window(on, rules, calendar), rules))[0]
    except UnknownCalendarYear as exc:  # every open case's evaluation would raise it
        problems[exc.year].update(open_case_ids())
        facts = []
    for f in facts:
        try:
            due_notifications(f, on, rules, calendar)
        except UnknownCalendarYear as exc:
            problems[exc.year].add(f.case_id)
    # The coming year, once December starts: warn a month ahead, before deadlines need it.
    if day.month == 12 and not calendar.knows_year(day.year + 1):
        problems.setdefault(day.year + 1, set())
    found = [
        {"year": year, "case_ids": sorted(ids), "all": False, "at": None}
        for year, ids in sorted(problems.items())
    ]
    # And what the last tick ran into (e.g. `flask reminders tick --at` a date in 2031).
    last = get_setting(LAST_PROBLEMS_KEY, None) or {}
    for year, ids in sorted((last.get("years") or {}).items()):
        if not calendar.knows_year(int(year)):
            found.append({"year": int(year), "case_ids": ids, "all": not ids, "at": last.get("at")})
    return found


def now_utc() -> dt.datetime:
    """Now, aware, in UTC."""
    return utcnow().replace(tzinfo=dt.UTC)
