"""Problems and rectification (issue 12, part 4): 领导批示, a leader's instruction on a case and
the lead unit's answer.

Part of app.models (which re-exports it); kept apart to keep each module short.
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, Text
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
