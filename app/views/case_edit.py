"""立项 and editing a case by hand: the office's form (every field), a task-force lead's
(milestones and targets of their action's cases). The form posts to one endpoint that reads
it, calls app.services.case_edit and goes to the case page; a refusal keeps what was typed."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext
from sqlalchemy import select

from app.errors import translate
from app.extensions import db
from app.models import Action, Case, Department, Plan
from app.security import current_actor
from app.services import case_edit, lead_proposals, milestones, plan_scope
from app.services.case_base import LEAD_DEPARTMENT_KINDS, CaseNotFound, get_visible_case
from app.services.indicators import number
from workflows.case_form import editable_fields, may_create
from workflows.errors import DomainError

BLANK_ROWS = 3


def form_values(form) -> dict:
    """The case fields from the form (rows of milestones and targets; empty rows ignored)."""
    data = {name: form.get(name, "") for name in
            ("title", "text", "source", "action_id", "plan_id", "parent_id", "weight",
             "lead_department_id", "owner_id", "deadline") if name in form}
    if "partners_present" in form:
        data["partner_department_ids"] = form.getlist("partner_department_ids")
    if "milestones_present" in form:
        data["milestones"] = [
            {"title": t, "due_date": d}
            for t, d in zip(form.getlist("milestone_title"), form.getlist("milestone_due"), strict=False)
            if t.strip() or d.strip()]
    if "targets_present" in form:
        data["targets"] = [
            {"name": n, "comparator": c, "value": v, "unit": u}
            for n, c, v, u in zip(form.getlist("target_name"), form.getlist("target_comparator"),
                                  form.getlist("target_value"), form.getlist("target_unit"), strict=False)
            if n.strip() or v.strip()]
    return data


class CaseEditView(BaseView):
    """The 立项 form and the edit form."""

    route_base = "/caseedit"
    class_permission_name = "CaseEdit"
    method_permission_name = {"new": "create", "create": "create", "edit": "edit", "save": "edit",
                              "report_milestone": "report_milestone",
                              # the services decide who: a lead proposes, the office decides
                              "propose_lead": "edit", "decide_lead": "edit"}

    @expose("/new")
    @has_access
    def new(self):
        """An empty 立项 form (the office only)."""
        actor = current_actor()
        if not may_create(actor):
            return self._refused()
        chosen = plan_scope.chosen_plan(actor.user_id) or plan_scope.default_plan(actor)
        typed = {"plan_id": chosen.id if chosen else None}
        parent_id = request.args.get("parent", type=int)
        if parent_id:  # a sub-task (细化实化): in its parent's plan and action
            try:
                parent = get_visible_case(parent_id, actor)
            except CaseNotFound:
                return self._refused(404)
            typed = {"plan_id": parent.plan_id, "action_id": parent.action_id, "parent_id": parent.id,
                     "deadline": parent.deadline.isoformat()}
        return self._form(None, typed, editable=None)

    @expose("/new", methods=["POST"])
    @has_access
    def create(self):
        """Create the case from the form."""
        data = form_values(request.form)
        try:
            case = case_edit.create_case(current_actor(), data)
        except DomainError as exc:
            flash(translate(exc), "danger")
            return self._form(None, request.form, editable=None), 422
        flash(gettext("Case created: %(title)s.", title=case.title), "success")
        return redirect(url_for("CaseView.show", pk=case.id))

    @expose("/<int:pk>")
    @has_access
    def edit(self, pk):
        """The edit form with the fields this user may change."""
        actor = current_actor()
        try:
            case = get_visible_case(pk, actor)
        except CaseNotFound:
            return self._refused(404)
        editable = editable_fields(actor, case.action_id)
        if not editable:
            return self._refused()
        return self._form(case, None, editable=editable)

    @expose("/<int:pk>", methods=["POST"])
    @has_access
    def save(self, pk):
        """Save the changed fields; back to the case page."""
        try:
            case_edit.update_case(current_actor(), pk, form_values(request.form))
        except CaseNotFound:
            return self._refused(404)
        except DomainError as exc:
            flash(translate(exc), "danger")
            return redirect(url_for("CaseEditView.edit", pk=pk))
        flash(gettext("Changes saved."), "success")
        return redirect(url_for("CaseView.show", pk=pk))

    @expose("/<int:pk>/milestone/<int:milestone_id>", methods=["POST"])
    @has_access
    def report_milestone(self, pk, milestone_id):
        """A caseworker of the lead unit reports a milestone done (with a note)."""
        try:
            milestones.report_done(pk, milestone_id, current_actor(), note=request.form.get("note"))
        except (CaseNotFound, milestones.MilestoneNotFound):
            return self._refused(404)
        except DomainError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Reported the milestone done."), "success")
        return redirect(url_for("CaseView.show", pk=pk))

    @expose("/<int:pk>/lead_proposal", methods=["POST"])
    @has_access
    def propose_lead(self, pk):
        """The case's task-force lead proposes a lead unit for a case without one."""
        try:
            row = lead_proposals.propose(pk, current_actor(), department_id=request.form.get("department_id"),
                                         reason=request.form.get("reason"))
        except CaseNotFound:
            return self._refused(404)
        except DomainError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Proposed %(department)s as the lead department; the supervision office decides.",
                          department=row.department.name), "success")
        return redirect(url_for("CaseView.show", pk=pk))

    @expose("/<int:pk>/lead_proposal/<int:proposal_id>", methods=["POST"])
    @has_access
    def decide_lead(self, pk, proposal_id):
        """The office accepts or rejects a proposed lead unit."""
        decision = request.form.get("decision")
        try:
            row = lead_proposals.decide(
                proposal_id, current_actor(),
                accept=True if decision == "accept" else False if decision == "reject" else None,
                comment=request.form.get("comment"))
        except CaseNotFound:
            return self._refused(404)
        except DomainError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Proposal accepted: %(department)s leads the case.", department=row.department.name)
                  if row.status == "accepted" else gettext("Proposal rejected."), "success")
        return redirect(url_for("CaseView.show", pk=pk))

    def _refused(self, code: int = 403):
        message = gettext("You are not allowed to do this.") if code == 403 else \
            gettext("The page or record does not exist, or you may not see it.")
        return self.render_template("case/not_found.html", title=message, message=message), code

    def _form(self, case: Case | None, typed, *, editable):
        """Render the form; `typed` are the values to show back after a refusal."""
        departments = list(db.session.scalars(
            select(Department).where(Department.kind.in_(LEAD_DEPARTMENT_KINDS)).order_by(Department.name)))
        return self.render_template(
            "case/edit.html", title=gettext("Edit case") if case else gettext("New case"),
            case=case, typed=typed or {}, editable=editable, blank_rows=BLANK_ROWS, number=number,
            plans=plan_scope.plans(current_actor()),
            actions=list(db.session.scalars(
                select(Action).join(Plan, Plan.id == Action.plan_id).order_by(Plan.year.desc(), Action.index))),
            departments=departments,
            users=list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))),
        )


def register(appbuilder) -> None:
    """The forms are reached from the case list and the case page."""
    appbuilder.add_view_no_menu(CaseEditView)
