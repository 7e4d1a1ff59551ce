"""Two people acting on one case at the same moment: exactly one wins, history stays true."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from tests.integration.conftest import TEST_DB, URL


def row_lock():
    """A separate connection to the test database, to hold a case's row lock."""
    return psycopg.connect(
        host=URL.host, port=URL.port or 5432, user=URL.username, password=URL.password,
        dbname=TEST_DB,
    )


@pytest.mark.parametrize(
    ("state", "user", "first", "second", "use_version", "loser_code"),
    [
        # Same version read by both: the second finds the case changed.
        ("submitted", "lead1", "verify", "return", True, "stale_version"),
        # No version sent: the second finds the case no longer in the state it needs.
        ("verified", "office", "close", "return", False, "transition_not_possible"),
    ],
)
def test_conflicting_transitions_at_once(
    fresh_db, wf, app, state, user, first, second, use_version, loser_code
):
    case_id = wf.worker1_cases()[0]
    wf.drive(case_id, state)
    version = wf.case(case_id)["version"]
    headers = wf.api(user)
    results: dict[str, tuple[int, dict]] = {}
    start = threading.Barrier(2)

    def fire(transition: str) -> None:
        client = app.test_client()  # its own request, app context, session and connection
        body = {"transition": transition, "comment": "并发测试"}
        if use_version:
            body["version"] = version
        start.wait()
        response = client.post(f"/api/v1/case/{case_id}/transition", json=body, headers=headers)
        results[transition] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=fire, args=(t,)) for t in (first, second)]
    with row_lock() as blocker:
        # Hold the row so both requests are inside their transactions, waiting, at once.
        blocker.execute('SELECT id FROM "case" WHERE id = %s FOR UPDATE', (case_id,))
        for thread in threads:
            thread.start()
        time.sleep(0.7)
        assert all(thread.is_alive() for thread in threads), results
        blocker.commit()
    for thread in threads:
        thread.join(timeout=20)

    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200, 409], results
    winner = next(t for t, (status, _) in results.items() if status == 200)
    loser = next(t for t, (status, _) in results.items() if status == 409)
    assert results[loser][1]["code"] == loser_code
    assert results[winner][1]["version"] == version + 1

    case = wf.case(case_id)
    assert case["version"] == version + 1
    rows = [r for r in wf.history(case_id, "transition") if r["from_state"] == state]
    assert len(rows) == 1 and rows[0]["transition"] == winner
    assert case["state"] == rows[0]["to_state"]


def test_an_act_in_progress_blocks_other_acts_but_not_rows_referencing_the_case(fresh_db, wf, app):
    """The act's lock is FOR NO KEY UPDATE: a second act on the case cannot take the row,
    but inserting a history/outbox/notification row for the case (whose foreign key check
    takes FOR KEY SHARE) goes straight through instead of waiting for the act to end."""
    from app.extensions import db
    from app.services.case_base import get_visible_case
    from workflows.vocabulary import SYSTEM

    case_id = wf.worker1_cases()[0]
    with app.app_context():
        get_visible_case(case_id, SYSTEM, for_update=True)  # the act's transaction, still open
        try:
            with row_lock() as other:
                other.execute("SET lock_timeout = '2s'")
                # What PostgreSQL's foreign-key check runs for a row inserted with this case_id.
                row = other.execute(
                    'SELECT id FROM "case" WHERE id = %s FOR KEY SHARE', (case_id,)
                ).fetchone()
                assert row == (case_id,)
                other.rollback()
                with pytest.raises(psycopg.errors.LockNotAvailable):
                    other.execute(
                        'SELECT id FROM "case" WHERE id = %s FOR NO KEY UPDATE NOWAIT', (case_id,)
                    )
                other.rollback()
        finally:
            db.session.rollback()
            db.session.remove()
