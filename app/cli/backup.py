"""Backup commands (docs/reliability.md, "Backup and restore"):

    flask backup create --out DIR      database + evidence + reports, with checksums
    flask backup verify BACKUP         recompute every checksum
    flask backup restore BACKUP --yes  verify, then restore database and files; check evidence
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.cli.common import fail

backup_cli = AppGroup("backup", help="Back up and restore the database and files.")


def register(app: Flask) -> None:
    app.cli.add_command(backup_cli)


@backup_cli.command("create")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the backup folder into.")
def create(out: Path) -> None:
    """Write a backup folder (pg_dump + files + manifest.json)."""
    from app.services.backup import BackupError, create_backup

    try:
        folder = create_backup(out)
    except BackupError as exc:
        fail(str(exc))
    click.echo(str(folder))


@backup_cli.command("verify")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify(folder: Path) -> None:
    """Check every file of a backup against its checksum."""
    from app.services.backup import verify_backup

    problems = verify_backup(folder)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        fail(f"备份校验未通过：{len(problems)} 处问题")
    click.echo("备份完整：每个文件的校验和都相符")


@backup_cli.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Really replace this database and these folders.")
def restore(folder: Path, yes: bool) -> None:
    """Replace the database and files with a verified backup's."""
    from app.services.backup import BackupError, restore_backup

    if not yes:
        fail("恢复会覆盖当前数据库和文件：确认请加 --yes")
    try:
        result = restore_backup(folder)
    except BackupError as exc:
        fail(str(exc))
    click.echo(f"已恢复：{result.files} 个文件，核对证据 {result.evidence_checked} 份")
    for problem in result.evidence_problems:
        click.echo(problem, err=True)
    if result.evidence_problems:
        fail(f"{len(result.evidence_problems)} 份证据与记录不符")
