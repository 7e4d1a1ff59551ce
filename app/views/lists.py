"""三张清单: Excel templates, import with a preview and a confirmation, and exports.

Thin: each endpoint parses the request, calls one function of app.services.lists and maps
its typed errors to a page or an HTTP code. Who may import is decided by the service.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.exceptions import ApplyFilterException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_filter_args
from flask_babel import gettext as __
from flask_babel import lazy_gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.exc import DataError

from app.clock import local_today
from app.extensions import db
from app.labels import LIST_KIND_LABELS
from app.models import LIST_KINDS, Case, Department
from app.security import current_actor
from app.services import lists as service
from workflows.permissions import can_import_lists

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"




def xlsx_response(data: bytes, file_name: str) -> Response:
    """A workbook download with a Chinese file name (RFC 5987)."""
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"lists.xlsx\"; filename*=UTF-8''{quote(file_name)}"
    )
    return response


def filtered_case_ids():
    """The ids selected by a case list's FAB filters in the query string (_flt_N_column)."""
    datamodel = SQLAInterface(Case, db.session)
    filters = datamodel.get_filters(datamodel.get_search_columns_list())
    get_filter_args(filters)
    if not filters.get_filters_values():
        return None
    query = filters.apply_all(db.session.query(Case)).with_entities(Case.id)
    return select(query.subquery().c.id)


class ListsView(BaseView):
    """三张清单: download a template, import a list, export lists."""

    route_base = "/lists"
    class_permission_name = "CaseList"
    default_view = "index"

    def render(self, template: str, **context):
        return self.render_template(template, csrf_token_value=generate_csrf(), **context)

    @expose("/")
    @has_access
    def index(self):
        """The lists page: templates, the import form and the exports."""
        actor = current_actor()
        departments = list(db.session.scalars(
            select(Department).where(Department.kind != "task_force").order_by(Department.kind, Department.name)))
        return self.render(
            "lists/index.html", title=__("Lists"), kinds=LIST_KINDS, kind_labels=LIST_KIND_LABELS,
            departments=departments, may_import=can_import_lists(actor),
        )

    @expose("/template/<kind>")
    @has_access
    def template(self, kind):
        """An empty list of one kind, with the Chinese headers and drop-downs."""
        if kind not in LIST_KINDS:
            abort(404)
        data = service.build_template(kind)
        return xlsx_response(data, f"{service.KIND_LABELS_ZH[kind]}模板.xlsx")

    @expose("/import", methods=["POST"])
    @has_access
    def upload(self):
        """Read an uploaded workbook and show what importing it would do."""
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(__("Choose an Excel file (.xlsx) to import."), "danger")
            return redirect(url_for("ListsView.index"))
        data = upload.read()
        try:
            preview = service.plan_import(data, upload.filename, current_actor())
        except service.ListPermissionError as exc:
            abort(403, description=str(exc))
        except service.ListFileError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("ListsView.index"))
        token = service.stash_upload(data, upload.filename, current_user.id)
        return self.render("lists/preview.html", title=__("Import preview"), preview=preview, token=token)

    @expose("/import/<token>/confirm", methods=["POST"])
    @has_access
    def confirm(self, token):
        """Write every row of the previewed file in one transaction, or nothing."""
        try:
            data, file_name = service.load_upload(token, current_user.id)
            preview = service.apply_import(data, file_name, current_actor())
        except service.ListPermissionError as exc:
            abort(403, description=str(exc))
        except service.ListFileError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("ListsView.index"))
        except service.ListImportError as exc:
            flash(str(exc), "danger")
            if exc.preview is None:
                return redirect(url_for("ListsView.index"))
            page = self.render("lists/preview.html", title=__("Import preview"), preview=exc.preview, token=token)
            return page, 409
        service.drop_upload(token)
        counts = preview.counts
        flash(__("Imported %(file)s: %(create)s cases created, %(update)s updated, %(unchanged)s unchanged.",
                 file=file_name, **counts), "success")
        return redirect(url_for("ListsView.index"))

    @expose("/export")
    @has_access
    def export(self):
        """Export the cases the user may see: by list kind, lead department or a case list's filters."""
        kind = request.args.get("kind") or None
        department = request.args.get("department") or None
        if kind is not None and kind not in LIST_KINDS:
            abort(400, description=__("Unknown list type."))
        try:
            data, _count = service.export_cases(
                current_actor(), kind=kind, department=department, within=filtered_case_ids())
        except (ApplyFilterException, DataError):
            db.session.rollback()
            abort(400, description=__("The list's filters are not valid."))
        except service.ListFileError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("ListsView.index"))
        name = "".join(filter(None, [
            department, service.KIND_LABELS_ZH[kind] if kind else "三张清单", local_today().strftime("%Y%m%d")]))
        return xlsx_response(data, f"{name}.xlsx")


def register(appbuilder) -> None:
    """The 三张清单 menu."""
    appbuilder.add_view(
        ListsView, "Lists", label=_("Import and export"), icon="fa-file-excel-o", category="Lists",
        category_label=_("Lists"), category_icon="fa-table",
    )
