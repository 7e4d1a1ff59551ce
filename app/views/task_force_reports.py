"""专班报送: the task-force lead's page — the periods due (dekad brief, monthly bulletin) with
their due dates, and the form for 亮点, 难点堵点 and 下步计划. Thin: app.services.task_force_reports
decides who may write what; a refusal goes back to the page with its Chinese message."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as __
from flask_babel import lazy_gettext as _

from app.errors import translate
from app.security import current_actor
from app.services import task_force_reports as service
from workflows.errors import DomainError, Forbidden
from workflows.task_force_reports import FIELDS, MAX_LENGTH, may_overview

STATUS_LABELS = {"on_time": _("Submitted on time"), "late": _("Submitted late"),
                 "missing": _("Not submitted (overdue)"), "not_due": _("Not yet submitted")}
# The overview's words: 已报送 / 逾期报送 / 未报送 (overdue, or not yet due).
OVERVIEW_LABELS = {"on_time": _("Submitted"), "late": _("Submitted late"),
                   "missing": _("Not submitted (overdue)"), "not_due": _("Not submitted (not yet due)")}


class TaskForceReportView(BaseView):
    """专班报送: each period's due date and the task force's three texts."""

    route_base = "/task-force-reports"
    class_permission_name = "Report"
    method_permission_name = {"index": "list", "save": "generate", "overview": "list", "show": "list"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        rows = service.due_for(current_actor())
        return self.render_template(
            "reports/web/task_force.html", title=__("Task-force submissions"), rows=rows,
            fields=FIELDS, max_length=MAX_LENGTH, status_labels=STATUS_LABELS,
            may_overview=may_overview(current_actor()),
        )

    @expose("/overview")
    @has_access
    def overview(self):
        """The office's and the leaders' view: for the running and the just-ended dekad and
        month (or ?period=), every task force and whether it has reported, when, with a link."""
        try:
            blocks = service.overview(current_actor(), request.args.get("period") or None)
        except Forbidden as exc:
            return self._refused(403, translate(exc))
        except DomainError as exc:  # a period that is not a dekad or a month
            flash(translate(exc), "danger")
            return redirect(url_for("TaskForceReportView.overview"))
        return self.render_template(
            "reports/web/task_force_overview.html", title=__("Who has reported"), blocks=blocks,
            status_labels=OVERVIEW_LABELS, period=request.args.get("period") or "",
        )

    @expose("/<period_key>/<int:department_id>")
    @has_access
    def show(self, period_key, department_id):
        """One task force's submission for a period, to read (the office, the leaders, its lead)."""
        try:
            row = service.read_one(current_actor(), period_key, department_id)
        except Forbidden as exc:
            return self._refused(403, translate(exc))
        except DomainError:
            return self._refused(404)
        return self.render_template(
            "reports/web/task_force_submission.html", title=__("Task-force submission"), r=row,
            fields=FIELDS, status_labels=OVERVIEW_LABELS,
        )

    def _refused(self, code: int, message: str | None = None):
        message = message or __("The page or record does not exist, or you may not see it.")
        return self.render_template("case/not_found.html", title=message, message=message), code

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        form = request.form
        try:
            row = service.submit(current_actor(), form.get("period_key"), department_id=form.get("department_id"),
                                 **{f: form.get(f) for f, _label in FIELDS})
        except DomainError as exc:
            flash(translate(exc), "danger")
        else:
            flash(__("Saved the submission of %(department)s for %(period)s.",
                     department=row.department.name, period=row.period_key), "success")
        return redirect(url_for("TaskForceReportView.index"))


def register(appbuilder) -> None:
    appbuilder.add_view(TaskForceReportView, "TaskForceReports", label=_("Task-force submissions"),
                        icon="fa-commenting-o", category="Reports")
    # The overview, for the office and the leaders (the menu entry is theirs; the page checks too).
    appbuilder.add_link("TaskForceOverview", href="/task-force-reports/overview", label=_("Who has reported"),
                        icon="fa-check-square-o", category="Reports")
