"""FAB paths that bypass a view's base filters, closed (issue 15, item 1).

- `action_post`: FAB loads the selected rows with `datamodel.get(pk)` — no base filters — so
  a bulk action on another unit's case id reached the service and its title came back in
  the error flash. Here the rows are loaded through the view's base filters: a row the user
  may not see (or that is not in this queue) is never loaded, named or acted on. An unknown
  action is a 404, not a 500.
- Search-form and form drop-downs of related cases (`…_query_rel_fields`): only visible cases.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_appbuilder import expose
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.const import FLAMSG_ERR_SEC_ACCESS_DENIED
from flask_appbuilder.models.filters import BaseFilter
from flask_login import current_user

from app.services import plan_scope

_INT32 = 2**31


def _pk(raw) -> int | None:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return pk if -_INT32 <= pk < _INT32 else None


class RowPolicyActions:
    """Mixin for ModelViews: actions see only the rows the user may see.

    `row_policy_filters`: the filters rows are loaded through (FAB base-filter syntax); None:
    the view's own base filters. A queue sets it to plain visibility, so a visible case that
    is not in the queue still gets its reason ("办理中…") in the flash, as before.
    """

    row_policy_filters: list | None = None

    def _row_filters(self):
        if self.row_policy_filters is None:
            return self._base_filters
        return self.datamodel.get_filters().add_filter_list(self.row_policy_filters)

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        """FAB's single-row action, through the base filters (unknown or unseen: 404)."""
        action = self.actions.get(name)
        if action is None or request.method != "POST":
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            flash(as_unicode(FLAMSG_ERR_SEC_ACCESS_DENIED), "danger")
            return redirect(".")
        pk = _pk(pk)
        item = self.datamodel.get(pk, self._row_filters()) if pk is not None else None
        if item is None:
            abort(404)
        return action.func(item if action.single else [item])

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action", "")
        action = self.actions.get(name)
        if action is None:
            abort(404)
        permission_name = self.get_action_permission_name(name)
        if not self.appbuilder.sm.has_access(permission_name, self.class_permission_name):
            flash(as_unicode(FLAMSG_ERR_SEC_ACCESS_DENIED), "danger")
            return redirect(".")
        items, filters = [], self._row_filters()
        for raw in request.form.getlist("rowid"):
            pk = _pk(raw)
            if pk is None:
                continue  # not an id: nothing to act on
            item = self.datamodel.get(pk, filters)
            if item is not None:
                items.append(item)
        return action.func(items)


class InChosenPlan(BaseFilter):
    """`…_query_rel_fields` filter: the related rows of the plan the user works in; its value
    is the plan_scope clause function (`plan_scope.action_clause`, `department_clause`…)."""

    name = "in plan"
    arg_name = None

    def apply(self, query, value):
        return query.filter(value(plan_scope.chosen_plan(current_user.id)))


def in_chosen_plan(clause):
    """`…_query_rel_fields` value: only the rows `clause` keeps for the user's plan."""
    return [["id", InChosenPlan, clause]]
