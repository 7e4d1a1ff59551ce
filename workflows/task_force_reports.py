"""专班报送: each task force's 亮点, 难点堵点 and 下步计划 before a dekad brief or a monthly bulletin.

Plain rules (no Flask, no SQLAlchemy). A submission belongs to one task force (a Department of
kind task_force) and one report period: a dekad ("2024-06-D2", for the 旬简报 `dekad`) or a
month ("2024-06", for the 月通报 `monthly`). It is due on the period's last day (the report is
generated the day after, on day 1, 11 or 21); submitted later it is late, never submitted it is
missing. It may be edited until that period's report is signed or issued. The lead of that task
force or the supervision office may write it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflows.calendar import WorkingDayCalendar
from workflows.errors import N_, Conflict, Forbidden, InvalidInput
from workflows.periods import Period, PeriodKind, parse_period
from workflows.vocabulary import Actor, Role

# The three texts, in the order the form and the report print them: (field, label).
FIELDS = (("highlights", "亮点"), ("difficulties", "难点堵点"), ("next_steps", "下步计划"))
MAX_LENGTH = 2000  # characters per text
REPORT_KIND_OF = {PeriodKind.DEKAD: "dekad", PeriodKind.MONTH: "monthly"}
REMIND_WORKING_DAYS = 2  # the reminder goes out this many working days before the due date
NOTIFICATION_KIND = "task_force_report_due"
MISSING_TEXT = "未报送"


class InvalidReportPeriod(InvalidInput):
    code = "invalid_report_period"
    msgid = N_("“%(period)s” is not a dekad (2024-06-D2) or a month (2024-06): task forces report for the dekad brief and the monthly bulletin.")


class NotATaskForce(InvalidInput):
    code = "not_a_task_force"
    msgid = N_("Choose the task force this submission is for.")


class TaskForceReportForbidden(Forbidden):
    code = "task_force_report_forbidden"
    msgid = N_("Only the lead of this task force or the supervision office may write its submission.")


class OverviewForbidden(Forbidden):
    code = "task_force_overview_forbidden"
    msgid = N_("Only the supervision office and the leaders see which task forces have reported.")


class TaskForceReportLocked(Conflict):
    code = "task_force_report_locked"
    msgid = N_("The report of %(period)s has been signed or issued: its task-force submissions can no longer change.")


class TextTooLong(InvalidInput):
    code = "text_too_long"
    msgid = N_("%(field)s may be at most %(max)s characters (now %(length)s).")


class SubmissionEmpty(InvalidInput):
    code = "task_force_report_empty"
    msgid = N_("Write the highlights, the difficulties and the next steps (write “无” where there is nothing).")


def report_period(key: object) -> Period:
    """The dekad or month of a period key; anything else is refused."""
    try:
        period = parse_period(key) if isinstance(key, str) else None
    except ValueError:
        period = None
    if period is None or period.kind not in REPORT_KIND_OF:
        raise InvalidReportPeriod(period=str(key)[:40])
    return period


def report_kind(period: Period) -> str:
    """The report a period's submissions feed: dekad (旬简报) or monthly (月通报)."""
    return REPORT_KIND_OF[period.kind]


def due_date(period: Period) -> date:
    """A submission is due on the period's last day."""
    return period.last_day or period.end


def open_periods(today: date) -> list[Period]:
    """The periods a task force may be asked about on `today`: for the dekad and the month,
    the running one and the one just ended (its report may not be issued yet), newest first."""
    found = []
    for kind in (PeriodKind.DEKAD, PeriodKind.MONTH):
        running = Period.containing(kind, today)
        found += [running, running.previous()]
    return sorted(found, key=lambda p: (due_date(p), p.kind == PeriodKind.MONTH), reverse=True)


def clean_texts(values: dict) -> dict[str, str]:
    """The three texts trimmed and bounded; all three are needed."""
    texts = {}
    for name, label in FIELDS:
        value = values.get(name)
        text = value.strip() if isinstance(value, str) else ""
        if len(text) > MAX_LENGTH:
            raise TextTooLong(field=label, max=MAX_LENGTH, length=len(text))
        texts[name] = text
    if not all(texts.values()):
        raise SubmissionEmpty()
    return texts


def may_write(actor: Actor, task_force_id: int) -> bool:
    """The task force's own lead, or the supervision office (an admin too)."""
    if Role.OFFICE in actor.roles or Role.ADMIN in actor.roles:
        return True
    return Role.TASK_FORCE_LEAD in actor.roles and task_force_id in actor.department_ids


def may_overview(actor: Actor) -> bool:
    """Who sees every task force's submissions (who has reported, when, what): the office and the leaders."""
    return bool({Role.OFFICE, Role.LEADER} & actor.roles)


def may_read(actor: Actor, task_force_id: int) -> bool:
    """One submission: the office, the leaders, and who may write it (its own lead)."""
    return may_overview(actor) or may_write(actor, task_force_id)


def check_write(actor: Actor, task_force_id: int, *, period: Period, report_locked: bool) -> None:
    if not may_write(actor, task_force_id):
        raise TaskForceReportForbidden()
    if report_locked:
        raise TaskForceReportLocked(period=period.label_zh)


@dataclass(frozen=True)
class Timeliness:
    """Whether a task force reported for a period, and on time."""

    status: str  # "on_time", "late", "missing", "not_due"
    due: date
    submitted_on: date | None = None

    @property
    def late(self) -> bool:
        return self.status in ("late", "missing")


def timeliness(period: Period, submitted_on: date | None, today: date) -> Timeliness:
    """on_time (by the due date), late (after it), missing (due and not submitted), not_due."""
    due = due_date(period)
    if submitted_on is None:
        return Timeliness("missing" if today > due else "not_due", due)
    return Timeliness("on_time" if submitted_on <= due else "late", due, submitted_on)


def reminder_due(period: Period, on: date, calendar: WorkingDayCalendar,
                 before: int = REMIND_WORKING_DAYS) -> bool:
    """Whether working day `on` is in the reminder window: at most `before` working days
    before the due date, and not after it. (The key makes it one message per period.)"""
    due = due_date(period)
    if on > due or not calendar.is_working_day(on):
        return False
    return calendar.working_days_until(on, due) <= before
