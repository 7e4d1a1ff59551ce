"""Report commands: `flask report render …` (scripts and tests rely on it) and `flask report scheduled`.

    flask report render KIND --period P --out FILE     KIND: inspection, dekad, monthly,
                                                        work-report, quarterly
    flask report render notice --case ID --out FILE    (likewise dossier)

FILE ending in .docx gets the DOCX of the same document (python-docx, the same text as the
PDF); any other name (.pdf) the PDF.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.cli.common import fail

report_cli = AppGroup("report", help="Render and schedule reports (PDF).")


def register(app: Flask) -> None:
    """Register the report commands."""
    app.cli.add_command(report_cli)


def _kinds() -> list[str]:
    from app.reports import KINDS

    return list(KINDS)


@report_cli.command("render")
@click.argument("kind", type=click.Choice(_kinds()))
@click.option("--period", help="Period: 2024-06-D2 (dekad), 2024-06 (month), 2024-Q2 (quarter); "
                                "the running one gives a report as of today (截至今日, not final).")
@click.option("--case", "case_id", type=int, help="Case id (notice, dossier).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write: NAME.pdf (PDF) or NAME.docx (Word).")
@click.option("--remarks", help="Office remarks (inspection).")
@click.option("--requirement", help="Requirement text (notice).")
@click.option("--no-red-header", is_flag=True, help="Leave out the red issuer header.")
@click.option("--as-of", "as_of", help="Date of a notice or dossier (YYYY-MM-DD; default today).")
@click.option("--draft", is_flag=True, help="A periodic report or a notice as a draft: no number taken from the register.")
@click.option("--date", "doc_date", help="成文日期 of a periodic report (a working day; default the first after the period).")
@click.option("--signer", help="签发人 of a report sent upwards (工作月报).")
def render_command(kind, period, case_id, out, remarks, requirement, no_red_header, as_of, draft, doc_date,
                   signer) -> None:
    """Render one report straight to a PDF or DOCX file (no queue, no Report row).

    A periodic report is issued: its number comes from the register (taken now in the
    series of its year of issue, or the one it was issued with before), unless --draft.
    A notice likewise (its own series; the same case and date keep their number).
    """
    from app.clock import local_today
    from app.extensions import db
    from app.models import Case
    from app.reports import KINDS, render, render_docx
    from app.services.plans import latest_plan
    from app.services.reports import InvalidReportRequest, clean_options, period_for

    options = {"remarks": remarks, "requirement": requirement}
    if no_red_header:
        options["red_header"] = False
    try:
        options = clean_options(kind, options)
        if KINDS[kind].subject == "period":
            if not period:
                fail(f"{KINDS[kind].name_zh}需要 --period（如 2024-06、2024-06-D2、2024-Q2）")
            plan = latest_plan()
            if plan is None:
                fail("尚未导入方案：请先运行 flask plan load")
            subject = {"period": period_for(kind, period), "plan": plan}
            today = local_today()
            if subject["period"].start > today:
                fail(f"期间 {subject['period'].key} 尚未开始")
            if subject["period"].end >= today:
                # The running period: 截至今日, marked as not final, never numbered.
                subject["period"] = subject["period"].so_far(today)
                options["as_of"], draft = today.isoformat(), True
            if not draft:
                from app.services.documents import issued_options
                from workflows.errors import DomainError

                try:
                    day = dt.date.fromisoformat(doc_date) if doc_date else None
                except ValueError:
                    fail(f"日期格式不正确：{doc_date}（应为 YYYY-MM-DD）")
                try:
                    options = issued_options(kind, subject["period"].key, subject["period"], plan, options,
                                             day=day, signer=signer)
                except DomainError as exc:
                    from app.errors import translate

                    fail(str(translate(exc)))
                db.session.commit()
        else:
            if case_id is None:
                fail(f"{KINDS[kind].name_zh}需要 --case（任务编号）")
            case = db.session.get(Case, case_id)
            if case is None:
                fail(f"没有编号为{case_id}的任务")
            try:
                day = dt.date.fromisoformat(as_of) if as_of else local_today()
            except ValueError:
                fail(f"日期格式不正确：{as_of}（应为 YYYY-MM-DD）")
            subject = {"case": case, "as_of": day}
            if KINDS[kind].numbering == "request" and not draft:
                # An issued notice: its number from the register (the same case and day keep theirs).
                from app.services.documents import take_number

                options["number"] = take_number(kind, f"case:{case.id}:{day.isoformat()}", day, case.plan).text
                db.session.commit()
    except InvalidReportRequest as exc:
        fail(str(exc.message))
    as_docx = out.suffix.lower() == ".docx"
    def warn(chars: list[str]) -> None:
        click.echo(f"注意：以下字符字体无法显示，将印成空框：{'、'.join(chars[:40])}", err=True)

    content = (render_docx if as_docx else render)(kind, options=options, uncovered=warn, **subject)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    click.echo(f"已生成{KINDS[kind].name_zh}{'（Word）' if as_docx else ''}：{out}（{len(content) // 1024} KB）")


@report_cli.command("scheduled")
@click.option("--today", help="Act as if today were this date (YYYY-MM-DD).")
@click.option("--inline", is_flag=True, help="Generate here instead of queueing to the workers.")
def scheduled_command(today: str | None, inline: bool) -> None:
    """Create the periodic reports due by today (what beat runs; idempotent)."""
    from app.services.reports import schedule_due_reports

    try:
        day = dt.date.fromisoformat(today) if today else None
    except ValueError:
        fail(f"日期格式不正确：{today}（应为 YYYY-MM-DD）")
    created = schedule_due_reports(day, inline=inline)
    click.echo(f"新建定期报告 {len(created)} 份" + (f"：{', '.join(map(str, created))}" if created else "。"))
