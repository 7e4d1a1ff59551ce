"""Transitional re-exports: the case acts now live one per module (issue 9).

    app.services.case_base     errors, case_facts, get_visible_case, transaction, history
    app.services.transitions   apply_transition (rule side effects applied generically)
    app.services.progress      add_progress          app.services.evidence  open_evidence …
    app.services.case_acts     urge, add_comment, request/decide_extension, change_deadline
    app.services.bulk          start_bulk, bulk_apply
    app.rag           rag_for, rag_by_id, rag_settings
    app.services.case_json     history_json, history_entry_json, progress_json

Import from those. This module only keeps app/api/cases.py working until it moves to the
API error mixin; it holds names, no logic.
"""

from app.errors import translate
from app.rag import rag_by_id, rag_for, rag_settings  # noqa: F401
from app.services.bulk import BULK_INLINE_LIMIT, BULK_MAX, bulk_apply, start_bulk  # noqa: F401
from app.services.case_acts import (  # noqa: F401
    add_comment,
    change_deadline,
    decide_extension,
    request_extension,
    urge,
)
from app.services.case_base import (  # noqa: F401
    LEAD_DEPARTMENT_KINDS,
    MAX_TEXT,
    CaseNotFound,
    ExtensionDecided,
    ExtensionPending,
    InvalidInput,
    QueueUnavailable,
    actor_name,
    case_facts,
    get_visible_case,
    parse_date,
)
from app.services.case_json import history_entry_json, history_json, progress_json  # noqa: F401
from app.services.evidence import EVIDENCE_TYPES, MAX_FILES, evidence_folder, open_evidence  # noqa: F401
from app.services.progress import add_progress  # noqa: F401
from app.services.transitions import apply_transition  # noqa: F401
from workflows.case_workflow import CaseClosed, ExtensionNotPossible  # noqa: F401
from workflows.errors import N_, DomainError

UNEXPECTED = N_("Something went wrong; nothing was changed.")


def error_status(exc: Exception) -> int:
    return exc.status if isinstance(exc, DomainError) else 500


def error_code(exc: Exception) -> str:
    return exc.code if isinstance(exc, DomainError) else "error"


def error_message(exc: Exception) -> str:
    return translate(exc if isinstance(exc, DomainError) else DomainError(UNEXPECTED))
