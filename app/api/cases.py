"""Case API: read cases (FAB ModelRestApi) and act on them through the case-act services.

Each write method reads its body with a schema (app/api/schemas.py), calls one service
function and lets ApiMixin answer the errors: {"code", "message"} in the user's language.
Leaders hold only read permissions on "Case", so FAB answers 403 to every write of theirs.
"""

from __future__ import annotations

from contextvars import ContextVar

from flask import g, has_request_context, request, send_file
from flask_appbuilder.api import BaseApi, ModelRestApi, expose, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import protect
from sqlalchemy import false, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload, lazyload

from app import rag
from app.access import CaseVisibilityFilter
from app.api import schemas as s
from app.api.base import ApiMixin, answers_errors, parse_json_text
from app.api.docs import documented
from app.api.errors import BodyNotObject
from app.extensions import db
from app.fab_interface import Interface
from app.models import Case
from app.security import current_actor
from app.services import (
    bulk,
    case_acts,
    case_edit,
    case_json,
    evidence,
    instructions,
    lead_proposals,
    problems,
    progress,
    transitions,
)
from app.services.case_base import CaseNotFound, case_facts
from workflows.case_workflow import available_transitions

CASE_COLUMNS = [
    "id",
    "title",
    "state",
    "version",
    "deadline",
    "original_deadline",
    "action_index",
    "lead_department_id",
    "lead_department_name",
    "list_kind",
    "percent_done",
    "plan_id",
    "parent_id",
    "action_id",
    "weight",
]


class MilestoneApiFilter(BaseFilter):
    """`(col:deadline,opr:milestone,value:missed)`: cases with a 时间节点 past its date and not
    reported done (有逾期节点); `value:soon`: one due within 10 days. As the lists' ?milestone=."""

    name = "Milestones: missed or soon"
    arg_name = "milestone"

    def apply(self, query, value):
        from app.services.milestones import due_soon_clause, missed_clause

        clause = {"missed": missed_clause, "soon": due_soon_clause}.get(str(value))
        return query.filter(clause() if clause else false())


def _case_json(case: Case) -> dict:
    return {
        "id": case.id,
        "state": case.state,
        "version": case.version,
        "deadline": case.deadline.isoformat(),
        "original_deadline": case.original_deadline.isoformat(),
        "lead_department_id": case.lead_department_id,
        "percent_done": case.percent_done,
    }


def _full_case_json(case: Case) -> dict:
    """A case as POST and PUT answer it: the contract fields plus its light."""
    return {
        "id": case.id,
        "title": case.title,
        "state": case.state,
        "version": case.version,
        "plan_id": case.plan_id,
        "action_id": case.action_id,
        "parent_id": case.parent_id,
        "lead_department_id": case.lead_department_id,
        "deadline": case.deadline.isoformat(),
        "original_deadline": case.original_deadline.isoformat(),
        "percent_done": case.percent_done,
        "weight": case.weight,
        "rolled_up_percent": case_edit.rolled_up_percent(case),
        "rag": str(rag.rag_for(case)),
    }


# PUT fields that are an edit of the case (the rest: the admins' deadline change, as before).
_EDIT_FIELDS = frozenset(s.CaseWriteRequestSchema().fields) - {"deadline", "comment", "version"}


def _extension_json(ext) -> dict:
    return {
        "id": ext.id,
        "case_id": ext.case_id,
        "status": ext.status,
        "old_deadline": ext.old_deadline.isoformat(),
        "new_deadline": ext.new_deadline.isoformat(),
        "reason": ext.reason,
        "decision_comment": ext.decision_comment,
    }


# What a list row's light reads (app.rag.rag_for).
_LIGHT_COLUMNS = frozenset({"id", "state", "deadline", "start_date", "percent_done"})
# Set while FAB reads a page of the list (CaseApiInterface.query), for its loader options.
_LISTING: ContextVar[bool] = ContextVar("duban_case_api_listing", default=False)


class CaseApiInterface(Interface):
    """The API's cases without the collections its answers do not show: no answer shows a
    case's indicators; a list row shows neither its milestones (its light reads them for the
    page in one query, pre_get_list) nor its partner units. The detail joins its plan."""

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        if self.obj is not Case:  # FAB's interface of a related model (the _info's choices)
            return query
        options = [lazyload(Case.indicators)]
        if _LISTING.get():
            options += [lazyload(Case.milestones), lazyload(Case.partner_departments)]
        else:  # the detail: pre_get's transitions read the plan's organisation
            options.append(joinedload(Case.plan))
        return query.options(*options)

    def query(self, *args, **kwargs):
        token = _LISTING.set(True)
        try:
            count, items = super().query(*args, **kwargs)
        finally:
            _LISTING.reset(token)
        if self.obj is Case and has_request_context():
            g.duban_api_rows = {item.id: item for item in items}  # for pre_get_list's lights
        return count, items


class CaseApi(ApiMixin, ModelRestApi):
    """Cases the caller may see, and every act on them (transition, progress, urge…)."""

    resource_name = "case"
    datamodel = CaseApiInterface(Case)
    class_permission_name = "Case"
    allow_browser_login = True
    openapi_spec_tag = "Cases"
    openapi_spec_component_schemas = s.CASE_SCHEMAS
    not_found = CaseNotFound
    inherited_summaries = {
        "get_list": "List the cases the caller may see",
        "get": "One case, with its RAG status and the transitions the caller may fire",
        "info": "Metadata of the case list: columns, filters, permissions",
    }
    base_filters = [["id", CaseVisibilityFilter, None]]
    base_order = ("id", "asc")
    include_route_methods = {
        "get", "get_list", "info", "post", "put", "transition", "progress", "history", "evidence",
        "urge", "extension", "comment", "bulk", "lead_proposal", "instruction", "answer_instruction",
        "problem", "resolve_problem",
    }
    # Reads are can_get/can_download (leaders have them); every write is can_post/can_put.
    method_permission_name = {
        "get": "get",
        "get_list": "get",
        "info": "info",
        "history": "get",
        "evidence": "download",
        "put": "put",
        "post": "post",
        "transition": "post",
        "progress": "post",
        "urge": "post",
        "extension": "post",
        "comment": "post",
        "bulk": "post",
        "lead_proposal": "post",
        # 领导批示: leaders hold can_instruct (their one write); the service decides who.
        "instruction": "instruct",
        "answer_instruction": "post",
        # 难点堵点: raised by caseworkers / task-force leads; answered by the addressee (a unit's
        # users, or leaders: can_instruct is theirs) or the office. The service decides who.
        "problem": "post",
        "resolve_problem": "instruct",
    }
    list_columns = CASE_COLUMNS
    # Selected too, not shown: the light's start date (pre_get_list reads the page's rows).
    list_select_columns = [*CASE_COLUMNS, "start_date"]
    show_columns = [*CASE_COLUMNS, "text", "partner_departments.id", "partner_departments.name"]
    # Selected too, not shown: what pre_get's light and transitions read (else one deferred
    # SELECT each).
    show_select_columns = [*show_columns, "start_date", "requires_evidence"]
    edit_columns = ["deadline"]
    search_columns = ["title", "state", "deadline", "lead_department", "action", "list_kind",
                      "plan_id", "parent_id"]
    order_columns = ["id", "deadline", "state", "title"]
    search_filters = {"deadline": [MilestoneApiFilter]}

    def pre_get_list(self, data: dict) -> None:
        """Add each case's RAG status (红黄绿灯)."""
        ids = data["ids"]  # aligned with the rows, even when the caller chose no "id" column
        # The page's own rows (CaseApiInterface.query), when they hold the light's columns
        # (list_select_columns: unless the caller chose fewer); else those columns, not the
        # cases again with their partners, milestones and indicators.
        page = g.pop("duban_api_rows", None) or {}
        rows = [page.get(case_id) for case_id in ids]
        if not all(row is not None and not (_LIGHT_COLUMNS & sa_inspect(row).unloaded)
                   for row in rows):
            rows = db.session.execute(
                select(Case.id, Case.state, Case.deadline, Case.start_date, Case.percent_done)
                .where(Case.id.in_(ids))
            ).all()
        rags = rag.rag_by_id(rows)
        for case_id, row in zip(ids, data["result"], strict=True):
            row["rag"] = str(rags[case_id])

    def pre_get(self, data: dict) -> None:
        """Add the RAG status and the transitions the caller may fire now."""
        case = db.session.get(Case, int(data["id"]))
        data["result"]["rag"] = str(rag.rag_for(case))
        data["result"]["rolled_up_percent"] = case_edit.rolled_up_percent(case)
        data["result"]["available_transitions"] = available_transitions(
            case_facts(case), current_actor()
        )

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Fire a transition (accept, submit, verify, return, close, reopen, reassign)",
                body=s.TransitionRequestSchema, answer=(200, s.CaseStateSchema),
                refusals=(400, 403, 404, 409, 422))
    def transition(self, pk: int):
        """Fire a transition on the case."""
        body = self.body(s.TransitionRequestSchema)
        case = transitions.apply_transition(
            pk,
            current_actor(),
            body["transition"],
            comment=body.get("comment"),
            version=body.get("version"),
            new_department_id=body.get("new_department_id"),
            open_sub_tasks_reason=body.get("open_sub_tasks_reason"),
        )
        return self.response(200, id=case.id, state=case.state, version=case.version)

    @expose("/<int:pk>/progress", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Report progress: note, percent, indicator values and evidence files",
                body=s.ProgressRequestSchema, form=s.ProgressFormSchema,
                answer=(201, s.ProgressSchema, "result"), refusals=(400, 403, 404, 409, 413, 422))
    def progress(self, pk: int):
        """Report progress: JSON, or multipart/form-data with evidence files."""
        files = []
        if request.mimetype == "multipart/form-data":
            form = request.form
            data = {key: form[key] for key in ("note", "percent") if key in form}
            if form.get("indicators"):
                try:
                    data["indicators"] = parse_json_text(form["indicators"])
                except BodyNotObject:  # not JSON: the schema refuses the text as no object
                    data["indicators"] = form["indicators"]
            body = self.load(s.ProgressRequestSchema, data)
            files = request.files.getlist("files") + request.files.getlist("files[]")
        else:
            body = self.body(s.ProgressRequestSchema)
        update = progress.add_progress(
            pk, current_actor(), note=body.get("note"), percent=body.get("percent"),
            indicator_values=body.get("indicators") or {}, files=files,
        )
        return self.response(201, result=case_json.progress_json(update))

    @expose("/<int:pk>/history", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "The case's history, oldest first",
                answer=(200, s.HistoryEntrySchema, "result", True), refusals=(404,))
    def history(self, pk: int):
        """The case's history, oldest first."""
        return self.response(200, result=case_json.history_json(pk, current_actor()))

    @expose("/<int:pk>/evidence/<int:evidence_id>", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "Download an evidence file of the case", media="application/octet-stream",
                refusals=(404,))
    def evidence(self, pk: int, evidence_id: int):
        """Download an evidence file (only for users who may see the case)."""
        row, path = evidence.open_evidence(evidence_id, current_actor(), case_id=pk)
        response = send_file(
            path, mimetype=row.content_type, as_attachment=True, download_name=row.original_name,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/<int:pk>/urge", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Urge the case (催办)", body=s.UrgeRequestSchema,
                answer=(201, s.HistoryEntrySchema, "result"), refusals=(400, 403, 404, 409, 422))
    def urge(self, pk: int):
        """催办."""
        body = self.body(s.UrgeRequestSchema)
        entry = case_acts.urge(pk, current_actor(), comment=body.get("comment"))
        return self.response(201, result=case_json.history_entry_json(entry))

    @expose("/<int:pk>/extension", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Request an extension of the deadline (延期申请)",
                body=s.ExtensionRequestSchema, answer=(201, s.ExtensionSchema, "result"),
                refusals=(400, 403, 404, 409, 422))
    def extension(self, pk: int):
        """延期申请."""
        body = self.body(s.ExtensionRequestSchema)
        ext = case_acts.request_extension(
            pk, current_actor(), new_deadline=body["new_deadline"], reason=body.get("reason"),
        )
        return self.response(201, result=_extension_json(ext))

    @expose("/<int:pk>/comment", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Comment on the case", body=s.CommentRequestSchema,
                answer=(201, s.HistoryEntrySchema, "result"), refusals=(400, 403, 404, 409, 422))
    def comment(self, pk: int):
        """A comment on the case."""
        body = self.body(s.CommentRequestSchema)
        entry = case_acts.add_comment(pk, current_actor(), text=body.get("text"))
        return self.response(201, result=case_json.history_entry_json(entry))

    @expose("/<int:pk>/lead_proposal", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Propose a lead department for a case without one (the case's task-force lead)",
                body=s.LeadProposalRequestSchema, answer=(201, s.LeadProposalSchema, "result"),
                refusals=(400, 403, 404, 409, 422))
    def lead_proposal(self, pk: int):
        """牵头单位建议: the supervision office then accepts or rejects it."""
        body = self.body(s.LeadProposalRequestSchema)
        row = lead_proposals.propose(pk, current_actor(), department_id=body["department_id"],
                                     reason=body.get("reason"))
        return self.response(201, result=lead_proposals.proposal_json(row))

    @expose("/<int:pk>/instruction", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Add a leader's instruction (领导批示) to the case (a leader or the office)",
                body=s.InstructionRequestSchema, answer=(201, s.InstructionSchema, "result"),
                refusals=(400, 403, 404, 422))
    def instruction(self, pk: int):
        """领导批示: the lead unit is notified and must answer it."""
        body = self.body(s.InstructionRequestSchema)
        row = instructions.add_instruction(pk, current_actor(), text=body["text"])
        return self.response(201, result=instructions.instruction_json(row))

    @expose("/<int:pk>/instruction/<int:instruction_id>/answer", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Answer a leader's instruction (a caseworker of the lead department)",
                body=s.InstructionRequestSchema, answer=(200, s.InstructionSchema, "result"),
                refusals=(400, 403, 404, 409, 422))
    def answer_instruction(self, pk: int, instruction_id: int):
        """The lead unit's answer; the instruction is then no longer 待答复."""
        body = self.body(s.InstructionRequestSchema)
        row = instructions.answer_instruction(pk, instruction_id, current_actor(), text=body["text"])
        return self.response(200, result=instructions.instruction_json(row))

    @expose("/<int:pk>/problem", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Raise a problem needing coordination (难点堵点) on the case, to a unit or "
                "the leaders (the lead unit's caseworkers or the task-force lead)",
                body=s.ProblemRequestSchema, answer=(201, s.ProblemSchema, "result"),
                refusals=(400, 403, 404, 409, 422))
    def problem(self, pk: int):
        """The addressee and the office are notified; the problem is 待协调 until answered."""
        body = self.body(s.ProblemRequestSchema)
        row = problems.raise_problem(pk, current_actor(), text=body["text"],
                                     department_id=body.get("department_id"))
        return self.response(201, result=problems.problem_json(row))

    @expose("/<int:pk>/problem/<int:problem_id>/resolve", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Record the coordination answer to a problem and mark it solved (the "
                "addressed unit, the leaders for one addressed to them, or the office)",
                body=s.ProblemAnswerRequestSchema, answer=(200, s.ProblemSchema, "result"),
                refusals=(400, 403, 404, 409, 422))
    def resolve_problem(self, pk: int, problem_id: int):
        """Once: a second answer is 409."""
        body = self.body(s.ProblemAnswerRequestSchema)
        row = problems.resolve_problem(pk, problem_id, current_actor(), text=body["text"])
        return self.response(200, result=problems.problem_json(row))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "立项: open a case by hand (the supervision office)", body=s.CaseWriteRequestSchema,
                answer=(201, s.CaseSchema), refusals=(400, 403, 404, 422))
    def post(self):
        """Create a case: title, text, action_id or plan_id, lead_department_id, deadline, …"""
        body = self.body(s.CaseWriteRequestSchema)
        case = case_edit.create_case(current_actor(), body)
        return self.response(201, **_full_case_json(case))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @answers_errors
    @documented("put", "Edit a case (the office: any field; a task-force lead: milestones and "
                "targets); a body of only deadline/comment/version is the admins' deadline change",
                body=s.CaseWriteRequestSchema, answer=(200, s.CaseSchema),
                refusals=(400, 403, 404, 409, 422))
    def put(self, pk: int):
        """Edit the case's fields, or (admins) change its deadline."""
        try:
            raw = request.get_json(silent=True)
        except RecursionError:  # too deep: self.body() answers it (400)
            raw = None
        if isinstance(raw, dict) and _EDIT_FIELDS & set(raw):
            body = self.body(s.CaseWriteRequestSchema)
            fields = {k: v for k, v in body.items() if k not in ("comment", "version")}
            case = case_edit.update_case(current_actor(), pk, fields)
            return self.response(200, **_full_case_json(case))
        body = self.body(s.DeadlineRequestSchema)
        case = case_acts.change_deadline(
            pk, current_actor(), deadline=body["deadline"], comment=body.get("comment"),
            version=body.get("version"),
        )
        return self.response(200, **_case_json(case))

    @expose("/bulk", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Transition or urge many cases; more than 20 are queued (202)",
                body=s.BulkRequestSchema, answer=(200, s.BulkResultSchema),
                refusals=(400, 403, 409, 422, 503))
    def bulk(self):
        """Bulk transition or urge: done at once (200) or queued for the worker (202); when
        none of the cases could be done, the refusal (e.g. 409 urged too recently)."""
        body = self.body(s.BulkRequestSchema)
        result = bulk.start_bulk(
            body["case_ids"], current_actor(), body["operation"], comment=body.get("comment"),
        )
        return self.response(202 if result["queued"] else 200, **result)


class ExtensionApi(ApiMixin, BaseApi):
    """Decisions on extension requests (the supervision office)."""

    resource_name = "extension"
    class_permission_name = "Case"
    allow_browser_login = True
    openapi_spec_tag = "Cases"
    openapi_spec_component_schemas = s.EXTENSION_SCHEMAS
    not_found = CaseNotFound
    method_permission_name = {"decision": "post"}

    @expose("/<int:pk>/decision", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Approve or refuse an extension request", body=s.DecisionRequestSchema,
                answer=(200, {"result": s.ExtensionSchema, "case": s.CaseSummarySchema}),
                refusals=(400, 403, 404, 409, 422))
    def decision(self, pk: int):
        """Approve or refuse an extension request; answers it and the case."""
        body = self.body(s.DecisionRequestSchema)
        ext = case_acts.decide_extension(
            pk, current_actor(), approve=body["approve"], comment=body.get("comment"),
        )
        case = db.session.get(Case, ext.case_id)
        return self.response(200, result=_extension_json(ext), case=_case_json(case))


class LeadProposalApi(ApiMixin, BaseApi):
    """Decisions on proposed lead departments (the supervision office)."""

    resource_name = "lead_proposal"
    class_permission_name = "Case"
    allow_browser_login = True
    openapi_spec_tag = "Cases"
    openapi_spec_component_schemas = s.LEAD_PROPOSAL_SCHEMAS
    not_found = lead_proposals.LeadProposalNotFound
    method_permission_name = {"decision": "post"}

    @expose("/<int:pk>/decision", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Accept or reject a proposed lead department", body=s.LeadDecisionRequestSchema,
                answer=(200, {"result": s.LeadProposalSchema, "case": s.CaseSchema}),
                refusals=(400, 403, 404, 409, 422))
    def decision(self, pk: int):
        """Accept (the department leads the case) or reject (with a reason) a proposal."""
        body = self.body(s.LeadDecisionRequestSchema)
        row = lead_proposals.decide(pk, current_actor(), accept=body["accept"], comment=body.get("comment"))
        case = db.session.get(Case, row.case_id)
        return self.response(200, result=lead_proposals.proposal_json(row), case=_full_case_json(case))


def register(appbuilder) -> None:
    """Register the case APIs."""
    appbuilder.add_api(CaseApi)
    appbuilder.add_api(ExtensionApi)
    appbuilder.add_api(LeadProposalApi)
