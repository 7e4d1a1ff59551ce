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
from workflows.errors import DomainError
from workflows.task_force_reports import FIELDS, MAX_LENGTH

STATUS_LABELS = {"on_time": _("Submitted on time"), "late": _("Submitted late"),
                 "missing": _("Not submitted (overdue)"), "not_due": _("Not yet submitted")}


class TaskForceReportView(BaseView):
    """专班报送: each period's due date and the task force's three texts."""

    route_base = "/task-force-reports"
    class_permission_name = "Report"
    method_permission_name = {"index": "list", "save": "generate"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        rows = service.due_for(current_actor())
        return self.render_template(
            "reports/web/task_force.html", title=__("Task-force submissions"), rows=rows,
            fields=FIELDS, max_length=MAX_LENGTH, status_labels=STATUS_LABELS,
        )

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
