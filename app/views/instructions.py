"""领导批示 on the case page (issue 12, part 4): a leader or the office adds an instruction (a
dialog); a caseworker of the lead unit answers it (a form under the open instruction). Both
post here, call app.services.instructions and go back to the case page."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.errors import translate
from app.security import current_actor
from app.services import instructions
from app.services.case_base import CaseNotFound
from workflows.errors import DomainError
from workflows.permissions import can_answer_instruction, can_instruct


def instruction_context(case, facts, actor) -> dict:
    """What the case page shows: the open instructions (at the top), who may add or answer."""
    return {
        "open_instructions": instructions.open_instructions(case.id),
        "can_instruct": can_instruct(facts, actor),
        "can_answer_instruction": can_answer_instruction(facts, actor),
        "instruction_max": instructions.MAX_INSTRUCTION,
    }


class InstructionView(BaseView):
    """The two forms of 领导批示; who may is the service's question (workflows.permissions)."""

    route_base = "/caseedit"
    class_permission_name = "CaseEdit"
    method_permission_name = {"instruct": "instruction", "answer": "instruction"}

    @expose("/<int:pk>/instruction", methods=["POST"])
    @has_access
    def instruct(self, pk):
        """A leader or the office adds an instruction; the lead unit is notified."""
        try:
            instructions.add_instruction(pk, current_actor(), text=request.form.get("text"))
        except CaseNotFound:
            return self._refused(404)
        except DomainError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Instruction added; the lead department has been notified and must answer."),
                  "success")
        return redirect(url_for("CaseView.show", pk=pk))

    @expose("/<int:pk>/instruction/<int:iid>/answer", methods=["POST"])
    @has_access
    def answer(self, pk, iid):
        """A caseworker of the lead unit answers an open instruction."""
        try:
            instructions.answer_instruction(pk, iid, current_actor(), text=request.form.get("text"))
        except CaseNotFound:
            return self._refused(404)
        except DomainError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Answer recorded."), "success")
        return redirect(url_for("CaseView.show", pk=pk))

    def _refused(self, code: int):
        message = gettext("The page or record does not exist, or you may not see it.")
        return self.render_template("case/not_found.html", title=message, message=message), code


def register(appbuilder) -> None:
    """Reached from the case page only."""
    appbuilder.add_view_no_menu(InstructionView)
