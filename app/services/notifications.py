"""Notifications (通知): recorded exactly once, read in the notification centre, delivered by channel.

`add_notifications(rows)` is the one way notifications are written, by the reminder timers
and the outbox relay alike: an INSERT … ON CONFLICT DO NOTHING on the natural key
(uq_notification_natural_key), so a doubled beat, two ticks at once or a retried task record
each notification once. Deliveries (one NotificationDelivery per notification × channel ×
target) are planned in the same transaction for the notifications that were really new, and
`notifications.deliver_pending` is enqueued after commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import current_app
from flask_appbuilder.security.sqla.models import Role, User, assoc_user_role
from flask_babel import gettext
from sqlalchemy import bindparam, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.labels import STATE_LABELS, label
from app.models import (
    Case,
    Department,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    Webhook,
    user_department,
    utcnow,
)
from app.plan_models import Organisation
from app.request_memo import memoized
from app.security import CASEWORKER, LEADER, OFFICE, TASK_FORCE_LEAD
from app.services.after_commit import enqueue_after_commit
from workflows import errors
from workflows.errors import N_
from workflows.reminders import RULES

DELIVER_TASK = "notifications.deliver_pending"
# The kinds the reminder timers send (workflows.reminders.RULES): the office's morning digest.
REMINDER_KINDS = frozenset(str(rule.kind) for rule in RULES)
EMAIL, DIGEST, WEBHOOK = "email", "digest", "webhook"  # delivery channels
# What an event is about, without the recipient: one webhook message per event and group.
EVENT_COLUMNS = ("case_id", "kind", "due_date", "day", "milestone_key", "source_key")


class NotificationNotFound(errors.NotFound, LookupError):
    """No such notification for this user (404: never reveal other users' notifications)."""

    msgid = N_("The notification does not exist, or it is not yours.")


# --- recipients -----------------------------------------------------------------------------


def _members_with_role(role_name: str):
    """SELECT (department_id, user_id) of active users holding `role_name`."""
    return (
        select(user_department.c.department_id, User.id)
        .join(User, User.id == user_department.c.user_id)
        .join(assoc_user_role, assoc_user_role.c.user_id == User.id)
        .join(Role, Role.id == assoc_user_role.c.role_id)
        .where(Role.name == role_name, User.active.is_not(False))
    )


def caseworkers_by_department(department_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """Caseworker user ids per department (one query)."""
    ids = [d for d in set(department_ids) if d is not None]
    found: dict[int, set[int]] = defaultdict(set)
    if ids:
        rows = db.session.execute(
            _members_with_role(CASEWORKER).where(user_department.c.department_id.in_(ids))
        )
        for department_id, user_id in rows:
            found[department_id].add(user_id)
    return {d: frozenset(users) for d, users in found.items()}


def task_force_leads_by_action(action_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """Task-force-lead user ids per action: members of the action's task force (one query)."""
    ids = [a for a in set(action_ids) if a is not None]
    found: dict[int, set[int]] = defaultdict(set)
    if ids:
        rows = db.session.execute(
            _members_with_role(TASK_FORCE_LEAD)
            .add_columns(Department.action_id)
            .join(Department, Department.id == user_department.c.department_id)
            .where(Department.kind == "task_force", Department.action_id.in_(ids))
        )
        for _department_id, user_id, action_id in rows:
            found[action_id].add(user_id)
    return {a: frozenset(users) for a, users in found.items()}


def leader_user_ids(organisation_id: int | None = None) -> frozenset[int]:
    """The leaders (区领导) over an organisation's cases: see `nearest_role_user_ids`."""
    return nearest_role_user_ids(LEADER, organisation_id)


def office_user_ids(organisation_id: int | None = None) -> frozenset[int]:
    """The supervision office (督查室) of an organisation's cases: see `nearest_role_user_ids`."""
    return nearest_role_user_ids(OFFICE, organisation_id)


def nearest_role_user_ids(role: str, organisation_id: int | None) -> frozenset[int]:
    """The active users of `role` nearest to an organisation: those of the organisation itself
    (through their departments), else of the nearest organisation above it that has any, else
    those of no organisation (the whole installation's), else all of them.

    A province holds 125 districts' offices: an escalation or an extension request of a
    township's case is for its own 督查室 (or the district's above it), not for every office
    of the province. A single-district installation has no organisations: every user of the
    role, as before. Read once per context (the tick asks for every due case).
    """
    by_organisation, parents = memoized(("role_users", role), lambda: _role_users(role))
    seen: set[int] = set()
    while organisation_id is not None and organisation_id not in seen:
        seen.add(organisation_id)
        if organisation_id in by_organisation:
            return by_organisation[organisation_id]
        organisation_id = parents.get(organisation_id)
    return by_organisation.get(None) or frozenset().union(*by_organisation.values())


def _role_users(role: str) -> tuple[dict[int | None, frozenset[int]], dict[int, int | None]]:
    """The role's active users by the organisation of their departments (None: of none), and
    every organisation's parent."""
    rows = db.session.execute(
        select(User.id, Department.organisation_id)
        .join(assoc_user_role, assoc_user_role.c.user_id == User.id)
        .join(Role, Role.id == assoc_user_role.c.role_id)
        .outerjoin(user_department, user_department.c.user_id == User.id)
        .outerjoin(Department, Department.id == user_department.c.department_id)
        .where(Role.name == role, User.active.is_not(False))
    ).all()
    organisations: dict[int, set[int | None]] = defaultdict(set)
    for user_id, organisation_id in rows:
        organisations[user_id].add(organisation_id)
    users: dict[int | None, set[int]] = defaultdict(set)
    for user_id, found in organisations.items():
        # A user with departments in organisations belongs to those; only a user with none
        # (no department, or departments of no organisation) is the installation's.
        for organisation_id in (found - {None}) or {None}:
            users[organisation_id].add(user_id)
    parents = dict(db.session.execute(select(Organisation.id, Organisation.parent_id)).all())
    return {k: frozenset(v) for k, v in users.items()}, parents


# --- texts ----------------------------------------------------------------------------------


def date_text(value: dt.date | None) -> str:
    """A date as the office writes it (2024年2月19日)."""
    if value is None:
        return "—"
    return gettext(
        "%(month)s/%(day)s/%(year)s", year=value.year, month=value.month, day=value.day
    )


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compose(
    kind: str,
    case: Case,
    *,
    days: int | None = None,
    milestone: str | None = None,
    actor: str | None = None,
    comment: str | None = None,
    new_deadline: dt.date | None = None,
    approved: bool | None = None,
    path: str | None = None,
) -> tuple[str, str]:
    """The Chinese title and body of a notification about `case`; the link opens `path`
    (default the case page — a problem's addressee, who may not see the case, gets its page)."""
    name = _short(case.title)
    title = _title(kind, name, days, milestone, new_deadline, approved)
    lines = [
        gettext("Case: %(title)s", title=case.title),
        gettext("Action: %(action)s", action=str(case.action) if case.action else "—"),
        gettext("Lead department: %(department)s", department=case.lead_department_name or "—"),
        gettext("Deadline: %(date)s", date=date_text(case.deadline)),
        gettext("State: %(state)s", state=label(STATE_LABELS, case.state)),
    ]
    if comment:
        lines.append(gettext("%(name)s wrote: %(comment)s", name=actor or "—", comment=comment))
    closing = _CLOSINGS.get(kind)
    if closing:
        lines.append(gettext(closing))
    base = (current_app.config.get("MAIL_LINK_BASE_URL") or "").rstrip("/")
    if base:
        lines.append(gettext("Open: %(url)s", url=base + (path or f"/caseview/show/{case.id}")))
    return title[:200], "\n".join(lines)


def _title(kind, name, days, milestone, new_deadline, approved) -> str:
    if kind == "due_soon":
        if milestone:
            if days:
                return gettext(
                    "[Reminder] %(case)s: %(days)s working days left until the milestone "
                    "“%(milestone)s”",
                    case=name, days=days, milestone=milestone,
                )
            return gettext(
                "[Reminder] %(case)s: the milestone “%(milestone)s” is due today",
                case=name, milestone=milestone,
            )
        if days:
            return gettext(
                "[Reminder] %(case)s: %(days)s working days left until the deadline",
                case=name, days=days,
            )
        return gettext("[Reminder] %(case)s: due today", case=name)
    if kind == "extension_decided":
        if approved:
            return gettext(
                "[Extension approved] %(case)s: new deadline %(date)s",
                case=name, date=date_text(new_deadline),
            )
        return gettext("[Extension refused] %(case)s", case=name)
    if kind == "lead_proposal_decided":
        if approved:
            return gettext("[Proposal accepted] %(case)s: the proposed lead department leads it", case=name)
        return gettext("[Proposal rejected] %(case)s: the proposed lead department was not accepted",
                       case=name)
    template = _TITLES.get(kind, "[Notice] %(case)s")
    return gettext(template, case=name, days=days, date=date_text(new_deadline))


# msgids are extracted from these literals (see the catalogue); gettext translates at use.
_TITLES = {
    "overdue": "[Overdue] %(case)s: %(days)s working days past the deadline",
    "escalation": "[Escalation] %(case)s: overdue for %(days)s working days",
    "stale": "[Progress] %(case)s: no progress reported for %(days)s days",
    "awaiting_verification": (
        "[To verify] %(case)s: submitted %(days)s working days ago, not yet verified"
    ),
    "urge": "[Urged] %(case)s",
    "submitted": "[Submitted] %(case)s: waiting for your verification",
    "returned": "[Returned] %(case)s: revise it and submit again",
    "verified": "[Verified] %(case)s: ready to be closed",
    "assigned": "[Assigned] %(case)s: your department now leads this case",
    "reopened": "[Reopened] %(case)s",
    "extension_requested": "[Extension request] %(case)s: new deadline %(date)s requested",
    "deadline_changed": "[Deadline changed] %(case)s: new deadline %(date)s",
    "lead_proposed": "[Lead department proposed] %(case)s: waiting for your decision",
    "instruction": "[Leader's instruction] %(case)s: your answer is required",
    "instruction_answered": "[Instruction answered] %(case)s",
    "problem": "[Problem to coordinate] %(case)s: your coordination is required",
    "problem_solved": "[Problem solved] %(case)s",
    "rectification": "[Rectification] %(case)s: rectify by %(date)s",
}
_CLOSINGS = {
    "due_soon": "Please finish on time and report your progress.",
    "overdue": "Please finish as soon as possible and report your progress.",
    "stale": "Please report your progress.",
    "escalation": "Please follow up with the lead department.",
    "awaiting_verification": "Please verify the submission.",
    "submitted": "Please verify the submission.",
    "urge": "Please act on it promptly and report back.",
    "returned": "Please revise the work and submit it again.",
    "verified": "Please close the case or return it.",
    "assigned": "Please accept the case.",
    "reopened": "Please accept the case again and report your progress.",
    "extension_requested": "Please approve or refuse the request.",
    "lead_proposed": "Please accept or reject the proposed lead department.",
    "instruction": "Please act on the instruction and answer it on the case page.",
    "problem": "Please coordinate and record the answer on the case page.",
    "rectification": "Please accept the case, rectify the problem found and submit the rectification.",
}


# --- recording ------------------------------------------------------------------------------


def dialect_insert(model):
    """The dialect's INSERT (PostgreSQL or SQLite), which knows ON CONFLICT."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def add_notifications(rows: Sequence[dict]) -> list[int]:
    """Record notifications once by their natural key; plan deliveries for the new ones.

    Each row has case_id, kind, recipient_id, day, title, body and optionally due_date,
    milestone_key (0 = the deadline) and source_key. Returns the ids really created; the
    caller commits, after which `notifications.deliver_pending` is enqueued.
    """
    if not rows:
        return []
    now = utcnow()
    prefs = _preferences({r["recipient_id"] for r in rows})
    values = []
    for row in rows:
        pref = prefs.get(row["recipient_id"])
        values.append(
            {
                "due_date": None,
                "milestone_key": 0,
                "source_key": "",
                **row,
                "created_at": now,
                # In-app notifications turned off: recorded (for the other channels) as read.
                "read_at": now if pref is not None and not pref.in_app else None,
            }
        )
    created = []
    for _keys, group in _by_keys(values):
        for statement in _inserts_of_new(Notification.__table__, group):
            created += db.session.scalars(statement)
    if created and _plan_deliveries(created, prefs):
        enqueue_after_commit(DELIVER_TASK)
    return created


def _preferences(user_ids: Iterable[int]) -> dict[int, NotificationPreference]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id.in_(ids))
    )
    return {p.user_id: p for p in rows}


def _event_key(n: Notification) -> tuple:
    return tuple(getattr(n, c) for c in EVENT_COLUMNS)


def _plan_deliveries(notification_ids: list[int], prefs: dict) -> int:
    """Email (or digest) per recipient, one webhook message per event and department robot."""
    notes = [
        n
        for chunk in _chunks(notification_ids, 5000)
        for n in db.session.scalars(
            select(Notification).where(Notification.id.in_(chunk)).order_by(Notification.id)
        )
    ]
    users = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_({n.recipient_id for n in notes})))
    }
    rows = []
    if current_app.config.get("MAIL_ENABLED"):
        digest_users = _members_of_digest_departments(users)
        for n in notes:
            user, pref = users.get(n.recipient_id), prefs.get(n.recipient_id)
            if user is None or not user.email or (pref is not None and not pref.email):
                continue
            chose = pref.daily_digest if pref is not None else digest_by_default(user, n.kind)
            wants_digest = chose or user.id in digest_users
            channel = DIGEST if wants_digest else EMAIL
            rows.append({"notification_id": n.id, "channel": channel, "target": user.email})
    rows += _webhook_deliveries(notes)
    if not rows:
        return 0
    statement = dialect_insert(NotificationDelivery.__table__).on_conflict_do_nothing()
    for _keys, group in _by_keys(rows):
        db.session.execute(statement, group)
    return len(rows)


def digest_by_default(user, kind: str | None = None) -> bool:
    """The supervision office hears of every case of the district: unless its members chose
    otherwise, their timers' reminders (due soon, overdue, escalations…) come as one daily
    digest, while what asks them to act now (an extension request, a proposal) is mailed at
    once. Everyone else gets a mail per notification. `kind` None: the default of the
    preferences page."""
    if not any(role.name == OFFICE for role in user.roles):
        return False
    return kind is None or kind in REMINDER_KINDS


def _members_of_digest_departments(user_ids) -> set[int]:
    """Users in a department that chose one daily digest instead of a mail per case."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(user_department.c.user_id)
            .join(Department, Department.id == user_department.c.department_id)
            .where(Department.daily_digest.is_(True), user_department.c.user_id.in_(list(user_ids)))
        )
    )


def _inserts_of_new(table, rows: list[dict]):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id statements for `rows` (same keys in each).

    On PostgreSQL one short statement over one array per column (unnest): a VALUES list of a
    reminder tick's 4,000 rows cost 1.5 s to compile and as much again for psycopg to parse
    its 48,000 placeholders. Elsewhere (SQLite) VALUES lists of 1,000 rows, below SQLite's
    limit of 32,766 bound variables per statement.
    """
    columns = sorted(rows[0])
    if db.session.get_bind().dialect.name != "postgresql":
        return [sqlite.insert(table).values(chunk).on_conflict_do_nothing().returning(table.c.id)
                for chunk in _chunks(rows)]
    arrays = [
        cast(bindparam(f"{c}_values", [row[c] for row in rows], type_=postgresql.ARRAY(table.c[c].type)),
             postgresql.ARRAY(table.c[c].type))
        for c in columns
    ]
    source = func.unnest(*arrays).table_valued(*columns).render_derived()
    return [
        postgresql.insert(table)
        .from_select(columns, select(*(source.c[c] for c in columns)))
        .on_conflict_do_nothing()
        .returning(table.c.id)
    ]


def _by_keys(rows: list[dict]):
    """Rows grouped by their set of keys (an executemany needs the same columns in each)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return groups.items()


def _chunks(rows: list, size: int = 1000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _webhook_deliveries(notes: list[Notification]) -> list[dict]:
    """One delivery per (event, robot): to a department's robot when a member is notified,
    to a robot without department for every event; never twice for the same event."""
    webhooks = list(db.session.scalars(select(Webhook).where(Webhook.active.is_(True))))
    if not webhooks or not notes:
        return []
    memberships: dict[int, set[int]] = defaultdict(set)
    for user_id, department_id in db.session.execute(
        select(user_department.c.user_id, user_department.c.department_id).where(
            user_department.c.user_id.in_({n.recipient_id for n in notes})
        )
    ):
        memberships[user_id].add(department_id)
    already = {
        tuple(row)
        for row in db.session.execute(
            select(*(getattr(Notification, c) for c in EVENT_COLUMNS), NotificationDelivery.target)
            .join(NotificationDelivery, NotificationDelivery.notification_id == Notification.id)
            .where(
                NotificationDelivery.channel == WEBHOOK,
                Notification.case_id.in_({n.case_id for n in notes}),
                Notification.day.in_({n.day for n in notes}),
            )
        )
    }
    events: dict[tuple, list[Notification]] = defaultdict(list)
    for n in notes:
        events[_event_key(n)].append(n)
    rows = []
    for key, members in events.items():
        for hook in webhooks:
            target = webhook_target(hook.id)
            if (*key, target) in already:
                continue
            chosen = next(
                (
                    n
                    for n in members
                    if hook.department_id is None or hook.department_id in memberships[n.recipient_id]
                ),
                None,
            )
            if chosen is not None:
                rows.append({"notification_id": chosen.id, "channel": WEBHOOK, "target": target})
                already.add((*key, target))
    return rows


def webhook_target(webhook_id: int) -> str:
    """The delivery target naming a Webhook row (its URL may change; the row stays)."""
    return f"webhook:{webhook_id}"


# --- the notification centre ----------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a user's notifications."""

    items: list[Notification]
    total: int
    unread: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def unread_count(user_id: int) -> int:
    """How many of the user's notifications are unread (the navbar badge)."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.recipient_id == user_id, Notification.read_at.is_(None)
        )
    ) or 0


def notifications_page(
    user_id: int, *, unread_only: bool = False, page: int = 1, page_size: int = 30
) -> Page:
    """The user's own notifications, newest first."""
    page = max(1, int(page))
    page_size = min(max(1, int(page_size)), 200)
    where = [Notification.recipient_id == user_id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count(Notification.id)).where(*where)) or 0
    items = list(
        db.session.scalars(
            select(Notification)
            .where(*where)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    return Page(items, total, unread_count(user_id), page, page_size)


def mark_read(user_id: int, notification_ids: Sequence[int] | None = None) -> int:
    """Mark the user's own notifications read (all when no ids); returns how many changed.

    Any id that is not the user's raises NotificationNotFound and changes nothing.
    """
    where = [Notification.recipient_id == user_id, Notification.read_at.is_(None)]
    if notification_ids is not None:
        try:
            ids = {int(i) for i in notification_ids}
        except (TypeError, ValueError):
            raise NotificationNotFound() from None
        own = set(
            db.session.scalars(
                select(Notification.id).where(
                    Notification.id.in_(ids), Notification.recipient_id == user_id
                )
            )
        )
        if own != ids:
            raise NotificationNotFound()
        where.append(Notification.id.in_(ids))
    result = db.session.execute(update(Notification).where(*where).values(read_at=utcnow()))
    db.session.commit()
    return result.rowcount


def own_notification(user_id: int, notification_id) -> Notification:
    """One of the user's notifications, or NotificationNotFound."""
    try:
        found = db.session.get(Notification, int(notification_id))
    except (TypeError, ValueError):
        found = None
    if found is None or found.recipient_id != user_id:
        raise NotificationNotFound()
    return found


# --- preferences ----------------------------------------------------------------------------


def preferences(user_id: int) -> NotificationPreference:
    """The user's preferences (defaults when never saved: email and in-app; the daily digest
    for the supervision office, a mail per reminder for everyone else)."""
    saved = db.session.get(NotificationPreference, user_id)
    if saved is not None:
        return saved
    user = db.session.get(User, user_id)
    return NotificationPreference(
        user_id=user_id, email=True, in_app=True,
        daily_digest=user is not None and digest_by_default(user),
    )


def save_preferences(user_id: int, *, email: bool, in_app: bool, daily_digest: bool):
    """Store the user's own preferences."""
    pref = db.session.get(NotificationPreference, user_id) or NotificationPreference(user_id=user_id)
    pref.email, pref.in_app, pref.daily_digest = bool(email), bool(in_app), bool(daily_digest)
    db.session.add(pref)
    db.session.commit()
    return pref


# --- listing for tools ----------------------------------------------------------------------


def list_notifications(
    *, case_id: int | None = None, username: str | None = None, kind: str | None = None
) -> list[dict]:
    """Notifications as plain rows (oldest first) for `flask notifications list --json`."""
    query = (
        select(Notification, User.username)
        .join(User, User.id == Notification.recipient_id)
        .order_by(Notification.created_at, Notification.id)
    )
    if case_id is not None:
        query = query.where(Notification.case_id == case_id)
    if username is not None:
        query = query.where(User.username == username)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    rows = db.session.execute(query).all()
    deliveries: dict[int, list[dict]] = defaultdict(list)
    ids = [n.id for n, _ in rows]
    for start in range(0, len(ids), 5000):
        for d in db.session.scalars(
            select(NotificationDelivery)
            .where(NotificationDelivery.notification_id.in_(ids[start : start + 5000]))
            .order_by(NotificationDelivery.id)
        ):
            deliveries[d.notification_id].append(
                {"channel": d.channel, "target": d.target, "status": d.status,
                 "attempts": d.attempts, "delivered_at": iso_utc(d.delivered_at)}
            )
    return [
        {
            "id": n.id,
            "case_id": n.case_id,
            "kind": n.kind,
            "recipient": username,
            "recipient_id": n.recipient_id,
            "created_at": iso_utc(n.created_at),
            "day": n.day.isoformat(),
            "due_date": n.due_date.isoformat() if n.due_date else None,
            "milestone_id": n.milestone_key or None,
            "source_key": n.source_key or None,
            "title": n.title,
            "read_at": iso_utc(n.read_at),
            "deliveries": deliveries.get(n.id, []),
        }
        for n, username in rows
    ]


def iso_utc(value: dt.datetime | None) -> str | None:
    """A stored UTC datetime as ISO 8601 with its offset."""
    return value.replace(tzinfo=dt.UTC).isoformat() if value else None
