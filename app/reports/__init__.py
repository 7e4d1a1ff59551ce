"""Reports as official-format PDFs (GB/T 9704-2012) and DOCX: data builders, SVG charts, renderer.

`render(kind, period=…, case=…)` → PDF bytes; `render_files(…)` → (PDF, DOCX) from the same
HTML, so both carry the same text. The kinds — their templates, builders, what
they are about, who may request them, their options, schedule and number series — are the
registry `workflows.report_kinds.KINDS` (re-exported here).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

from app.reports.document import organisation_of
from app.reports.render import html_to_pdf, render_html
from workflows.documents import EDITABLE_WORDING
from workflows.periods import Period
from workflows.report_kinds import CASE_KINDS, KINDS, PERIOD_KINDS, SCHEDULED, ReportKind, Subject

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


def render(kind: str, *, progress: Callable[[int], None] | None = None, **subject) -> bytes:
    """A report as PDF bytes; `progress(percent)` is told as the work advances."""
    step = progress or (lambda _p: None)
    html = report_html(kind, step, **subject)
    pdf = html_to_pdf(html)
    step(95)
    return pdf


def report_html(kind: str, step: Callable[[int], None] = lambda _p: None, **subject) -> str:
    """The report's HTML, the one source of its PDF and its DOCX."""
    context = build_context(kind, **subject)
    step(40)
    html = render_html(KINDS[kind].template, context)
    step(50)
    return html


def render_docx(kind: str, **subject) -> bytes:
    """A report as DOCX bytes (the same text as its PDF)."""
    from app.reports.docx import html_to_docx

    return html_to_docx(report_html(kind, **subject))


def render_files(kind: str, *, progress: Callable[[int], None] | None = None, **subject) -> tuple[bytes, bytes]:
    """A report as (PDF, DOCX), both from one rendering of its HTML."""
    from app.reports.docx import html_to_docx

    step = progress or (lambda _p: None)
    html = report_html(kind, step, **subject)
    pdf = html_to_pdf(html)
    step(90)
    docx = html_to_docx(html)
    step(95)
    return pdf, docx
