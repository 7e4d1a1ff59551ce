"""督查整改 pages (issue 12, part 4): the inspections (office, leaders), one inspection with its
findings and their rectification cases, and the office's form to record one. Thin: the service
(app.services.inspections) decides who may and what is valid; a refusal re-renders the form
with what was typed and the Chinese message (422), writing nothing."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as __
from flask_babel import lazy_gettext as _

from app.clock import local_today
from app.errors import translate
from app.labels import STATE_LABELS, label
from app.security import current_actor
from app.services import inspections
from workflows.errors import DomainError
from workflows.inspections import MAX_FINDING, MAX_INSPECTORS, MAX_SUBJECT
from workflows.permissions import can_record_inspection, can_see_inspections

FORM_ROWS = 5  # finding rows on the form; blank ones are ignored


def _form_values(form) -> dict:
    """The form's fields as the service reads them (findings-<n>-<field>)."""
    count = int(form["rows"]) if (form.get("rows") or "").isdigit() else FORM_ROWS
    findings = [{f: form.get(f"findings-{n}-{f}", "") for f in ("text", "department_id", "deadline", "action_id")}
                for n in range(min(count, 50))]
    return {"inspected_on": form.get("inspected_on"), "subject": form.get("subject"),
            "inspectors": form.get("inspectors"), "action_id": form.get("action_id") or None,
            "requires_evidence": form.get("requires_evidence"), "findings": findings}


class InspectionView(BaseView):
    """督查整改: FAB lets the office write and leaders read; the service answers the rest."""

    route_base = "/inspections"
    class_permission_name = "Inspection"
    method_permission_name = {"index": "list", "show": "show", "new": "post", "save": "post"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        actor = current_actor()
        return self.render_template(
            "inspections/list.html", title=__("Inspections and rectification"),
            rows=inspections.inspections_for(actor), may_record=can_record_inspection(actor),
            state_labels={code: label(STATE_LABELS, code) for code in STATE_LABELS})

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        try:
            row = inspections.inspection_for(pk, current_actor())
        except DomainError as exc:
            message = translate(exc)
            return self.render_template("case/not_found.html", title=message, message=message), exc.status
        return self.render_template(
            "inspections/show.html", title=row.subject, inspection=row,
            state_labels={code: label(STATE_LABELS, code) for code in STATE_LABELS})

    @expose("/new")
    @has_access
    def new(self):
        return self._form({"inspected_on": local_today().isoformat(), "findings": []})

    @expose("/new", methods=["POST"])
    @has_access
    def save(self):
        values = _form_values(request.form)
        try:
            row = inspections.record_inspection(current_actor(), values)
        except DomainError as exc:
            flash(translate(exc), "danger")
            return self._form(values, status=exc.status)
        flash(__("Inspection recorded: %(n)s rectification cases assigned; the units have been notified.",
                 n=len(row.findings)), "success")
        return redirect(url_for("InspectionView.show", pk=row.id))

    def _form(self, values: dict, status: int = 200):
        actions, units = inspections.form_choices(current_actor())
        rows = list(values.get("findings") or [])
        rows += [{}] * max(0, FORM_ROWS - len(rows))
        return self.render_template(
            "inspections/new.html", title=__("Record an inspection"), values=values, rows=rows,
            actions=actions, units=units, max_subject=MAX_SUBJECT, max_inspectors=MAX_INSPECTORS,
            max_finding=MAX_FINDING), status


def rectification_context(case, actor) -> dict:
    """What the case page shows of a rectification case: its inspection and finding."""
    return {"finding": inspections.finding_of_case(case.id), "can_see_inspections": can_see_inspections(actor)}


def register(appbuilder) -> None:
    appbuilder.add_view(InspectionView, "Inspections", label=_("Inspections and rectification"),
                        icon="fa-search", category="Reports")
