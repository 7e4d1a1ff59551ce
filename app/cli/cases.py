"""`flask cases export`: the status export (督办事项状态) of a filtered case list, for scripts.

Exit codes: 0 written; 1 when a filter names nothing (then no file is written).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.cli.common import fail
from workflows.vocabulary import STATE_ORDER, SYSTEM

cases_cli = AppGroup("cases", help="Cases: the status export.")


def register(app: Flask) -> None:
    """Register the `cases` group."""
    app.cli.add_command(cases_cli)


@cases_cli.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write.")
@click.option("--state", type=click.Choice([state.value for state in STATE_ORDER]),
              help="Only cases in this state.")
@click.option("--rag", type=click.Choice(["red", "yellow", "green"]), help="Only cases of this light.")
@click.option("--department", help="Only the cases this department (name or short name) leads.")
@click.option("--q", "words", help="Only cases matching every word (title, plan text, 编号, departments).")
@click.option("--user", "username", help="Export what this user may see (default: everything).")
def cases_export(out: str, state: str | None, rag: str | None, department: str | None,
                 words: str | None, username: str | None) -> None:
    """Write the status export: 编号, 事项, 牵头单位, 状态, 红黄绿灯, 完成进度, 最新进展, 经办人, 时限."""
    from flask import current_app

    from app.security import actor_for
    from app.services.status_export import ExportError, export_status

    actor = SYSTEM  # everything, unless a user is named
    if username:
        user = current_app.appbuilder.sm.find_user(username=username)
        if user is None:
            fail(f"没有用户“{username}”")
        actor = actor_for(user)
    try:
        export = export_status(actor, state=state, rag=rag, department=department, q=words)
    except ExportError as exc:
        fail(str(exc))
    Path(out).write_bytes(export.data)
    click.echo(f"已导出 {export.count} 项督办事项（{export.description}）到 {out}")
