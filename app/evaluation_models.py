"""The evaluation models (三看三评三比, issue 12 part 1): the scheme's versions, the office's
scores, and the results per period. Part of app.models (which re-exports them).
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.clock import utcnow


class EvaluationScheme(Model):
    """One version of the scheme (workflows.evaluation): rows are never changed; the highest
    version is in force, and every result records the version it was computed with."""

    __tablename__ = "evaluation_scheme"
    id = Column(Integer, primary_key=True)
    version = Column(Integer, nullable=False, unique=True)
    rules = Column(JSON, nullable=False)
    note = Column(String(200), nullable=False, default="")
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship("User")
    created_at = Column(DateTime, nullable=False, default=utcnow)


class EvaluationScore(Model):
    """One scorer's score of one office-scored criterion ("ping.results") of a unit for a period."""

    __tablename__ = "evaluation_score"
    id = Column(Integer, primary_key=True)
    period_key = Column(String(20), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id", ondelete="CASCADE"), nullable=False)
    department = relationship("Department")
    criterion = Column(String(60), nullable=False)
    scorer_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    scorer = relationship("User")
    score = Column(Numeric(5, 1), nullable=False)
    comment = Column(Text, nullable=False, default="")
    scored_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("period_key", "department_id", "criterion", "scorer_id", name="uq_evaluation_score"),
        Index("ix_evaluation_score_period", "period_key", "department_id"),
    )


class EvaluationResult(Model):
    """A unit's result for a plan and period: total, rank in its group, and every part with its
    facts (`parts`, JSON). Recomputed until published; published results are what units see."""

    __tablename__ = "evaluation_result"
    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False)
    period_key = Column(String(20), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id", ondelete="CASCADE"), nullable=False)
    department = relationship("Department")
    group_key = Column(String(30), nullable=False)
    scheme_version = Column(Integer, nullable=False)
    kan = Column(Numeric(6, 2), nullable=False)
    ping = Column(Numeric(6, 2), nullable=False)
    bi = Column(Numeric(6, 2), nullable=False)
    total = Column(Numeric(6, 2), nullable=False)
    rank = Column(Integer, nullable=False)
    parts = Column(JSON, nullable=False)
    computed_at = Column(DateTime, nullable=False, default=utcnow)
    published_at = Column(DateTime)
    published_by_id = Column(Integer, ForeignKey("ab_user.id"))

    __table_args__ = (
        UniqueConstraint("plan_id", "period_key", "department_id", name="uq_evaluation_result"),
        Index("ix_evaluation_result_period", "period_key", "plan_id"),
    )
