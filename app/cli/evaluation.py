"""`flask evaluation …`: 三看三评三比 from the command line (other tools rely on `compute --json`).

    flask evaluation compute --period 2024-Q3 [--json] [--plan ID] [--dry-run]
    flask evaluation publish --period 2024-Q3 [--plan ID]
    flask evaluation withdraw --period 2024-Q3 [--plan ID]
    flask evaluation export  --period 2024-Q3 --out FILE.xlsx [--user NAME]

`compute --json` prints {"period", "label", "plan", "published", "scheme_version", "units": [{"unit",
"group", "group_name", "total", "rank", "subtotals", "parts": [{"name", "score", "max", "computed",
"note", "facts": [{"text", …}]}]}]}. A published period is printed as published, not recomputed.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.cli.common import fail
from workflows.vocabulary import SYSTEM

evaluation_cli = AppGroup("evaluation", help="三看三评三比: compute, publish and export evaluations.")


def register(app: Flask) -> None:
    """Register the `evaluation` group."""
    app.cli.add_command(evaluation_cli)


def _run(call):
    from app.errors import translate
    from workflows.errors import DomainError

    try:
        return call()
    except DomainError as exc:
        fail(str(translate(exc)))


@evaluation_cli.command("compute")
@click.option("--period", required=True, help="2024-Q3 (quarter), 2024-03 (month) or 2024 (year).")
@click.option("--plan", "plan_id", type=int, help="Plan id (default: the plan in force).")
@click.option("--json", "as_json", is_flag=True, help="Print every unit's result as JSON.")
@click.option("--dry-run", is_flag=True, help="Compute without saving.")
def compute_command(period: str, plan_id: int | None, as_json: bool, dry_run: bool) -> None:
    """Compute every unit's score, parts and rank for the period (saved unless --dry-run)."""
    from app.services.evaluation import compute

    data = _run(lambda: compute(period, plan_id=plan_id, actor=SYSTEM, save=not dry_run))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    state = "已发布" if data["published"] else ("未保存" if dry_run else "已计算，未发布")
    click.echo(f"{data['label']}“三看三评三比”（方案第{data['scheme_version']}版，{state}）：{len(data['units'])}个单位")
    for u in data["units"]:
        click.echo(f"  {u['group_name']}  第{u['rank']}名  {u['unit']}  {u['total']:g}分"
                   f"（看{u['subtotals']['kan']:g} 评{u['subtotals']['ping']:g} 比{u['subtotals']['bi']:g}）")


@evaluation_cli.command("publish")
@click.option("--period", required=True, help="2024-Q3, 2024-03 or 2024.")
@click.option("--plan", "plan_id", type=int, help="Plan id (default: the plan in force).")
def publish_command(period: str, plan_id: int | None) -> None:
    """Publish the computed results: each unit sees its own; they no longer change."""
    from app.services.evaluation import publish

    count = _run(lambda: publish(SYSTEM, period, plan_id))
    click.echo(f"已发布{period}评价结果：{count}个单位")


@evaluation_cli.command("withdraw")
@click.option("--period", required=True, help="2024-Q3, 2024-03 or 2024.")
@click.option("--plan", "plan_id", type=int, help="Plan id (default: the plan in force).")
def withdraw_command(period: str, plan_id: int | None) -> None:
    """Withdraw a publication (to correct it): the units no longer see the results."""
    from app.services.evaluation import withdraw

    count = _run(lambda: withdraw(SYSTEM, period, plan_id))
    click.echo(f"已撤回{period}评价结果的发布：{count}个单位")


@evaluation_cli.command("export")
@click.option("--period", required=True, help="2024-Q3, 2024-03 or 2024.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write.")
@click.option("--plan", "plan_id", type=int, help="Plan id (default: the plan in force).")
@click.option("--user", "username", help="Export what this user may see (default: everything).")
def export_command(period: str, out: str, plan_id: int | None, username: str | None) -> None:
    """Write the results (排名) and every part's facts (评分依据) to an Excel file."""
    from flask import current_app

    from app.security import actor_for
    from app.services.evaluation import export_xlsx

    actor = SYSTEM
    if username:
        user = current_app.appbuilder.sm.find_user(username=username)
        if user is None:
            fail(f"没有用户“{username}”")
        actor = actor_for(user)
    _name, data = _run(lambda: export_xlsx(actor, period, plan_id))
    Path(out).write_bytes(data)
    click.echo(f"已导出{period}评价结果到 {out}")
