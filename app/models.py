"""Database models of Duban, named after the glossary in shared/design/domain.md.

Every model sits on Flask-AppBuilder's `Model`, so that Alembic sees one metadata
(ours and FAB's security tables) and FAB's views can use them directly.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import relationship


def utcnow() -> dt.datetime:
    """Naive UTC now: every DateTime column stores UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


DEPARTMENT_KINDS = ("district_department", "township", "task_force", "office")
LIST_KINDS = ("task", "policy", "project")
CASE_STATES = ("assigned", "in_progress", "submitted", "verified", "closed")
LEAD_BASES = ("named", "implied", "none")
# workflows.targets: Kind, Frequency, Judgement
INDICATOR_KINDS = ("growth", "cumulative", "level", "ceiling", "qualitative")
REPORTING_FREQUENCIES = ("monthly", "quarterly", "yearly")
JUDGEMENTS = ("done", "mostly_done", "not_done")

user_department = Table(
    "user_department",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "department_id", Integer, ForeignKey("department.id", ondelete="CASCADE"), primary_key=True
    ),
)

case_partner = Table(
    "case_partner",
    Model.metadata,
    Column("case_id", Integer, ForeignKey("case.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", Integer, ForeignKey("department.id"), primary_key=True),
    Index("ix_case_partner_department", "department_id", "case_id"),
)


class Department(Model):
    """单位: a district department, township/street, task force (专班) or office.

    A task force is a department of kind `task_force`; `action_id` links it to the
    action it runs (empty for the overall task force, 总专班). Its members with the
    task-force-lead role are the leads of that action's cases.
    """

    __tablename__ = "department"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), unique=True, nullable=False)
    short_name = Column(String(50), unique=True)
    kind = Column(String(30), nullable=False, default="district_department")
    action_id = Column(Integer, ForeignKey("action.id", use_alter=True))
    action = relationship("Action", foreign_keys=[action_id])
    members = relationship("User", secondary=user_department, lazy="selectin")
    # The department asked for one daily digest per member instead of a mail per case.
    daily_digest = Column(Boolean, nullable=False, default=False, server_default=false())

    __table_args__ = (CheckConstraint(f"kind IN {DEPARTMENT_KINDS}", name="ck_department_kind"),)

    def __str__(self) -> str:
        return self.short_name or self.name


class Plan(Model):
    """总体方案: one annual overall plan."""

    __tablename__ = "plan"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    year = Column(Integer, nullable=False)
    issuer = Column(String(100))
    source_digest = Column(String(64))
    loaded_at = Column(DateTime, default=utcnow, nullable=False)

    __table_args__ = (UniqueConstraint("title", "year", name="uq_plan_title_year"),)

    def __str__(self) -> str:
        return f"{self.title}（{self.year}）"


class Goal(Model):
    """主要目标: a headline goal paragraph of a plan."""

    __tablename__ = "goal"
    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False)
    plan = relationship("Plan")
    index = Column(Integer, nullable=False)
    title = Column(String(200), nullable=False)
    text = Column(Text, nullable=False, default="")

    __table_args__ = (UniqueConstraint("plan_id", "index", name="uq_goal_plan_index"),)

    def __str__(self) -> str:
        return self.title


class Action(Model):
    """行动: one of the plan's actions, with its lead department."""

    __tablename__ = "action"
    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False)
    plan = relationship("Plan")
    index = Column(Integer, nullable=False)
    title = Column(String(200), nullable=False)
    subtitle = Column(String(200))
    text = Column(Text, nullable=False, default="")
    lead_department_id = Column(Integer, ForeignKey("department.id"))
    lead_department = relationship("Department", foreign_keys=[lead_department_id])
    lead_basis = Column(String(10), nullable=False, default="none")

    __table_args__ = (UniqueConstraint("plan_id", "index", name="uq_action_plan_index"),)

    def __str__(self) -> str:
        return f"（{self.index}）{self.title}"


class Case(Model):
    """任务 / 督办事项: one tracked task moving through the case workflow."""

    __tablename__ = "case"
    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False)
    plan = relationship("Plan")
    action_id = Column(Integer, ForeignKey("action.id"))
    action = relationship("Action", lazy="joined")
    # Stable key of the case inside its plan file or list, so reloading updates in place.
    source_key = Column(String(64), nullable=False)
    seq = Column(Integer, nullable=False, default=0)
    title = Column(String(200), nullable=False)
    text = Column(Text, nullable=False, default="")
    list_kind = Column(String(10), nullable=False, default="task")
    lead_department_id = Column(Integer, ForeignKey("department.id"))
    lead_department = relationship("Department", foreign_keys=[lead_department_id], lazy="joined")
    lead_basis = Column(String(10), nullable=False, default="none")
    partner_departments = relationship("Department", secondary=case_partner, lazy="selectin")
    owner_id = Column(Integer, ForeignKey("ab_user.id"))
    owner = relationship("User", foreign_keys=[owner_id])
    assignee_id = Column(Integer, ForeignKey("ab_user.id"))
    assignee = relationship("User", foreign_keys=[assignee_id])
    start_date = Column(Date, nullable=False)
    deadline = Column(Date, nullable=False)
    # The deadline first set; extensions move `deadline` but scoring uses this one.
    original_deadline = Column(Date, nullable=False)
    requires_evidence = Column(Boolean, nullable=False, default=False)
    state = Column(String(20), nullable=False, default="assigned")
    version = Column(Integer, nullable=False, default=1)
    percent_done = Column(Integer, nullable=False, default=0)
    last_progress_at = Column(DateTime)
    assigned_at = Column(DateTime, nullable=False, default=utcnow)
    submitted_at = Column(DateTime)
    verified_at = Column(DateTime)
    closed_at = Column(DateTime)
    state_changed_at = Column(DateTime, nullable=False, default=utcnow)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    milestones = relationship(
        "Milestone", order_by="Milestone.due_date", lazy="selectin", cascade="all, delete-orphan"
    )
    indicators = relationship("Indicator", order_by="Indicator.position", lazy="selectin")

    __table_args__ = (
        UniqueConstraint("plan_id", "source_key", name="uq_case_plan_source_key"),
        CheckConstraint(f"state IN {CASE_STATES}", name="ck_case_state"),
        CheckConstraint(f"list_kind IN {LIST_KINDS}", name="ck_case_list_kind"),
        CheckConstraint("percent_done BETWEEN 0 AND 100", name="ck_case_percent"),
        Index("ix_case_lead_state", "lead_department_id", "state"),
        Index("ix_case_action_state", "action_id", "state"),
        Index("ix_case_state_deadline", "state", "deadline"),
        Index("ix_case_deadline", "deadline"),
    )

    @property
    def action_index(self) -> int | None:
        return self.action.index if self.action else None

    @property
    def lead_department_name(self) -> str | None:
        return self.lead_department.name if self.lead_department else None

    def __str__(self) -> str:
        return self.title


class Milestone(Model):
    """时间节点: an intermediate due date of a case."""

    __tablename__ = "milestone"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False)
    title = Column(String(200), nullable=False)
    due_date = Column(Date, nullable=False)
    done_at = Column(DateTime)

    __table_args__ = (Index("ix_milestone_due", "due_date"),)

    def __str__(self) -> str:
        return f"{self.title} {self.due_date}"


class Indicator(Model):
    """指标: a measurable target quoted from the plan (goal, action or case level).

    `kind` says what the number means (workflows.targets); a qualitative target has no
    value. The responsible unit reports actuals; for a case's target it defaults to the
    case's lead department.
    """

    __tablename__ = "indicator"
    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False)
    goal_id = Column(Integer, ForeignKey("goal.id", ondelete="CASCADE"))
    goal = relationship("Goal")
    action_id = Column(Integer, ForeignKey("action.id", ondelete="CASCADE"))
    action = relationship("Action")
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"))
    case = relationship("Case", back_populates="indicators")
    position = Column(Integer, nullable=False, default=0)
    name = Column(String(200), nullable=False)
    value = Column(Numeric(18, 4))
    value_max = Column(Numeric(18, 4))
    unit = Column(String(30), nullable=False, default="")
    comparator = Column(String(2), nullable=False, default="=")
    year = Column(Integer, nullable=False)
    quote = Column(Text, nullable=False, default="")
    kind = Column(String(12), nullable=False, default="cumulative", server_default="cumulative")
    responsible_department_id = Column(Integer, ForeignKey("department.id", ondelete="SET NULL"))
    responsible_department = relationship("Department")
    frequency = Column(String(10), nullable=False, default="monthly", server_default="monthly")
    baseline = Column(Numeric(18, 4))
    # Cumulative targets: the running totals expected at the end of Q1..Q4, if given.
    schedule = Column(JSON)

    __table_args__ = (
        CheckConstraint("comparator IN ('≥', '≤', '=')", name="ck_indicator_comparator"),
        CheckConstraint(f"kind IN {INDICATOR_KINDS}", name="ck_indicator_kind"),
        CheckConstraint(f"frequency IN {REPORTING_FREQUENCIES}", name="ck_indicator_frequency"),
        CheckConstraint("value IS NOT NULL OR kind = 'qualitative'", name="ck_indicator_value"),
        Index("ix_indicator_case", "case_id"),
    )

    def __str__(self) -> str:
        if self.value is None:
            return self.name
        return f"{self.name} {self.comparator} {self.value:g}{self.unit}"


def _local_month(context) -> str:
    """The statistical period of an actual recorded without one: the local month it was typed."""
    at = context.get_current_parameters().get("recorded_at") or utcnow()
    local = at + dt.timedelta(hours=8)  # Asia/Shanghai has no daylight saving
    return f"{local.year:04d}-{local.month:02d}"


class IndicatorActual(Model):
    """An actual value of an indicator for a statistical period (e.g. 2024-06).

    Rows are never updated: a correction is a new row for the same period, and the latest
    recorded row of a period is its value. A qualitative target gets a judgement instead.
    """

    __tablename__ = "indicator_actual"
    id = Column(Integer, primary_key=True)
    indicator_id = Column(
        Integer, ForeignKey("indicator.id", ondelete="CASCADE"), nullable=False, index=True
    )
    indicator = relationship("Indicator")
    progress_update_id = Column(Integer, ForeignKey("progress_update.id", ondelete="CASCADE"))
    period = Column(String(7), nullable=False, default=_local_month)
    value = Column(Numeric(18, 4))
    judgement = Column(String(12))
    note = Column(Text, nullable=False, default="", server_default="")
    source = Column(String(100), nullable=False, default="", server_default="")
    author_id = Column(Integer, ForeignKey("ab_user.id"))
    author = relationship("User")
    recorded_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint(f"judgement IS NULL OR judgement IN {JUDGEMENTS}", name="ck_actual_judgement"),
        CheckConstraint("value IS NOT NULL OR judgement IS NOT NULL", name="ck_actual_value"),
        Index("ix_actual_indicator_period", "indicator_id", "period", "recorded_at"),
    )


class ProgressUpdate(Model):
    """进展反馈: a caseworker's progress report on a case."""

    __tablename__ = "progress_update"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False)
    case = relationship("Case")
    author_id = Column(Integer, ForeignKey("ab_user.id"))
    author = relationship("User")
    note = Column(Text, nullable=False)
    percent_done = Column(Integer, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    actuals = relationship("IndicatorActual", lazy="selectin")
    evidence_files = relationship("EvidenceFile", lazy="selectin")

    __table_args__ = (Index("ix_progress_case_created", "case_id", "created_at"),)


class EvidenceFile(Model):
    """An evidence file stored outside the web root under a generated name."""

    __tablename__ = "evidence_file"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    progress_update_id = Column(Integer, ForeignKey("progress_update.id", ondelete="CASCADE"))
    original_name = Column(String(255), nullable=False)
    stored_name = Column(String(80), nullable=False, unique=True)
    content_type = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id"))
    uploaded_at = Column(DateTime, nullable=False, default=utcnow)


class CaseHistory(Model):
    """流转记录: the append-only history of a case — never updated, never deleted.

    `kind` is `transition` for workflow transitions (with from/to state), and
    progress, urge, extension_request, extension_decision, comment, deadline_change
    for the other recorded acts.
    """

    __tablename__ = "case_history"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)
    actor_id = Column(Integer, ForeignKey("ab_user.id"))
    actor = relationship("User")
    actor_name = Column(String(100), nullable=False, default="system")
    kind = Column(String(30), nullable=False)
    transition = Column(String(20))
    from_state = Column(String(20))
    to_state = Column(String(20))
    comment = Column(Text)
    data = Column(JSON)

    __table_args__ = (Index("ix_case_history_case_at", "case_id", "at", "id"),)


class ExtensionRequest(Model):
    """延期申请: a caseworker's request to move a deadline, decided by the office."""

    __tablename__ = "extension_request"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False)
    case = relationship("Case")
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"))
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    requested_at = Column(DateTime, nullable=False, default=utcnow)
    old_deadline = Column(Date, nullable=False)
    new_deadline = Column(Date, nullable=False)
    reason = Column(Text, nullable=False)
    status = Column(String(10), nullable=False, default="pending")
    decided_by_id = Column(Integer, ForeignKey("ab_user.id"))
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    decided_at = Column(DateTime)
    decision_comment = Column(Text)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'refused')", name="ck_extension_status"),
        Index("ix_extension_status", "status", "case_id"),
    )


class OutboxEvent(Model):
    """An event written with the change that raised it, relayed to Celery after commit."""

    __tablename__ = "outbox_event"
    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    kind = Column(String(40), nullable=False)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"))
    payload = Column(JSON, nullable=False, default=dict)
    relayed_at = Column(DateTime)
    attempts = Column(Integer, nullable=False, default=0)

    __table_args__ = (Index("ix_outbox_pending", "relayed_at", "id"),)


class Notification(Model):
    """One message to one user, unique by its natural key so it exists once."""

    __tablename__ = "notification"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False)
    case = relationship("Case")
    kind = Column(String(30), nullable=False)
    recipient_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    recipient = relationship("User")
    due_date = Column(Date)
    day = Column(Date, nullable=False)
    # Milestone id, or 0 for the case's deadline: part of the natural key, never NULL
    # (NULLs would defeat the unique constraint).
    milestone_key = Column(Integer, nullable=False, default=0)
    # For urges and other event-driven messages: the history row that raised it.
    source_key = Column(String(64), nullable=False, default="")
    title = Column(String(200), nullable=False, default="")
    body = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    read_at = Column(DateTime)

    __table_args__ = (
        UniqueConstraint(
            "case_id",
            "kind",
            "due_date",
            "recipient_id",
            "day",
            "milestone_key",
            "source_key",
            name="uq_notification_natural_key",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_notification_recipient_unread", "recipient_id", "read_at"),
    )


class NotificationDelivery(Model):
    """Delivery of a notification over one channel (email, webhook), at most once."""

    __tablename__ = "notification_delivery"
    id = Column(Integer, primary_key=True)
    notification_id = Column(
        Integer, ForeignKey("notification.id", ondelete="CASCADE"), nullable=False
    )
    channel = Column(String(20), nullable=False)
    target = Column(String(300), nullable=False, default="")
    status = Column(String(10), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    claimed_at = Column(DateTime)
    delivered_at = Column(DateTime)
    last_error = Column(Text)

    __table_args__ = (
        UniqueConstraint("notification_id", "channel", "target", name="uq_delivery_channel"),
        Index("ix_delivery_status", "status", "id"),
    )


class NotificationPreference(Model):
    """A user's choice of channels and digest."""

    __tablename__ = "notification_preference"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    email = Column(Boolean, nullable=False, default=True)
    in_app = Column(Boolean, nullable=False, default=True)
    daily_digest = Column(Boolean, nullable=False, default=False)


class Webhook(Model):
    """A group-robot or generic JSON endpoint that receives a department's notifications."""

    __tablename__ = "webhook"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    url = Column(String(500), nullable=False)
    format = Column(String(20), nullable=False, default="generic")
    department_id = Column(Integer, ForeignKey("department.id", ondelete="CASCADE"))
    department = relationship("Department")
    active = Column(Boolean, nullable=False, default=True)

    __table_args__ = (
        CheckConstraint("format IN ('generic', 'wecom', 'dingtalk')", name="ck_webhook_format"),
    )

    def __str__(self) -> str:
        return self.name

    @property
    def masked_url(self) -> str:
        """The address without its secret: query values and user info hidden (write-only)."""
        from urllib.parse import parse_qsl, urlsplit, urlunsplit

        parts = urlsplit(self.url or "")
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        query = "&".join(f"{k}=******" for k, _v in parse_qsl(parts.query, keep_blank_values=True))
        path = parts.path if len(parts.path) <= 24 else parts.path[:20] + "…"
        return urlunsplit((parts.scheme, host, path, query, ""))


class CalendarOverride(Model):
    """The office's own working-day overrides on top of the State Council calendar."""

    __tablename__ = "calendar_override"
    id = Column(Integer, primary_key=True)
    date = Column(Date, nullable=False, unique=True)
    is_working_day = Column(Boolean, nullable=False)
    note = Column(String(200), nullable=False, default="")

    def __str__(self) -> str:
        return f"{self.date}"


class Setting(Model):
    """A configurable rule value (reminder timings, RAG margins), edited by admins."""

    __tablename__ = "setting"
    key = Column(String(80), primary_key=True)
    value = Column(JSON, nullable=False)
    description = Column(String(300), nullable=False, default="")


class TimerRun(Model):
    """Bookkeeping of periodic runs (last reminders tick), for catching up after a gap."""

    __tablename__ = "timer_run"
    name = Column(String(80), primary_key=True)
    last_run_at = Column(DateTime, nullable=False)
    last_day = Column(Date)


class Report(Model):
    """A generated report: kind, period, who or what generated it, and its file."""

    __tablename__ = "report"
    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    period_key = Column(String(20), nullable=False, default="")
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"))
    case = relationship("Case")
    status = Column(String(10), nullable=False, default="queued")
    progress = Column(Integer, nullable=False, default=0)
    trigger = Column(String(10), nullable=False, default="manual")
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"))
    requested_by = relationship("User")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # When the current run claimed it, and how many runs claimed it: a run whose worker died
    # is found by the sweeper (app.services.reports.sweep_stale_reports) and queued again.
    started_at = Column(DateTime)
    attempts = Column(Integer, nullable=False, default=0, server_default="0")
    finished_at = Column(DateTime)
    file_name = Column(String(120))
    content_sha256 = Column(String(64))
    error = Column(Text)
    # What the requester chose besides kind and period (office remarks, red header), so a
    # worker or a re-run renders the same document.
    options = Column(JSON, nullable=False, default=dict, server_default="{}")

    __table_args__ = (
        Index("ix_report_kind_period", "kind", "period_key"),
        # Beat may fire twice: one scheduled report per kind and period.
        Index(
            "uq_report_scheduled",
            "kind",
            "period_key",
            unique=True,
            postgresql_where=text("trigger = 'schedule'"),
            sqlite_where=text("trigger = 'schedule'"),
        ),
    )


class Evaluation(Model):
    """三看三评三比: a department's (or task force's) score for a period."""

    __tablename__ = "evaluation"
    id = Column(Integer, primary_key=True)
    period_key = Column(String(20), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id", ondelete="CASCADE"), nullable=False)
    department = relationship("Department")
    kan_score = Column(Numeric(5, 1), nullable=False, default=0)
    ping_score = Column(Numeric(5, 1), nullable=False, default=0)
    bi_score = Column(Numeric(5, 1), nullable=False, default=0)
    remarks = Column(Text, nullable=False, default="")
    scored_by_id = Column(Integer, ForeignKey("ab_user.id"))
    scored_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("period_key", "department_id", name="uq_evaluation_period_department"),
    )

    @property
    def total(self):
        return (self.kan_score or 0) + (self.ping_score or 0) + (self.bi_score or 0)


class SavedFilter(Model):
    """A user's saved search on one case list: its name and the list's query string."""

    __tablename__ = "saved_filter"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    # The list it belongs to: the FAB view's endpoint name (CaseView, OverdueView, …).
    list_name = Column(String(60), nullable=False)
    name = Column(String(60), nullable=False)
    query = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "list_name", "name", name="uq_saved_filter_user_list_name"),
    )


class AccountState(Model):
    """Per-user security state: the stamp every session and token must carry, and lock-out.

    The stamp is rotated on logout, password change or reset, and deactivation: a session
    cookie or JWT that carries an older stamp is refused (app.accounts).
    """

    __tablename__ = "account_state"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    stamp = Column(String(32), nullable=False)
    failures = Column(Integer, nullable=False, default=0, server_default="0")
    last_failure_at = Column(DateTime)
    locked_until = Column(DateTime)


AUDIT_EVENTS = (
    "login", "login_failed", "locked_out", "login_while_locked", "logout", "password_changed",
    "user_created", "user_activated", "user_deactivated", "roles_changed", "permissions_changed",
)


class AuditEntry(Model):
    """One security event: logins and failures, lock-outs, password, role and permission changes."""

    __tablename__ = "audit_entry"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    event = Column(String(30), nullable=False, index=True)
    username = Column(String(256), nullable=False, default="")  # whom it is about
    actor = Column(String(256), nullable=False, default="")  # who did it (empty: themself)
    address = Column(String(64), nullable=False, default="")
    detail = Column(Text, nullable=False, default="")

    def __repr__(self) -> str:
        return f"{self.event} {self.username}"
