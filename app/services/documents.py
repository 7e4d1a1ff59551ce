"""Official documents (issue 12): the number register, 成文日期, and draft → 签发 → issued.

- `take_number(kind, subject_key, issued_on, plan)`: the document's number from the register
  `IssuedNumber` — its own when it was issued before (a re-rendered document keeps it), else
  the next of its series (机关代字 × year of issue), never reused. Concurrent issues of one
  series serialise on a transaction-scoped advisory lock (PostgreSQL).
- `default_date(period)`: the first working day after the period (working-day calendar).
- `edit_draft`, `sign`, `issue`: a periodic report's life. Editing the wording (remarks,
  highlights, next steps) or the date re-renders the draft and withdraws a signature; signing
  records the 签发人; issuing takes the number, fixes the date and renders the final file.
  An issued report refuses every change (DocumentLocked, 409); a second report of the same
  kind and period is not issued again (AlreadyIssued, 409). Who may: `workflows.permissions`
  grants edit_documents and issue_documents to the office, sign_documents to the office and
  the leaders.
- `deliver_issued(report)`: once an issued document's files are written, a notification
  with its download links to each of its readers (`workflows.documents.readers`), by the
  user's channels like every notification; its natural key (kind, recipient, number) makes
  a retried task or a re-rendering deliver nothing twice.
"""

from __future__ import annotations

import datetime as dt
import zlib

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import IssuedNumber, Plan, Report, utcnow
from app.reports.coverage import check_typed
from app.reports.document import organisation_of
from app.services.after_commit import send_task_now
from app.working_days import current_calendar
from workflows.case_workflow import Actor
from workflows.documents import (
    EDITABLE_WORDING,
    AlreadyIssued,
    DocState,
    DocumentLocked,
    check_transition,
    default_issue_date,
    is_upward,
    next_seq,
)
from workflows.errors import N_, Forbidden, InvalidInput, NotFound
from workflows.periods import Period, parse_period
from workflows.permissions import has_grant
from workflows.report_kinds import KINDS, MAX_REMARKS, Subject

GENERATE_TASK = "reports.generate"


class DocumentForbidden(Forbidden):
    code = "document_not_allowed"
    msgid = N_("Only the supervision office edits and issues documents; a leader or the office signs them.")


class DocumentNotFound(NotFound):
    code = "not_found"
    msgid = N_("Report not found, or you may not see it.")


class NotADraft(InvalidInput):
    code = "not_a_periodic_document"
    msgid = N_("Only periodic reports are drafted, signed and issued here.")


class RunningPeriodReport(InvalidInput):
    code = "not_a_periodic_document"
    msgid = N_("A report as of today is not the period's final report: it is not signed or "
               "issued. Issue the report of the finished period.")


class UnknownWording(InvalidInput):
    code = "invalid_input"
    msgid = N_("Unknown field %(name)s.")


class WordingTooLong(InvalidInput):
    code = "invalid_input"
    msgid = N_("Text is too long (at most %(max)s characters).")


def _may(actor: Actor, grant: str) -> None:
    if not has_grant(actor, grant):
        raise DocumentForbidden()


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
    """The report, locked for this transaction (two clicks on 印发 issue once)."""
    report = None
    if str(report_id).isdigit() and int(report_id) < 2**31:
        report = db.session.get(Report, int(report_id), with_for_update=True)
    if report is None:
        raise DocumentNotFound()
    if KINDS[report.kind].subject != Subject.PERIOD:
        raise NotADraft()
    if (report.options or {}).get("as_of"):
        raise RunningPeriodReport()
    return report


def _locked(report: Report) -> None:
    if report.doc_state == DocState.ISSUED:
        raise DocumentLocked(number=(report.options or {}).get("number", ""))


def _not_issued_before(report: Report) -> None:
    """A kind and period is issued once: another report of it issued already refuses this one."""
    other = db.session.scalar(select(Report).where(
        Report.kind == report.kind, Report.period_key == report.period_key, Report.id != report.id,
        Report.doc_state == DocState.ISSUED))
    if other is not None:
        raise AlreadyIssued(number=(other.options or {}).get("number", ""), report=other.id)


def _regenerate(report: Report) -> None:
    report.status, report.progress, report.file_name, report.content_sha256 = "queued", 0, None, None
    report.finished_at = None


def grants(actor: Actor) -> dict[str, bool]:
    """What the actor may do to documents (the page shows only those buttons)."""
    return {act: has_grant(actor, f"{act}_documents") for act in ("edit", "sign", "issue")}


def wording_of(kind: str) -> tuple[str, ...]:
    """The wording fields a kind's template prints (all of them for the periodic kinds)."""
    return EDITABLE_WORDING if KINDS[kind].subject == Subject.PERIOD else ()


def wording_of_report(report_id) -> tuple[str, ...]:
    report = db.session.get(Report, int(report_id)) if str(report_id).isdigit() and int(report_id) < 2**31 else None
    return wording_of(report.kind) if report is not None else EDITABLE_WORDING


def edit_draft(report_id, actor: Actor, *, wording: dict | None = None, day: dt.date | str | None = None) -> Report:
    """The office edits a draft's wording or date; the draft is rendered again, unsigned."""
    _may(actor, "edit_documents")
    report = _report(report_id)
    _locked(report)
    options = dict(report.options or {})
    for name, value in (wording or {}).items():
        if name not in EDITABLE_WORDING:
            raise UnknownWording(name=str(name)[:40])
        if not isinstance(value, str) or len(value) > MAX_REMARKS:
            raise WordingTooLong(max=MAX_REMARKS)
        value = value.replace("\r\n", "\n").strip()
        if value:
            options[name] = value
        else:
            options.pop(name, None)
    check_typed(*(value for value in (wording or {}).values() if isinstance(value, str)))
    if day is not None:
        from app.services.case_base import parse_date

        report.doc_date = check_date(parse_date(day))
    report.options = options
    report.doc_state = check_transition(report.doc_state, "edit")
    report.signed_by_id = report.signer_name = report.signed_at = None
    _regenerate(report)
    db.session.commit()
    send_task_now(GENERATE_TASK, report.id)
    return report


def sign(report_id, actor: Actor) -> Report:
    """签发: the signer approves the draft as it stands."""
    _may(actor, "sign_documents")
    report = _report(report_id)
    _locked(report)
    _not_issued_before(report)
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

    _may(actor, "issue_documents")
    report = _report(report_id)
    _locked(report)
    _not_issued_before(report)
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


# --- delivery to the readers ----------------------------------------------------------------

DOCUMENT_ISSUED = "document_issued"  # the notification kind


def reader_ids(kind: str) -> list[int]:
    """Active users holding a role that reads an issued document of `kind`."""
    from flask_appbuilder.security.sqla.models import Role as FabRole
    from flask_appbuilder.security.sqla.models import assoc_user_role

    from app.security import ROLE_BY_NAME
    from workflows.documents import readers

    wanted = readers(kind)
    names = [name for name, role in ROLE_BY_NAME.items() if role in wanted]
    return sorted(set(db.session.scalars(
        select(User.id).join(assoc_user_role, assoc_user_role.c.user_id == User.id)
        .join(FabRole, FabRole.id == assoc_user_role.c.role_id)
        .where(FabRole.name.in_(names), User.active.is_not(False)))))


def document_title(report: Report) -> str:
    """督查通报（2024年6月）: the kind and the period, as readers find it in a list."""
    return f"{KINDS[report.kind].name_zh}（{parse_period(report.period_key).label_zh}）"


def download_paths(report: Report) -> dict[str, str]:
    """The readers' download links (the page checks who may read, like every download)."""
    return {"pdf": f"/reports/download/{report.id}", "docx": f"/reports/download/{report.id}/docx"}


def deliver_issued(report: Report) -> list[int]:
    """Notify the readers of an issued document whose files are written (caller commits).

    Once per reader and number: ON CONFLICT DO NOTHING on uq_notification_document.
    """
    from flask import current_app
    from flask_babel import force_locale, gettext

    from app.clock import local_today
    from app.formatting import date_zh
    from app.services.notifications import add_notifications

    if report.doc_state != DocState.ISSUED or report.status != "done":
        return []
    options = report.options or {}
    number = options.get("number", "")
    base = (current_app.config.get("MAIL_LINK_BASE_URL") or "").rstrip("/")
    links = download_paths(report)
    with force_locale("zh"):
        title = gettext("[Issued] %(number)s %(title)s", number=number, title=document_title(report))
        lines = [
            gettext("Document: %(title)s", title=document_title(report)),
            gettext("Number: %(number)s", number=number),
            gettext("Date: %(date)s", date=date_zh(report.doc_date) if report.doc_date else "—"),
        ]
        if report.signer_name:
            lines.append(gettext("Signed by: %(name)s", name=report.signer_name))
        lines.append(gettext("Download PDF: %(url)s", url=base + links["pdf"]))
        lines.append(gettext("Download Word (DOCX): %(url)s", url=base + links["docx"]))
    today = local_today()
    rows = [{"case_id": None, "report_id": report.id, "kind": DOCUMENT_ISSUED, "recipient_id": user_id,
             "day": today, "source_key": number[:64], "title": title[:200], "body": "\n".join(lines)}
            for user_id in reader_ids(report.kind)]
    return add_notifications(rows)


def document_json(report: Report) -> dict:
    """A document's life as the API and the page show it."""
    options = report.options or {}
    return {
        "doc_state": report.doc_state,
        "number": options.get("number") if report.doc_state == DocState.ISSUED else None,
        "doc_date": report.doc_date.isoformat() if report.doc_date else None,
        "signer": report.signer_name or None,
        "signed_at": report.signed_at.isoformat() + "Z" if report.signed_at else None,
        "issued_at": report.issued_at.isoformat() + "Z" if report.issued_at else None,
        "wording": {name: options.get(name, "") for name in EDITABLE_WORDING},
    }


def series_numbers(prefix: str | None = None) -> list[tuple[str, int, int, str, str]]:
    """The register: (prefix, year, seq, kind, subject) in order — for checks and the CLI."""
    query = select(IssuedNumber.prefix, IssuedNumber.year, IssuedNumber.seq, IssuedNumber.kind,
                   IssuedNumber.subject_key).order_by(IssuedNumber.prefix, IssuedNumber.year, IssuedNumber.seq)
    if prefix:
        query = query.where(IssuedNumber.prefix == prefix)
    return [tuple(r) for r in db.session.execute(query)]


def register_size() -> int:
    return db.session.scalar(select(func.count()).select_from(IssuedNumber)) or 0
