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


DELIVERY_CHANNEL_LABELS = {
    "email": _("Email message"),
    "digest": _("Daily digest email"),
    "webhook": _("Webhook"),
}


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
    "lead_proposed": _("Lead department proposed"),
    "lead_proposal_decided": _("Proposed lead department decided"),
    "instruction": _("Leader's instruction"),
    "instruction_answer": _("Instruction answered"),
    "problem": _("Problem raised for coordination"),
    "problem_solved": _("Problem solved"),
    "rectification": _("Rectification of an inspection finding"),
}

# --- workflow (issue #3, backend): labels used in workflow error messages and dialogs ---

RELATION_LABELS = {
    "lead_caseworker": _("a caseworker of the lead department"),
    "partner_caseworker": _("a caseworker of a partner department"),
    "task_force_lead": _("the lead of the case's task force"),
    "office": _("the supervision office"),
}

NEED_LABELS = {
    "comment": _("a progress note"),
    "reason": _("a reason"),
    "new_department": _("a new lead department"),
    "evidence": _("evidence files"),
}

# Operations other than transitions, as verbs for "You may not … this case".
OPERATION_LABELS = {
    "update_progress": _("report progress on"),
    "urge": _("urge"),
    "request_extension": _("request an extension for"),
    "decide_extension": _("decide extension requests for"),
    "comment": _("comment on"),
    "change_deadline": _("change the deadline of"),
    "bulk": _("run bulk operations on"),
    "propose_lead": _("propose a lead department for"),
    "instruct": _("add an instruction to"),
    "answer_instruction": _("answer the instructions on"),
    "raise_problem": _("raise a problem on"),
    "resolve_problem": _("answer the problems of"),
}

EXTENSION_STATUS_LABELS = {
    "pending": _("Pending"),
    "approved": _("Approved"),
    "refused": _("Refused"),
}

NOTIFICATION_KIND_LABELS = {
    "due_soon": _("Due soon"),
    "overdue": _("Overdue"),
    "escalation": _("Escalation"),
    "stale": _("No progress"),
    "awaiting_verification": _("Awaiting verification"),
    "urge": _("Urged"),
    "submitted": _("Submitted for verification"),
    "returned": _("Returned"),
    "verified": _("Verified, to close"),
    "assigned": _("Newly assigned"),
    "reopened": _("Reopened"),
    "extension_requested": _("Extension requested"),
    "extension_decided": _("Extension decided"),
    "deadline_changed": _("Deadline changed"),
    "document_issued": _("Document issued"),
    "lead_proposed": _("Lead department proposed"),
    "lead_proposal_decided": _("Proposed lead department decided"),
    "task_force_report_due": _("Task-force submission due"),
    "instruction": _("Leader's instruction"),
    "instruction_answered": _("Instruction answered"),
    "problem": _("Problem raised for coordination"),
    "problem_solved": _("Problem solved"),
}

WEBHOOK_FORMAT_LABELS = {
    "generic": _("Generic JSON"),
    "wecom": _("WeCom group robot"),
    "dingtalk": _("DingTalk group robot"),
}

# --- reports (issue #5) ---

REPORT_KIND_LABELS = {
    "inspection": _("Inspection report"),
    "dekad": _("Dekad brief"),
    "monthly": _("Monthly bulletin"),
    "work-report": _("Monthly work report"),
    "quarterly": _("Quarterly review"),
    "notice": _("Urge notice"),
    "dossier": _("Case dossier"),
}

REPORT_STATUS_LABELS = {
    "queued": _("Queued"),
    "running": _("Generating"),
    "done": _("Ready"),
    "failed": _("Failed"),
}

REPORT_TRIGGER_LABELS = {"manual": _("On request"), "schedule": _("On schedule")}


def label_words(vocabulary: str, value) -> str:
    """Label one vocabulary word, or several joined with "or" (for DomainError params).

    A vocabulary is a table of labels, or a function of the word; `JOINERS` names the
    vocabularies whose lists read as "a, b" rather than "a or b".
    """
    from flask_babel import gettext

    table = VOCABULARIES[vocabulary]
    one = table if callable(table) else (lambda word: label(table, str(word)))
    if isinstance(value, (list, tuple, set, frozenset)):
        joiner = JOINERS.get(vocabulary, " or ")
        return gettext(joiner).join(one(v) for v in value)
    return one(value)


def _transition_named(name) -> str:
    """A transition's code and label, as an API client needs it: "accept（签收）"."""
    return f"{name}（{label(TRANSITION_LABELS, str(name))}）"


# Lists of needs are all required ("a, b"); the known transitions are listed with "、"
# (workflows.errors.ALL_OF says the same for the English text).
JOINERS = {"need": ", ", "transition_named": "、"}

# The vocabularies DomainError.labelled may name.
VOCABULARIES = {
    "state": STATE_LABELS,
    "transition": TRANSITION_LABELS,
    "relation": RELATION_LABELS,
    "need": NEED_LABELS,
    "operation": OPERATION_LABELS,
    "list_kind": LIST_KIND_LABELS,
    "rag": RAG_LABELS,
    "extension_status": EXTENSION_STATUS_LABELS,
    "report_kind": REPORT_KIND_LABELS,
    "transition_named": _transition_named,
}
