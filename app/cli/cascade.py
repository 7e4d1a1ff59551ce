"""`flask org …` and the cascade's `flask plan parent|contribute` (city → district → township).

    flask org add 怀化市 --kind city
    flask org add 鹤城区 --kind district --parent 怀化市
    flask org assign 鹤城区 --department 区政府督查室 --plan 1
    flask plan parent 2 1            # plan 2's parent plan is plan 1 ("none" to unlink)
    flask plan contribute 57 12      # target 57 contributes to target 12 of the parent plan
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.cli.common import fail
from app.errors import translate
from workflows.errors import DomainError
from workflows.vocabulary import SYSTEM

org_cli = AppGroup("org", help="Organisations: a city, its districts and their townships.")


def _id_or_none(value: str) -> int | None:
    if value.lower() in ("none", "-", "无"):
        return None
    if not value.isdigit():
        fail(f"应为编号或 none：{value}")
    return int(value)


@org_cli.command("add")
@click.argument("name")
@click.option("--kind", default="district", help="province, city, district, township or street")
@click.option("--parent", default=None, help="The organisation above it (by name).")
def org_add(name: str, kind: str, parent: str | None) -> None:
    """Add (or move) an organisation."""
    from app.services import cascade

    try:
        org = cascade.add_organisation(SYSTEM, name, kind=kind, parent=parent)
    except DomainError as exc:
        fail(translate(exc))
    click.echo(f"组织“{org.name}”（{org.kind}）已保存{f'，上级：{parent}' if parent else ''}。")


@org_cli.command("assign")
@click.argument("name")
@click.option("--department", "departments", multiple=True, help="A department's name (repeatable).")
@click.option("--plan", "plans", multiple=True, type=int, help="A plan's id (repeatable).")
def org_assign(name: str, departments: tuple[str, ...], plans: tuple[int, ...]) -> None:
    """Put departments and plans into an organisation."""
    from app.services import cascade

    try:
        cascade.assign(SYSTEM, name, departments=departments, plan_ids=plans)
    except DomainError as exc:
        fail(translate(exc))
    click.echo(f"已将单位 {len(departments)} 个、方案 {len(plans)} 个归入“{name}”。")


def register_plan_commands(plan_cli: AppGroup) -> None:
    """`flask plan parent` and `flask plan contribute`."""

    @plan_cli.command("parent")
    @click.argument("plan_id", type=int)
    @click.argument("parent_id")
    def plan_parent(plan_id: int, parent_id: str) -> None:
        """Give a plan its parent plan ("none": no parent)."""
        from app.services import cascade

        try:
            plan = cascade.set_parent_plan(SYSTEM, plan_id, _id_or_none(parent_id))
        except DomainError as exc:
            fail(translate(exc))
        click.echo(f"方案 {plan.id} 的上级方案：{plan.parent_id or '无'}。")

    @plan_cli.command("contribute")
    @click.argument("indicator_id", type=int)
    @click.argument("parent_indicator_id")
    def plan_contribute(indicator_id: int, parent_indicator_id: str) -> None:
        """Make a target contribute to a target of its plan's parent plan ("none": unlink)."""
        from app.services import cascade

        try:
            ind = cascade.set_contribution(SYSTEM, indicator_id, _id_or_none(parent_indicator_id))
        except DomainError as exc:
            fail(translate(exc))
        click.echo(f"指标 {ind.id} 计入上级指标：{ind.contributes_to_id or '无'}。")


def register(app: Flask) -> None:
    """Register `flask org` and the cascade's plan commands."""
    from app.cli.setup import plan_cli

    app.cli.add_command(org_cli)
    register_plan_commands(plan_cli)
