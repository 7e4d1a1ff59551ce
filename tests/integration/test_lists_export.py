"""Exporting the three lists: same format as the import, round trip, visibility, filtered lists."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from tests.data.excel.builders import HEADERS
from tests.integration.fixtures_lists import client_for
from workflows.vocabulary import SYSTEM


def _rows(data: bytes) -> dict[str, list[dict]]:
    """Sheet → rows as dicts by header (the header is row 2, under the title)."""
    wb = load_workbook(io.BytesIO(data))
    result = {}
    for ws in wb.worksheets:
        values = list(ws.iter_rows(values_only=True))
        header = list(values[1])
        result[ws.title] = [dict(zip(header, row, strict=False)) for row in values[2:]]
    return result


def _visible_keys(app, username: str) -> set[str]:
    from app.access import visible_cases_clause
    from app.extensions import db
    from app.models import Case
    from app.security import actor_for

    with app.app_context():
        actor = actor_for(app.appbuilder.sm.find_user(username=username))
        keys = set(db.session.scalars(select(Case.source_key).where(visible_cases_clause(actor))))
        db.session.remove()
    return keys


def test_export_then_import_changes_nothing(app, fresh_db, lists_helper):
    from app.services.lists import apply_import, export_cases

    with app.app_context():
        data, count = export_cases(SYSTEM)
    sheets = _rows(data)
    assert list(sheets) == ["任务清单", "政策清单", "项目清单"]
    assert sum(len(rows) for rows in sheets.values()) == count == lists_helper.case_count() == 119
    assert list(sheets["任务清单"][0])[: len(HEADERS)] == HEADERS
    assert list(sheets["任务清单"][0])[-1] == "编号"
    # The seed's first case, with its two targets written into one cell.
    first = next(r for r in sheets["项目清单"] if r["编号"] == "1-1")
    assert (first["目标值"], first["单位"]) == ("≥5；≥20", "个；亿元")
    assert first["所属行动"] == "（1）大力实施产业培塑行动" and first["清单类型"] == "项目清单"

    with app.app_context():
        result = apply_import(data, "export.xlsx", SYSTEM)
    assert result.counts == {"create": 0, "update": 0, "unchanged": 119, "error": 0}
    assert lists_helper.case_count() == 119


def test_the_three_lists_of_one_department(app):
    office_client = client_for(app, "office")  # read-only: no fresh database needed
    response = office_client.get("/lists/export", query_string={"department": "区商务局"})
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["任务清单", "政策清单", "项目清单"]
    assert wb["任务清单"]["A1"].value.startswith("区商务局任务清单")
    rows = [r for rows in _rows(response.data).values() for r in rows]
    assert rows and {r["牵头单位"] for r in rows} == {"区商务局"}

    one = office_client.get("/lists/export", query_string={"department": "区商务局", "kind": "project"})
    assert load_workbook(io.BytesIO(one.data)).sheetnames == ["项目清单"]


def test_a_caseworker_exports_only_the_cases_they_may_see(app):
    worker2 = client_for(app, "worker2")
    response = worker2.get("/lists/export")
    assert response.status_code == 200
    exported = {r["编号"] for rows in _rows(response.data).values() for r in rows}
    visible = _visible_keys(app, "worker2")
    assert exported == visible and 0 < len(visible) < 119
    assert not exported & (_visible_keys(app, "worker1") - visible)
    # Asking for another department's lists gives nothing they may not see.
    other = worker2.get("/lists/export", query_string={"department": "区商务局"})
    assert {r["编号"] for rows in _rows(other.data).values() for r in rows} <= visible


def test_export_of_a_filtered_case_list_uses_the_lists_filters(app, lists_helper):
    from app.models import Case, Department

    def expected(session):
        dept = session.scalar(select(Department.id).where(Department.name == "区商务局"))
        keys = set(session.scalars(select(Case.source_key).where(
            Case.lead_department_id == dept, Case.list_kind == "project")))
        return dept, keys

    dept_id, keys = lists_helper.query(expected)
    office_client = client_for(app, "office")
    # The same query string FAB's case list uses: relation "equal" is filter 0, text "equal" is 3.
    response = office_client.get(f"/lists/export?_flt_0_lead_department={dept_id}&_flt_3_list_kind=project")
    exported = {r["编号"] for rows in _rows(response.data).values() for r in rows}
    assert exported == keys and keys
    bad = office_client.get("/lists/export?_flt_0_lead_department=abc")
    assert bad.status_code == 400 and "列表的筛选条件无效" in bad.get_data(as_text=True)


def test_the_template_has_the_chinese_headers_and_imports_once_filled(app, fresh_db, office_client, lists_helper):
    response = office_client.get("/lists/template/policy")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data))
    ws = wb["政策清单"]
    assert [c.value for c in ws[2]][: len(HEADERS)] == HEADERS
    assert wb.sheetnames == ["政策清单", "填写说明"]
    assert any("任务清单,政策清单,项目清单" in (dv.formula1 or "") for dv in ws.data_validations.dataValidation)
    # Empty, it imports nothing (its rows only hold the list type).
    empty = lists_helper.upload(office_client, response.data, "模板.xlsx").get_data(as_text=True)
    assert "没有任务行" in empty and lists_helper.confirm_url(empty) is None
    ws["B3"], ws["C3"], ws["D3"], ws["G3"] = "行动四", "出台优化营商环境十条措施", "区发改局", "2024年8月31日"
    buffer = io.BytesIO()
    wb.save(buffer)
    html = lists_helper.upload(office_client, buffer.getvalue(), "政策清单.xlsx").get_data(as_text=True)
    office_client.post(lists_helper.confirm_url(html))
    case = lists_helper.case(title="出台优化营商环境十条措施")
    assert case["list_kind"] == "policy" and case["action"] == 4 and case["lead"] == "区发展和改革局"
    assert app.test_client().get("/lists/template/task").status_code in (302, 401)  # signed out


def test_case_lists_offer_the_export_only_to_those_who_may_export(app):
    from tests.integration.conftest import login

    for username, offered in (("office", True), ("worker1", True), ("leader", False)):
        client = app.test_client()
        login(client, username)
        page = client.get("/caseview/list/?_flt_0_state=assigned").get_data(as_text=True)
        assert ("case-list-export" in page) is offered, username
        if offered:
            assert "/lists/export?_flt_0_state=assigned" in page
