"""Reports as official-format PDFs (GB/T 9704-2012): data builders, SVG charts, renderer.

`render(kind, period=…, case=…)` → PDF bytes. The kinds, their templates and what
they are about (a period or one case) are listed in KINDS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from app.reports import casefile, periodic
from app.reports.render import html_to_pdf, render_html
from workflows.periods import Period, PeriodKind


@dataclass(frozen=True)
class ReportKind:
    """One kind of report: its code, Chinese name, template, subject and builder."""

    code: str
    name_zh: str
    template: str
    subject: str  # "period" or "case"
    build: Callable[..., dict]
    period_kinds: tuple[PeriodKind, ...] = ()


_ANY_PERIOD = (PeriodKind.DEKAD, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)

KINDS: dict[str, ReportKind] = {
    k.code: k
    for k in (
        ReportKind("inspection", "督查通报", "reports/inspection.html", "period",
                   periodic.build_inspection, _ANY_PERIOD),
        ReportKind("dekad", "旬简报", "reports/periodic.html", "period",
                   periodic.build_dekad, (PeriodKind.DEKAD,)),
        ReportKind("monthly", "月通报", "reports/periodic.html", "period",
                   periodic.build_monthly, (PeriodKind.MONTH,)),
        ReportKind("work-report", "工作月报", "reports/work_report.html", "period",
                   periodic.build_work_report, (PeriodKind.MONTH,)),
        ReportKind("quarterly", "季讲评", "reports/quarterly.html", "period",
                   periodic.build_quarterly, (PeriodKind.QUARTER,)),
        ReportKind("notice", "督办通知单", "reports/notice.html", "case", casefile.build_notice),
        ReportKind("dossier", "督办事项档案", "reports/dossier.html", "case", casefile.build_dossier),
    )
}
PERIOD_KINDS = tuple(code for code, k in KINDS.items() if k.subject == "period")
CASE_KINDS = tuple(code for code, k in KINDS.items() if k.subject == "case")
# The periodic kinds beat generates, with the period kind each covers.
SCHEDULED = (
    ("dekad", PeriodKind.DEKAD),
    ("monthly", PeriodKind.MONTH),
    ("work-report", PeriodKind.MONTH),
    ("quarterly", PeriodKind.QUARTER),
)


def build_context(kind: str, *, period: Period | None = None, case=None, plan=None,
                  as_of: dt.date | None = None, options: dict | None = None) -> dict:
    """The template context of a report (the caller validated kind and subject)."""
    spec = KINDS[kind]
    options = options or {}
    if spec.subject == "period":
        return spec.build(period, plan, options)
    return spec.build(case, as_of, options)


def render(kind: str, *, progress: Callable[[int], None] | None = None, **subject) -> bytes:
    """A report as PDF bytes; `progress(percent)` is told as the work advances."""
    step = progress or (lambda _p: None)
    context = build_context(kind, **subject)
    step(40)
    html = render_html(KINDS[kind].template, context)
    step(50)
    pdf = html_to_pdf(html)
    step(95)
    return pdf
