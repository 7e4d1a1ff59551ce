"""The plan's numbers and shape (issue 11): indicators (指标) and their periodic actuals, the
lead unit a task force proposes for a lead-less case, and the organisations (city → district →
township) departments and plans belong to. Re-exported by app/models.py: import every model
from `app.models`.
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import relationship

from app import clock

utcnow = clock.utcnow

INDICATOR_KINDS = ("growth", "cumulative", "level", "ceiling", "qualitative")  # workflows.targets.Kind
REPORTING_FREQUENCIES = ("monthly", "quarterly", "yearly")
JUDGEMENTS = ("done", "mostly_done", "not_done")
PROPOSAL_STATES = ("pending", "accepted", "rejected")
ORGANISATION_KINDS = ("province", "city", "district", "township", "street")


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
    # The cascade: the indicator of the parent plan this one contributes to (为…贡献力量).
    contributes_to_id = Column(Integer, ForeignKey("indicator.id", ondelete="SET NULL"), index=True)

    __table_args__ = (
        CheckConstraint("comparator IN ('≥', '≤', '=')", name="ck_indicator_comparator"),
        CheckConstraint(f"kind IN {INDICATOR_KINDS}", name="ck_indicator_kind"),
        CheckConstraint(f"frequency IN {REPORTING_FREQUENCIES}", name="ck_indicator_frequency"),
        CheckConstraint("value IS NOT NULL OR kind = 'qualitative'", name="ck_indicator_value"),
        Index("ix_indicator_case", "case_id"),
        Index("ix_indicator_plan", "plan_id"),
    )

    def __str__(self) -> str:
        if self.value is None:
            return self.name
        return f"{self.name} {self.comparator} {self.value:g}{self.unit}"


def _local_month(context) -> str:
    """The statistical period of an actual recorded without one: the local month it was typed."""
    at = context.get_current_parameters().get("recorded_at") or utcnow()
    local = clock.to_local(at)
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
    progress_update_id = Column(Integer, ForeignKey("progress_update.id", ondelete="CASCADE"), index=True)
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


class LeadProposal(Model):
    """A task-force lead's proposal of a lead unit (牵头单位) for a case without one; the
    supervision office accepts it (the unit becomes the case's lead) or rejects it.
    At most one proposal of a case is pending."""

    __tablename__ = "lead_proposal"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    case = relationship("Case")
    department_id = Column(Integer, ForeignKey("department.id"), nullable=False)
    department = relationship("Department")
    reason = Column(Text, nullable=False, default="")
    proposed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    proposed_at = Column(DateTime, nullable=False, default=utcnow)
    status = Column(String(10), nullable=False, default="pending")
    decided_by_id = Column(Integer, ForeignKey("ab_user.id"))
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    decided_at = Column(DateTime)
    decision_comment = Column(Text)

    __table_args__ = (
        CheckConstraint(f"status IN {PROPOSAL_STATES}", name="ck_lead_proposal_status"),
        Index("uq_lead_proposal_pending", "case_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )


class Organisation(Model):
    """A city, district, township or street (市、区县、乡镇街道) with its parent: one installation
    holds a city, its districts and their townships. A department and a plan belong to one;
    an organisation's office sees the cases of its plans and of those of the organisations below."""

    __tablename__ = "organisation"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    kind = Column(String(12), nullable=False, default="district")
    parent_id = Column(Integer, ForeignKey("organisation.id", ondelete="RESTRICT"))
    parent = relationship("Organisation", remote_side=[id])

    __table_args__ = (CheckConstraint(f"kind IN {ORGANISATION_KINDS}", name="ck_organisation_kind"),)

    def __str__(self) -> str:
        return self.name
