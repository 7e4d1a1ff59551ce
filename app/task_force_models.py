"""专班报送 (issue 12, part 3): a task force's 亮点, 难点堵点 and 下步计划 for one report period.
Re-exported by app/models.py: import every model from `app.models`. Rules: workflows.task_force_reports.
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app import clock

TASK_FORCE_REPORT_KINDS = ("dekad", "monthly")  # the report it feeds: 旬简报, 月通报


class TaskForceReport(Model):
    """One task force's submission for one period (`kind` + `period_key`), editable until that
    period's report is signed or issued. `submitted_at` is the first submission (lateness is
    judged on it); `updated_at` the last edit."""

    __tablename__ = "task_force_report"
    id = Column(Integer, primary_key=True)
    kind = Column(String(10), nullable=False)
    period_key = Column(String(20), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id", ondelete="CASCADE"), nullable=False)
    department = relationship("Department")
    highlights = Column(Text, nullable=False, default="")
    difficulties = Column(Text, nullable=False, default="")
    next_steps = Column(Text, nullable=False, default="")
    submitted_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    submitted_at = Column(DateTime, nullable=False, default=clock.utcnow)
    updated_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    updated_at = Column(DateTime, nullable=False, default=clock.utcnow)

    __table_args__ = (
        UniqueConstraint("kind", "period_key", "department_id", name="uq_task_force_report_period"),
        CheckConstraint(f"kind IN {TASK_FORCE_REPORT_KINDS}", name="ck_task_force_report_kind"),
    )
