"""The three lists (三张清单) in Excel: template, import with a preview, confirm, export.

An import is planned whole before anything is written (`planning`): every row is read
(`reading`), matched to a case (`matching`), checked and given a status with its problems
by row and column. Confirming re-plans the same file against the database as it is then and
writes every row in one transaction, or nothing when any row has an error (`writing`).
Export and the template (`excel`) write the same format. The uploaded file waits between
preview and confirmation in the stash (`stash`). The column vocabulary and the grammar of
cells are plain Python in `workflows.lists`.
"""

from app.services.lists.errors import ListFileError, ListImportError, ListPermissionError
from app.services.lists.excel import build_template, export_cases
from app.services.lists.planning import can_import_lists, plan_import
from app.services.lists.preview import ImportPreview, Problem, RowPlan
from app.services.lists.reading import SheetRow, SheetTable, read_tables
from app.services.lists.stash import drop_upload, load_upload, stash_upload
from app.services.lists.writing import apply_import
from workflows.lists.cells import KEEP
from workflows.lists.columns import HEADERS, KEY_HEADER, KIND_LABELS_ZH, STATUS_LABELS

__all__ = [
    "HEADERS",
    "KEEP",
    "KEY_HEADER",
    "KIND_LABELS_ZH",
    "STATUS_LABELS",
    "ImportPreview",
    "ListFileError",
    "ListImportError",
    "ListPermissionError",
    "Problem",
    "RowPlan",
    "SheetRow",
    "SheetTable",
    "apply_import",
    "build_template",
    "can_import_lists",
    "drop_upload",
    "export_cases",
    "load_upload",
    "plan_import",
    "read_tables",
    "stash_upload",
]
