"""Read-only dashboards and reports on a replica (issue 14, scaling out).

DATABASE_REPLICA_URL (config SQLALCHEMY_BINDS["replica"]) points here at the test database
with every session read-only (libpq options `-c default_transaction_read_only=on`): what a
streaming replica (a hot standby) allows. The dashboard and a report render from it; their queries are seen
on the replica's engine, not the primary's; a transition in the same app still writes, to the
primary (the replica role could not write at all).
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.integration.conftest import TEST_DATABASE_URL, URL, login


@pytest.fixture()
def replica_app(app, fresh_db):
    from app import create_app
    from app.extensions import db

    # Every session of this URL is read-only, as on a hot standby.
    replica_url = URL.update_query_dict({"options": "-c default_transaction_read_only=on"}).render_as_string(
        hide_password=False)
    application = create_app(SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL, TESTING=True,
                             WTF_CSRF_ENABLED=False, SQLALCHEMY_BINDS={"replica": replica_url})
    seen = {"primary": [], "replica": []}
    with application.app_context():
        for name, engine in (("primary", db.engines[None]), ("replica", db.engines["replica"])):
            event.listen(engine, "before_cursor_execute",
                         lambda _c, _cur, statement, *_a, name=name: seen[name].append(statement))
    application.seen = seen
    yield application
    with application.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def test_the_dashboard_reads_the_replica(replica_app):
    client = replica_app.test_client()
    login(client, "office")
    seen = replica_app.seen
    seen["primary"].clear()
    seen["replica"].clear()
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "工作台" in page.get_data(as_text=True)
    # The dashboard's aggregates (counts over "case") ran on the replica, none on the primary.
    assert any('FROM "case"' in s for s in seen["replica"]), seen["replica"]
    assert not any('count(' in s.lower() and 'FROM "case"' in s for s in seen["primary"]), seen["primary"]
    # The replica's engine has the primary's options (JIT off, pre-ping).
    from app.extensions import db

    with replica_app.app_context(), db.engines["replica"].connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
        assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"


def test_a_report_renders_from_the_replica_and_writes_still_go_to_the_primary(replica_app, api, wf):
    from app.extensions import db
    from app.reports import render
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    seen = replica_app.seen
    with replica_app.app_context():
        plan = latest_plan()
        seen["replica"].clear()
        pdf = render("monthly", period=parse_period("2024-06"), plan=plan, options=None)
        db.session.remove()
    assert pdf.startswith(b"%PDF")
    assert len(seen["replica"]) > 5, seen["replica"]

    # A write through the same app: the transition is applied (on the primary) and recorded.
    case_id = wf.worker1_cases()[0]
    before = len(wf.history(case_id))
    client = replica_app.test_client()
    response = client.post(f"/api/v1/case/{case_id}/transition", headers=api("worker1"),
                           json={"transition": "accept", "comment": "副本测试"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert wf.case(case_id)["state"] == "in_progress"
    assert len(wf.history(case_id)) == before + 1
    assert any(s.lstrip().upper().startswith("INSERT") for s in seen["primary"])
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in seen["replica"])
