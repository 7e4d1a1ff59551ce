"""Request schemas of every hand-written endpoint, and the shapes of their answers.

Request schemas (…RequestSchema / …QuerySchema) are what `ApiMixin.body()` / `.query()`
read: they check the JSON shape and the bounds (see app/api/fields.py); the services
check the rules (a transition's needs, a date's range…) and keep their own messages.
Response schemas only document the answers in /api/v1/_openapi. Each API lists the ones
it uses in `openapi_spec_component_schemas` (components keep the class name).
"""

from __future__ import annotations

from marshmallow import Schema, fields

from app.api.fields import (
    Choice,
    Flag,
    Id,
    IdCsv,
    IdList,
    NumberOrText,
    Object,
    QueryNumber,
    RequestSchema,
    Text,
    Toggle,
    Values,
    WholeNumber,
)
from app.reports import KINDS
from app.services.bulk import BULK_MAX
from app.services.case_base import MAX_TEXT
from workflows.case_workflow import TRANSITIONS
from workflows.report_kinds import MAX_REMARKS
from workflows.task_force_reports import MAX_LENGTH as TFR_MAX

NAME_LENGTH = 40  # a transition, an operation
DATE_LENGTH = 40  # "YYYY-MM-DD" and some room: the service says what is wrong with a date
MAX_INDICATORS = 200  # indicator values in one progress update
MAX_PAGE = 100_000

_TRANSITION_NAMES = {"enum": list(TRANSITIONS)}
_DATE = {"format": "date", "example": "2025-03-31"}


# --- cases ------------------------------------------------------------------------------------


class TransitionRequestSchema(RequestSchema):
    transition = Text(max_length=NAME_LENGTH, required=True, metadata=_TRANSITION_NAMES)
    comment = Text(max_length=MAX_TEXT, metadata={"description": "Needed by submit, return, reopen, reassign"})
    version = WholeNumber(metadata={"description": "The case version read; 409 when it changed since"})
    new_department_id = Id(metadata={"description": "reassign: the new lead department"})
    open_sub_tasks_reason = Text(max_length=2000, metadata={
        "description": "submit: why the case is submitted while sub-tasks are open"})


class ProgressRequestSchema(RequestSchema):
    note = Text(max_length=MAX_TEXT)
    percent = NumberOrText(integer=True, max_length=10, metadata={"description": "0 … 100"})
    indicators = Values(max_items=MAX_INDICATORS, metadata={
        "description": "Indicator id → value reached (a number, or its text)"})


class ProgressFormSchema(Schema):
    """multipart/form-data: the same fields as text, indicators as JSON text, and files."""

    note = fields.String(metadata={"maxLength": MAX_TEXT})
    percent = fields.String(metadata={"maxLength": 10})
    indicators = fields.String(metadata={"description": "JSON object: indicator id → value"})
    files = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}),
                        metadata={"description": "Evidence files (at most 10)"})


class UrgeRequestSchema(RequestSchema):
    comment = Text(max_length=MAX_TEXT)


class ExtensionRequestSchema(RequestSchema):
    new_deadline = Text(max_length=DATE_LENGTH, required=True, metadata=_DATE)
    reason = Text(max_length=MAX_TEXT, metadata={"description": "Required"})


class DecisionRequestSchema(RequestSchema):
    approve = Flag(required=True)
    comment = Text(max_length=MAX_TEXT, metadata={"description": "Required when refusing"})


class CommentRequestSchema(RequestSchema):
    text = Text(max_length=MAX_TEXT, metadata={"description": "Required"})


class DeadlineRequestSchema(RequestSchema):
    deadline = Text(max_length=DATE_LENGTH, required=True, metadata=_DATE)
    comment = Text(max_length=MAX_TEXT)
    version = WholeNumber()


class BulkRequestSchema(RequestSchema):
    case_ids = IdList(max_items=BULK_MAX, required=True, metadata={
        "description": f"Duplicates count once; at most {BULK_MAX} different cases"})
    operation = Text(max_length=NAME_LENGTH, required=True,
                     metadata={"enum": ["urge", *TRANSITIONS]})
    comment = Text(max_length=MAX_TEXT)


# --- reports ----------------------------------------------------------------------------------


def _report_options_schema() -> type[RequestSchema]:
    """The options any kind takes, from the report-kind registry: a flag, or a bounded text
    (the longest any kind allows; the service applies each kind's own limit)."""
    found: dict[str, object] = {}
    for kind in KINDS.values():
        for option in kind.options:
            if option.kind == "flag":
                found[option.name] = Toggle(metadata={"description": f"{option.name} (a flag)"})
            else:
                longest = max(option.max_length, getattr(found.get(option.name), "max_length", 0))
                found[option.name] = Text(max_length=longest, metadata={
                    "description": "、".join(k.code for k in KINDS.values()
                                            if any(o.name == option.name for o in k.options))})
    # Periodic kinds cover one plan: the caller's choice, else the default plan (of their organisation).
    found["plan_id"] = Id(metadata={"description": "Periodic kinds: the plan the report covers"})
    return RequestSchema.from_dict(found, name="ReportOptionsSchema")


ReportOptionsSchema = _report_options_schema()


class ReportRequestSchema(RequestSchema):
    kind = Choice({code: k.name_zh for code, k in KINDS.items()}, required=True)
    period = Text(max_length=20, metadata={"example": "2024-06",
                                           "description": "Periodic kinds: 2024-06, 2024-06-D2, 2024-Q2"})
    case_id = Id(metadata={"description": "notice and dossier: the case"})
    options = Object(ReportOptionsSchema)


class ReportListQuerySchema(RequestSchema):
    ids = IdCsv(max_items=200)


class DraftEditRequestSchema(RequestSchema):
    """The office's wording of a draft (an empty text restores the standard one) and its 成文日期."""

    remarks = Text(max_length=MAX_REMARKS, metadata={"description": "下步工作要求 / remarks"})
    highlights = Text(max_length=MAX_REMARKS, metadata={"description": "工作亮点 / highlights"})
    next_steps = Text(max_length=MAX_REMARKS, metadata={"description": "下步工作安排 / next steps"})
    date = Text(max_length=DATE_LENGTH, metadata={**_DATE, "description": "成文日期 (a working day)"})


class DocumentActRequestSchema(RequestSchema):
    action = Choice({"sign": "签发", "issue": "印发"}, required=True)


# --- notifications ----------------------------------------------------------------------------


class PreferencesRequestSchema(RequestSchema):
    email = Flag()
    in_app = Flag()
    daily_digest = Flag()


class NotificationListQuerySchema(RequestSchema):
    unread = Text(max_length=5, metadata={"description": "1 or true: only unread ones"})
    page = QueryNumber(minimum=0, maximum=MAX_PAGE)
    page_size = QueryNumber(minimum=0, maximum=MAX_PAGE, metadata={"description": "At most 200 are shown"})


# --- answers (documentation only) -------------------------------------------------------------


class CaseStateSchema(Schema):
    id = fields.Integer()
    state = fields.String()
    version = fields.Integer()


class CaseSummarySchema(Schema):
    id = fields.Integer()
    state = fields.String()
    version = fields.Integer()
    deadline = fields.Date()
    original_deadline = fields.Date()
    lead_department_id = fields.Integer()
    percent_done = fields.Integer()


class ExtensionSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    status = fields.String(metadata={"enum": ["pending", "approved", "refused"]})
    old_deadline = fields.Date()
    new_deadline = fields.Date()
    reason = fields.String()
    decision_comment = fields.String(allow_none=True)


class HistoryEntrySchema(Schema):
    id = fields.Integer()
    at = fields.String(metadata={"format": "date-time"})
    at_local = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    transition = fields.String(allow_none=True)
    transition_label = fields.String(allow_none=True)
    from_state = fields.String(allow_none=True)
    from_state_label = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    to_state_label = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)
    summary = fields.String()


class EvidenceSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    size = fields.Integer()
    content_type = fields.String()


class ProgressSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    note = fields.String()
    percent_done = fields.Integer()
    contribution = fields.Boolean(metadata={"description": "A partner department's note (the percent stays the lead's)"})
    created_at = fields.String(metadata={"format": "date-time"})
    indicators = fields.Dict(keys=fields.String(), values=fields.String())
    evidence = fields.List(fields.Nested(EvidenceSchema))


class BulkResultSchema(Schema):
    queued = fields.Boolean()
    ok = fields.List(fields.Integer(), metadata={"description": "Done at once (≤ 20 cases)"})
    failed = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "Case id → why not"})
    task_id = fields.String(metadata={"description": "Queued: the run's id"})
    count = fields.Integer(metadata={"description": "Queued: how many cases"})


class ReportSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    kind_name = fields.String()
    period = fields.String(allow_none=True)
    as_of = fields.String(allow_none=True, metadata={
        "format": "date",
        "description": "A report of the running period (截至今日): the day it stands at; not final"})
    case_id = fields.Integer(allow_none=True)
    status = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    progress = fields.Integer()
    trigger = fields.String()
    requested_by = fields.String(allow_none=True)
    created_at = fields.String(metadata={"format": "date-time"})
    finished_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    content_sha256 = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    doc_state = fields.String(metadata={"enum": ["draft", "signed", "issued"],
                                        "description": "Periodic reports: draft → signed (签发) → issued"})
    number = fields.String(allow_none=True, metadata={"description": "发文字号, once issued"})
    doc_date = fields.String(allow_none=True, metadata={"format": "date", "description": "成文日期"})
    signer = fields.String(allow_none=True, metadata={"description": "签发人"})
    signed_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    issued_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    wording = fields.Dict(keys=fields.String(), values=fields.String())


class NotificationSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    report_id = fields.Integer(allow_none=True, metadata={"description": "An issued document's report"})
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    day = fields.Date()
    due_date = fields.Date(allow_none=True)
    created_at = fields.String(metadata={"format": "date-time"})
    read_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class PreferencesSchema(Schema):
    email = fields.Boolean()
    in_app = fields.Boolean()
    daily_digest = fields.Boolean()


class MilestoneInputSchema(RequestSchema):
    title = Text(max_length=200, required=True)
    due_date = Text(max_length=DATE_LENGTH, required=True, metadata=_DATE)


class TargetInputSchema(RequestSchema):
    name = Text(max_length=200, required=True)
    value = NumberOrText(max_length=40, required=True)
    unit = Text(max_length=30)
    comparator = Text(max_length=2, metadata={"enum": ["≥", "≤", "="]})


class CaseWriteRequestSchema(RequestSchema):
    """立项 (POST) or an edit (PUT: only the fields given change)."""

    title = Text(max_length=200)
    text = Text(max_length=5000)
    source = Text(max_length=200, metadata={"description": "领导批示, a meeting, a document"})
    action_id = Id()
    plan_id = Id()
    parent_id = Id(metadata={"description": "The case this one is a sub-task of"})
    weight = WholeNumber(minimum=1, maximum=100, metadata={
        "description": "A sub-task's weight in its parent's percent (none: equal weights)"})
    lead_department_id = Id()
    partner_department_ids = fields.List(fields.Integer(), metadata={"maxItems": 50})
    owner_id = Id(metadata={"description": "牵头负责人 (a user id)"})
    deadline = Text(max_length=DATE_LENGTH, metadata=_DATE)
    milestones = fields.List(fields.Nested(MilestoneInputSchema), metadata={"maxItems": 50})
    targets = fields.List(fields.Nested(TargetInputSchema), metadata={"maxItems": 20})
    # PUT by an admin with only these: the deadline change as before
    comment = Text(max_length=MAX_TEXT)
    version = WholeNumber()


class CaseSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    state = fields.String()
    version = fields.Integer()
    plan_id = fields.Integer()
    action_id = fields.Integer(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    lead_department_id = fields.Integer(allow_none=True)
    deadline = fields.Date()
    percent_done = fields.Integer()
    weight = fields.Integer(allow_none=True)
    rolled_up_percent = fields.Integer(metadata={"description": "Sub-tasks' weighted percent (own without)"})
    rag = fields.String(metadata={"enum": ["green", "yellow", "red"]})


class LeadProposalRequestSchema(RequestSchema):
    """牵头单位建议 by the case's task-force lead, for a case without a lead department."""

    department_id = Id(required=True)
    reason = Text(max_length=2000, metadata={"description": "Required"})


class LeadDecisionRequestSchema(RequestSchema):
    accept = Flag(required=True)
    comment = Text(max_length=2000, metadata={"description": "Required when rejecting"})


class LeadProposalSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    department_id = fields.Integer()
    department = fields.String()
    reason = fields.String()
    status = fields.String(metadata={"enum": ["pending", "accepted", "rejected"]})
    proposed_by_id = fields.Integer(allow_none=True)
    decided_by_id = fields.Integer(allow_none=True)
    decision_comment = fields.String(allow_none=True)


class InstructionRequestSchema(RequestSchema):
    """领导批示 by a leader or the office; or the lead unit's answer to one."""

    text = Text(max_length=2000, required=True, metadata={"description": "Not empty"})


class InstructionSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    text = fields.String()
    status = fields.String(metadata={"enum": ["open", "answered"], "description": "open: 待答复"})
    created_by_id = fields.Integer(allow_none=True)
    created_by = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})
    answer = fields.String(allow_none=True)
    answered_by_id = fields.Integer(allow_none=True)
    answered_by = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class ProblemRequestSchema(RequestSchema):
    """难点堵点 raised by the lead unit or the task force."""

    text = Text(max_length=2000, required=True, metadata={"description": "Not empty"})
    department_id = Id(metadata={"description": "The coordinating unit; omitted or null: the leaders"})


class ProblemAnswerRequestSchema(RequestSchema):
    """The coordination answer of the addressee or the office; the problem is then solved."""

    text = Text(max_length=2000, required=True, metadata={"description": "Not empty"})


class ProblemSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    text = fields.String()
    status = fields.String(metadata={"enum": ["open", "solved"], "description": "open: 待协调"})
    department_id = fields.Integer(allow_none=True, metadata={"description": "null: the leaders"})
    department = fields.String(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_by = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})
    answer = fields.String(allow_none=True)
    solved_by_id = fields.Integer(allow_none=True)
    solved_by = fields.String(allow_none=True)
    solved_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class FindingInputSchema(RequestSchema):
    """One finding of an inspection: the problem, the unit that rectifies it, the deadline."""

    text = Text(max_length=2000, metadata={"description": "The problem found; not empty"})
    department_id = Id(metadata={"description": "整改责任单位 (a district department, township or street)"})
    deadline = Text(max_length=DATE_LENGTH, metadata={**_DATE, "description": "整改时限, not before the inspection"})
    action_id = Id(metadata={"description": "The action whose task force verifies it; default: the inspection's"})


class InspectionRequestSchema(RequestSchema):
    """督查: the office records an inspection; each finding becomes a rectification case."""

    inspected_on = Text(max_length=DATE_LENGTH, metadata={**_DATE, "description": "Not after today"})
    subject = Text(max_length=200, metadata={"description": "督查对象或地点"})
    inspectors = Text(max_length=200, metadata={"description": "督查人员"})
    plan_id = Id(metadata={"description": "Default: the plan of the findings' action"})
    action_id = Id(metadata={"description": "The action inspected (the findings' default)"})
    requires_evidence = Flag(metadata={"description": "Submitting the rectification needs evidence files"})
    findings = fields.List(fields.Nested(FindingInputSchema), metadata={"maxItems": 50})


class FindingSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    text = fields.String()
    department_id = fields.Integer()
    department = fields.String()
    deadline = fields.String(metadata={"format": "date"})
    case_id = fields.Integer(metadata={"description": "The rectification case (整改事项)"})
    case_state = fields.String(metadata={"description": "closed: 已销号"})
    case_deadline = fields.String(metadata={"format": "date", "description": "After approved extensions"})
    action_id = fields.Integer(allow_none=True)


class InspectionSchema(Schema):
    id = fields.Integer()
    plan_id = fields.Integer()
    action_id = fields.Integer(allow_none=True)
    inspected_on = fields.String(metadata={"format": "date"})
    subject = fields.String()
    inspectors = fields.String()
    created_by_id = fields.Integer(allow_none=True)
    created_by = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})
    findings = fields.List(fields.Nested(FindingSchema))


INSPECTION_SCHEMAS = (InspectionRequestSchema, FindingInputSchema, InspectionSchema, FindingSchema)


CASE_SCHEMAS = (
    TransitionRequestSchema, ProgressRequestSchema, ProgressFormSchema, UrgeRequestSchema,
    ExtensionRequestSchema, CommentRequestSchema, DeadlineRequestSchema, BulkRequestSchema,
    CaseStateSchema, CaseSummarySchema, ExtensionSchema, HistoryEntrySchema, ProgressSchema,
    BulkResultSchema, CaseWriteRequestSchema, MilestoneInputSchema, TargetInputSchema, CaseSchema,
    LeadProposalRequestSchema, LeadProposalSchema, InstructionRequestSchema, InstructionSchema,
    ProblemRequestSchema, ProblemAnswerRequestSchema, ProblemSchema,
)
class TaskForceReportRequestSchema(RequestSchema):
    """专班报送: a task force's three texts for a dekad (2024-06-D2) or a month (2024-06)."""

    department_id = Id(metadata={"description": "The task force; may be left out by the lead of one task force"})
    highlights = Text(max_length=TFR_MAX, required=True, metadata={"description": "亮点"})
    difficulties = Text(max_length=TFR_MAX, required=True, metadata={"description": "难点堵点"})
    next_steps = Text(max_length=TFR_MAX, required=True, metadata={"description": "下步计划"})


class TaskForceReportQuerySchema(RequestSchema):
    department_id = QueryNumber(metadata={"description": "The task force (the office names one)"})


class TaskForceReportSchema(Schema):
    period_key = fields.String(metadata={"example": "2024-06-D2"})
    period = fields.String(metadata={"example": "2024年6月中旬"})
    kind = fields.String(metadata={"enum": ["dekad", "monthly"]})
    department_id = fields.Integer()
    department = fields.String()
    due_date = fields.Date()
    status = fields.String(metadata={"enum": ["on_time", "late", "missing", "not_due"]})
    submitted = fields.Boolean()
    submitted_at = fields.DateTime(allow_none=True)
    submitted_by_id = fields.Integer(allow_none=True)
    editable = fields.Boolean()
    highlights = fields.String()
    difficulties = fields.String()
    next_steps = fields.String()


TASK_FORCE_REPORT_SCHEMAS = (TaskForceReportRequestSchema, TaskForceReportSchema)
LEAD_PROPOSAL_SCHEMAS = (LeadDecisionRequestSchema, LeadProposalSchema, CaseSchema)
EXTENSION_SCHEMAS = (DecisionRequestSchema, ExtensionSchema, CaseSummarySchema)
REPORT_SCHEMAS = (ReportRequestSchema, ReportSchema, DraftEditRequestSchema, DocumentActRequestSchema)  # ReportOptions: nested, added with it
NOTIFICATION_SCHEMAS = (PreferencesRequestSchema, PreferencesSchema, NotificationSchema)
