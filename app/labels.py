"""Display labels for domain values (states, list kinds, department kinds).

The workflow speaks in codes; the UI layer owns their translated labels.
"""

from flask_babel import lazy_gettext as _

STATE_LABELS = {
    "assigned": _("Assigned"),
    "in_progress": _("In progress"),
    "submitted": _("Submitted"),
    "verified": _("Verified"),
    "closed": _("Closed"),
}

TRANSITION_LABELS = {
    "accept": _("Accept"),
    "submit": _("Submit"),
    "verify": _("Verify"),
    "return": _("Return"),
    "close": _("Close"),
    "reopen": _("Reopen"),
    "reassign": _("Reassign"),
}

LIST_KIND_LABELS = {
    "task": _("Task list"),
    "policy": _("Policy list"),
    "project": _("Project list"),
}

DEPARTMENT_KIND_LABELS = {
    "district_department": _("District department"),
    "township": _("Township or street"),
    "task_force": _("Task force"),
    "office": _("Office"),
}

LEAD_BASIS_LABELS = {
    "named": _("Named in the plan"),
    "implied": _("Implied by remit"),
    "none": _("Not given (to be assigned)"),
}

RAG_LABELS = {"green": _("On track"), "yellow": _("At risk"), "red": _("Overdue")}


def label(labels: dict, value) -> str:
    """The label of a code, or the code itself when unknown."""
    return str(labels.get(value, value)) if value is not None else ""

HISTORY_KIND_LABELS = {
    "transition": _("Transition"),
    "progress": _("Progress update"),
    "urge": _("Urged"),
    "extension_request": _("Extension requested"),
    "extension_decision": _("Extension decided"),
    "comment": _("Comment"),
    "deadline_change": _("Deadline changed"),
}
