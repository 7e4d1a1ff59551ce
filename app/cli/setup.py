"""Set-up commands: `flask init`, `flask demo`, and the `flask plan` group."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.cli.common import fail
from app.extensions import db
from workflows.vocabulary import STATE_ORDER


def register(app: Flask) -> None:
    """Register the set-up commands."""
    app.cli.add_command(init_command)
    app.cli.add_command(plan_cli)
    app.cli.add_command(demo_command)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the schema and sync roles and permissions (idempotent)."""
    from flask_appbuilder.security.manager import BaseSecurityManager
    from flask_migrate import upgrade

    upgrade()
    sm = current_app.appbuilder.sm
    # FAB_CREATE_DB is off in running processes; here the schema exists (Alembic made
    # it), so this only creates the role rows of the builtin roles.
    BaseSecurityManager.create_db(sm)
    current_app.appbuilder.add_permissions(update_perms=True)
    db.session.commit()
    click.echo("数据库已就绪，角色与权限已同步。")


plan_cli = AppGroup("plan", help="Load, dump and extract plans.")


@plan_cli.command("load")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def plan_load(file: str | None) -> None:
    """Load a plan file (default: the bundled 2024 plan) in one transaction."""
    from app.services.plans import DEFAULT_PLAN_FILE, PlanFileError, load_plan

    try:
        result = load_plan(file or DEFAULT_PLAN_FILE)
    except PlanFileError as exc:
        fail(str(exc))
    if result.demo:
        click.echo(f"方案《{result.plan.title}》已作为演示数据移至 {result.plan.year} 年并有办理记录，未重新导入。")
        return
    click.echo(
        f"已导入方案《{result.plan.title}》（{result.plan.year}）：新增 {result.created} 条，"
        f"更新 {result.updated} 条。"
    )
    if getattr(result, "new_departments", None):
        click.echo(f"新建单位 {len(result.new_departments)} 个：{'、'.join(result.new_departments)}")


@plan_cli.command("dump")
@click.option("--json", "as_json", is_flag=True, required=True, help="Print JSON.")
def plan_dump(as_json: bool) -> None:
    """Print the loaded plan as JSON on stdout."""
    from app.services.plans import dump_plan, latest_plan

    plan = latest_plan()
    if plan is None:
        fail("尚未导入方案：请先运行 flask plan load")
    click.echo(json.dumps(dump_plan(plan), ensure_ascii=False, indent=2))


@plan_cli.command("extract")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the draft as JSON (the plan dump shape).")
@click.option("--year", type=int, help="The plan's year (default: read from its title or text).")
def plan_extract(file: str, as_json: bool, year: int | None) -> None:
    """Draft a plan from a plan document (.txt in UTF-8/GB18030, or .docx); print the draft."""
    from workflows.plan_extraction import PlanTextError, extract_plan, read_plan_document

    try:
        draft = extract_plan(read_plan_document(file), year=year)
    except PlanTextError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(draft, ensure_ascii=False, indent=2))
        return
    cases = [c for a in draft["actions"] for c in a["cases"]]
    targets = sum(len(x["indicators"]) for x in [*draft["goals"], *draft["actions"], *cases])
    click.echo(
        f"《{draft['title']}》（{draft['year']}）：目标 {len(draft['goals'])} 项，行动 {len(draft['actions'])} 项，"
        f"任务 {len(cases)} 项，量化指标 {targets} 个。加 --json 输出草稿全文。"
    )


@click.command("demo")
@with_appcontext
@click.option("--force", is_flag=True, help="Create demo users even in production.")
@click.option("--users-only", is_flag=True,
              help="Only the demo users; leave the plan's cases as loaded (no living demo).")
def demo_command(force: bool, users_only: bool) -> None:
    """Demo users, and the living demo: the plan's cases in this year, part-way done."""
    from app.services.demo import DemoError, create_demo
    from app.services.living_demo import build_living_demo

    try:
        users, password = create_demo(force=force)
        living = None if users_only else build_living_demo(password)
    except DemoError as exc:
        fail(str(exc))
    if living is not None:
        states = "，".join(f"{_state_label(s)} {n} 项" for s, n in sorted(
            living.states.items(), key=lambda item: _STATE_ORDER.index(item[0])))
        head = "已生成演示数据" if living.built else "演示数据已存在，未重复生成"
        click.echo(f"{head}（{living.year}年，页面顶部标有“演示数据”）：{states}。")
    click.echo(f"演示用户（密码均为：{password}）：")
    for user in users:
        click.echo(f"  {user.username:<8} {user.description}")
    if living is not None:
        click.echo("  另有各牵头单位的经办人 worker3 起、各行动专班负责人 lead2 起（同一密码，"
                   "名单见“安全 → 用户列表”）。")
    if not current_app.config.get("DEMO_PASSWORD"):
        click.echo("（设置环境变量 DEMO_PASSWORD 可指定密码）")


_STATE_ORDER = tuple(state.value for state in STATE_ORDER)


def _state_label(state: str) -> str:
    from app.labels import STATE_LABELS, label

    return str(label(STATE_LABELS, state))
