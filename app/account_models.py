"""The account-security models: each user's security stamp and lock-out, and the audit log.

Part of app.models (which re-exports them); kept apart to keep each module short.
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text

from app.clock import utcnow


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
