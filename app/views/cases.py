"""Case pages: the case page with its dialogs, the queues (我的待办) and bulk actions.

Thin: lists are FAB views filtered by app.access (visibility) plus one queue filter; each
form posts to an endpoint that parses it, calls one app.services.workflow function, flashes
the outcome in Chinese and goes back to the case page. What buttons show is asked of
workflows.case_workflow; the service checks everything again.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from urllib.parse import quote, urlencode

from flask import Response, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_filter_args
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import bindparam, select
from wtforms import SelectField

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
    Action,
    Case,
    Department,
    ExtensionRequest,
)
from app.security import current_actor
from app.services import saved_filters as saved
from app.services import workflow
from app.services.calendar import current_calendar, local_today
from app.services.case_search import search_clause, search_words
from app.services.cases import DASH, case_targets, case_timeline, to_local
from app.services.dashboard import DUE_SOON_WORKING_DAYS, is_due_soon
from app.services.status_export import RAG_NAMES, export_status
from app.views.row_policy import RowPolicyActions
from workflows.access import can_read_only
from workflows.case_workflow import (
    Need,
    WorkflowError,
    available_transitions,
    can_comment,
    can_decide_extension,
    can_request_extension,
    can_update_progress,
    can_urge,
    required_inputs,
)

# Said in the urge when the office leaves the comment box of a bulk urge empty.
DEFAULT_URGE_TEXT = _("Please speed up the work on this case and report progress on time.")
TYPED_ERRORS = (WorkflowError, workflow.InvalidInput)


# --- cell formatters (no "None" on any page) ----------------------------------------------


def dash(value) -> str:
    """The value as text, or a dash when there is none."""
    return DASH if value is None or value == "" else str(value)


def iso_date(value: date | None) -> str:
    """Dates are shown as ISO (2024-12-31) everywhere, like the date filters take them."""
    return value.isoformat() if value else DASH


def date_cell(value: date | None) -> Markup:
    """A date in a list cell, never wrapped."""
    return Markup('<span class="nowrap">{0}</span>').format(iso_date(value))


def state_cell(value) -> Markup:
    """A state as a coloured label."""
    return Markup('<span class="label case-state state-{0}">{1}</span>').format(
        value, label(STATE_LABELS, value)
    )


def rag_cell(value) -> Markup:
    """A RAG light: a coloured dot and its label (红黄绿灯)."""
    if not value:
        return Markup(DASH)
    return Markup('<span class="rag rag-{0}"><i class="rag-dot"></i>{1}</span>').format(
        value, label(RAG_LABELS, str(value))
    )


def case_link(case: Case) -> Markup:
    """The case's title linking to its page (every list links to the one case page)."""
    return Markup('<a href="{0}">{1}</a>').format(
        url_for("CaseView.show", pk=case.id), case.title
    )


def department_names(departments) -> str:
    return "、".join(str(d) for d in departments) or DASH


def request_rags(cases) -> dict:
    """RAG of cases, with today's calendar and settings read once per request."""
    cache = g.setdefault("duban_rags", {})
    missing = [c for c in cases if c.id not in cache]
    if missing:
        cache.update(workflow.rag_by_id(missing))
    return {c.id: cache[c.id] for c in cases}


class CaseInterface(SQLAInterface):
    """Cases with computed list columns: the RAG light and the linked title."""

    computed = {
        "rag": lambda case: str(request_rags([case])[case.id]),
        "case_link": lambda case: case,
        "partners": lambda case: case.partner_departments,
    }

    def _get_attr_value(self, item, col):
        if col in self.computed:
            return self.computed[col](item)
        return super()._get_attr_value(item, col)


class ExtensionInterface(SQLAInterface):
    """Extension requests with their case's link and lead department."""

    def _get_attr_value(self, item, col):
        if col == "case_link":
            return item.case
        return super()._get_attr_value(item, col)


# --- queue filters -------------------------------------------------------------------------


_ID_FILTERS = itertools.count()


class IdsFilter(BaseFilter):
    """Only the given case ids (the RAG quick filter, computed in Python by rag_for)."""

    name = "ids"
    arg_name = "in"  # FAB applies list values one by one unless the filter is an "in"

    def apply(self, query, value):
        # Ids rendered inline, not one bind parameter each: with thousands of red cases the
        # parameters cost most of the page (bench/cases_bench.py). They are ints we computed.
        # One bind name per filter (the light and 即将到期 may both narrow a list).
        ids = bindparam(f"ids_{next(_ID_FILTERS)}", [int(v) for v in value], expanding=True,
                        literal_execute=True)
        return query.filter(Case.id.in_(ids))


class WordsFilter(BaseFilter):
    """The search box (?q=WORDS): every word in the title, plan text, 编号 or departments."""

    name = "words"
    arg_name = None

    def apply(self, query, value):
        return query.filter(search_clause(list(value)))


# --- forms ---------------------------------------------------------------------------------


def _form_int(name: str):
    """An optional whole number from the posted form (None when absent or not a number)."""
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() else None


class CaseListWidget(ListWidget):
    """FAB's list with the RAG quick filter and, for bulk actions, a comment box."""

    template = "case/list_widget.html"


def relation_choices(text, model, *where) -> QuerySelectField:
    """A select of rows for a relation filter, with a blank choice that reads 请选择."""
    return QuerySelectField(
        text,
        query_func=lambda: db.session.query(model).filter(*where).order_by(model.id),
        get_pk_func=lambda row: row.id,
        allow_blank=True,
        blank_text=_("Choose…"),
        widget=Select2Widget(),
    )


def label_choices(text, labels: dict) -> SelectField:
    """A select of a code's labels for the search form (labels translated per request)."""
    return SelectField(
        text,
        choices=lambda: [(code, str(name)) for code, name in labels.items()],
        widget=Select2Widget(),
    )


# --- list views ----------------------------------------------------------------------------


class CaseListBase(RowPolicyActions, ModelView):
    """A list of cases: visibility always, RAG column, sortable by deadline, filters."""

    datamodel = CaseInterface(Case)
    class_permission_name = "Case"
    base_permissions = ["can_list", "can_show"]
    base_filters = [["id", CaseVisibilityFilter, None]]
    # Bulk actions load the selected rows through visibility (app/views/row_policy.py).
    row_policy_filters = [["id", CaseVisibilityFilter, None]]
    base_order = ("deadline", "asc")
    page_size = 25
    list_template = "case/list.html"
    list_widget = CaseListWidget
    # Bulk actions that need a comment box above the list.
    bulk_comment = False
    list_columns = ["rag", "case_link", "action", "lead_department", "state", "deadline",
                    "percent_done"]
    order_columns = ["deadline", "state", "percent_done"]
    # Words are searched with the search box (?q=); the panel filters by column.
    search_columns = ["action", "lead_department", "state", "deadline", "list_kind"]
    search_form_extra_fields = {
        "action": relation_choices(_("Action"), Action),
        "lead_department": relation_choices(
            _("Lead department"), Department,
            Department.kind.in_(workflow.LEAD_DEPARTMENT_KINDS),
        ),
        "state": label_choices(_("State"), STATE_LABELS),
        "list_kind": label_choices(_("List"), LIST_KIND_LABELS),
    }
    label_columns = {
        "rag": _("RAG status"),
        "case_link": _("Task"),
        "title": _("Task"),
        "action": _("Action"),
        "list_kind": _("List"),
        "lead_department": _("Lead department"),
        "partners": _("Partner departments"),
        "state": _("State"),
        "deadline": _("Deadline"),
        "percent_done": _("Done (%)"),
    }
    formatters_columns = {
        "rag": rag_cell,
        "case_link": case_link,
        "state": state_cell,
        "deadline": date_cell,
        "action": dash,
        "lead_department": dash,
        "partners": department_names,
        "list_kind": lambda v: label(LIST_KIND_LABELS, v),
    }

    method_permission_name = {
        "export": "list", "save_filter": "list", "delete_filter": "list",
    }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """Queues and lists have no page of their own: the case page is CaseView's."""
        return redirect(url_for("CaseView.show", pk=pk))

    @expose("/list/")
    @has_access
    def list(self):
        """The list, titled by what it shows, with the search box, filter chips and saved filters."""
        cleaned = _without_empty_filters()
        if cleaned is not None:
            return redirect(_list_url(self, cleaned))
        self.update_redirect()
        try:
            widgets = self._list()
        except FABException:
            flash(gettext("The list's filters are not valid."), "warning")
            return redirect(url_for(f"{self.__class__.__name__}.list"))
        chips = self._chips()
        title = str(self.list_title)
        if chips:
            title = f"{title}：{'；'.join(chip['text'] for chip in chips)}"
        return self.render_template(
            self.list_template, title=title, widgets=widgets, chips=chips,
            search_words=" ".join(search_words(request.args.get("q"))),
            search_hidden=[(k, v) for k, v in request.args.items(multi=True)
                           if k not in ("q", "csrf_token") and not k.startswith("page_")],
            clear_url=url_for(f"{self.__class__.__name__}.list"),
            export_url=_list_url(self, request.args.items(multi=True), endpoint="export"),
            saved=self._saved_filters(), csrf=generate_csrf(),
            filter_query=saved.filter_query(request.args),
        )

    @expose("/export/")
    @has_access
    def export(self):
        """The status export (督办事项状态) of exactly this list: its queue, filters, words, light."""
        get_filter_args(self._filters)
        filters = self._with_words(self._filters)
        joined = filters.get_joined_filters(self._base_filters)
        try:
            ids = joined.apply_all(db.session.query(Case.id)).subquery()
            rag = request.args.get("rag")
            chips = self._chips()
            what = ([] if isinstance(self, CaseView) else [str(self.list_title)]) + [
                chip["short"] for chip in chips]
            result = export_status(
                current_actor(), rag=rag if rag in RAG_LABELS else None,
                within=select(ids.c.id), what=what,
            )
        except FABException:
            flash(gettext("The list's filters are not valid."), "warning")
            return redirect(url_for(f"{self.__class__.__name__}.list"))
        response = Response(
            result.data,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response.headers["Content-Disposition"] = (
            "attachment; filename=\"status.xlsx\"; "
            f"filename*=UTF-8''{quote(result.file_name)}"
        )
        return response

    @expose("/savefilter/", methods=["POST"])
    @has_access
    def save_filter(self):
        """Save the list's current filter under a name (我的筛选)."""
        query = request.form.get("query", "")
        try:
            saved.save_filter(current_user.id, self.__class__.__name__,
                              request.form.get("name", ""), query)
        except saved.SavedFilterError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Filter saved."), "success")
        return redirect(_list_url(self, _pairs(query)))

    @expose("/deletefilter/<int:filter_id>", methods=["POST"])
    @has_access
    def delete_filter(self, filter_id):
        """Delete one of the user's saved filters."""
        if saved.delete_filter(current_user.id, filter_id):
            flash(gettext("Saved filter deleted."), "success")
        return redirect(url_for(f"{self.__class__.__name__}.list"))

    def _saved_filters(self) -> list[dict]:
        name = self.__class__.__name__
        return [
            {"id": row.id, "name": row.name, "url": _list_url(self, _pairs(row.query)),
             "delete_url": url_for(f"{name}.delete_filter", filter_id=row.id)}
            for row in saved.saved_filters(current_user.id, name)
        ]

    def _with_words(self, filters):
        """The list's filters plus the search box's words (?q=) and ?due=soon, if any."""
        words = search_words(request.args.get("q"))
        due_soon = request.args.get("due") == "soon"
        if not words and not due_soon:
            return filters
        filters = filters.copy()
        if words:
            filters.add_filter("id", WordsFilter, tuple(words))
        if due_soon:
            rows = filters.get_joined_filters(self._base_filters).apply_all(
                db.session.query(Case.id, Case.state, Case.deadline)).all()
            today, calendar = local_today(), current_calendar()
            filters.add_filter("id", IdsFilter, tuple(
                row.id for row in rows if is_due_soon(row.state, row.deadline, today, calendar)))
        return filters

    def _chips(self) -> list[dict]:
        """The applied filters, each with its text and a link that removes it."""
        args = list(request.args.items(multi=True))
        chips = []

        def without(predicate):
            return _list_url(self, [(k, v) for k, v in args if not predicate(k, v)])

        words = search_words(request.args.get("q"))
        for word in words:
            rest = " ".join(w for w in words if w != word)
            chips.append({
                "text": gettext("search “%(word)s”", word=word),
                "short": f"含{word}",
                "url": _list_url(self, [(k, v) for k, v in args if k != "q"]
                                 + ([("q", rest)] if rest else [])),
            })
        for key, value in args:
            match = re.fullmatch(r"_flt_(\d)_(\w+)", key)
            if not match:
                continue
            column = match.group(2)
            options = self._filters.get_search_filters().get(column) or []
            index = int(match.group(1))
            how = str(options[index].name) if index < len(options) else ""
            shown = self._filter_value(column, value)
            chips.append({
                "text": f"{self.label_columns.get(column, column)} {how} {shown}".strip(),
                "short": shown if how in (gettext("Equal to"), gettext("Relation")) or not how
                else f"{self.label_columns.get(column, column)}{how}{shown}",
                "url": without(lambda k, v, key=key, value=value: (k, v) == (key, value)),
            })
        if request.args.get("due") == "soon":
            chips.append({
                "text": gettext("Due within %(days)s working days", days=DUE_SOON_WORKING_DAYS),
                "short": f"{DUE_SOON_WORKING_DAYS}个工作日内到期",
                "url": without(lambda k, v: k == "due"),
            })
        rag = request.args.get("rag")
        if rag in RAG_LABELS:
            chips.append({
                "text": f"{gettext('RAG status')}：{label(RAG_LABELS, rag)}",
                "short": RAG_NAMES[rag],
                "url": without(lambda k, v: k == "rag"),
            })
        return chips

    @staticmethod
    def _filter_value(column: str, value: str) -> str:
        """A filter's value as the user chose it (a name, a label), not an id or a code."""
        models = {"action": Action, "lead_department": Department}
        if column in models and value.isdigit():
            row = db.session.get(models[column], int(value))
            if row is not None:
                return str(row)
        if column == "state":
            return label(STATE_LABELS, value)
        if column == "list_kind":
            return label(LIST_KIND_LABELS, value)
        return value

    def _get_list_widget(self, filters, **kwargs):
        """Add the search words and the RAG quick filter (?rag=red|yellow|green) with its counts."""
        filters = self._with_words(filters)
        # Only the columns the light needs, for every case the list's filters select (not
        # just this page), so the counts match the record count.
        light_columns = db.session.query(
            Case.id, Case.state, Case.deadline, Case.start_date, Case.percent_done
        )
        selected = filters.get_joined_filters(self._base_filters).apply_all(light_columns)
        rags = request_rags(selected.all())
        active = request.args.get("rag")
        if active in RAG_LABELS:
            filters = filters.copy()
            filters.add_filter("id", IdsFilter, tuple(i for i, r in rags.items() if r == active))
        links = [
            {
                "code": code,
                "label": label(RAG_LABELS, code),
                "count": sum(1 for r in rags.values() if r == code),
                "url": url_for(request.endpoint, **{**request.args.to_dict(), "rag": code}),
                "active": code == active,
            }
            for code in RAG_LABELS
        ]
        args = {k: v for k, v in request.args.to_dict().items() if k != "rag"}
        kwargs.update(
            rag_links=links, rag_all_url=url_for(request.endpoint, **args),
            rag_active=active in RAG_LABELS, bulk_comment=self.bulk_comment,
            csrf=generate_csrf(),
        )
        return super()._get_list_widget(filters, **kwargs)

    def _bulk(self, items, operation: str, done_message, *, comment=None):
        """Run a bulk operation through the service; flash how it went."""
        titles = {item.id: item.title for item in items if item is not None}
        try:
            result = workflow.start_bulk(list(titles), current_actor(), operation, comment=comment)
        except (*TYPED_ERRORS, workflow.CaseNotFound) as exc:
            flash(workflow.error_message(exc), "danger")
            return back_to_list(self)
        flash_bulk_result(result, done_message, titles)
        return back_to_list(self)


def _pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query or "")


def _list_url(view, pairs, endpoint: str = "list") -> str:
    """The view's list (or export) URL with these query arguments."""
    base = url_for(f"{view.__class__.__name__}.{endpoint}")
    pairs = [(k, v) for k, v in pairs if k != "csrf_token"]
    return f"{base}?{urlencode(pairs)}" if pairs else base


def _without_empty_filters():
    """The query arguments without empty column filters (FAB's blank choice is "__None"), or
    None when there are none: a filter the user did not fill in never narrows the list."""
    pairs = list(request.args.items(multi=True))
    kept = [(k, v) for k, v in pairs
            if not (k.startswith("_flt_") and v.strip() in ("", "__None"))
            and not (k in ("q", "rag") and not v.strip())]
    return kept if len(kept) != len(pairs) else None


def back_to_list(view):
    """Back to the list the bulk action came from (its filters and page), else its first page."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url):
        return redirect(referrer)
    return redirect(url_for(f"{view.__class__.__name__}.list"))


def flash_bulk_result(result: dict, done_message, titles: dict) -> None:
    """One flash for a bulk run: queued, or how many succeeded and why others failed."""
    if result.get("queued"):
        flash(
            gettext(
                "%(count)s cases were queued; they are processed in the background.",
                count=result["count"],
            ),
            "info",
        )
        return
    ok, failed = result["ok"], result["failed"]
    if ok:
        flash(gettext("%(what)s: %(count)s succeeded.", what=done_message, count=len(ok)),
              "success")
    if failed:
        reasons = "；".join(
            f"《{titles.get(case_id, case_id)}》{message}" for case_id, message in failed.items()
        )
        flash(
            gettext("%(count)s failed: %(reasons)s", count=len(failed), reasons=reasons),
            "danger",
        )


class CaseView(CaseListBase):
    """全部任务 and the case page, with the forms that act on a case."""

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
            case = workflow.get_visible_case(pk, actor)
        except workflow.CaseNotFound as exc:
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
            lambda actor: workflow.apply_transition(
                pk, actor, name,
                comment=request.form.get("comment"),
                version=_form_int("version"),
                new_department_id=_form_int("new_department_id"),
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
        """Record a progress update with indicator actuals and evidence files."""
        values = {
            key.split("-", 1)[1]: value
            for key, value in request.form.items()
            if key.startswith("indicator-")
        }
        return self._act(
            pk,
            lambda actor: workflow.add_progress(
                pk, actor,
                note=request.form.get("note", ""),
                percent=request.form.get("percent", ""),
                indicator_values=values,
                files=request.files.getlist("files"),
            ),
            lambda update: gettext("Progress update saved (%(percent)s%% done).",
                                   percent=update.percent_done),
        )

    @expose("/urge/<int:pk>", methods=["POST"])
    @has_access
    def urge(self, pk):
        """催办 from the case page."""
        return self._act(
            pk,
            lambda actor: workflow.urge(pk, actor, comment=request.form.get("comment")),
            lambda entry: gettext("The case was urged; its department is notified."),
        )

    @expose("/extension/<int:pk>", methods=["POST"])
    @has_access
    def extension(self, pk):
        """延期申请 by the lead caseworker."""
        return self._act(
            pk,
            lambda actor: workflow.request_extension(
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
            lambda actor: workflow.decide_extension(
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
            lambda actor: workflow.add_comment(pk, actor, text=request.form.get("text", "")),
            lambda entry: gettext("Comment added."),
        )

    @expose("/evidence/<int:pk>/<int:evidence_id>", methods=["GET"])
    @has_access
    def evidence(self, pk, evidence_id):
        """Download an evidence file (only for users who may see its case)."""
        try:
            row, path = workflow.open_evidence(evidence_id, current_actor(), case_id=pk)
        except workflow.CaseNotFound as exc:
            return self._not_found(exc)
        return send_file(
            path, mimetype=row.content_type, as_attachment=True, download_name=row.original_name
        )

    def _not_found(self, exc):
        """404 in Chinese: not there, or not visible to this user (never says which)."""
        page = self.render_template(
            "case/not_found.html", title=gettext("Not found"), message=workflow.error_message(exc)
        )
        return page, 404

    def _act(self, pk, call, success):
        """Check the form's CSRF token, call the service, flash the outcome, go back."""
        back = redirect(url_for("CaseView.show", pk=pk))
        try:
            result = call(current_actor())
        except workflow.CaseNotFound as exc:
            return self._not_found(exc)
        except TYPED_ERRORS as exc:
            flash(workflow.error_message(exc), "danger")
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
                workflow.decide_extension(extension_id, actor, approve=approve, comment=comment)
                ok.append(case_id)
            except (*TYPED_ERRORS, workflow.CaseNotFound) as exc:
                failed[case_id] = workflow.error_message(exc)
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


def page_context(case: Case, actor) -> dict:
    """What the case page shows and which of its forms this user may use."""
    facts = workflow.case_facts(case)
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
            .where(Department.kind.in_(workflow.LEAD_DEPARTMENT_KINDS),
                   Department.id != case.lead_department_id)
            .order_by(Department.kind, Department.name)
        ).all()
    rag = request_rags([case])[case.id]
    return {
        "case": case,
        "facts": facts,
        "state_label": label(STATE_LABELS, case.state),
        "rag": str(rag),
        "rag_label": label(RAG_LABELS, str(rag)),
        "transitions": transitions,
        "can_progress": can_update_progress(facts, actor),
        "can_urge": can_urge(facts, actor),
        "can_extend": can_request_extension(facts, actor) and pending is None,
        "can_decide": can_decide_extension(actor),
        "can_comment": can_comment(facts, actor),
        "pending_extension": pending,
        "departments": departments,
        "targets": case_targets(case),
        "timeline": case_timeline(case),
        "csrf": generate_csrf(),
        "iso_date": iso_date,
        "to_local": to_local,
        "dash": dash,
        "list_kind_label": label(LIST_KIND_LABELS, case.list_kind),
        "partners": department_names(case.partner_departments),
    }


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
