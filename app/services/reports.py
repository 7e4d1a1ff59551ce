"""Reports: request (queued to Celery), generate, schedule, list and download — with access checks.

Who may read a report:
- office, leader, admin: every report;
- task-force leads and caseworkers: the periodic reports (督查通报, 旬简报, 月通报, 工作月报,
  季讲评 — documents circulated to every unit), and notices and dossiers of cases they can see.
Who may request one is each kind's entry in the registry `workflows.report_kinds` (its
requester roles, and for a case kind the right it needs on the case: urge for 督办通知单,
view for 档案); so are the options a kind takes, its schedule and its number series.

Errors are typed and map to HTTP codes: ReportNotFound 404, ReportNotAllowed 403,
ReportNotReady 409, InvalidReportRequest 422; messages are translated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.access import visible_cases_clause
from app.clock import local_day, local_today
from app.extensions import db
from app.models import Case, Plan, Report, utcnow
from app.reports import CASE_KINDS, KINDS, PERIOD_KINDS, SCHEDULED, render_files
from app.reports.casefile import task_force_of
from app.reports.coverage import check_typed
from app.services.after_commit import send_task_now
from app.services.case_base import CaseNotFound, case_facts, get_visible_case
from app.services.documents import deliver_issued, document_json, take_number
from app.services.plan_scope import default_plan, in_scope, plan_clause
from workflows import report_kinds
from workflows.errors import DomainError
from workflows.periods import parse_period, periods_due_on
from workflows.permissions import can_request_report, can_urge
from workflows.report_kinds import CaseRight, Numbering
from workflows.vocabulary import Actor, Role

log = logging.getLogger(__name__)

GENERATE_TASK = "reports.generate"
# A manual report still queued after this long is sent to the workers again by beat.
REQUEUE_AFTER = dt.timedelta(minutes=10)
# A report "running" longer than its task's hard time limit (plus a minute) has lost its
# worker (killed, or the machine went down): queued again, at most MAX_ATTEMPTS runs in all,
# then failed. REPORT_RUNNING_TIMEOUT (seconds) in the config overrides it.
RUNNING_TIMEOUT = dt.timedelta(minutes=17)
MAX_ATTEMPTS = 2
# Beat looks back this many days, so a missed day 1/11/21 is caught up.
CATCH_UP_DAYS = 10

_SEES_ALL = frozenset({Role.OFFICE, Role.LEADER, Role.ADMIN})


class ReportError(DomainError):
    """A report operation that cannot be done; `message` is translated (at the raise site)."""

    status = 400
    code = "report_error"

    def __init__(self, message):
        self.message = message
        super().__init__(message)


class InvalidReportRequest(ReportError):
    status = 422
    code = "invalid_input"


class ReportNotAllowed(ReportError):
    status = 403
    code = "not_allowed"


class ReportNotFound(ReportError):
    status = 404
    code = "not_found"

    def __init__(self, message=None):
        super().__init__(message or lazy_gettext("Report not found, or you may not see it."))


class ReportNotReady(ReportError):
    status = 409
    code = "not_ready"


# --- reading ------------------------------------------------------------------------------


def readable_clause(actor: Actor):
    """A WHERE clause on Report selecting what the actor may read (an office or leader of an
    organisation: its plans' periodic reports and the case documents of the cases it sees)."""
    if actor.roles & _SEES_ALL and (actor.organisation_ids is None or Role.ADMIN in actor.roles):
        return Report.id.is_not(None)
    if actor.roles & _SEES_ALL:
        visible = select(Case.id).where(visible_cases_clause(actor))
        plans = select(Plan.id).where(plan_clause(actor))
        return or_(Report.case_id.in_(visible),
                   Report.kind.in_(PERIOD_KINDS) & Report.options["plan_id"].as_integer().in_(plans))
    if not actor.roles:
        return Report.id.is_(None)
    visible = select(Case.id).where(visible_cases_clause(actor))
    return or_(Report.kind.in_(PERIOD_KINDS), Report.case_id.in_(visible))


def list_reports(actor: Actor, *, ids=None, limit: int = 100) -> list[Report]:
    """Reports the actor may read, newest first (only `ids` when given)."""
    query = select(Report).where(readable_clause(actor)).order_by(Report.created_at.desc(), Report.id.desc())
    if ids is not None:
        query = query.where(Report.id.in_(list(ids)))
    return list(db.session.scalars(query.limit(limit)))


def get_report(report_id, actor: Actor) -> Report:
    """One report the actor may read, else ReportNotFound (existence is not revealed)."""
    try:
        report_id = int(report_id)
    except (TypeError, ValueError):
        raise ReportNotFound() from None
    report = db.session.scalar(select(Report).where(Report.id == report_id, readable_clause(actor)))
    if report is None:
        raise ReportNotFound()
    return report


FORMATS = {"pdf": "application/pdf",
           "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def report_file(report_id, actor: Actor, fmt: str = "pdf") -> tuple[Path, str]:
    """The PDF (or DOCX) of a finished report the actor may read, and the name to download it as."""
    report = get_report(report_id, actor)
    if report.status != "done" or not report.file_name:
        raise ReportNotReady(lazy_gettext("The report is not ready yet."))
    path = Path(current_app.config["REPORT_FOLDER"]) / report.file_name
    if fmt == "docx":
        path = path.with_suffix(".docx")
    if not path.is_file():
        raise ReportNotReady(lazy_gettext("The report's file is missing; request it again."))
    return path, download_name(report, fmt)


def download_name(report: Report, fmt: str = "pdf") -> str:
    """月通报-2024-06.pdf, 旬简报-2024-12-D1-截至12月2日.pdf, 督办通知单-任务12.pdf; an issued
    document leads with its number."""
    name = KINDS[report.kind].name_zh if report.kind in KINDS else report.kind
    subject = report.period_key or f"任务{report.case_id}"
    if report.doc_state == "issued" and (report.options or {}).get("number"):
        return f"{report.options['number']}-{name}-{subject}.{fmt}"
    as_of = as_of_of(report)
    if as_of is not None:
        subject += f"-截至{as_of.month}月{as_of.day}日"
    return f"{name}-{subject}.{fmt}"


def as_of_of(report: Report) -> dt.date | None:
    """The day a 截至今日 report of a running period stands at; None for a finished period."""
    as_of = (report.options or {}).get("as_of")
    return dt.date.fromisoformat(as_of) if as_of else None


def report_json(report: Report) -> dict:
    """What the API and the polling page show of a report."""
    return {
        "id": report.id,
        "kind": report.kind,
        "kind_name": KINDS[report.kind].name_zh if report.kind in KINDS else report.kind,
        "period": report.period_key or None,
        "as_of": as_of.isoformat() if (as_of := as_of_of(report)) else None,
        "case_id": report.case_id,
        "status": report.status,
        "progress": report.progress,
        "trigger": report.trigger,
        "requested_by": str(report.requested_by) if report.requested_by else None,
        "created_at": report.created_at.isoformat() + "Z",
        "finished_at": report.finished_at.isoformat() + "Z" if report.finished_at else None,
        "content_sha256": report.content_sha256,
        "error": report.error,
        **(document_json(report) if report.kind in PERIOD_KINDS else {}),
    }


# --- requesting -----------------------------------------------------------------------------


def request_report(actor: Actor, kind, *, period=None, case_id=None, options=None) -> Report:
    """Check and queue a report; the worker generates it (sent after commit)."""
    if kind not in KINDS:
        raise InvalidReportRequest(lazy_gettext(
            "Unknown report kind %(kind)s; choose one of %(kinds)s.",
            kind=str(kind)[:40], kinds="、".join(f"{k}（{v.name_zh}）" for k, v in KINDS.items()),
        ))
    options = clean_options(kind, options)
    report = Report(kind=kind, trigger="manual", requested_by_id=actor.user_id, status="queued",
                    progress=0, options=options)
    if KINDS[kind].subject == "period":
        parsed, today = period_for(kind, period), local_today()
        if parsed.start > today:
            raise InvalidReportRequest(lazy_gettext(
                "The period %(period)s has not started yet: a report covers a finished period, "
                "or the running one as of today.", period=parsed.key))
        if parsed.end >= today:
            # The running period: 截至今日, marked as not the period's final report.
            report.options = {**options, "as_of": today.isoformat()}
        report.period_key = parsed.key
        if not can_request_report(actor, kind):
            raise ReportNotAllowed(lazy_gettext("You may not request this kind of report."))
        if actor.organisation_ids is not None and Role.ADMIN not in actor.roles:
            # The cascade: an organisation's office reports on its own plans, named in the options.
            plan = db.session.get(Plan, options["plan_id"]) if options.get("plan_id") else default_plan(actor)
            if plan is None or not in_scope(plan, actor):
                raise InvalidReportRequest(lazy_gettext("The plan does not exist."))
            report.options = {**report.options, "plan_id": plan.id}
    else:
        case = _case_for(kind, case_id, actor)
        if not can_request_report(actor, kind):
            raise ReportNotAllowed(lazy_gettext("You may not request this kind of report."))
        report.case_id = case.id
        report.period_key = ""
        if kind == "notice" and Role.OFFICE not in actor.roles:
            # A task-force lead's notice is issued by the task force, not the office.
            report.options = {**options, "issuer": task_force_of(case)}
    db.session.add(report)
    if KINDS[kind].numbering == Numbering.REQUEST:
        # A notice is issued when requested: its number comes from the register now.
        report.created_at = utcnow()
        db.session.flush()
        notice_number(report, case)
    db.session.commit()
    send_task_now(GENERATE_TASK, report.id)
    return report


def period_for(kind: str, period):
    """The period of a periodic report, parsed and of the length the kind covers."""
    if not period or not isinstance(period, str):
        raise InvalidReportRequest(lazy_gettext("Give the period, e.g. 2024-06, 2024-06-D2 or 2024-Q2."))
    try:
        parsed = parse_period(period)
    except ValueError as exc:
        raise InvalidReportRequest(str(exc)) from None
    allowed = KINDS[kind].period_kinds
    if parsed.kind not in allowed:
        examples = {"dekad": "2024-06-D2", "month": "2024-06", "quarter": "2024-Q2", "year": "2024"}
        raise InvalidReportRequest(lazy_gettext(
            "A %(kind)s covers a period like %(examples)s, not %(period)s.",
            kind=KINDS[kind].name_zh, examples="、".join(examples[str(k)] for k in allowed), period=period,
        ))
    return parsed


def _case_for(kind: str, case_id, actor: Actor) -> Case:
    if case_id in (None, ""):
        raise InvalidReportRequest(lazy_gettext("Give the case for this report."))
    try:
        case = get_visible_case(case_id, actor)
    except CaseNotFound:
        raise InvalidReportRequest(lazy_gettext("Case not found, or you may not see it.")) from None
    if KINDS[kind].case_right == CaseRight.URGE and not can_urge(case_facts(case, has_evidence=False), actor):
        raise ReportNotAllowed(lazy_gettext(
            "Only the supervision office or the case's task-force lead may issue an urge notice "
            "for an open case."))
    return case


def clean_options(kind: str, options) -> dict:
    """The options a kind takes (its registry entry's schema), checked; others are ignored."""
    try:
        clean = report_kinds.clean_options(kind, options)
    except report_kinds.OptionError as exc:
        if exc.reason == "object":
            raise InvalidReportRequest(lazy_gettext("Options must be an object.")) from None
        if exc.reason == "text":
            raise InvalidReportRequest(lazy_gettext("Text fields must be text.")) from None
        raise InvalidReportRequest(lazy_gettext("Text is too long (at most %(max)s characters).",
                                                max=exc.max_length)) from None
    # Text the office types must print: characters no report face has are named (422).
    check_typed(*(value for value in clean.values() if isinstance(value, str)))
    # A periodic report covers one plan (the requester's choice; else the default plan).
    plan_id = (options or {}).get("plan_id")
    if plan_id not in (None, "") and KINDS[kind].subject == "period":
        try:
            plan = db.session.get(Plan, int(plan_id))
        except (TypeError, ValueError):
            plan = None
        if plan is None:
            raise InvalidReportRequest(lazy_gettext("The plan does not exist."))
        clean["plan_id"] = plan.id
    return clean


# --- generating -----------------------------------------------------------------------------


def generate_report(report_id: int) -> Report | None:
    """Render one queued report into REPORT_FOLDER (idempotent: only a queued report is claimed)."""
    claimed = db.session.execute(
        update(Report).where(Report.id == report_id, Report.status == "queued")
        .values(status="running", progress=5, error=None, started_at=utcnow(),
                attempts=Report.attempts + 1).returning(Report.id)
    ).scalar()
    db.session.commit()
    if claimed is None:
        return db.session.get(Report, report_id)  # done, running elsewhere, failed, or gone
    report = db.session.get(Report, report_id)

    def progress(percent: int) -> None:
        db.session.execute(update(Report).where(Report.id == report_id).values(progress=percent))
        db.session.commit()

    try:
        pdf, docx = render_files(report.kind, progress=progress, **subject_of(report))
        digest = hashlib.sha256(pdf).hexdigest()
        name = f"{report.id:06d}-{report.kind}-{digest[:12]}.pdf"
        folder = Path(current_app.config["REPORT_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        # The DOCX first, the PDF last: a row pointing at the PDF has both files.
        for final, content in ((folder / name).with_suffix(".docx"), docx), (folder / name, pdf):
            temporary = folder / f".{final.name}.part"
            temporary.write_bytes(content)
            temporary.replace(final)  # atomic: a reader never sees half a file
    except Exception as exc:
        db.session.rollback()
        log.exception("report %s failed", report_id)
        db.session.execute(update(Report).where(Report.id == report_id).values(
            status="failed", error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=utcnow()))
        db.session.commit()
        raise
    report = db.session.get(Report, report_id, with_for_update=True)
    if report is None or report.status != "running":
        # Edited (queued again) or issued while this run rendered: the next run writes the file.
        db.session.commit()
        return report
    report.file_name = name
    report.content_sha256 = digest
    report.status = "done"
    report.progress = 100
    report.finished_at = utcnow()
    # An issued document goes to its readers once its files are there (same transaction).
    deliver_issued(report)
    db.session.commit()
    return report


def subject_of(report: Report) -> dict:
    """What the builder of the report's kind needs: the period and plan, or the case and date."""
    options = dict(report.options or {})
    if KINDS[report.kind].subject == "period":
        plan = db.session.get(Plan, options["plan_id"]) if options.get("plan_id") else None
        period = parse_period(report.period_key)
        if options.get("as_of"):  # a running period, as it stood on the day it was requested
            period = period.so_far(dt.date.fromisoformat(options["as_of"]))
        return {"period": period, "plan": plan or default_plan(), "options": options}
    case = db.session.get(Case, report.case_id)
    if case is None:
        raise ReportNotFound()
    as_of = local_day(report.created_at)
    if KINDS[report.kind].numbering == Numbering.REQUEST:
        options["number"] = notice_number(report, case)
        if options.get("issuer_action_id"):
            from app.reports.casefile import task_force_of

            options["issuer"] = task_force_of(case)
    return {"case": case, "as_of": as_of, "options": options}


def notice_register_key(report: Report) -> str:
    """The register's subject of a requested notice: the request itself (one number each)."""
    return f"report:{report.id}"


def notice_number(report: Report, case: Case) -> str:
    """The notice's 发文字号 from the register (its series: 鹤督办 × year of the request).

    Taken when the notice is requested and kept for every re-rendering; never reused, even
    when the report row is deleted (the register row stays). A notice requested before the
    register numbered notices takes its number the first time it is rendered again.
    """
    return take_number(report.kind, notice_register_key(report), local_day(report.created_at),
                       case.plan, report.id).text


# --- schedule -------------------------------------------------------------------------------


def schedule_due_reports(today: dt.date | None = None, *, inline: bool = False) -> list[int]:
    """Create the periodic reports due by `today` (catching up missed days) and queue them.

    One scheduled report per kind and period, whoever calls and however often: the rows are
    inserted with ON CONFLICT DO NOTHING on the partial unique index uq_report_scheduled.
    Returns the ids of the reports queued now (generated at once when `inline`).
    """
    today = today or local_today()
    due = set()
    for back in range(CATCH_UP_DAYS):
        for period in periods_due_on(today - dt.timedelta(days=back)):
            for kind, period_kind in SCHEDULED:
                if period.kind == period_kind:
                    due.add((kind, period.key))
    # PostgreSQL in production; SQLite (the zero-install default) has the same clause.
    insert = sqlite_insert if db.session.get_bind().dialect.name == "sqlite" else pg_insert
    created = []
    for kind, key in sorted(due):
        row = db.session.execute(
            insert(Report)
            .values(kind=kind, period_key=key, trigger="schedule", status="queued", progress=0,
                    options={}, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["kind", "period_key"],
                                    index_where=Report.trigger == "schedule")
            .returning(Report.id)
        ).scalar()
        if row is not None:
            created.append(row)
    db.session.commit()
    stale = sweep_stale_reports(send=False)
    for report_id in sorted(set(created) | set(stale)):
        if inline:
            generate_report(report_id)
        else:
            send_task_now(GENERATE_TASK, report_id)
    return created


def _running_timeout() -> dt.timedelta:
    seconds = current_app.config.get("REPORT_RUNNING_TIMEOUT")
    return dt.timedelta(seconds=float(seconds)) if seconds else RUNNING_TIMEOUT


def sweep_stale_reports(*, send: bool = True) -> list[int]:
    """Re-queue the reports whose worker died; return the ids to send to the workers again.

    A report still "running" past the time limit lost its worker: queued again (progress 0)
    while it has had fewer than MAX_ATTEMPTS runs, else failed with error "timeout" (the user
    sees 失败 and may request it again). A report "queued" for longer than REQUEUE_AFTER lost
    its message (the broker restarted empty): sent again. Runs every few minutes from beat
    (reports.sweep_stale); idempotent — generate_report only claims a queued report.
    """
    now = utcnow()
    started = func.coalesce(Report.started_at, Report.created_at)  # rows from before 2026-12
    lost = Report.status == "running", started < now - _running_timeout()
    failed = db.session.execute(
        update(Report).where(*lost, Report.attempts >= MAX_ATTEMPTS)
        .values(status="failed", error="timeout", finished_at=now).returning(Report.id)
    ).scalars().all()
    requeued = db.session.execute(
        update(Report).where(*lost, Report.attempts < MAX_ATTEMPTS)
        .values(status="queued", progress=0, error="worker lost; queued again")
        .returning(Report.id)
    ).scalars().all()
    waiting = db.session.scalars(
        select(Report.id).where(Report.status == "queued", Report.created_at < now - REQUEUE_AFTER)
    ).all()
    db.session.commit()
    if failed or requeued:
        log.warning("reports whose worker died: re-queued %s, failed %s", requeued, failed)
    ids = sorted(set(requeued) | set(waiting))
    if send:
        for report_id in ids:
            send_task_now(GENERATE_TASK, report_id)
    return ids


__all__ = [
    "CASE_KINDS", "PERIOD_KINDS", "InvalidReportRequest", "ReportError", "ReportNotAllowed",
    "ReportNotFound", "ReportNotReady", "generate_report", "get_report", "list_reports",
    "report_file", "report_json", "request_report", "schedule_due_reports", "sweep_stale_reports",
]
