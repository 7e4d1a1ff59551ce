"""Problems and rectification (issue 12, part 4): 领导批示, a leader's instruction on a case and
the lead unit's answer; 难点堵点; 督查 (inspections) and their findings, each a rectification case.

Part of app.models (which re-exports it); kept apart to keep each module short.
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.clock import utcnow

# 待答复 until the lead unit answers; then 已答复. The history keeps both (instruction, instruction_answer).
INSTRUCTION_STATES = ("open", "answered")


class Instruction(Model):
    """领导批示: an instruction a leader (or the office) adds on a case; the case's lead unit
    answers it once. The rows are never deleted; the answer is written once."""

    __tablename__ = "instruction"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    case = relationship("Case")
    text = Column(Text, nullable=False)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship("User", foreign_keys=[created_by_id])
    created_by_name = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    status = Column(Text, nullable=False, default="open")
    answer = Column(Text)
    answered_by_id = Column(Integer, ForeignKey("ab_user.id"))
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    answered_by_name = Column(Text)
    answered_at = Column(DateTime)

    __table_args__ = (
        CheckConstraint(f"status IN {INSTRUCTION_STATES}", name="ck_instruction_status"),
        CheckConstraint("(status = 'open') = (answer IS NULL)", name="ck_instruction_answer"),
    )


# 难点堵点: 待协调 until the addressee (a unit, or the leaders) or the office answers; then 已解决.
PROBLEM_STATES = ("open", "solved")


class Problem(Model):
    """难点/堵点: a problem the lead unit or the task force raises on a case, addressed to a
    coordinating unit (department_id) or, without one, to the leaders; the addressee or the
    office records the coordination answer once and the problem is solved. Never deleted."""

    __tablename__ = "problem"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    case = relationship("Case")
    text = Column(Text, nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))  # None: addressed to the leaders
    department = relationship("Department")
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by_name = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    status = Column(Text, nullable=False, default="open")
    answer = Column(Text)
    solved_by_id = Column(Integer, ForeignKey("ab_user.id"))
    solved_by_name = Column(Text)
    solved_at = Column(DateTime)

    __table_args__ = (
        CheckConstraint(f"status IN {PROBLEM_STATES}", name="ck_problem_status"),
        CheckConstraint("(status = 'open') = (answer IS NULL)", name="ck_problem_answer"),
    )


class Inspection(Model):
    """督查: the office's inspection — its date, subject or place, inspectors — in a plan; its
    findings (`Finding`) are each a rectification case. Never deleted (a plan's deletion
    takes its inspections with it)."""

    __tablename__ = "inspection"
    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False, index=True)
    plan = relationship("Plan")
    action_id = Column(Integer, ForeignKey("action.id"))  # the action inspected, if one
    inspected_on = Column(Date, nullable=False)
    subject = Column(String(200), nullable=False)
    inspectors = Column(String(200), nullable=False)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by_name = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    findings = relationship("Finding", order_by="Finding.position", lazy="selectin",
                            back_populates="inspection")


class Finding(Model):
    """督查发现问题: one finding of an inspection, addressed to a unit with a deadline; its
    rectification case (整改事项, `case_id`) is an ordinary case of the inspection's plan, led by
    that unit, in the finding's action (whose task force verifies it); closed is 已销号."""

    __tablename__ = "finding"
    id = Column(Integer, primary_key=True)
    inspection_id = Column(Integer, ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False)
    inspection = relationship("Inspection", back_populates="findings")
    position = Column(Integer, nullable=False)
    text = Column(Text, nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"), nullable=False)
    department = relationship("Department")
    deadline = Column(Date, nullable=False)  # as found; the case's deadline may be extended
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False)
    case = relationship("Case")

    __table_args__ = (
        UniqueConstraint("case_id", name="uq_finding_case"),
        UniqueConstraint("inspection_id", "position", name="uq_finding_position"),
    )
