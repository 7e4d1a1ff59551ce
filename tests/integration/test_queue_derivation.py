"""The work queues' SQL (app.access) is the transition rules read as queries.

For every demo user, every step queue and every case: the case is in the queue's SQL result
exactly when workflows.case_workflow.in_queue says so — its state is a source of the queue's
transition and the user's relation to it may fire that transition from there.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

USERS = ("worker1", "worker2", "lead1", "office", "leader", "admin")


@pytest.fixture()
def spread(fresh_db, wf):
    """worker1's action-1 cases spread over every state, one of them returned."""
    ids = wf.worker1_cases()
    assert len(ids) >= 6
    plan = {ids[1]: "in_progress", ids[2]: "submitted", ids[3]: "verified", ids[4]: "closed"}
    for case_id, state in plan.items():
        wf.drive(case_id, state)
    wf.drive(ids[5], "submitted")
    wf.act("lead1", "apply_transition", ids[5], transition="return", comment="请补充佐证")
    return {"assigned": ids[0], **{s: c for c, s in plan.items()}, "returned": ids[5]}


def _sql_and_rules(app, username: str, queue: str) -> tuple[set[int], set[int]]:
    from app.access import _last_transition, queue_clause
    from app.extensions import db
    from app.models import Case
    from app.security import actor_for
    from app.services.case_base import case_facts
    from workflows.case_workflow import in_queue

    with app.app_context():
        try:
            actor = actor_for(app.appbuilder.sm.find_user(username=username))
            sql = set(db.session.scalars(select(Case.id).where(queue_clause(queue, actor))))
            rules = {
                case.id
                for case, last in db.session.execute(select(Case, _last_transition().label("last")))
                if in_queue(queue, case_facts(case, has_evidence=False), actor, last)
            }
            return sql, rules
        finally:
            db.session.remove()


@pytest.mark.parametrize("queue", ["to_accept", "in_progress", "returned", "to_verify", "to_close"])
def test_queue_sql_equals_the_rule_table(app, spread, queue):
    for username in USERS:
        sql, rules = _sql_and_rules(app, username, queue)
        assert sql == rules, (username, queue)


def test_queues_hold_what_the_rules_say_for_the_spread_cases(app, spread):
    def queue(username, name):
        return _sql_and_rules(app, username, name)[0]

    # 待签收: the lead department's caseworker, in assigned only.
    assert spread["assigned"] in queue("worker1", "to_accept")
    assert spread["in_progress"] not in queue("worker1", "to_accept")
    assert not queue("worker2", "to_accept") & set(spread.values())  # another department
    # 办理中 / 被退回: in_progress, the returned one also in 被退回.
    assert {spread["in_progress"], spread["returned"]} <= queue("worker1", "in_progress")
    assert spread["returned"] in queue("worker1", "returned")
    assert spread["in_progress"] not in queue("worker1", "returned")
    # 待核验: submitted, for the lead of the case's task force (not the caseworker).
    assert spread["submitted"] in queue("lead1", "to_verify")
    assert spread["submitted"] not in queue("worker1", "to_verify")
    # 待办结: verified, for the office; the admin fires no transition, so has nothing to close.
    assert spread["verified"] in queue("office", "to_close")
    assert not queue("admin", "to_close")
    assert not queue("leader", "to_close") and not queue("leader", "to_accept")
    assert spread["closed"] not in set().union(
        *(queue(u, q) for u in USERS for q in ("to_accept", "in_progress", "to_verify", "to_close"))
    )
