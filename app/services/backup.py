"""Backup and restore: the PostgreSQL database (pg_dump custom format) and the files beside it
(evidence under UPLOAD_FOLDER, generated reports under REPORT_FOLDER), with SHA-256 checksums.

A backup is a folder:

    database.dump        pg_dump -Fc --no-owner --no-privileges
    uploads/…            a copy of UPLOAD_FOLDER (evidence files)
    reports/…            a copy of REPORT_FOLDER
    manifest.json        when, which schema revision, and the SHA-256 of every file above

`verify_backup` recomputes every checksum; `restore_backup` refuses a backup that does not
verify, restores the database with pg_restore --clean --if-exists, puts the files back, and
then checks every evidence row against its file (size and SHA-256 recorded at upload).
`flask backup create|verify|restore` and scripts/backup, scripts/restore call these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from app.extensions import db

MANIFEST = "manifest.json"
DUMP = "database.dump"


class BackupError(Exception):
    """A backup that cannot be made, verified or restored; the message says why (Chinese)."""


@dataclass
class RestoreResult:
    evidence_checked: int = 0
    evidence_problems: list[str] = field(default_factory=list)
    files: int = 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _libpq(url: str | None = None) -> tuple[list[str], dict]:
    """(connection arguments, environment) for pg_dump/pg_restore from the SQLAlchemy URL."""
    parsed = make_url(url or current_app.config["SQLALCHEMY_DATABASE_URI"])
    if not parsed.drivername.startswith("postgresql"):
        raise BackupError(f"备份与恢复只支持 PostgreSQL（当前数据库：{parsed.drivername}）")
    args = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
            "-U", parsed.username or "postgres", "-d", parsed.database]
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    return args, env


def _folders() -> dict[str, Path]:
    return {"uploads": Path(current_app.config["UPLOAD_FOLDER"]),
            "reports": Path(current_app.config["REPORT_FOLDER"])}


def _revision() -> str:
    try:
        return db.session.scalar(text("SELECT version_num FROM alembic_version")) or ""
    finally:
        db.session.rollback()


def create_backup(out: Path) -> Path:
    """Write a backup folder under `out` (named by the time); return its path."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(out) / f"duban-{stamp}"
    target.mkdir(parents=True, exist_ok=False)
    args, env = _libpq()
    done = subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(target / DUMP), *args],
        env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:500]}")
    for name, folder in _folders().items():
        if folder.exists():
            shutil.copytree(folder, target / name)
        else:
            (target / name).mkdir()
    files = {
        str(p.relative_to(target)): _sha256(p)
        for p in sorted(target.rglob("*")) if p.is_file() and p.name != MANIFEST
    }
    manifest = {"created_at": stamp, "revision": _revision(), "files": files}
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return target


def verify_backup(folder: Path) -> list[str]:
    """Problems found (empty: every file present with its checksum, nothing extra)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        return [f"无法读取 {MANIFEST}：{exc}"]
    problems = []
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            problems.append(f"缺少文件：{name}")
        elif _sha256(path) != digest:
            problems.append(f"校验和不符：{name}")
    listed = set(manifest["files"])
    for path in folder.rglob("*"):
        name = str(path.relative_to(folder))
        if path.is_file() and name != MANIFEST and name not in listed:
            problems.append(f"清单外的文件：{name}")
    if DUMP not in listed:
        problems.append(f"备份中没有数据库文件 {DUMP}")
    return problems


def restore_backup(folder: Path) -> RestoreResult:
    """Restore the database and files of a verified backup into this app's database and folders."""
    folder = Path(folder)
    problems = verify_backup(folder)
    if problems:
        raise BackupError("备份校验未通过，未做任何恢复：" + "；".join(problems[:10]))
    db.session.remove()
    db.engine.dispose()
    args, env = _libpq()
    done = subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", *args, str(folder / DUMP)],
        env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore 失败：{done.stderr.strip()[:500]}")
    result = RestoreResult()
    for name, target in _folders().items():
        source = folder / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        result.files += sum(1 for p in target.rglob("*") if p.is_file())
    _check_evidence(result)
    return result


def _check_evidence(result: RestoreResult) -> None:
    from app.models import EvidenceFile

    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "evidence"  # as the workflow stores them
    for row in db.session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)):
        result.evidence_checked += 1
        path = folder / row.stored_name
        if not path.is_file():
            result.evidence_problems.append(f"证据文件缺失：{row.id} {row.original_name}")
        elif path.stat().st_size != row.size or _sha256(path) != row.sha256:
            result.evidence_problems.append(f"证据文件校验和不符：{row.id} {row.original_name}")
    db.session.rollback()
