"""A plan's family: the plan and the implementation plans (实施方案) of its actions.

Below the services (it writes nothing): the reports, the lists and the dashboard count an
action's implementation-plan cases as the action's.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Action, Plan
from app.request_memo import memoized


def family_ids(plan_id: int) -> list[int]:
    """The plan and the implementation plans of its actions."""
    return list(memoized(("plan_family", plan_id), lambda: _family_ids(plan_id)))


def _family_ids(plan_id: int) -> tuple[int, ...]:
    children = db.session.scalars(
        select(Plan.id).join(Action, Action.id == Plan.action_id).where(Action.plan_id == plan_id)
    )
    return (plan_id, *children)
