"""Plan drafts: upload a plan's text, review the draft on one screen, load it as a plan.

Thin: each endpoint calls one function of app.services.drafts and maps its errors.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as __
from flask_babel import lazy_gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.extensions import db
from app.labels import LIST_KIND_LABELS
from app.models import LIST_KINDS, Department
from app.security import current_actor
from app.services import draft_departments as departments
from app.services import draft_loading as loading
from app.services import drafts as service
from workflows.permissions import can_load_plans


class DraftsView(BaseView):
    """方案草稿: from a plan's text to a loaded plan."""

    route_base = "/drafts"
    class_permission_name = "CaseList"
    default_view = "index"

    def render(self, template: str, **context):
        return self.render_template(template, csrf_token_value=generate_csrf(), **context)

    def _record(self, token: str) -> service.DraftRecord:
        try:
            return service.get_draft(token, current_actor(), current_user.id)
        except service.DraftPermissionError as exc:
            abort(403, description=str(exc))
        except service.DraftError:
            abort(404)

    @expose("/")
    @has_access
    def index(self):
        """The upload form."""
        if not can_load_plans(current_actor()):
            abort(403)
        return self.render("drafts/index.html", title=__("Draft a plan from its text"))

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        """Extract a draft from the uploaded text, .docx or draft JSON, then review it."""
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(__("Choose the plan's file (.txt, .docx or a draft .json)."), "danger")
            return redirect(url_for("DraftsView.index"))
        try:
            record = service.create_draft(upload.read(), upload.filename, current_actor(), current_user.id)
        except service.DraftPermissionError as exc:
            abort(403, description=str(exc))
        except service.DraftError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("DraftsView.index"))
        return redirect(url_for("DraftsView.review", token=record.token))

    @expose("/<token>", methods=["GET", "POST"])
    @has_access
    def review(self, token):
        """The one review screen; POST saves the corrections, and loads the plan when asked."""
        record = self._record(token)
        if request.method == "POST":
            errors = service.apply_corrections(record, request.form)
            op = request.form.get("op") or ""
            if op == "load":
                create = bool(request.form.get("create_departments"))
                try:
                    if request.form.get("load_mode") == "action":
                        try:
                            action_id = int(request.form.get("target_action") or 0)
                        except ValueError:
                            action_id = 0
                        result = loading.load_into_action(record, current_actor(), action_id,
                                                          create_departments=create)
                    else:
                        result = loading.load_draft(record, current_actor(), create_departments=create)
                except service.DraftPermissionError as exc:
                    abort(403, description=str(exc))
                except service.DraftError as exc:
                    flash(str(exc), "danger")
                else:
                    if request.form.get("load_mode") == "action":
                        flash(__("Loaded the draft into “%(title)s” (%(year)s) as an action's implementation plan: "
                                 "%(created)s records created.",
                                 title=result.plan.title, year=result.plan.year, created=result.created), "success")
                    else:
                        flash(__("Loaded the plan “%(title)s” (%(year)s): %(created)s records created.",
                                 title=result.plan.title, year=result.plan.year, created=result.created), "success")
                    return redirect(url_for("PlanView.list"))
            elif op.startswith(("add_target:", "add_case:")):
                flash(__("Added: fill in the new row (marked in red) and save."), "info")
            elif errors:
                flash(__("Saved; %(n)s fields still need correcting.", n=len(errors)), "warning")
            else:
                flash(__("Saved."), "success")
        else:
            record.errors = service.validate_draft(record.draft)
        return self.render(
            "drafts/review.html", title=__("Review the draft"), record=record, draft=record.draft,
            errors=record.errors, unknown=departments.unknown_departments(record.draft),
            matches=departments.department_matches(record.draft), new_department=departments.NEW_DEPARTMENT,
            plan_actions=loading.plan_actions(), load_mode=request.form.get("load_mode") or "new",
            target_action=request.form.get("target_action") or "",
            list_kinds=LIST_KINDS, kind_labels=LIST_KIND_LABELS, comparators=("≥", "=", "≤"),
            department_names=list(db.session.scalars(select(Department.name).order_by(Department.name))),
        )


def register(appbuilder) -> None:
    """The draft pages, in the 三张清单 menu."""
    appbuilder.add_view(
        DraftsView, "PlanDrafts", label=_("Draft a plan from its text"), icon="fa-file-text-o", category="Lists",
    )
