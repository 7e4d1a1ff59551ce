"""Fixtures for the report tests: a plan with realistic 2024 progress, PDF readers, a request trap.

`report_progress` (module) rebuilds the test database from the seeded template and drives
cases through the services' case acts — accept, progress with indicator actuals, submit,
return, verify, close, extension, urge, deadline changes — then moves each new row's
timestamps to its day in March–June 2024, as if the work had happened then. Afterwards the
test database is rebuilt again, so other modules never see this data.

`request_trap` (module) is a local HTTP server that records every request: user text that
names it must never make the renderer fetch anything.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

from tests.integration.conftest import SEED_DB, TEST_DB, recreate_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF_EVIDENCE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CUT = dt.datetime(2025, 1, 1)  # rows stamped after this were written by the seeding: backdate them


# --- a server that must receive nothing ------------------------------------------------------


class RequestTrap:
    """Records every request made to it (any method, any path)."""

    def __init__(self):
        requests: list[str] = []
        self.requests = requests

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                requests.append(f"{self.command} {self.path}")
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_HEAD = _record  # http.server calls these by name

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def bait(self) -> str:
        """HTML naming this server: an image and a stylesheet."""
        return (f'<img src="http://127.0.0.1:{self.port}/x.png">'
                f'<link rel=stylesheet href="http://127.0.0.1:{self.port}/s.css">')


@pytest.fixture(scope="module")
def request_trap():
    trap = RequestTrap()
    trap.thread.start()
    yield trap
    trap.httpd.shutdown()
    trap.httpd.server_close()


# --- realistic progress ----------------------------------------------------------------------


def at(day: str, hour: int = 10) -> dt.datetime:
    """Naive UTC of a local (Asia/Shanghai) time on `day`."""
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=SHANGHAI)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass
class Progress:
    """What the seeding did, for the tests to check the reports against."""

    bait: str
    overdue: dict[int, dt.date] = field(default_factory=dict)  # case id → deadline at June's end
    on_time: list[int] = field(default_factory=list)
    late_done: list[int] = field(default_factory=list)
    returned: int = 0
    return_reason: str = ""
    extended: int = 0
    closed: int = 0
    dossier: int = 0
    dossier_note: str = ""
    evidence_name: str = ""
    urged: list[int] = field(default_factory=list)
    goal_indicator: int = 0
    goal_actual: str = ""
    evaluated: dict[str, float] = field(default_factory=dict)  # department → total, 2024-Q2
    titles: dict[int, str] = field(default_factory=dict)
    departments: dict[int, str] = field(default_factory=dict)


_STAMPS = {
    "case_history": ("at",),
    "progress_update": ("created_at",),
    "indicator_actual": ("recorded_at",),
    "evidence_file": ("uploaded_at",),
    "extension_request": ("requested_at", "decided_at"),
    "outbox_event": ("created_at", "relayed_at"),
}
_CASE_STAMPS = ("state_changed_at", "submitted_at", "verified_at", "closed_at", "last_progress_at")


class Seeder:
    """Calls the services' case acts as the right people, then backdates what it wrote."""

    def __init__(self, app):
        from app.extensions import db
        from app.models import Case

        self.db = db
        self.app = app
        sm = app.appbuilder.sm
        self.users = {name: sm.find_user(username=name).id for name in ("worker1", "lead1", "office", "admin")}
        self.cases = list(db.session.scalars(
            select(Case).where(Case.lead_department_id.is_not(None)).order_by(Case.id)))

    def caseworker(self, case):
        from workflows.vocabulary import Actor, Role

        return Actor(self.users["worker1"], frozenset({Role.CASEWORKER}), frozenset({case.lead_department_id}))

    def lead(self, case):
        from workflows.vocabulary import Actor, Role

        return Actor(self.users["lead1"], frozenset({Role.TASK_FORCE_LEAD}), led_action_ids=frozenset({case.action_id}))

    @property
    def office(self):
        from workflows.vocabulary import Actor, Role

        return Actor(self.users["office"], frozenset({Role.OFFICE}))

    @property
    def admin(self):
        from workflows.vocabulary import Actor, Role

        return Actor(self.users["admin"], frozenset({Role.ADMIN}))

    def do(self, when: dt.datetime, function: str, case, actor, *args, **kwargs):
        """Run a workflow function, then stamp every row it wrote with `when`."""
        from tests.integration.fixtures_workflow import service_act

        result = service_act(function)(*args, actor, **kwargs)
        session = self.db.session
        for table, columns in _STAMPS.items():
            for column in columns:
                session.execute(text(f'UPDATE {table} SET "{column}" = :when WHERE "{column}" > :cut'),
                                {"when": when, "cut": CUT})
        for column in _CASE_STAMPS:
            session.execute(text(f'UPDATE "case" SET "{column}" = :when WHERE id = :id AND "{column}" > :cut'),
                            {"when": when, "id": case.id, "cut": CUT})
        session.commit()
        return result

    def transition(self, day, case, actor, name, comment=None):
        return self.do(at(day), "apply_transition", case, actor, case.id, transition=name, comment=comment)

    def progress(self, day, case, percent, note, indicators=None, files=()):
        return self.do(at(day, 16), "add_progress", case, self.caseworker(case), case.id, note=note,
                       percent=percent, indicator_values=indicators or {}, files=files)


def seed_progress(app, bait: str) -> Progress:
    """Drive the loaded plan through March–June 2024 (see the module docstring)."""
    from werkzeug.datastructures import FileStorage

    from app.models import Case, Indicator, IndicatorActual

    s = Seeder(app)
    db = s.db
    facts = Progress(bait=bait)
    cases = s.cases
    facts.titles = {c.id: c.title for c in cases}
    facts.departments = {c.id: c.lead_department_name for c in cases}
    by_action = defaultdict(list)
    for case in cases:
        by_action[case.action_index].append(case)
    # The dossier case: the first case of worker1's department (区商务局).
    worker1_cases = [c for c in cases if c.lead_department_name == "区商务局"]
    dossier = worker1_cases[0]
    facts.dossier = dossier.id

    # Early deadlines for one pair of cases per action 1–4, as if the plan file had set them.
    early = [c for i in (1, 2, 3, 4) for c in [c for c in by_action[i] if c.id != dossier.id][1:3]]
    may, june = early[:4], early[4:8]
    for case, day in [(c, dt.date(2024, 5, 31)) for c in may] + [(c, dt.date(2024, 6, 14)) for c in june]:
        db.session.execute(update(Case).where(Case.id == case.id).values(deadline=day, original_deadline=day))
    db.session.commit()

    # Everyone accepts in the first week of March.
    for i, case in enumerate(cases):
        s.transition(f"2024-03-0{4 + i % 3}", case, s.caseworker(case), "accept")

    indicators = defaultdict(list)
    for ind in db.session.scalars(select(Indicator).where(Indicator.case_id.is_not(None)).order_by(Indicator.id)):
        indicators[ind.case_id].append(ind)

    # Monthly progress for most cases: April for two in three, May and June for more.
    for i, case in enumerate(cases):
        base = 10 + (i * 7) % 25
        if i % 3 != 2:
            s.progress("2024-04-25", case, base, f"已制定{case.title}工作方案，明确责任分工。")
        values = {ind.id: round(ind.value * 6 / 10) for ind in indicators[case.id]}
        s.progress("2024-05-24", case, base + 20, "按计划推进，完成阶段性任务。", values)
        if i % 4 != 3:
            # Odd cases pass their targets by one unit, even ones fall one short.
            june_values = {ind.id: ind.value + (1 if i % 2 else -1) for ind in indicators[case.id]}
            s.progress("2024-06-21", case, min(95, base + 40), "持续推进，已完成年度目标的主要部分。", june_values)

    # May deadlines: two done on time, one done late, one left overdue (and urged).
    for case, submit, verify in ((may[0], "2024-05-20", "2024-05-22"), (may[1], "2024-05-27", "2024-05-29"),
                                 (may[2], "2024-06-17", "2024-06-19")):
        s.transition(submit, case, s.caseworker(case), "submit", "已完成，报请核验。")
        s.transition(verify, case, s.lead(case), "verify")
    facts.on_time = [may[0].id, may[1].id]
    facts.late_done = [may[2].id]
    facts.overdue[may[3].id] = dt.date(2024, 5, 31)
    s.do(at("2024-06-20"), "urge", may[3], s.office, may[3].id, comment="请加快推进，尽快报送。")
    facts.urged.append(may[3].id)

    # June 14 deadlines: an extension, a return, one overdue and urged, one closed.
    extended, returned, late, closed = june
    s.do(at("2024-06-05"), "request_extension", extended, s.caseworker(extended), extended.id,
         new_deadline="2024-07-31", reason="项目用地手续尚在办理，申请延期。")
    from app.models import ExtensionRequest

    ext_id = db.session.scalar(select(ExtensionRequest.id).where(ExtensionRequest.case_id == extended.id))
    s.do(at("2024-06-07"), "decide_extension", extended, s.office, ext_id, approve=True, comment="同意延期")
    facts.extended = extended.id

    facts.return_reason = "佐证材料不全，请补充。" + bait
    s.transition("2024-06-10", returned, s.caseworker(returned), "submit", "已完成，报请核验。")
    s.transition("2024-06-12", returned, s.lead(returned), "return", facts.return_reason)
    facts.returned = returned.id
    facts.overdue[returned.id] = dt.date(2024, 6, 14)
    facts.overdue[late.id] = dt.date(2024, 6, 14)
    s.do(at("2024-06-24"), "urge", late, s.office, late.id, comment="已逾期，请说明原因。")
    facts.urged.append(late.id)

    s.transition("2024-06-03", closed, s.caseworker(closed), "submit", "已完成，报请核验。")
    s.transition("2024-06-05", closed, s.lead(closed), "verify")
    s.transition("2024-06-07", closed, s.office, "close")
    facts.closed = closed.id

    # The dossier case: notes (one carrying HTML that names the trap), evidence, an
    # extension refused, a submission returned.
    facts.dossier_note = "已与三家企业完成对接洽谈。" + bait
    facts.evidence_name = "对接洽谈纪要.pdf"
    s.progress("2024-06-25", dossier, 60, facts.dossier_note,
               files=[FileStorage(io.BytesIO(PDF_EVIDENCE), filename=facts.evidence_name)])
    s.do(at("2024-06-26"), "request_extension", dossier, s.caseworker(dossier), dossier.id,
         new_deadline="2025-03-31", reason="外资项目审批周期长。")
    ext_id = db.session.scalar(select(ExtensionRequest.id).where(
        ExtensionRequest.case_id == dossier.id, ExtensionRequest.status == "pending"))
    s.do(at("2024-06-27"), "decide_extension", dossier, s.office, ext_id, approve=False, comment="不符合延期条件")

    # Goal-level statistics entered by the office (no case: straight into the table).
    goal_indicator = db.session.scalars(
        select(Indicator).where(Indicator.goal_id.is_not(None), Indicator.name == "规模工业增加值增长")).first()
    db.session.add_all([
        IndicatorActual(indicator_id=goal_indicator.id, value=7.9, recorded_at=at("2024-05-10")),
        IndicatorActual(indicator_id=goal_indicator.id, value=8.7, recorded_at=at("2024-06-12")),
    ])
    facts.goal_indicator = goal_indicator.id
    facts.goal_actual = "8.7"

    # 三看三评三比 for the second quarter: the office scores 三评/三比 of four departments, then the
    # evaluation is computed (三看 from the data above) and published.
    from app.models import Department, EvaluationScore
    from app.services.evaluation import compute, publish
    from workflows.vocabulary import SYSTEM

    scored = list(db.session.scalars(
        select(Department).where(Department.kind == "district_department").order_by(Department.id).limit(4)))
    for n, department in enumerate(scored):
        for criterion, score in (("ping.results", 9 - n), ("ping.duty", 8), ("bi.drive", 6 + n % 2)):
            db.session.add(EvaluationScore(period_key="2024-Q2", department_id=department.id, criterion=criterion,
                                           score=score, comment="", scorer_id=s.users["office"]))
    db.session.commit()
    result = compute("2024-Q2", actor=SYSTEM)
    publish(SYSTEM, "2024-Q2")
    facts.evaluated = {u["unit"]: u["total"] for u in result["units"] if u["group"] == "district_department"}
    db.session.commit()
    return facts


@pytest.fixture(scope="module")
def report_progress(app, request_trap):
    """The plan with March–June 2024 progress (module-wide; the test database is rebuilt after)."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    recreate_database(TEST_DB, template=SEED_DB)
    with app.app_context():
        try:
            facts = seed_progress(app, request_trap.bait())
        finally:
            db.session.remove()
    yield facts
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    recreate_database(TEST_DB, template=SEED_DB)


# --- reading PDFs ----------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    """The PDF's text (pdfplumber), pages joined, without line breaks and page numbers."""
    import re

    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        text = "".join((page.extract_text() or "").replace("\n", "") for page in doc.pages)
    return re.sub(r"— \d+ —", "", text)


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's (width, height) in points."""
    from pypdf import PdfReader

    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in PdfReader(io.BytesIO(pdf)).pages]


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Every font the PDF uses → whether its program is embedded."""
    from pypdf import PdfReader

    fonts: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = (target.get("/FontDescriptor") or {})
            descriptor = descriptor.get_object() if descriptor else {}
            fonts[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return fonts


def chars_by_font(pdf: bytes) -> dict[str, set[str]]:
    """Characters drawn with each font (subset prefix stripped), from pdfplumber."""
    import pdfplumber

    used: dict[str, set[str]] = defaultdict(set)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            for char in page.chars:
                used[char["fontname"].split("+", 1)[-1]].update(char["text"])
    return used


def pdf_rows(pdf: bytes) -> list[list[str]]:
    """The rows of every ruled table, each cell's text without line breaks."""
    import pdfplumber

    rows = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            for table in page.extract_tables():
                rows.extend([(cell or "").replace("\n", "") for cell in row] for row in table)
    return rows


def _to_unicode(font) -> dict[int, str]:
    """A font's ToUnicode CMap: glyph code → text."""
    import re

    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(target).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for start, end, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            first = int(target, 16)
            for offset, code in enumerate(range(int(start, 16), int(end, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def missing_glyphs(pdf: bytes) -> dict[str, set[str]]:
    """Characters drawn as .notdef (a box), font by font.

    WeasyPrint writes a ToUnicode entry for every glyph it draws. A character no font has
    is drawn as .notdef under a glyph number the font does not have (glyph 0, or one past
    its last glyph), so any such entry is a missing glyph.
    """
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    missing: dict[str, set[str]] = {}
    seen = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            font = font.get_object()
            name = str(font["/BaseFont"]).lstrip("/")
            if name in seen:
                continue
            seen.add(name)
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            program = next(descriptor[k].get_object() for k in ("/FontFile3", "/FontFile2", "/FontFile")
                           if k in descriptor)
            glyphs = TTFont(io.BytesIO(program.get_data()))["maxp"].numGlyphs
            lacking = {text for code, text in _to_unicode(font).items()
                       if (code == 0 or code >= glyphs) and text.strip()}
            if lacking:
                missing[name] = lacking
    return missing


@pytest.fixture(scope="module")
def render_as_of(app):
    """`render_as_of(kind, **subject)` → PDF bytes, rendered in an app context."""
    from app.extensions import db
    from app.reports import render
    from app.services.plans import latest_plan

    def run(kind: str, *, period=None, case_id=None, as_of=None, options=None) -> bytes:
        from app.models import Case
        from workflows.periods import parse_period

        with app.app_context():
            try:
                if period:
                    return render(kind, period=parse_period(period), plan=latest_plan(), options=options)
                return render(kind, case=db.session.get(Case, case_id), as_of=as_of, options=options)
            finally:
                db.session.remove()

    return run


def wait_status(app, report_id: int, statuses=("done", "failed"), timeout: float = 90):
    """Poll a report row until its status is one of `statuses`; return (status, progress seen)."""
    import time

    from app.extensions import db
    from app.models import Report

    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            row = db.session.get(Report, report_id)
            status, progress = row.status, row.progress
            db.session.remove()
        seen.append((status, progress))
        if status in statuses:
            return status, seen
        time.sleep(0.1)
    pytest.fail(f"report {report_id} still {seen[-1]} after {timeout}s")

