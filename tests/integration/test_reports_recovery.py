"""A report whose worker died is queued again by time limit, never left "生成中 5%" (issue 15).

- A real worker is SIGKILLed (the whole process group) while it renders a report. The report
  stays "running"; the supervisor starts a worker again (here: the test, as scripts/run's loop
  and compose's restart policy do), beat's sweeper (reports.sweep_stale, every 2 s here) finds
  the run older than REPORT_RUNNING_TIMEOUT (30 s here), queues it again, and the new worker
  finishes it: done, two attempts, a PDF on disk.
- A report that has used up its attempts is failed ("timeout"), so the user sees 失败 and may
  request it again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import update

from app.models import Report
from tests.integration.conftest import api_token
from tests.integration.fixtures_celery import wait_for
from tests.integration.fixtures_reports import wait_status
from tests.integration.fixtures_timers import make_app


def _row(app, report_id):
    from app.extensions import db

    with app.app_context():
        try:
            row = db.session.get(Report, report_id)
            return {c.name: getattr(row, c.name) for c in Report.__table__.columns}
        finally:
            db.session.remove()


def test_a_report_whose_worker_was_killed_is_generated_again(
    app, fresh_db, private_redis, celery_worker_factory, celery_beat_factory
):
    web = make_app(app, private_redis.url)
    # 30 s: longer than one render on a loaded machine (a live run is never swept: in
    # production the timeout, 17 min, exceeds the task's hard limit).
    env = {"REPORT_RUNNING_TIMEOUT": "30", "REPORT_SWEEP_SECONDS": "2"}
    worker = celery_worker_factory(private_redis.url, name="report-killed", **env)
    client = web.test_client()
    headers = {"Authorization": f"Bearer {api_token(client, 'office')}"}
    response = client.post("/api/v1/report/", json={"kind": "monthly", "period": "2024-06"},
                           headers=headers)
    assert response.status_code == 202, response.get_json()
    report_id = response.get_json()["id"]

    wait_for(lambda: _row(web, report_id)["status"] == "running", 60,
             message=f"the report to start\n{worker.log()[-2000:]}")
    worker.kill()
    stuck = _row(web, report_id)
    assert stuck["status"] == "running" and stuck["attempts"] == 1

    worker.start()  # the supervisor's restart; nobody touches the report
    celery_beat_factory(private_redis.url, **env)
    status, _ = wait_status(web, report_id, timeout=180)
    row = _row(web, report_id)
    assert status == "done", (row, worker.log()[-3000:])
    assert row["attempts"] == 2 and row["progress"] == 100
    assert (Path(web.config["REPORT_FOLDER"]) / row["file_name"]).read_bytes().startswith(b"%PDF")
    shown = client.get(f"/api/v1/report/{report_id}", headers=headers).get_json()
    assert shown["status"] == "done" and shown["progress"] == 100


def test_a_report_out_of_attempts_is_failed_not_left_running(timers, iclient, iapi):
    def stale(attempts):
        report_id = timers.add(Report, kind="monthly", period_key="2024-06", status="running",
                               progress=5, options={}, attempts=attempts)
        old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1)

        def backdate(db):
            db.session.execute(update(Report).where(Report.id == report_id).values(started_at=old))
            db.session.commit()

        timers._run(backdate)
        return report_id

    exhausted, once = stale(2), stale(1)
    fresh = timers.add(Report, kind="monthly", period_key="2024-05", status="running",
                       progress=40, options={}, attempts=1,
                       started_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
    requeued = timers.call("app.services.reports:sweep_stale_reports")
    assert requeued == [once]
    rows = {r: _row(timers.app, r) for r in (exhausted, once, fresh)}
    assert (rows[exhausted]["status"], rows[exhausted]["error"]) == ("failed", "timeout")
    assert (rows[once]["status"], rows[once]["progress"]) == ("queued", 0)
    assert rows[fresh]["status"] == "running"  # still within its time limit
    shown = iclient.get(f"/api/v1/report/{exhausted}", headers=iapi("office")).get_json()
    assert shown["status"] == "failed"
