"""Data for the one-case documents: 督办通知单 (urge notice) and the case dossier.

The caller has checked that the reader may see the case; here only reading.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.formatting import date_zh, history_summary, local_datetime, plain_number
from app.labels import EXTENSION_STATUS_LABELS, HISTORY_KIND_LABELS, STATE_LABELS, label
from app.models import (
    Case,
    CaseHistory,
    Department,
    EvidenceFile,
    ExtensionRequest,
    ProgressUpdate,
)
from app.reports.document import Document, document_number, organisation_of
from app.reports.figures import cn_number
from app.reports.snapshot import cases_at
from app.reports.snapshot import local_day as snapshot_local_day
from app.reports.targets import latest_actuals, status
from app.working_days import current_calendar
from workflows.calendar import UnknownCalendarYear
from workflows.documents import DRAFT_NUMBER
from workflows.organisation import Issuer
from workflows.report_kinds import KINDS

REPLY_WORKING_DAYS = 5


def case_details(case: Case, as_of: dt.date) -> dict:
    """The case's fields as a notice or dossier prints them, with its colour on `as_of`."""
    snapshot = cases_at(as_of, case_ids=[case.id])
    now = snapshot[0] if snapshot else None
    action = case.action
    return {
        "id": case.id,
        "title": case.title,
        "text": case.text,
        "action": f"{cn_number(action.index)}、{action.title}" if action else "",
        "action_index": action.index if action else None,
        "action_title": action.title if action else "",
        "lead_department": case.lead_department_name or "（未明确）",
        "partner_departments": [d.name for d in sorted(case.partner_departments, key=lambda d: d.name)],
        "owner": str(case.owner) if case.owner else "",
        "assignee": str(case.assignee) if case.assignee else "",
        "start_date": case.start_date,
        "deadline": case.deadline,
        "original_deadline": case.original_deadline,
        "state": case.state,
        "state_label": label(STATE_LABELS, case.state),
        "percent_done": case.percent_done,
        "rag": now.rag if now else "green",
        "overdue_days": now.overdue_days if now else 0,
        "requires_evidence": case.requires_evidence,
        "last_progress": local_datetime(case.last_progress_at),
        "milestones": milestone_lines(case, as_of),
    }


def milestone_lines(case: Case, as_of: dt.date) -> list[dict]:
    """The case's 时间节点 as a notice prints them on `as_of`: done (when), missed, or due."""
    lines = []
    for m in sorted(case.milestones, key=lambda m: (m.due_date, m.id or 0)):
        done_on = snapshot_local_day(m.done_at) if m.done_at is not None else None
        if done_on is not None and done_on <= as_of:
            status, text = "done", f"已完成（{date_zh(done_on)}报告）"
        elif m.due_date < as_of:
            status, text = "missed", "逾期未完成"
        else:
            status, text = "open", "未到期"
        lines.append({"title": m.title, "due_date": m.due_date, "due_zh": date_zh(m.due_date),
                      "status": status, "status_text": text})
    return lines


def notice_number_text(number, as_of: dt.date, org) -> str:
    """The notice's 发文字号: the register's (text), an ordinal in the year of `as_of`, else blank."""
    if isinstance(number, str) and number:
        return number
    if number:
        return document_number("notice", as_of.year, int(number), org)
    return org.prefix("notice", KINDS["notice"].default_prefix) + DRAFT_NUMBER


def build_notice(case: Case, as_of: dt.date, options: dict) -> dict:
    """督办通知单: the formal notice to the lead department to finish one case."""
    facts = case_details(case, as_of)
    org = organisation_of(case.plan)
    # A task-force lead's notice is issued by the task force (its name is the red header).
    issuer = Issuer(options["issuer"]) if options.get("issuer") else org.office
    try:
        reply_by = current_calendar().add_working_days(as_of, REPLY_WORKING_DAYS)
    except UnknownCalendarYear:
        reply_by = as_of + dt.timedelta(days=7)
    urges = db.session.scalar(
        select(db.func.count()).select_from(CaseHistory)
        .where(CaseHistory.case_id == case.id, CaseHistory.kind == "urge")
    )
    requirement = (options.get("requirement") or "").strip()
    doc = Document(
        kind="notice",
        title="督办通知单",
        issuer=issuer.name,
        date=as_of,
        number=notice_number_text(options.get("number"), as_of, org),
        masthead=issuer.masthead if options.get("red_header", KINDS["notice"].default("red_header")) else "",
        recipients=facts["lead_department"],
        copy_to="，".join(facts["partner_departments"]),
        printed_by=issuer.name,
    )
    return {
        "doc": doc,
        "case": facts,
        "requirement": requirement,
        "reply_by": reply_by,
        "reply_by_zh": date_zh(reply_by),
        "urges": urges or 0,
    }


def build_dossier(case: Case, as_of: dt.date, options: dict) -> dict:
    """The case dossier: its facts, whole history, progress notes, evidence and extensions."""
    facts = case_details(case, as_of)
    history = [
        {"at": local_datetime(e.at), "actor": e.actor_name, "summary": history_summary(e),
         "kind": label(HISTORY_KIND_LABELS, e.kind), "comment": e.comment or ""}
        for e in db.session.scalars(
            select(CaseHistory).where(CaseHistory.case_id == case.id).order_by(CaseHistory.at, CaseHistory.id)
        )
    ]
    updates = [
        {"at": local_datetime(u.created_at), "author": str(u.author) if u.author else "", "note": u.note,
         "percent_done": u.percent_done, "files": len(u.evidence_files)}
        for u in db.session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.case_id == case.id)
            .order_by(ProgressUpdate.created_at, ProgressUpdate.id)
        )
    ]
    evidence = [
        {"name": f.original_name, "size": _size(f.size), "type": f.content_type, "at": local_datetime(f.uploaded_at),
         "sha256": f.sha256[:16]}
        for f in db.session.scalars(
            select(EvidenceFile).where(EvidenceFile.case_id == case.id).order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
        )
    ]
    extensions = [
        {"requested_at": local_datetime(x.requested_at), "old": x.old_deadline, "new": x.new_deadline,
         "reason": x.reason, "status": label(EXTENSION_STATUS_LABELS, x.status),
         "decided_at": local_datetime(x.decided_at), "comment": x.decision_comment or ""}
        for x in db.session.scalars(
            select(ExtensionRequest).where(ExtensionRequest.case_id == case.id)
            .order_by(ExtensionRequest.requested_at, ExtensionRequest.id)
        )
    ]
    indicators = []
    latest = latest_actuals(ind.id for ind in case.indicators)
    for ind in case.indicators:
        actual = latest.get(ind.id)
        state = status(ind, actual)
        indicators.append({"name": ind.name, "comparator": ind.comparator,
                           "target": plain_number(ind.value) if ind.value is not None else "",
                           "unit": ind.unit,
                           "actual": plain_number(actual.value)
                           if actual is not None and actual.value is not None else "",
                           "period": state["period"] or "", "gap": state["gap_text"],
                           "light": state["light"]})
    org = organisation_of(case.plan)
    doc = Document(
        kind="dossier",
        title="督办事项档案",
        subtitle=case.title,
        issuer=org.office.name,
        date=as_of,
        number=document_number("dossier", as_of.year, case.id, org),
        masthead=org.office.masthead if options.get("red_header", KINDS["dossier"].default("red_header")) else "",
        printed_by=org.office.name,
    )
    return {"doc": doc, "case": facts, "history": history, "updates": updates, "evidence": evidence,
            "extensions": extensions, "indicators": indicators}


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def task_force_of(case: Case) -> str | None:
    """The name of the case's action's task force (专班), if any."""
    if case.action_id is None:
        return None
    return db.session.scalar(
        select(Department.name).where(Department.kind == "task_force", Department.action_id == case.action_id)
    )

