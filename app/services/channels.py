"""Delivery channels: email over SMTP, and webhooks (generic JSON, WeCom and DingTalk robots).

Every message carries an idempotency key — the email's Message-ID and X-Duban-Delivery
header, the webhook's JSON "id" (generic format) and X-Duban-Delivery / Idempotency-Key
headers (all formats) — so a receiver can drop the rare resend described in docs/timers.md.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

import requests
from flask import current_app

WEBHOOK_FORMATS = ("generic", "wecom", "dingtalk")


class ChannelError(RuntimeError):
    """A message could not be handed over (the delivery is retried later)."""


@dataclass(frozen=True)
class OutgoingMessage:
    """What one delivery sends."""

    key: str  # idempotency key, stable across retries of the same delivery
    title: str
    text: str
    kind: str = ""
    case_id: int | None = None
    recipients: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def send_email(to: str, message: OutgoingMessage) -> None:
    """Send one plain-text UTF-8 email through the configured SMTP server."""
    config = current_app.config
    sender = config.get("MAIL_SENDER", "duban@localhost")
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = message.title
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = f"<{message.key}@{sender.rpartition('@')[2] or 'localhost'}>"
    mail["X-Duban-Delivery"] = message.key
    mail.set_content(message.text)
    smtp = None
    try:
        smtp = smtplib.SMTP(
            config.get("MAIL_SERVER", "127.0.0.1"),
            int(config.get("MAIL_PORT", 25)),
            timeout=float(config.get("MAIL_TIMEOUT", 30)),
        )
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise ChannelError(f"SMTP: {exc}") from exc
    finally:
        if smtp is not None:
            _quietly_quit(smtp)


def _quietly_quit(smtp: smtplib.SMTP) -> None:
    """QUIT and close; a failure here is no failure of a message already accepted."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def webhook_body(fmt: str, message: OutgoingMessage) -> dict:
    """The JSON body for a webhook of format generic, wecom or dingtalk."""
    markdown = f"### {message.title}\n" + "\n".join(
        f"> {line}" for line in message.text.splitlines() if line.strip()
    )
    if fmt == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": markdown}}
    if fmt == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": markdown}}
    return {
        "id": message.key,
        "kind": message.kind,
        "case_id": message.case_id,
        "title": message.title,
        "text": message.text,
        "recipients": list(message.recipients),
        **message.extra,
    }


def send_webhook(url: str, fmt: str, message: OutgoingMessage) -> None:
    """POST one message; robots answer 200 with errcode ≠ 0 on errors, so check that too."""
    headers = {"X-Duban-Delivery": message.key, "Idempotency-Key": message.key}
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT", 10))
    try:
        response = requests.post(
            url, json=webhook_body(fmt, message), headers=headers, timeout=(3, timeout)
        )
    except requests.RequestException as exc:
        raise ChannelError(f"HTTP: {exc}") from exc
    if response.status_code >= 300:
        raise ChannelError(f"HTTP {response.status_code}: {response.text[:200]}")
    if fmt in ("wecom", "dingtalk"):
        try:
            errcode = response.json().get("errcode", 0)
        except ValueError:
            errcode = None
        if errcode != 0:
            raise ChannelError(f"robot error: {response.text[:200]}")
