"""Official documents (issue 12): the number register, 成文日期, and draft → 签发 → issued.

- `take_number(kind, subject_key, issued_on, plan)`: the document's number from the register
  `IssuedNumber` — its own when it was issued before (a re-rendered document keeps it), else
  the next of its series (机关代字 × year of issue), never reused. Concurrent issues of one
  series serialise on a transaction-scoped advisory lock (PostgreSQL).
- `default_date(period)`: the first working day after the period (working-day calendar).
- `edit_draft`, `sign`, `issue`: a periodic report's life. Editing the wording (remarks,
  highlights, next steps) or the date re-renders the draft and withdraws a signature; signing
  records the 签发人; issuing takes the number, fixes the date and renders the final file.
  An issued report refuses every change (DocumentLocked).
"""

from __future__ import annotations

import datetime as dt
import zlib

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import IssuedNumber, Plan, Report, utcnow
from app.reports.document import organisation_of
from app.services.after_commit import send_task_now
from app.working_days import current_calendar
from workflows.case_workflow import Actor, Role
from workflows.documents import (
    EDITABLE_WORDING,
    DocState,
    DocumentLocked,
    check_transition,
    default_issue_date,
    is_upward,
    next_seq,
)
from workflows.errors import Forbidden, InvalidInput, NotFound
from workflows.periods import Period, parse_period
from workflows.report_kinds import KINDS, MAX_REMARKS, Subject

GENERATE_TASK = "reports.generate"
EDITORS = frozenset({Role.OFFICE, Role.ADMIN})
SIGNERS = frozenset({Role.OFFICE, Role.LEADER, Role.ADMIN})


class NotWorkingDay(InvalidInput):
    code = "not_working_day"
    msgid = "%(day)s is not a working day: an official document is dated on a working day."


def prefix_for(kind: str, plan: Plan | None) -> str:
    return organisation_of(plan).prefix(kind, KINDS[kind].default_prefix)


def default_date(period: Period) -> dt.date:
    return default_issue_date(period.end, current_calendar().is_working_day)


def check_date(day: dt.date) -> dt.date:
    if not current_calendar().is_working_day(day):
        raise NotWorkingDay(day=day.isoformat())
    return day


def registered(kind: str, subject_key: str) -> IssuedNumber | None:
    return db.session.scalar(select(IssuedNumber).where(IssuedNumber.kind == kind,
                                                        IssuedNumber.subject_key == subject_key))


def take_number(kind: str, subject_key: str, issued_on: dt.date, plan: Plan | None,
                report_id: int | None = None) -> IssuedNumber:
    """The document's number: its registered one, else the next of its series (caller commits)."""
    existing = registered(kind, subject_key)
    if existing is not None:
        return existing
    prefix = prefix_for(kind, plan)
    year = issued_on.year
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                           {"k": zlib.crc32(f"issued_number:{prefix}:{year}".encode())})
        existing = registered(kind, subject_key)  # issued meanwhile by the lock's holder
        if existing is not None:
            return existing
    used = db.session.scalars(select(IssuedNumber.seq).where(IssuedNumber.prefix == prefix,
                                                             IssuedNumber.year == year))
    row = IssuedNumber(prefix=prefix, year=year, seq=next_seq(used), kind=kind, subject_key=subject_key,
                       issued_on=issued_on, report_id=report_id)
    db.session.add(row)
    db.session.flush()
    return row


def issued_options(kind: str, subject_key: str, period: Period, plan: Plan | None, options: dict, *,
                   day: dt.date | None = None, signer: str | None = None) -> dict:
    """Options of an issued periodic document: its register number and date (taken now if new)."""
    row = registered(kind, subject_key)
    if row is None:
        row = take_number(kind, subject_key, check_date(day) if day else default_date(period), plan)
    out = {**options, "number": row.text, "date": row.issued_on.isoformat()}
    if signer:
        out["signer"] = signer
    return out


# --- draft → 签发 → issued -------------------------------------------------------------------


def _report(report_id) -> Report:
    report = db.session.get(Report, int(report_id)) if str(report_id).isdigit() else None
    if report is None:
        raise NotFound()
    if KINDS[report.kind].subject != Subject.PERIOD:
        raise InvalidInput("Only periodic reports are drafted, signed and issued here.")
    if (report.options or {}).get("as_of"):
        raise InvalidInput("A report as of today is not the period's final report: it is not "
                           "signed or issued. Issue the report of the finished period.")
    return report


def _locked(report: Report) -> None:
    if report.doc_state == DocState.ISSUED:
        raise DocumentLocked(number=(report.options or {}).get("number", ""))


def _regenerate(report: Report) -> None:
    report.status, report.progress, report.file_name, report.content_sha256 = "queued", 0, None, None
    report.finished_at = None


def edit_draft(report_id, actor: Actor, *, wording: dict | None = None, day: dt.date | None = None) -> Report:
    """The office edits a draft's wording or date; the draft is rendered again, unsigned."""
    if not actor.roles & EDITORS:
        raise Forbidden()
    report = _report(report_id)
    _locked(report)
    options = dict(report.options or {})
    for name, value in (wording or {}).items():
        if name not in EDITABLE_WORDING:
            raise InvalidInput("Unknown field %(name)s.", name=name)
        if not isinstance(value, str) or len(value) > MAX_REMARKS:
            raise InvalidInput("Text is too long (at most %(max)s characters).", max=MAX_REMARKS)
        value = value.replace("\r\n", "\n").strip()
        if value:
            options[name] = value
        else:
            options.pop(name, None)
    if day is not None:
        report.doc_date = check_date(day)
    report.options = options
    report.doc_state = check_transition(report.doc_state, "edit")
    report.signed_by_id = report.signer_name = report.signed_at = None
    _regenerate(report)
    db.session.commit()
    send_task_now(GENERATE_TASK, report.id)
    return report


def sign(report_id, actor: Actor) -> Report:
    """签发: the signer approves the draft as it stands."""
    if not actor.roles & SIGNERS:
        raise Forbidden()
    report = _report(report_id)
    _locked(report)
    report.doc_state = check_transition(report.doc_state, "sign", kind=report.kind)
    user = db.session.get(User, actor.user_id) if actor.user_id else None
    report.signed_by_id = actor.user_id
    report.signer_name = (f"{user.first_name or ''}{user.last_name or ''}".strip() or user.username) if user else ""
    report.signed_at = utcnow()
    db.session.commit()
    return report


def issue(report_id, actor: Actor, plan: Plan | None = None) -> Report:
    """Issue a signed document: number from the register, date fixed, final file rendered."""
    from app.services.plans import latest_plan

    if not actor.roles & EDITORS:
        raise Forbidden()
    report = _report(report_id)
    _locked(report)
    state = check_transition(report.doc_state, "issue", kind=report.kind,
                             signer=report.signed_at is not None)
    period = parse_period(report.period_key)
    day = report.doc_date or default_date(period)
    row = take_number(report.kind, report.period_key, check_date(day), plan or latest_plan(), report.id)
    report.doc_date = row.issued_on
    report.options = {**(report.options or {}), "number": row.text, "date": row.issued_on.isoformat(),
                      **({"signer": report.signer_name} if is_upward(report.kind) else {})}
    report.doc_state = state
    report.issued_at = utcnow()
    _regenerate(report)
    db.session.commit()
    send_task_now(GENERATE_TASK, report.id)
    return report


def series_numbers(prefix: str | None = None) -> list[tuple[str, int, int, str, str]]:
    """The register: (prefix, year, seq, kind, subject) in order — for checks and the CLI."""
    query = select(IssuedNumber.prefix, IssuedNumber.year, IssuedNumber.seq, IssuedNumber.kind,
                   IssuedNumber.subject_key).order_by(IssuedNumber.prefix, IssuedNumber.year, IssuedNumber.seq)
    if prefix:
        query = query.where(IssuedNumber.prefix == prefix)
    return [tuple(r) for r in db.session.execute(query)]


def register_size() -> int:
    return db.session.scalar(select(func.count()).select_from(IssuedNumber)) or 0
