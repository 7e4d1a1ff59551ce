"""Reports as official-format PDFs (GB/T 9704-2012) and DOCX: data builders, SVG charts, renderer.

`render(kind, period=…, case=…)` → PDF bytes; `render_files(…)` → (PDF, DOCX) from the same
HTML, so both carry the same text. The kinds — their templates, builders, what
they are about, who may request them, their options, schedule and number series — are the
registry `workflows.report_kinds.KINDS` (re-exported here).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable

from app.replica import replica_reads
from app.reports.document import organisation_of
from app.reports.render import layout, render_html, write_pdf
from workflows.documents import EDITABLE_WORDING
from workflows.periods import Period
from workflows.report_kinds import CASE_KINDS, KINDS, PERIOD_KINDS, SCHEDULED, ReportKind, Subject

log = logging.getLogger(__name__)

__all__ = ["CASE_KINDS", "KINDS", "PERIOD_KINDS", "SCHEDULED", "ReportKind", "build_context", "builder", "render",
           "render_docx", "render_files"]


def builder(kind: str) -> Callable[..., dict]:
    """The builder function a kind's registry entry names ("app.reports.periodic:build_dekad")."""
    module, _sep, name = KINDS[kind].builder.partition(":")
    return getattr(importlib.import_module(module), name)


def build_context(kind: str, *, period: Period | None = None, case=None, plan=None,
                  as_of: dt.date | None = None, options: dict | None = None) -> dict:
    """The template context of a report (the caller validated kind and subject)."""
    options = options or {}
    # Report data is read-only: from the replica when there is one (app/replica.py).
    with replica_reads():
        if KINDS[kind].subject == Subject.PERIOD:
            context = builder(kind)(period, plan, options)
        else:
            context = builder(kind)(case, as_of, options)
            plan = case.plan
    # Who issues the plan's documents: the templates' text names its offices by it.
    context.setdefault("org", organisation_of(plan))
    # The office's wording of a draft (remarks, highlights, next steps), printed where each belongs.
    context.setdefault("wording", {name: (options.get(name) or "").strip() for name in EDITABLE_WORDING})
    return context


# A one-page form (督办通知单): its table is set smaller, step by step, until it fits one page
# (print.css `.density-N`); past the last step the table continues on the next page with the
# signature block kept with its last row.
ONE_PAGE_KINDS = frozenset({"notice"})
DENSITIES = 6


def _report_uncovered(kind: str, html: str, uncovered: Callable[[list[str]], None] | None) -> None:
    """Characters no face prints, reported before the layout (logged; told to `uncovered`)."""
    from app.reports.coverage import uncovered_in_html

    missing = uncovered_in_html(html)
    if missing:
        log.warning("%s: the fonts cannot print %s", kind, "".join(missing[:40]))
        if uncovered is not None:
            uncovered(missing)


def _laid_out(kind: str, step: Callable[[int], None], subject: dict,
              uncovered: Callable[[list[str]], None] | None = None):
    """(html, laid-out document) of a report: a one-page kind at the largest type that fits."""
    context = build_context(kind, **subject)
    step(40)
    _report_uncovered(kind, render_html(KINDS[kind].template, context), uncovered)
    for density in range(DENSITIES if kind in ONE_PAGE_KINDS else 1):
        context["density"] = density
        html = render_html(KINDS[kind].template, context)
        document = layout(html)
        if len(document.pages) == 1:
            break
    step(70)
    return html, document


def render(kind: str, *, progress: Callable[[int], None] | None = None,
           uncovered: Callable[[list[str]], None] | None = None, **subject) -> bytes:
    """A report as PDF bytes; `progress(percent)` is told as the work advances, `uncovered`
    the characters the fonts cannot print (before the layout)."""
    step = progress or (lambda _p: None)
    _html, document = _laid_out(kind, step, subject, uncovered)
    pdf = write_pdf(document)
    step(95)
    return pdf


def report_html(kind: str, step: Callable[[int], None] = lambda _p: None, **subject) -> str:
    """The report's HTML, the one source of its PDF and its DOCX."""
    context = build_context(kind, **subject)
    step(40)
    return render_html(KINDS[kind].template, context)


def render_docx(kind: str, *, uncovered: Callable[[list[str]], None] | None = None, **subject) -> bytes:
    """A report as DOCX bytes (the same text as its PDF)."""
    from app.reports.docx import html_to_docx

    html = report_html(kind, **subject)
    _report_uncovered(kind, html, uncovered)
    return html_to_docx(html)


def render_files(kind: str, *, progress: Callable[[int], None] | None = None, **subject) -> tuple[bytes, bytes]:
    """A report as (PDF, DOCX), both from one rendering of its HTML."""
    from app.reports.docx import html_to_docx

    step = progress or (lambda _p: None)
    html, document = _laid_out(kind, step, subject)
    pdf = write_pdf(document)
    step(90)
    docx = html_to_docx(html)
    step(95)
    return pdf, docx
