"""Database models of Duban, named after the glossary in shared/design/domain.md.

Every model sits on Flask-AppBuilder's `Model`, so that Alembic sees one metadata
(ours and FAB's security tables) and FAB's views can use them directly.
"""

from __future__ import annotations

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
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
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import relationship

from app import clock

utcnow = clock.utcnow  # naive UTC now: every DateTime column stores UTC (app.clock)


DEPARTMENT_KINDS = ("district_department", "township", "task_force", "office")
LIST_KINDS = ("task", "policy", "project")
CASE_STATES = ("assigned", "in_progress", "submitted", "verified", "closed")
LEAD_BASES = ("named", "implied", "none")
PLAN_KINDS = ("overall", "implementation", "livelihood", "meeting")

user_department = Table(
    "user_department",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "department_id", Integer, ForeignKey("department.id", ondelete="CASCADE"), primary_key=True
    ),
    # A department's members (recipients of its reminders): the key starts with the user.
    Index("ix_user_department_department", "department_id"),
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
    # Not selectin: every department loaded with a case would load all its users.
    members = relationship("User", secondary=user_department, back_populates="departments")
    # The department asked for one daily digest per member instead of a mail per case.
    daily_digest = Column(Boolean, nullable=False, default=False, server_default=false())
    # The city, district or township it belongs to (app.plan_models.Organisation); none: the one
    # organisation of a single-district installation.
    organisation_id = Column(Integer, ForeignKey("organisation.id", ondelete="SET NULL"))

    __table_args__ = (CheckConstraint(f"kind IN {DEPARTMENT_KINDS}", name="ck_department_kind"),)

    def __str__(self) -> str:
        return self.short_name or self.name


def _units(user) -> list[Department]:
    """The user's departments that are not task forces (区直部门, 乡镇街道, 办公室)."""
    return [d for d in user.departments if d.kind != "task_force"]


def _task_forces(user) -> list[Department]:
    """The task forces (专班) the user belongs to."""
    return [d for d in user.departments if d.kind == "task_force"]


def _set_units(user, chosen) -> None:
    user.departments = [*_task_forces(user), *(d for d in chosen or () if d.kind != "task_force")]


def _set_task_forces(user, chosen) -> None:
    user.departments = [*_units(user), *(d for d in chosen or () if d.kind == "task_force")]


# FAB's user: its departments (user_department), and the two halves the admin's user form
# edits — 所属单位 and 所属专班 — as properties over that one collection.
User.departments = relationship(
    Department, secondary=user_department, back_populates="members", order_by=Department.name
)
User.units = property(_units, _set_units)
User.task_forces = property(_task_forces, _set_task_forces)


class Plan(Model):
    """方案: an overall plan (总体方案), an action's implementation plan (实施方案), a list of
    民生实事 or a meeting's decisions; several live side by side.

    An implementation plan is linked to the action it implements (`action_id`, an action of
    another plan): its cases are that action's cases.
    """

    __tablename__ = "plan"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    year = Column(Integer, nullable=False)
    issuer = Column(String(100))
    kind = Column(String(20), nullable=False, default="overall", server_default="overall")
    action_id = Column(Integer, ForeignKey("action.id", use_alter=True, ondelete="SET NULL"))
    action = relationship("Action", foreign_keys=[action_id])
    # The plan file's `organisation` block: district, issuing offices, number prefixes
    # (workflows.organisation); NULL for plans without one, whose names are derived.
    organisation = Column(JSON)
    # The cascade: the city's plan above a district's, a district's above a township's; and the
    # organisation whose plan it is (its cases are seen by that organisation's office and above).
    parent_id = Column(Integer, ForeignKey("plan.id", ondelete="SET NULL"))
    organisation_id = Column(Integer, ForeignKey("organisation.id", ondelete="SET NULL"))
    source_digest = Column(String(64))
    loaded_at = Column(DateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("title", "year", name="uq_plan_title_year"),
        CheckConstraint(f"kind IN {PLAN_KINDS}", name="ck_plan_kind"),
    )

    def __str__(self) -> str:
        return f"{self.title}（{self.year}）"


class PlanChoice(Model):
    """The plan a user works in (lists, queues, dashboard, reports); no plan: all plans."""

    __tablename__ = "plan_choice"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    plan_id = Column(Integer, ForeignKey("plan.id", ondelete="CASCADE"))


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
    plan = relationship("Plan", foreign_keys=[plan_id])
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


_OPEN_SQL = "state IN ('assigned', 'in_progress', 'submitted')"
_WITH_CASEWORKER_SQL = "state IN ('assigned', 'in_progress')"


def _partial(name: str, *columns: str, where: str) -> Index:
    """A partial index, the same WHERE on PostgreSQL and SQLite (migration c14a0d0e0001)."""
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


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
    # Where a case opened by hand comes from: a 领导批示, a meeting, a document.
    source = Column(String(200), nullable=False, default="", server_default="")
    # A sub-task (细化实化) of another case, and its weight in the parent's percent (None: 1).
    parent_id = Column(Integer, ForeignKey("case.id", ondelete="SET NULL"), index=True)
    weight = Column(Integer)
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
        CheckConstraint("weight IS NULL OR weight BETWEEN 1 AND 100", name="ck_case_weight"),
        Index("ix_case_lead_state", "lead_department_id", "state"),
        Index("ix_case_action_state", "action_id", "state"),
        Index("ix_case_state_deadline", "state", "deadline"),
        Index("ix_case_deadline", "deadline"),
        # The reminder tick's due window (app/services/reminders.py candidate_ids).
        _partial("ix_case_open_deadline", "deadline", where=_OPEN_SQL),
        _partial("ix_case_silent_progress", "last_progress_at",
                 where=f"{_WITH_CASEWORKER_SQL} AND last_progress_at IS NOT NULL"),
        _partial("ix_case_silent_assigned", "assigned_at",
                  where=f"{_WITH_CASEWORKER_SQL} AND last_progress_at IS NULL"),
        _partial("ix_case_waiting_submitted", "submitted_at", where="state = 'submitted'"),
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
    # Reported done by a caseworker of the lead unit, with a note (the history has the row too).
    done_at = Column(DateTime)
    done_by_id = Column(Integer, ForeignKey("ab_user.id"))
    done_by = relationship("User")
    done_note = Column(Text)

    # case_id: the lists' light asks, per case, for its missed milestones (app/rag_sql.py).
    __table_args__ = (
        Index("ix_milestone_due", "due_date"),
        Index("ix_milestone_case", "case_id", "due_date"),
        _partial("ix_milestone_open_due", "due_date", where="done_at IS NULL"),
    )

    def __str__(self) -> str:
        return f"{self.title} {self.due_date}"


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
    progress_update_id = Column(Integer, ForeignKey("progress_update.id", ondelete="CASCADE"), index=True)
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
        Index("ix_extension_case", "case_id"),
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
    requested_by = relationship("User", foreign_keys=[requested_by_id])
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
    # The official document's life (issue 12): draft → signed (签发) → issued. An issued
    # report carries its register number and 成文日期 and never changes.
    doc_state = Column(String(10), nullable=False, default="draft", server_default="draft")
    signed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    signed_by = relationship("User", foreign_keys=[signed_by_id])
    signer_name = Column(String(60))  # 签发人 as printed
    signed_at = Column(DateTime)
    issued_at = Column(DateTime)
    doc_date = Column(Date)  # 成文日期, chosen by the office (a working day)

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


class IssuedNumber(Model):
    """The register of issued document numbers (发文字号): one series per 机关代字 and year of issue.

    A number is taken when a document is issued and never reused; a document re-rendered
    later (same kind and subject) finds its number here and keeps it.
    """

    __tablename__ = "issued_number"
    id = Column(Integer, primary_key=True)
    prefix = Column(String(40), nullable=False)  # 机关代字: 鹤督查
    year = Column(Integer, nullable=False)  # year of issue
    seq = Column(Integer, nullable=False)
    kind = Column(String(20), nullable=False)
    subject_key = Column(String(60), nullable=False)  # "2024-06", "report:12", "case:7"
    issued_on = Column(Date, nullable=False)  # 成文日期
    report_id = Column(Integer, ForeignKey("report.id", ondelete="SET NULL"))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("prefix", "year", "seq", name="uq_issued_number_series"),
        UniqueConstraint("kind", "subject_key", name="uq_issued_number_subject"),
    )

    @property
    def text(self) -> str:
        return f"{self.prefix}〔{self.year}〕{self.seq}号"


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


# The notification models (in-app messages, deliveries, preferences, webhooks) are their own
# module, re-exported here so that every model is still `from app.models import …`.
# Likewise the account-security models (stamps, lock-out, the audit log) and the evaluation's.
from app.account_models import AUDIT_EVENTS, AccountState, AuditEntry  # noqa: E402, F401
from app.evaluation_models import EvaluationResult, EvaluationScheme, EvaluationScore  # noqa: E402, F401
from app.notification_models import (  # noqa: E402, F401
    Notification,
    NotificationDelivery,
    NotificationPreference,
    Webhook,
)

# Indicators, their actuals, lead-unit proposals and organisations (the plan's shape).
from app.plan_models import (  # noqa: E402, F401
    INDICATOR_KINDS,
    JUDGEMENTS,
    REPORTING_FREQUENCIES,
    Indicator,
    IndicatorActual,
    LeadProposal,
    Organisation,
)

# 领导批示 and, later, the other problems and rectification rows (issue 12, part 4).
from app.problem_models import (  # noqa: E402, F401
    INSTRUCTION_STATES,
    PROBLEM_STATES,
    Finding,
    Inspection,
    Instruction,
    Problem,
)
from app.task_force_models import TaskForceReport  # noqa: E402, F401
