"""Uploads kept between the preview and the confirmation (a token per upload, 24 hours)."""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.services.lists.errors import ListFileError

_STASH_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _stash_dir() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "list-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stash_upload(data: bytes, file_name: str, user_id: int) -> str:
    """Keep an uploaded workbook until it is confirmed; return its token."""
    folder = _stash_dir()
    cutoff = time.time() - 24 * 3600
    for old in folder.glob("*"):
        if old.stat().st_mtime < cutoff:  # an abandoned preview
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(18)
    (folder / f"{token}.xlsx").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"user_id": user_id, "file_name": file_name}))
    return token


def load_upload(token: str, user_id: int) -> tuple[bytes, str]:
    """The stashed workbook of this user, or ListFileError when gone or someone else's."""
    folder = _stash_dir()
    meta_path = folder / f"{token}.json"
    if not _STASH_TOKEN.match(token or "") or not meta_path.exists():
        raise ListFileError(_("The uploaded file has expired: upload it again."))
    meta = json.loads(meta_path.read_text())
    if meta["user_id"] != user_id:
        raise ListFileError(_("The uploaded file has expired: upload it again."))
    return (folder / f"{token}.xlsx").read_bytes(), meta["file_name"]


def drop_upload(token: str) -> None:
    """Forget a stashed workbook once it is imported."""
    if _STASH_TOKEN.match(token or ""):
        for suffix in (".xlsx", ".json"):
            (_stash_dir() / f"{token}{suffix}").unlink(missing_ok=True)
