"""`flask lists import|export|template`: the three lists (三张清单) in Excel, for scripts.

Exit codes: 0 done (or, with --dry-run, nothing wrong); 1 when any row has an error or the
file cannot be read — then nothing is written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.cli.common import fail
from workflows.vocabulary import SYSTEM

lists_cli = AppGroup("lists", help="Import and export the three lists (task, policy, project) in Excel.")


def register(app: Flask) -> None:
    """Register the `lists` group."""
    app.cli.add_command(lists_cli)


def _print_preview(preview, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(preview.to_json(), ensure_ascii=False, indent=2))
        return
    for note in preview.notes:
        click.echo(f"说明：{note}")
    for row in preview.rows:
        changes = f"（{'、'.join(row.changes)}）" if row.changes else ""
        click.echo(f"工作表“{row.sheet}”第{row.row}行：{row.status_label}{changes} {row.content[:30]}")
        for problem in row.problems:
            level = "错误" if problem.level == "error" else "提示"
            column = f"{problem.column}列（{problem.header}）" if problem.column else "整行"
            click.echo(f"    {level} {column}：{problem.message}")
    counts = preview.counts
    click.echo(
        f"合计：新增 {counts['create']} 条，更新 {counts['update']} 条，无变化 {counts['unchanged']} 条，"
        f"有错误 {counts['error']} 行。"
    )


@lists_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Only check and count; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def lists_import(file: str, dry_run: bool, as_json: bool) -> None:
    """Import a list workbook into the latest plan: all rows in one transaction, or none."""
    from app.services import lists

    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        fail(f"无法读取文件 {file}：{exc.strerror or exc}")
    try:
        if dry_run:
            preview = lists.plan_import(data, Path(file).name, SYSTEM)
        else:
            preview = lists.apply_import(data, Path(file).name, SYSTEM)
    except lists.ListFileError as exc:
        fail(str(exc))
    except lists.ListImportError as exc:
        if exc.preview is None:
            fail(str(exc))
        _print_preview(exc.preview, as_json)
        click.echo(f"错误：{exc}", err=True)
        sys.exit(1)
    _print_preview(preview, as_json)
    if not as_json:
        click.echo("（试运行，未写入任何数据）" if dry_run else "已导入。")
    if preview.has_errors:
        sys.exit(1)


@lists_cli.command("export")
@click.option("--kind", type=click.Choice(["task", "policy", "project"]), help="One list; default all three.")
@click.option("--department", help="Only the cases this department (name or short name) leads.")
@click.option("--user", "username", help="Export what this user may see (default: everything).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write.")
def lists_export(kind: str | None, department: str | None, username: str | None, out: str) -> None:
    """Export the latest plan's lists in the import format (with the 编号 column)."""
    from flask import current_app

    from app.security import actor_for
    from app.services import lists

    actor = SYSTEM  # everything, unless a user is named
    if username:
        user = current_app.appbuilder.sm.find_user(username=username)
        if user is None:
            fail(f"没有用户“{username}”")
        actor = actor_for(user)
    try:
        data, count = lists.export_cases(actor, kind=kind, department=department)
    except lists.ListFileError as exc:
        fail(str(exc))
    Path(out).write_bytes(data)
    click.echo(f"已导出 {count} 条任务到 {out}")


@lists_cli.command("template")
@click.option("--kind", type=click.Choice(["task", "policy", "project"]), default="task", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write.")
def lists_template(kind: str, out: str) -> None:
    """Write an empty list template with the Chinese headers."""
    from app.services import lists

    Path(out).write_bytes(lists.build_template(kind))
    click.echo(f"已生成模板 {out}")
