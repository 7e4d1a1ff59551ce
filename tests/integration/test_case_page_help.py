"""The case page tells users what they need (issue 10, item 8): 被退回 with its reason at
the top, 督办通知单 and 档案 of this very case, and a warning when an urge reaches nobody."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.integration.conftest import login


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_a_returned_case_says_so_with_the_reason_at_the_top(app, fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    wf.drive(case_id, "submitted")
    wf.act("lead1", "apply_transition", case_id, transition="return", comment="佐证材料不全，请补充照片。")
    client = app.test_client()
    login(client, "worker1")
    page = client.get(f"/caseview/show/{case_id}").get_data(as_text=True)
    banner = re.search(r'<div class="alert alert-danger case-returned".*?</div>', page, re.S)
    assert banner, "no 被退回 banner"
    text = re.sub(r"<[^>]+>", "", banner.group(0))
    assert "被退回" in text and "佐证材料不全，请补充照片。" in text and "退回了本事项" in text
    assert page.index("case-returned") < page.index("case-facts")  # at the top
    # Once it is submitted again, the banner is gone.
    wf.act("worker1", "apply_transition", case_id, transition="submit", comment="已补充")
    assert "case-returned" not in client.get(f"/caseview/show/{case_id}").get_data(as_text=True)


def test_the_case_page_makes_the_notice_and_dossier_of_that_case(app, fresh_db, wf):
    from app.extensions import db
    from app.models import Report

    case_id = wf.worker1_cases()[0]
    office = app.test_client()
    login(office, "office")
    page = office.get(f"/caseview/show/{case_id}").get_data(as_text=True)
    assert "督办通知单（PDF）" in page and "事项档案（PDF）" in page
    for kind in ("notice", "dossier"):
        form = re.search(rf'<form[^>]*>(?:(?!</form>).)*value="{kind}"(?:(?!</form>).)*</form>', page, re.S).group(0)
        fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))
        assert fields["case_id"] == str(case_id)
        response = office.post(re.search(r'action="([^"]+)"', form).group(1), data=fields)
        assert response.status_code == 302
    with app.app_context():
        kinds = db.session.execute(select(Report.kind, Report.case_id)).all()
        db.session.remove()
    assert sorted(kinds) == [("dossier", case_id), ("notice", case_id)]
    # A caseworker may not issue a notice: the page does not offer it.
    worker = app.test_client()
    login(worker, "worker1")
    page = worker.get(f"/caseview/show/{case_id}").get_data(as_text=True)
    assert "事项档案（PDF）" in page and "督办通知单（PDF）" not in page


def test_urging_a_unit_without_users_says_nobody_will_be_notified(app, fresh_db, wf):
    from app.extensions import db
    from app.models import Case, Department
    from app.security import CASEWORKER
    from app.services.living_demo import _members

    with app.app_context():
        lonely = next(c for c in db.session.scalars(select(Case).where(Case.lead_department_id.is_not(None)))
                      if not _members(c.lead_department_id, CASEWORKER))
        case_id, department = lonely.id, db.session.get(Department, lonely.lead_department_id).name
        db.session.remove()
    office = app.test_client()
    login(office, "office")
    page = _text(office.post(f"/caseview/urge/{case_id}", data={"comment": "请加快进度"}, follow_redirects=True))
    assert f"没有人会收到这条催办：{department} 还没有经办人账号" in page
    page = _text(office.post(f"/caseview/urge/{wf.worker1_cases()[0]}", data={"comment": "请加快进度"},
                             follow_redirects=True))
    assert "没有人会收到" not in page
