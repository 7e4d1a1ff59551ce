"""Backup and restore round trip (issue 15, item 6): pg_dump/pg_restore plus evidence and
report files, every checksum verified; a tampered backup is refused before anything is touched.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.integration.conftest import URL, recreate_database
from tests.integration.fixtures_browser import small_pdf

RESTORE_DB = f"{URL.database}_restore"


def _counts(app):
    from app.extensions import db
    from app.models import Case, CaseHistory, EvidenceFile, ProgressUpdate

    with app.app_context():
        try:
            return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
                    for m in (Case, CaseHistory, ProgressUpdate, EvidenceFile)}
        finally:
            db.session.remove()


@pytest.fixture()
def restored_app(app, tmp_path):
    """An empty database and empty folders to restore into."""
    from app import create_app

    recreate_database(RESTORE_DB)
    target = create_app(
        SQLALCHEMY_DATABASE_URI=URL.set(database=RESTORE_DB).render_as_string(hide_password=False),
        TESTING=True, UPLOAD_FOLDER=str(tmp_path / "restored-uploads"),
        REPORT_FOLDER=str(tmp_path / "restored-reports"),
    )
    app.extensions["celery"].set_default()
    yield target
    from app.extensions import db

    with target.app_context():
        db.session.remove()
        db.engine.dispose()
    recreate_database(RESTORE_DB)


def test_a_backup_restores_database_and_evidence_with_every_checksum(
    app, fresh_db, wf, tmp_path, restored_app
):
    from werkzeug.datastructures import FileStorage

    case_id = wf.worker1_cases()[0]
    wf.transition("worker1", case_id, "accept")
    pdfs = [small_pdf(f"证据{i}") for i in range(3)]
    wf.act("worker1", "add_progress", case_id, note="已签约两家", percent=40,
           files=[FileStorage(io.BytesIO(p), f"合同{i}.pdf") for i, p in enumerate(pdfs)])
    before = _counts(app)
    assert before["evidence_file"] == 3

    made = app.test_cli_runner().invoke(args=["backup", "create", "--out", str(tmp_path / "b")])
    assert made.exit_code == 0, made.output
    folder = tmp_path / "b" / made.output.strip().splitlines()[-1].split("/")[-1]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "database.dump" in manifest["files"]
    assert sum(name.startswith("uploads/evidence/") for name in manifest["files"]) == 3
    assert app.test_cli_runner().invoke(args=["backup", "verify", str(folder)]).exit_code == 0

    restored = restored_app.test_cli_runner().invoke(args=["backup", "restore", str(folder), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "核对证据 3 份" in restored.output
    assert _counts(restored_app) == before
    # The restored evidence is byte-for-byte what was uploaded.
    from app.extensions import db
    from app.models import EvidenceFile

    with restored_app.app_context():
        rows = db.session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)).all()
        stored = [(Path(restored_app.config["UPLOAD_FOLDER"]) / "evidence" / r.stored_name).read_bytes()
                  for r in rows]
        db.session.remove()
    assert sorted(stored) == sorted(pdfs)


def test_a_tampered_backup_is_refused_and_nothing_is_touched(app, fresh_db, tmp_path, restored_app):
    made = app.test_cli_runner().invoke(args=["backup", "create", "--out", str(tmp_path / "b")])
    folder = tmp_path / "b" / made.output.strip().splitlines()[-1].split("/")[-1]
    dump = folder / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    verify = app.test_cli_runner().invoke(args=["backup", "verify", str(folder)])
    assert verify.exit_code == 1 and "校验和不符：database.dump" in verify.output
    refused = restored_app.test_cli_runner().invoke(args=["backup", "restore", str(folder), "--yes"])
    assert refused.exit_code == 1 and "未做任何恢复" in refused.output
    from app.extensions import db

    with restored_app.app_context():
        tables = db.session.scalar(text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))
        db.session.remove()
    assert tables == 0  # the empty target stayed empty
