"""Case pages: the case page with its dialogs, the queues (我的待办) and bulk actions.

Thin: lists are FAB views filtered by app.access (visibility) plus one queue filter; each
form posts to an endpoint that parses it, calls one service act (app.services.transitions, case_acts, …), flashes
the outcome in Chinese and goes back to the case page. What buttons show is asked of
workflows.case_workflow; the service checks everything again.
"""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, request, send_file, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.access import CaseVisibilityFilter, MyQueueFilter, QueueFilter, RelatedCaseVisibilityFilter
from app.errors import translate
from app.extensions import db
from app.labels import (
    EXTENSION_STATUS_LABELS,
    LIST_KIND_LABELS,
    RAG_LABELS,
    STATE_LABELS,
    TRANSITION_LABELS,
    label,
)
from app.models import (
    Case,
    Department,
    ExtensionRequest,
)
from app.rag import rag_for
from app.security import current_actor
from app.services import case_acts, case_edit, evidence, progress, transitions
from app.services.case_base import LEAD_DEPARTMENT_KINDS, CaseNotFound, case_facts, get_visible_case
from app.services.cases import DASH, case_targets, case_timeline, to_local
from app.services.milestones import milestone_rows
from app.views.case_lists import (
    DEFAULT_URGE_TEXT,
    CaseListBase,
    CaseListWidget,
    ExtensionInterface,
    back_to_list,
    case_link,
    dash,
    date_cell,
    department_names,
    flash_bulk_result,
    form_int,
    iso_date,
)
from app.views.inspections import rectification_context
from app.views.instructions import instruction_context
from app.views.problems import problem_context
from app.views.row_policy import RowPolicyActions
from workflows import subtasks
from workflows.case_form import editable_fields, may_create
from workflows.case_workflow import available_transitions, required_inputs
from workflows.errors import DomainError
from workflows.permissions import (
    can_comment,
    can_decide_extension,
    can_read_only,
    can_request_extension,
    can_update_progress,
    can_urge,
)
from workflows.subtasks import sets_percent
from workflows.vocabulary import Need, Role


class CaseView(CaseListBase):
    """全部任务 and the case page, with the forms that act on a case."""

    all_cases = True

    list_title = _("All cases")
    show_title = _("Case")
    base_permissions = [
        "can_list", "can_show", "can_transition", "can_progress", "can_urge",
        "can_extension", "can_decide", "can_comment", "can_download",
    ]
    method_permission_name = {**CaseListBase.method_permission_name, "evidence": "download"}
    list_columns = ["rag", "case_link", "action", "lead_department", "partners", "state",
                    "deadline", "percent_done"]

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The case page: header, actions the user may take, targets, timeline."""
        actor = current_actor()
        try:
            case = get_visible_case(pk, actor)
        except CaseNotFound as exc:
            return self._not_found(exc)
        self.update_redirect()
        return self.render_template(
            "case/show.html", title=self.show_title, **page_context(case, actor)
        )

    @expose("/transition/<int:pk>", methods=["POST"])
    @has_access
    def transition(self, pk):
        """Fire a transition from its dialog."""
        name = request.form.get("transition", "")
        return self._act(
            pk,
            lambda actor: transitions.apply_transition(
                pk, actor, name,
                comment=request.form.get("comment"),
                version=form_int("version"),
                new_department_id=form_int("new_department_id"),
                open_sub_tasks_reason=request.form.get("open_sub_tasks_reason"),
            ),
            lambda case: gettext(
                "%(transition)s done: the case is now %(state)s.",
                transition=label(TRANSITION_LABELS, name),
                state=label(STATE_LABELS, case.state),
            ),
        )

    @expose("/progress/<int:pk>", methods=["POST"])
    @has_access
    def progress(self, pk):
        """Record a progress update with indicator actuals and evidence files.

        Refused (a file too large or of the wrong kind, a bad percent…): the case page comes
        back with the dialog open, what the user typed in it and the reason; nothing is saved.
        """
        typed = {
            "note": request.form.get("note", ""),
            "percent": request.form.get("percent", ""),
            "indicators": {
                key.split("-", 1)[1]: value
                for key, value in request.form.items()
                if key.startswith("indicator-")
            },
        }
        actor = current_actor()
        try:
            update = progress.add_progress(
                pk, actor,
                note=typed["note"],
                percent=typed["percent"],
                indicator_values=typed["indicators"],
                files=request.files.getlist("files"),
            )
        except CaseNotFound as exc:
            return self._not_found(exc)
        except DomainError as exc:
            try:
                case = get_visible_case(pk, actor)
            except CaseNotFound as not_found:
                return self._not_found(not_found)
            typed["error"] = translate(exc)
            flash(typed["error"], "danger")  # above the page too, for when the dialog is closed
            page = self.render_template(
                "case/show.html", title=self.show_title, progress_again=typed,
                **page_context(case, actor),
            )
            return page, 422
        flash(gettext("Your contribution was recorded; the lead department sets the percent done.")
              if getattr(update, "contribution", False) else
              gettext("Progress update saved (%(percent)s%% done).", percent=update.percent_done),
              "success")
        return redirect(url_for("CaseView.show", pk=pk))

    @expose("/urge/<int:pk>", methods=["POST"])
    @has_access
    def urge(self, pk):
        """催办 from the case page. A refusal (urged too recently, closed…) shows the case page
        again with the reason and the refusal's status (409), not a redirect."""
        def urged(entry):
            _warn_if_nobody_hears(pk)
            return gettext("The case was urged; its department is notified.")

        return self._act(
            pk,
            lambda actor: case_acts.urge(pk, actor, comment=request.form.get("comment")),
            urged,
            refusal_status=True,
        )

    @expose("/extension/<int:pk>", methods=["POST"])
    @has_access
    def extension(self, pk):
        """延期申请 by the lead caseworker."""
        return self._act(
            pk,
            lambda actor: case_acts.request_extension(
                pk, actor,
                new_deadline=request.form.get("new_deadline", ""),
                reason=request.form.get("reason", ""),
            ),
            lambda ext: gettext(
                "Extension to %(deadline)s requested; the supervision office decides.",
                deadline=ext.new_deadline.isoformat(),
            ),
        )

    @expose("/decide/<int:pk>/<int:extension_id>", methods=["POST"])
    @has_access
    def decide(self, pk, extension_id):
        """The office approves or refuses an extension request."""
        decision = request.form.get("decision")
        return self._act(
            pk,
            lambda actor: case_acts.decide_extension(
                extension_id, actor,
                approve=True if decision == "approve" else False if decision == "refuse" else None,
                comment=request.form.get("comment"),
            ),
            lambda ext: gettext(
                "Extension request %(status)s.", status=label(EXTENSION_STATUS_LABELS, ext.status)
            ),
        )

    @expose("/comment/<int:pk>", methods=["POST"])
    @has_access
    def comment(self, pk):
        """A comment on the case's timeline."""
        return self._act(
            pk,
            lambda actor: case_acts.add_comment(pk, actor, text=request.form.get("text", "")),
            lambda entry: gettext("Comment added."),
        )

    @expose("/evidence/<int:pk>/<int:evidence_id>", methods=["GET"])
    @has_access
    def evidence(self, pk, evidence_id):
        """Download an evidence file (only for users who may see its case)."""
        try:
            row, path = evidence.open_evidence(evidence_id, current_actor(), case_id=pk)
        except CaseNotFound as exc:
            return self._not_found(exc)
        return send_file(
            path, mimetype=row.content_type, as_attachment=True, download_name=row.original_name
        )

    def _not_found(self, exc):
        """404 in Chinese: not there, or not visible to this user (never says which)."""
        page = self.render_template(
            "case/not_found.html", title=gettext("Not found"), message=translate(exc)
        )
        return page, 404

    def _act(self, pk, call, success, *, refusal_status: bool = False):
        """Check the form's CSRF token, call the service, flash the outcome, go back.

        With `refusal_status`, a refusal answers the case page itself with the error's
        status (e.g. 409) and the reason on it, instead of redirecting."""
        back = redirect(url_for("CaseView.show", pk=pk))
        try:
            result = call(current_actor())
        except CaseNotFound as exc:
            return self._not_found(exc)
        except DomainError as exc:
            flash(translate(exc), "danger")
            if refusal_status:
                page = make_response(self.show(pk))
                page.status_code = exc.status
                return page
            return back
        flash(success(result), "success")
        return back


class MyCasesView(CaseListBase):
    """全部待办: every case waiting for the user's own next step."""

    list_title = _("My cases")
    base_filters = [["id", CaseVisibilityFilter, None], ["id", MyQueueFilter, None]]

    @expose("/list/")
    @has_access
    def list(self):
        """Leaders have no queue of their own: they go to all cases."""
        if can_read_only(current_actor()):
            return redirect(url_for("CaseView.list"))
        return super().list()


def _queue_filters(queue: str) -> list:
    """A queue's base filters: visibility first, always, then the queue's own (app.access.QUEUES)."""
    return [["id", CaseVisibilityFilter, None], ["id", QueueFilter, queue]]


class ToAcceptView(CaseListBase):
    """待签收 (caseworkers)."""

    list_title = _("To accept")
    class_permission_name = "CaseworkerQueue"
    base_filters = _queue_filters("to_accept")


class InProgressView(CaseListBase):
    """办理中 (caseworkers)."""

    list_title = _("In progress")
    class_permission_name = "CaseworkerQueue"
    base_filters = _queue_filters("in_progress")


class ReturnedView(CaseListBase):
    """被退回 (caseworkers)."""

    list_title = _("Returned")
    class_permission_name = "CaseworkerQueue"
    base_filters = _queue_filters("returned")


class ToVerifyView(CaseListBase):
    """待核验 (task-force leads), with bulk verification."""

    list_title = _("To verify")
    class_permission_name = "LeadQueue"
    base_filters = _queue_filters("to_verify")
    bulk_comment = True

    @action(
        "bulk_verify", _("Verify selected"), confirmation=_("Verify the selected cases?"),
        icon="fa-check", single=False,
    )
    def bulk_verify(self, items):
        """批量核验 by the task-force lead, through the same service as one verification."""
        comment = (request.form.get("comment") or "").strip() or None
        return self._bulk(items, "verify", label(TRANSITION_LABELS, "verify"), comment=comment)


class ToCloseView(CaseListBase):
    """待办结 (supervision office)."""

    list_title = _("To close")
    class_permission_name = "OfficeQueue"
    base_filters = _queue_filters("to_close")


class OverdueView(CaseListBase):
    """逾期 (supervision office), with bulk urging."""

    list_title = _("Overdue cases")
    class_permission_name = "OfficeQueue"
    base_filters = _queue_filters("overdue")
    bulk_comment = True

    @action("bulk_urge", _("Urge selected"), icon="fa-bell", single=False)
    def bulk_urge(self, items):
        """批量催办 of overdue cases (comment box above the list; a default text if empty)."""
        comment = (request.form.get("comment") or "").strip() or str(DEFAULT_URGE_TEXT)
        return self._bulk(items, "urge", gettext("Urge"), comment=comment)


class ExtensionRequestView(RowPolicyActions, ModelView):
    """延期申请: pending extension requests of visible cases, approved or refused by the office."""

    datamodel = ExtensionInterface(ExtensionRequest)
    class_permission_name = "ExtensionRequest"
    base_permissions = ["can_list"]
    base_filters = [
        ["case_id", RelatedCaseVisibilityFilter, None],
        ["status", FilterEqual, "pending"],
    ]
    base_order = ("requested_at", "asc")
    list_title = _("Extension requests")
    list_template = "case/list.html"
    list_widget = CaseListWidget
    list_columns = ["case_link", "case.lead_department", "old_deadline", "new_deadline",
                    "reason", "requested_by", "requested_at"]
    order_columns = ["requested_at", "new_deadline", "old_deadline"]
    search_columns = ["new_deadline", "reason"]
    label_columns = {
        "case_link": _("Task"),
        "case.lead_department": _("Lead department"),
        "old_deadline": _("Current deadline"),
        "new_deadline": _("Requested deadline"),
        "reason": _("Reason"),
        "requested_by": _("Requested by"),
        "requested_at": _("Requested at"),
    }
    formatters_columns = {
        "case_link": case_link,
        "case.lead_department": dash,
        "old_deadline": date_cell,
        "new_deadline": date_cell,
        "requested_by": dash,
        "requested_at": lambda v: to_local(v) or DASH,
    }

    def _get_list_widget(self, filters, **kwargs):
        kwargs.update(bulk_comment=True, csrf=generate_csrf())
        return super()._get_list_widget(filters, **kwargs)

    @action("approve", _("Approve selected"), confirmation=_("Approve the selected requests?"),
            icon="fa-check", single=False)
    def approve(self, items):
        """批量同意: each request's new deadline takes effect (the original stays on record)."""
        return self._decide(items, True)

    @action("refuse", _("Refuse selected"), confirmation=_("Refuse the selected requests?"),
            icon="fa-times", single=False)
    def refuse(self, items):
        """批量不同意: needs the reason typed in the comment box."""
        return self._decide(items, False)

    def _decide(self, items, approve: bool):
        """Decide each selected request through the service; flash how many succeeded."""
        actor, comment = current_actor(), request.form.get("comment")
        requests = {item.id: (item.case_id, item.case.title) for item in items if item is not None}
        ok, failed = [], {}
        for extension_id, (case_id, _title) in requests.items():
            try:
                case_acts.decide_extension(extension_id, actor, approve=approve, comment=comment)
                ok.append(case_id)
            except DomainError as exc:
                failed[case_id] = translate(exc)
        what = gettext("Approved") if approve else gettext("Refused")
        titles = dict(requests.values())
        flash_bulk_result({"ok": ok, "failed": failed}, what, titles)
        return back_to_list(self)


# --- the case page's context -----------------------------------------------------------------


TRANSITION_DIALOGS = {
    # transition → (dialog's question, label of the text box, whether the text is required)
    "accept": (_("Accept this case and start working on it?"), _("Comment (optional)"), False),
    "submit": (_("Submit the work for verification."), _("Submission note"), True),
    "verify": (_("Verify the submitted work?"), _("Verification remarks (optional)"), False),
    "return": (_("Return the case for more work."), _("Reason for returning"), True),
    "close": (_("Close this case?"), _("Remarks (optional)"), False),
    "reopen": (_("Reopen this case."), _("Reason for reopening"), True),
    "reassign": (_("Reassign this case to another lead department."), _("Remarks (optional)"),
                 False),
}


def _warn_if_nobody_hears(case_id: int) -> None:
    """After an urge: say so when the case's unit has no user to receive it."""
    from app.services.notifications import caseworkers_by_department

    case = db.session.get(Case, case_id)
    if case is None or case.lead_department_id is None:
        return
    if not caseworkers_by_department([case.lead_department_id]).get(case.lead_department_id):
        flash(gettext(
            "Nobody will be notified: %(department)s has no caseworker account yet. "
            "Ask the administrator to add one.", department=case.lead_department_name or "—"),
            "warning")


def page_context(case: Case, actor) -> dict:
    """What the case page shows and which of its forms this user may use."""
    facts = case_facts(case)
    transitions = []
    for name in available_transitions(facts, actor):
        question, text_label, text_required = TRANSITION_DIALOGS[name]
        needs = required_inputs(facts, name)
        transitions.append({
            "name": name,
            "label": label(TRANSITION_LABELS, name),
            "question": question,
            "text_label": text_label,
            "text_required": text_required,
            "needs_department": Need.NEW_DEPARTMENT in needs,
            "missing_evidence": Need.EVIDENCE in needs and not facts.has_evidence,
        })
    pending = db.session.scalar(
        select(ExtensionRequest).where(
            ExtensionRequest.case_id == case.id, ExtensionRequest.status == "pending"
        )
    )
    departments = []
    if any(t["needs_department"] for t in transitions):
        departments = db.session.scalars(
            select(Department)
            .where(Department.kind.in_(LEAD_DEPARTMENT_KINDS),
                   Department.id != case.lead_department_id)
            .order_by(Department.kind, Department.name)
        ).all()
    rag = rag_for(case)  # from the milestones the page loaded with the case
    return {
        "case": case,
        "facts": facts,
        "state_label": label(STATE_LABELS, case.state),
        "rag": str(rag),
        "rag_label": label(RAG_LABELS, str(rag)),
        "transitions": transitions,
        "can_progress": can_update_progress(facts, actor),
        "sets_percent": sets_percent(facts, actor),
        "can_urge": can_urge(facts, actor),
        "can_extend": can_request_extension(facts, actor) and pending is None,
        "can_decide": can_decide_extension(actor),
        "can_comment": can_comment(facts, actor),
        "pending_extension": pending,
        "departments": departments,
        "targets": case_targets(case),
        "milestones": milestone_rows(case),
        "can_report_milestones": Role.CASEWORKER in actor.roles
        and case.lead_department_id in actor.department_ids and case.state != "closed",
        "can_edit_case": bool(editable_fields(actor, case.action_id)),
        "children": (children := case_edit.children_of(case.id)),
        "open_children": [c for c in children if subtasks.is_open(c.state)],
        "rolled_up": case_edit.rolled_up_percent(case, children),
        "parent": db.session.get(Case, case.parent_id) if case.parent_id else None,
        "can_add_subtask": may_create(actor),
        **_lead_proposal_context(case, facts, actor),
        **instruction_context(case, facts, actor),
        **problem_context(case, facts, actor),
        **rectification_context(case, actor),
        "state_labels": {code: label(STATE_LABELS, code) for code in STATE_LABELS},
        "timeline": case_timeline(case),
        "csrf": generate_csrf(),
        "iso_date": iso_date,
        "to_local": to_local,
        "dash": dash,
        "list_kind_label": label(LIST_KIND_LABELS, case.list_kind),
        "partners": department_names(case.partner_departments),
        "returned": _returned(case),
        "can_notice": can_urge(facts, actor),
        # Read-only users make their documents on the reports page: their case page has no form.
        "can_dossier": not can_read_only(actor),
        "evidence_max_bytes": current_app.config["EVIDENCE_MAX_BYTES"],
        "evidence_max_size": evidence.human_size(current_app.config["EVIDENCE_MAX_BYTES"]),
    }


def _lead_proposal_context(case: Case, facts, actor) -> dict:
    """牵头单位建议: the pending proposal, and who may propose or decide one."""
    from app.services import lead_proposals
    from workflows.lead_proposals import may_propose
    from workflows.permissions import has_grant

    pending = lead_proposals.pending_proposal(case.id) if case.lead_department_id is None else None
    can_propose = pending is None and may_propose(facts, actor)
    return {
        "lead_proposal": pending,
        "can_propose_lead": can_propose,
        "can_decide_lead": pending is not None and has_grant(actor, "decide_lead_proposal"),
        "lead_choices": db.session.scalars(
            select(Department).where(Department.kind.in_(LEAD_DEPARTMENT_KINDS))
            .order_by(Department.kind, Department.name)).all() if can_propose else [],
    }


def _returned(case: Case) -> dict | None:
    """被退回: who returned the case, when and why — while it is back with its unit."""
    from app.models import CaseHistory

    if case.state != "in_progress":
        return None
    last = db.session.scalars(
        select(CaseHistory)
        .where(CaseHistory.case_id == case.id, CaseHistory.kind == "transition")
        .order_by(CaseHistory.at.desc(), CaseHistory.id.desc())
        .limit(1)
    ).first()
    if last is None or last.transition != "return":
        return None
    return {"by": last.actor_name, "at": to_local(last.at), "reason": last.comment or "—"}


def register(appbuilder) -> None:
    """Register the queues (我的待办), all cases and the case page."""
    queue = {"category": "Queues"}
    appbuilder.add_view(
        MyCasesView, "MyCases", label=_("All my to-dos"), icon="fa-inbox",
        category_label=_("My cases"), category_icon="fa-inbox", **queue,
    )
    appbuilder.add_view(ToAcceptView, "ToAccept", label=_("To accept"), icon="fa-download",
                        **queue)
    appbuilder.add_view(InProgressView, "InProgress", label=_("In progress"),
                        icon="fa-spinner", **queue)
    appbuilder.add_view(ReturnedView, "Returned", label=_("Returned"), icon="fa-reply", **queue)
    appbuilder.add_view(ToVerifyView, "ToVerify", label=_("To verify"), icon="fa-check-square-o",
                        **queue)
    appbuilder.add_view(ToCloseView, "ToClose", label=_("To close"), icon="fa-archive", **queue)
    appbuilder.add_view(OverdueView, "Overdue", label=_("Overdue"), icon="fa-clock-o", **queue)
    appbuilder.add_view(ExtensionRequestView, "Extensions", label=_("Extension requests"),
                        icon="fa-calendar-plus-o", **queue)
    appbuilder.add_view(
        CaseView, "AllCases", label=_("All cases"), icon="fa-list", category="Cases",
        category_label=_("Cases"), category_icon="fa-tasks",
    )
