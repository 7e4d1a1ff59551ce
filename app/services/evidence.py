"""Evidence files (佐证材料): checking uploads by content, storing and finding them.

Files are checked (size, type by magic bytes, a name that matches the content) before any is
written; they are stored under generated names outside the web root, and served only to
users who may see their case.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import filetype
from flask import current_app

from app.extensions import db
from app.models import EvidenceFile
from app.services.case_base import (
    CaseNotFound,
    EvidenceNotFound,
    FileEmpty,
    FileTooLarge,
    FileTypeRefused,
    ensure_case_visible,
)
from workflows.errors import N_
from workflows.vocabulary import Actor

MAX_FILES = 10  # evidence files per progress update

# Evidence types, checked by content (magic bytes) → the file-name extensions they may
# carry. Archives (zip, rar) are refused: reviewers cannot see inside them and they can
# carry executables. Plain text has no magic bytes: accepted when it decodes as text.
EVIDENCE_TYPES: Mapping[str, tuple[str, ...]] = {
    "pdf": ("pdf",),
    "jpg": ("jpg", "jpeg"),
    "png": ("png",),
    "doc": ("doc",),
    "docx": ("docx",),
    "xls": ("xls",),
    "xlsx": ("xlsx",),
    "ppt": ("ppt",),
    "pptx": ("pptx",),
    "txt": ("txt", "csv"),
}
TEXT_MIME = "text/plain"


def clean_name(name: str) -> str:
    """The file's own name (no folders, no control characters), at most 255 characters."""
    name = PurePosixPath((name or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-255:] or "file"


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:g} MB"
    return f"{size / 1024:g} KB" if size >= 1024 else f"{size} B"


def check_evidence(storage) -> dict:
    """Read an uploaded file; check size and type by content; InvalidInput when refused."""
    name = clean_name(storage.filename)
    limit = int(current_app.config["EVIDENCE_MAX_BYTES"])
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(name=name, limit=human_size(limit))
    if not data:
        raise FileEmpty(name=name)
    kind, mime = content_type(data)
    if kind not in EVIDENCE_TYPES:
        raise FileTypeRefused(name=name, allowed="、".join(EVIDENCE_TYPES))
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    if extension not in EVIDENCE_TYPES[kind]:
        # A PDF called "x.exe", or an image called "x.pdf": the name would mislead whoever
        # downloads it.
        raise FileTypeRefused(
            N_("The name of %(name)s does not match its content (%(kind)s)."), name=name, kind=kind
        )
    return {"name": name, "data": data, "mime": mime}


def content_type(data: bytes) -> tuple[str | None, str | None]:
    """(kind, mime) by magic bytes; plain text when it decodes as UTF-8 or GB18030."""
    guess = filetype.guess(data)
    if guess is not None:
        return guess.extension, guess.mime
    if b"\x00" in data:
        return None, None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return "txt", TEXT_MIME
    return None, None


def evidence_folder() -> Path:
    """Where evidence files live (outside the web root, under UPLOAD_FOLDER)."""
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(data: bytes) -> Path:
    """Write a file under a generated name (uuid4 hex), never the user's."""
    path = evidence_folder() / uuid.uuid4().hex
    with path.open("xb") as f:
        f.write(data)
    return path


def open_evidence(
    evidence_id: int, actor: Actor, *, case_id: int | None = None
) -> tuple[EvidenceFile, Path]:
    """An evidence file and its path, for users who may see its case; EvidenceNotFound else."""
    try:
        row = db.session.get(EvidenceFile, int(evidence_id))
    except (TypeError, ValueError):
        raise EvidenceNotFound() from None
    if row is None or (case_id is not None and row.case_id != int(case_id)):
        raise EvidenceNotFound()
    try:
        ensure_case_visible(row.case_id, actor)
    except CaseNotFound:
        raise EvidenceNotFound() from None
    path = evidence_folder() / row.stored_name
    if not path.is_file():
        current_app.logger.error("evidence file %s missing at %s", row.id, path)
        raise EvidenceNotFound()
    return row, path
