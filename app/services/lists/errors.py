"""The errors of the lists: a file that cannot be read, an import that cannot be written, no right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows import errors

if TYPE_CHECKING:
    from app.services.lists.preview import ImportPreview


class ListFileError(errors.InvalidInput, ValueError):
    """A workbook that cannot be read at all (wrong format, no list in it); Chinese message."""

    code = "list_file_error"


class ListImportError(errors.InvalidInput, ValueError):
    """An import that cannot be written (errors in rows, changed meanwhile); Chinese message."""

    code = "list_import_error"

    def __init__(self, message: str, preview: ImportPreview | None = None):
        super().__init__(message)
        self.preview = preview


class ListPermissionError(errors.Forbidden, PermissionError):
    """The actor may not import lists (only the supervision office and admins may)."""

    code = "list_import_not_allowed"
