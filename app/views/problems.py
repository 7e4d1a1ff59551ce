"""难点堵点 on the case page (issue 12, part 4): the lead unit or the task force raises a
problem (a dialog, addressed to a unit or the leaders); the addressee or the office answers it
(a form under the open problem). Both post here, call app.services.problems and go back."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.errors import translate
from app.extensions import db
from app.models import Department
from app.security import current_actor
from app.services import problems
from app.services.case_base import CaseNotFound
from app.services.cases import to_local
from workflows.errors import DomainError
from workflows.permissions import can_raise_problem, can_resolve_problem


def problem_context(case, facts, actor) -> dict:
    """What the case page shows: the open problems (at the top), who may raise or answer."""
    rows = problems.open_problems(case.id)
    may_raise = can_raise_problem(facts, actor)
    return {
        "open_problems": rows,
        "resolvable_problems": {p.id for p in rows if can_resolve_problem(facts, p.department_id, actor)},
        "can_raise_problem": may_raise,
        "problem_departments": list(db.session.scalars(
            select(Department).where(Department.kind != "task_force").order_by(Department.name)))
        if may_raise else [],
        "problem_max": problems.MAX_PROBLEM,
    }


class ProblemView(BaseView):
    """The two forms of 难点堵点; who may is the service's question (workflows.permissions).
    The permission is CaseEdit's can_instruction, which every role that may take part holds."""

    route_base = "/caseedit"
    class_permission_name = "CaseEdit"
    method_permission_name = {"raise_problem": "instruction", "resolve": "instruction", "show": "instruction"}

    @expose("/<int:pk>/problem/<int:problem_id>")
    @has_access
    def show(self, pk, problem_id):
        """One problem, for its addressee (who may not see the case) or one who sees the case:
        the problem, the case's title and lead unit, and the answer form while it is open."""
        try:
            row, case, may_answer = problems.problem_for(pk, problem_id, current_actor())
        except CaseNotFound:
            return self._refused(404)
        return self.render_template("case/problem.html", problem=row, case=case, may_answer=may_answer,
                                    problem_max=problems.MAX_PROBLEM, title=gettext("Problem"),
                                    csrf=generate_csrf(), to_local=to_local)

    @expose("/<int:pk>/problem", methods=["POST"])
    @has_access
    def raise_problem(self, pk):
        """The lead unit or the task force raises a problem; the addressee and the office are told."""
        department = request.form.get("department_id") or None
        try:
            problems.raise_problem(pk, current_actor(), text=request.form.get("text"),
                                   department_id=department)
        except CaseNotFound:
            return self._refused(404)
        except DomainError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Problem raised; the addressee and the office have been notified."), "success")
        return redirect(url_for("CaseView.show", pk=pk))

    @expose("/<int:pk>/problem/<int:problem_id>/resolve", methods=["POST"])
    @has_access
    def resolve(self, pk, problem_id):
        """The addressee or the office records the coordination answer: solved."""
        try:
            problems.resolve_problem(pk, problem_id, current_actor(), text=request.form.get("text"))
        except CaseNotFound:
            return self._refused(404)
        except DomainError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Coordination answer recorded; the problem is solved."), "success")
        if request.form.get("back") == "problem":  # answered on the problem's own page
            return redirect(url_for("ProblemView.show", pk=pk, problem_id=problem_id))
        return redirect(url_for("CaseView.show", pk=pk))

    def _refused(self, code: int):
        message = gettext("The page or record does not exist, or you may not see it.")
        return self.render_template("case/not_found.html", title=message, message=message), code


def register(appbuilder) -> None:
    """Reached from the case page only."""
    appbuilder.add_view_no_menu(ProblemView)
