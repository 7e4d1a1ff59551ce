"""催办 at most once per case per interval (issue 15, item 5): a second urge of the same case
within the interval — by anyone, on the case page, the API or a bulk urge — is refused in
Chinese with 409 and writes nothing (no history row, no outbox event, no notification)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.integration.fixtures_browser import flashes

URGED = "此事项已于 {day} 催办过，{next_day} 起方可再次催办。"


def _today_and_next(app):
    from app.clock import local_today
    from app.services.calendar import current_calendar

    with app.app_context():
        today = local_today()
        return today, current_calendar().add_working_days(today, 1)


def _written(wf, case_id):
    from app.models import OutboxEvent

    return len(wf.history(case_id, "urge")), wf.count(OutboxEvent, case_id=case_id, kind="case.urged")


def _age_urges(app, case_id, days):
    """Move the case's urges `days` calendar days into the past (as if urged then)."""
    from app.extensions import db
    from app.models import CaseHistory

    with app.app_context():
        db.session.execute(
            update(CaseHistory)
            .where(CaseHistory.case_id == case_id, CaseHistory.kind == "urge")
            .values(at=CaseHistory.at - timedelta(days=days))
        )
        db.session.commit()
        db.session.remove()


def _set_interval(app, days):
    from app.extensions import db
    from app.services.case_acts import URGE_INTERVAL_KEY
    from app.services.settings import set_setting

    with app.app_context():
        set_setting(URGE_INTERVAL_KEY, days)
        db.session.commit()
        db.session.remove()


def test_a_case_urged_today_is_refused_on_the_api_the_page_and_in_bulk(fresh_db, wf, app, as_user):
    case_id, other = wf.worker1_cases()[:2]
    today, next_day = _today_and_next(app)
    message = URGED.format(day=today.isoformat(), next_day=next_day.isoformat())

    first = wf.call("office", "POST", f"/api/v1/case/{case_id}/urge", json={"comment": "请加快进度"})
    assert first.status_code == 201, first.get_json()
    assert _written(wf, case_id) == (1, 1)

    # API, by another user who may urge it (the limit is per case, not per person).
    again = wf.call("lead1", "POST", f"/api/v1/case/{case_id}/urge", json={"comment": "再催"})
    assert again.status_code == 409
    assert again.get_json() == {"code": "urged_too_recently", "message": message}

    # The case page: the page again with the reason, status 409, nothing written.
    office = as_user("office")
    page = office.post(f"/caseview/urge/{case_id}", data={"comment": "再催"})
    assert page.status_code == 409
    assert ("danger", message) in flashes(page.get_data(as_text=True))

    # Bulk over the API: this case alone → 409; with another case → that one is urged.
    alone = wf.call("office", "POST", "/api/v1/case/bulk",
                    json={"case_ids": [case_id], "operation": "urge", "comment": "批量催办"})
    assert alone.status_code == 409
    assert alone.get_json() == {"code": "urged_too_recently", "message": message}
    mixed = wf.call("office", "POST", "/api/v1/case/bulk",
                    json={"case_ids": [case_id, other], "operation": "urge", "comment": "批量催办"})
    assert mixed.status_code == 200
    assert mixed.get_json()["ok"] == [other]
    assert mixed.get_json()["failed"] == {str(case_id): message}

    # Bulk on the 逾期 list: every case refused → a 409 page saying why, for each case.
    listed = office.post("/overdueview/action_post",
                         data={"action": "bulk_urge", "rowid": [case_id, other], "comment": "再催"})
    assert listed.status_code == 409
    page = listed.get_data(as_text=True)
    assert f"2 件事项均未办成：#{case_id} {message}; #{other} 此事项已于" in page, page[-3000:]

    assert _written(wf, case_id) == (1, 1)
    assert _written(wf, other) == (1, 1)
    assert [r["comment"] for r in wf.history(case_id, "urge")] == ["请加快进度"]


def test_the_case_can_be_urged_again_after_the_interval_and_the_interval_is_a_setting(
    fresh_db, wf, app
):
    from app.services.calendar import current_calendar

    case_id = wf.worker1_cases()[0]

    def urge():
        return wf.call("office", "POST", f"/api/v1/case/{case_id}/urge", json={"comment": "催"})

    assert urge().status_code == 201
    assert urge().status_code == 409
    # Urged one working day before today's working day (or earlier): allowed again today. On a
    # weekend or holiday "today's working day" is the last one before it: an urge of Friday
    # still holds on Saturday (the next is allowed from Monday), one of Thursday does not.
    with app.app_context():
        from app.clock import local_today

        today = local_today()
        calendar = current_calendar()
        current = today if calendar.is_working_day(today) else calendar.previous_working_day(today)
        back = (today - calendar.previous_working_day(current)).days
    _age_urges(app, case_id, back)
    assert urge().status_code == 201, "a day later the case may be urged again"
    assert _written(wf, case_id) == (2, 2)

    # Three working days: the urge of today blocks; so does one aged by a single working day.
    _set_interval(app, 3)
    assert urge().status_code == 409
    _age_urges(app, case_id, back)
    refused = urge()
    assert refused.status_code == 409 and refused.get_json()["code"] == "urged_too_recently"
    # 0: no limit.
    _set_interval(app, 0)
    assert urge().status_code == 201
    assert urge().status_code == 201
    assert _written(wf, case_id) == (4, 4)


def test_the_interval_is_on_the_reminder_settings_page(fresh_db, app, as_user):
    from app.extensions import db
    from app.services.case_acts import URGE_INTERVAL_KEY, urge_interval
    from app.services.reminders import settings_as_text

    admin = as_user("admin")
    page = admin.get("/reminders/")
    assert page.status_code == 200
    assert "同一事项两次催办的间隔（工作日）" in page.get_data(as_text=True)
    with app.app_context():
        assert urge_interval() == 1
        values = settings_as_text()
        db.session.remove()
    values[URGE_INTERVAL_KEY] = "21"
    assert admin.post("/reminders/", data=values).status_code == 422  # 0 … 20
    with app.app_context():
        assert urge_interval() == 1
        db.session.remove()
    values[URGE_INTERVAL_KEY] = "2"
    assert admin.post("/reminders/", data=values).status_code == 302
    with app.app_context():
        assert urge_interval() == 2
        db.session.remove()
