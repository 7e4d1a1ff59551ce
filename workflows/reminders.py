"""Reminder rules (催办提醒) as pure evaluation: which notifications a case owes on a given day.

`due_notifications(case, on, ...)` is evaluated for one working day `on` (nothing on other
days). Every notification carries a natural key (case, kind, due date, recipient, day,
milestone); the database makes that key unique, so evaluating the same day twice, two beat
processes or a retried task record each notification once.

Missed runs, "reached at least": a rule that fires once at a mark (due soon at 5/3/1 working
days, escalation at 3/5 overdue working days, stale per dekad, awaiting verification every 3
working days) fires whenever the mark has been *reached* — `left <= 5`, not `left == 5` — and
its key's `day` is the day the mark fell on, not the day it was evaluated. So a mark that
fell while beat was down fires once on the next run, a mark already recorded is a duplicate
key, and only the latest mark of each rule fires (with 2 working days left a missed 5 is
not sent, only the 3). Daily overdue messages are keyed by the day evaluated; missed days
are not replayed. Hence `catch_up_days` returns at most today: nothing floods after an outage.

Rules and their keys (`due_date`, `day`):

- due_soon: the case deadline or an open milestone is 5, 3 or 1 working days away
  (`working_days_until(on, due)`, counted in (on, due]) → caseworkers and owner;
  due_date = that deadline, day = the working day on which exactly `mark` days were left.
  Every mark falls on a working day, never on a holiday. Example, a deadline of Monday
  2024-02-19 after the Spring Festival (02-10..02-17 off, Sunday 02-18 a make-up working day):
  5 on 02-06, 3 on 02-08, 1 on 02-18 (the make-up Sunday); nothing during the holiday.
  A deadline on a non-working day counts like the last working day before it: due Saturday
  2024-02-17, the 1-day mark is Thursday 02-08 (on Friday 02-09 no working day is left).
  With 0 working days left (due today) the 1-day mark counts as reached.
- overdue: each working day after the deadline while the case is not verified
  → caseworkers and owner; due_date = deadline, day = on. Milestones get no overdue
  messages (whether a milestone was met is not known here).
- escalation: once when the overdue working days reach 3 → task-force leads, once when they
  reach 5 → supervision office; day = the working day the count reached 3 (or 5).
- stale: no progress (or, failing that, since assignment) for ≥ 10 calendar days while the
  case waits on its caseworkers (assigned, in progress) → caseworkers; once per dekad of
  silence (at 10, 20, 30… days); due_date = the last activity, day = the date the 10·k mark fell
  on (may be a holiday: it is a key, the message goes out on the next working day).
- awaiting_verification: submitted ≥ 3 working days ago and still submitted → task-force
  leads; again every further 3 working days (3, 6, 9…); due_date = the submission date,
  day = the working day the 3·k mark was reached.

Deadline messages (due_soon, overdue, escalation) follow the glossary's "not yet verified":
they continue while a case is submitted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar
from workflows.errors import N_
from workflows.vocabulary import State

OPEN_STATES = frozenset({State.ASSIGNED, State.IN_PROGRESS, State.SUBMITTED})
WITH_CASEWORKER = frozenset({State.ASSIGNED, State.IN_PROGRESS})


class NotificationKind(StrEnum):
    """What a notification is about."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    STALE = "stale"
    AWAITING_VERIFICATION = "awaiting_verification"
    URGE = "urge"  # 催办: sent by a person through the services, never by these rules


@dataclass(frozen=True)
class ReminderRules:
    """The configurable timers (defaults from domain.md)."""

    due_soon_working_days: tuple[int, ...] = (5, 3, 1)
    escalate_to_lead_after: int = 3  # overdue working days
    escalate_to_office_after: int = 5  # overdue working days
    stale_after_days: int = 10  # calendar days without progress
    awaiting_verification_working_days: int = 3
    office_hours: tuple[time, time] = (time(9, 0), time(17, 30))  # [start, end)
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class CaseReminderFacts:
    """What the reminder rules need to know about one case."""

    case_id: int
    state: State
    deadline: date
    milestones: tuple[tuple[int, date], ...] = ()  # (milestone_id, due_date), not yet met
    last_progress_at: date | None = None
    assigned_at: date | None = None
    submitted_at: date | None = None
    caseworker_ids: frozenset[int] = frozenset()  # of the lead department
    owner_id: int | None = None
    task_force_lead_ids: frozenset[int] = frozenset()
    office_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class DueNotification:
    """One notification a rule asks for; `key` identifies it for exactly-once recording."""

    case_id: int
    kind: NotificationKind
    recipient_id: int
    due_date: date
    day: date
    milestone_id: int | None = None
    mark: int | None = None  # the threshold reached (days left, overdue days…); not in the key

    @property
    def key(self) -> tuple:
        """The natural key: (case_id, kind, due_date, recipient_id, day, milestone_id)."""
        return (
            self.case_id,
            str(self.kind),
            self.due_date,
            self.recipient_id,
            self.day,
            self.milestone_id,
        )


def due_notifications(
    case: CaseReminderFacts,
    on: date,
    rules: ReminderRules,
    calendar: WorkingDayCalendar,
) -> list[DueNotification]:
    """The notifications `case` owes on working day `on` (none on other days), rule by rule."""
    if not calendar.is_working_day(on):
        return []
    found: list[DueNotification] = []
    for rule in RULES:
        if case.state in rule.states:
            found += rule.evaluate(case, on, rules, calendar)
    return found


def _due_soon(case, on, rules, calendar) -> list[DueNotification]:
    found = []
    horizon = max(rules.due_soon_working_days, default=-1)
    owed = [(None, case.deadline), *case.milestones]
    for milestone_id, due in owed:
        if not calendar.within_working_days(on, due, horizon):
            continue  # far away: no need to count (the calendar may not know that year yet)
        left = calendar.working_days_until(on, due)
        reached = [m for m in rules.due_soon_working_days if m >= left >= 0]
        if not reached:
            continue
        mark = min(reached)  # only the latest mark: a missed earlier one is not sent
        mark_day = calendar.add_working_days(on, left - mark)  # `left` drops 1 per working day
        found += _to(
            _caseworkers_and_owner(case),
            case_id=case.case_id,
            kind=NotificationKind.DUE_SOON,
            due_date=due,
            day=mark_day,
            milestone_id=milestone_id,
            mark=mark,
        )
    return found


def _overdue(case, on, rules, calendar) -> list[DueNotification]:
    if on <= case.deadline:
        return []
    late = calendar.working_days_between(case.deadline, on)  # ≥ 1: `on` is a working day
    return _to(
        _caseworkers_and_owner(case),
        case_id=case.case_id,
        kind=NotificationKind.OVERDUE,
        due_date=case.deadline,
        day=on,
        mark=late,
    )


def _escalation(case, on, rules, calendar) -> list[DueNotification]:
    if on <= case.deadline:
        return []
    late = calendar.working_days_between(case.deadline, on)
    found = []
    for after, recipients in (
        (rules.escalate_to_lead_after, case.task_force_lead_ids),
        (rules.escalate_to_office_after, case.office_ids),
    ):
        if late >= after:
            found += _to(
                recipients,
                case_id=case.case_id,
                kind=NotificationKind.ESCALATION,
                due_date=case.deadline,
                day=calendar.add_working_days(case.deadline, after),
                mark=after,
            )
    return found


def _stale(case, on, rules, calendar=None) -> list[DueNotification]:
    activity = [d for d in (case.last_progress_at, case.assigned_at) if d is not None]
    if not activity:
        return []
    since = max(activity)  # a reassignment restarts the clock for the new department
    dekads = (on - since).days // rules.stale_after_days
    if dekads < 1:
        return []
    return _to(
        case.caseworker_ids,
        case_id=case.case_id,
        kind=NotificationKind.STALE,
        due_date=since,
        day=since + timedelta(days=dekads * rules.stale_after_days),
        mark=dekads * rules.stale_after_days,
    )


def _awaiting_verification(case, on, rules, calendar) -> list[DueNotification]:
    if case.submitted_at is None:
        return []
    every = rules.awaiting_verification_working_days
    waited = calendar.working_days_between(case.submitted_at, on)
    if waited < every:
        return []
    mark = waited // every * every
    return _to(
        case.task_force_lead_ids,
        case_id=case.case_id,
        kind=NotificationKind.AWAITING_VERIFICATION,
        due_date=case.submitted_at,
        day=calendar.add_working_days(case.submitted_at, mark),
        mark=mark,
    )


def _caseworkers_and_owner(case: CaseReminderFacts) -> frozenset[int]:
    owner = {case.owner_id} if case.owner_id is not None else set()
    return case.caseworker_ids | owner


def _to(recipients: Iterable[int], **fields) -> list[DueNotification]:
    return [DueNotification(recipient_id=r, **fields) for r in sorted(set(recipients))]


# --- the rules' registry ---------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSetting:
    """One setting of a rule: its Setting key, the ReminderRules field it fills, its form."""

    key: str  # the Setting row, e.g. "reminders.stale_after_days"
    field: str  # the ReminderRules attribute; its default there is the setting's default
    kind: str  # "ints" (a comma-separated list) or "int"
    minimum: int
    maximum: int
    label: str  # English msgid
    help: str  # English msgid

    @property
    def default(self):
        value = getattr(ReminderRules(), self.field)
        return list(value) if self.kind == "ints" else value


@dataclass(frozen=True)
class ReminderRule:
    """One reminder rule: the notifications it owes (evaluate), in which states, its settings.

    `check(values)` may refuse a combination of settings: (setting key, English msgid) or None.
    """

    kind: NotificationKind
    states: frozenset[State]
    evaluate: Callable[[CaseReminderFacts, date, ReminderRules, WorkingDayCalendar], list[DueNotification]]
    settings: tuple[RuleSetting, ...] = ()
    check: Callable[[dict], tuple[str, str] | None] | None = None


def _escalation_order(values: dict) -> tuple[str, str] | None:
    if values["reminders.escalate_to_office_after"] < values["reminders.escalate_to_lead_after"]:
        return "reminders.escalate_to_office_after", N_("Escalate to the office no earlier than to the task-force lead.")
    return None


# Adding a rule: a NotificationKind, its evaluate function above, an entry here (with the
# ReminderRules fields its settings fill), and its message texts (app/services/notifications.py).
RULES: tuple[ReminderRule, ...] = (
    ReminderRule(NotificationKind.DUE_SOON, OPEN_STATES, _due_soon, (
        RuleSetting("reminders.due_soon_working_days", "due_soon_working_days", "ints", 0, 60,
                    N_("Due-soon reminders (working days before)"),
                    N_("Whole numbers separated by commas, e.g. 5,3,1; empty: no due-soon reminders.")),
    )),
    ReminderRule(NotificationKind.OVERDUE, OPEN_STATES, _overdue),
    ReminderRule(NotificationKind.ESCALATION, OPEN_STATES, _escalation, (
        RuleSetting("reminders.escalate_to_lead_after", "escalate_to_lead_after", "int", 1, 60,
                    N_("Escalate to the task-force lead after"), N_("Overdue working days.")),
        RuleSetting("reminders.escalate_to_office_after", "escalate_to_office_after", "int", 1, 60,
                    N_("Escalate to the supervision office after"), N_("Overdue working days.")),
    ), check=_escalation_order),
    ReminderRule(NotificationKind.STALE, WITH_CASEWORKER, _stale, (
        RuleSetting("reminders.stale_after_days", "stale_after_days", "int", 1, 365,
                    N_("Remind to report progress after"),
                    N_("Calendar days without a progress update (one dekad: 10).")),
    )),
    ReminderRule(NotificationKind.AWAITING_VERIFICATION, frozenset({State.SUBMITTED}), _awaiting_verification, (
        RuleSetting("reminders.awaiting_verification_working_days", "awaiting_verification_working_days", "int", 1, 60,
                    N_("Remind the task-force lead of a submission after"),
                    N_("Working days waiting for verification; repeated at each multiple.")),
    )),
)


def rules_from_settings(values: dict, *, office_hours: tuple[time, time], timezone: str) -> ReminderRules:
    """ReminderRules from stored setting values (by Setting key); missing keys keep the defaults."""
    fields = {}
    for rule in RULES:
        for setting in rule.settings:
            if setting.key in values:
                value = values[setting.key]
                fields[setting.field] = tuple(int(v) for v in value) if setting.kind == "ints" else int(value)
    return ReminderRules(**fields, office_hours=office_hours, timezone=timezone)


# --- when to run and when to send ------------------------------------------------------------


def catch_up_days(last_run: date | None, now: date, calendar: WorkingDayCalendar) -> list[date]:
    """The days to evaluate now: today if it is a working day not yet evaluated, else none.

    Missed days are deliberately not replayed: the "reached at least" rules fire every missed
    mark once today, and yesterday's daily overdue message is no longer news.
    """
    if last_run is not None and last_run >= now:
        return []
    return [now] if calendar.is_working_day(now) else []


def local_day(dt_aware: datetime, rules: ReminderRules) -> date:
    """The office's calendar day at instant `dt_aware`."""
    return _local(dt_aware, rules).date()


def in_office_hours(dt_aware: datetime, rules: ReminderRules, calendar: WorkingDayCalendar) -> bool:
    """Whether messages may go out at `dt_aware`: a working day, within office hours."""
    local = _local(dt_aware, rules)
    start, end = rules.office_hours
    return calendar.is_working_day(local.date()) and start <= local.time() < end


def next_send_time(
    dt_aware: datetime, rules: ReminderRules, calendar: WorkingDayCalendar
) -> datetime:
    """`dt_aware` if in office hours, else when office hours next begin (office time zone)."""
    local = _local(dt_aware, rules)
    if in_office_hours(local, rules, calendar):
        return local
    start = rules.office_hours[0]
    day = local.date()
    if not (calendar.is_working_day(day) and local.time() < start):
        day = calendar.next_working_day(day)
    return datetime.combine(day, start, tzinfo=local.tzinfo)


def _local(dt_aware: datetime, rules: ReminderRules) -> datetime:
    if dt_aware.tzinfo is None or dt_aware.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime")
    return dt_aware.astimezone(ZoneInfo(rules.timezone))


# --- which cases can be due: the window the tick pre-selects in SQL --------------------------


@dataclass(frozen=True)
class DueWindow:
    """Date bounds outside which no rule fires on `on` (nor needs an unknown calendar year).

    The tick selects in SQL only the open cases that `may_be_due`, then evaluates the rules
    on them: a superset of the cases `due_notifications` returns something for or raises
    UnknownCalendarYear on, never a subset (tests/unit/test_reminders.py checks it over a year,
    tests/integration/test_reminder_window.py checks the SQL against every open case).

    - `due_before`: a deadline or open milestone before it is due soon, overdue or escalated
      (due soon: on ≤ due < due_before, the day after the largest mark's reach);
    - `stale_before`: no activity (progress, else assignment) on or after this local date
      → stale (a case with caseworkers);
    - `submitted_before`: submitted (local date) before it → awaiting verification;
    - `known_from` / `known_until`: the dates around `on` the calendar answers for (whole
      known years); a milestone or submission outside them may raise, so it is selected too
      (a deadline before `on` already is).
    """

    on: date
    due_before: date
    stale_before: date
    submitted_before: date
    known_from: date
    known_until: date

    def may_be_due(self, case: CaseReminderFacts) -> bool:
        """The SQL pre-selection in Python (for tests): whether `case` must be evaluated."""
        if case.state not in OPEN_STATES:
            return False
        if case.deadline < self.due_before:
            return True
        if any(self.on <= due < self.due_before or due < self.known_from for _, due in case.milestones):
            return True
        if case.state in WITH_CASEWORKER:
            activity = [d for d in (case.last_progress_at, case.assigned_at) if d is not None]
            if activity and max(activity) < self.stale_before:
                return True
        if case.state == State.SUBMITTED and case.submitted_at is not None:
            s = case.submitted_at
            return s < self.submitted_before or s > self.known_until
        return False


def due_window(on: date, rules: ReminderRules, calendar: WorkingDayCalendar) -> DueWindow:
    """The DueWindow of working day `on`.

    Raises UnknownCalendarYear exactly when the due-soon reach of `on` crosses into a year the
    calendar does not know: then every open case's evaluation raises it (the first rule asks
    the same question of every case), and the caller reports them all.
    """
    horizon = max(rules.due_soon_working_days, default=-1)
    due_before = calendar.add_working_days(on, horizon + 1)  # what within_working_days asks
    first = last = on.year
    if calendar.knows_year(on.year):
        while first > 1 and calendar.knows_year(first - 1):
            first -= 1
        while last < 9999 and calendar.knows_year(last + 1):
            last += 1
        known_from, known_until = date(first, 1, 1), date(last, 12, 31)
    else:  # `on` answered by an override only: anything but `on` may raise
        known_from = known_until = on
    every = rules.awaiting_verification_working_days
    try:
        # waited ≥ every ⇔ submitted before the every-th working day counted back from `on`
        submitted_before = calendar.add_working_days(on, -(every - 1))
    except UnknownCalendarYear:
        submitted_before = on - timedelta(days=every - 1)  # later, so still a superset
    return DueWindow(
        on=on,
        due_before=due_before,
        stale_before=on - timedelta(days=rules.stale_after_days - 1),
        submitted_before=max(submitted_before, known_from),
        known_from=known_from,
        known_until=known_until,
    )
