"""The errors of the lists: a file that cannot be read, an import that cannot be written, no right."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.services.lists.preview import ImportPreview


class ListFileError(ValueError):
    """A workbook that cannot be read at all (wrong format, no list in it); Chinese message."""


class ListImportError(ValueError):
    """An import that cannot be written (errors in rows, changed meanwhile); Chinese message."""

    def __init__(self, message: str, preview: ImportPreview | None = None):
        super().__init__(message)
        self.preview = preview


class ListPermissionError(PermissionError):
    """The actor may not import lists (only the supervision office and admins may)."""
