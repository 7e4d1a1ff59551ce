"""The notification models: one message per user and event, its deliveries, preferences, webhooks.

Part of app.models (which re-exports them); kept apart to keep each module short.
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import relationship

from app.clock import utcnow


class Notification(Model):
    """One message to one user, unique by its natural key so it exists once.

    About a case (reminders, urges, transitions) or about an issued document (`report_id`,
    case_id NULL): a document's natural key is (kind, recipient, its number in source_key),
    so issuing, re-rendering or a retried task never delivers it twice.
    """

    __tablename__ = "notification"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"))
    case = relationship("Case")
    report_id = Column(Integer, ForeignKey("report.id", ondelete="CASCADE"))
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
        Index(
            "uq_notification_document",
            "kind",
            "recipient_id",
            "source_key",
            unique=True,
            postgresql_where=text("case_id IS NULL"),
            sqlite_where=text("case_id IS NULL"),
        ),
        CheckConstraint(
            # a task force's reminder to report (专班报送) has neither case nor report
            "case_id IS NOT NULL OR report_id IS NOT NULL OR kind = 'task_force_report_due'",
            name="ck_notification_subject",
        ),
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
    # The first failed attempt of this delivery (kept when a later attempt fails too).
    failing_since = Column(DateTime)

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
