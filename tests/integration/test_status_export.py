"""The status export (督办事项状态): a filtered list, its queue and its light, as .xlsx."""

from __future__ import annotations

import io
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.clock import local_today
from app.services.status_export import HEADERS

STATE_ZH = {"assigned": "已交办", "in_progress": "办理中", "submitted": "已报送",
            "verified": "已核验", "closed": "已办结"}
RAG_ZH = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}


def read_rows(data: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(data))["督办事项状态"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return [dict(zip(HEADERS, row, strict=True)) for row in rows[1:]]


def download(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("spreadsheetml.sheet")
    disposition = response.headers["Content-Disposition"]
    name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    return name, read_rows(response.data)


def truth(app, username: str | None = None) -> dict[str, dict]:
    """Every case the user may see, keyed by 编号, with its state and light (service-free reads)."""
    from app.access import visible_cases_clause
    from app.extensions import db
    from app.models import Case
    from app.rag import rag_by_id
    from app.security import actor_for

    with app.app_context():
        query = select(Case)
        if username:
            user = app.appbuilder.sm.find_user(username=username)
            query = query.where(visible_cases_clause(actor_for(user)))
        cases = list(db.session.scalars(query))
        rags = rag_by_id(cases)
        result = {c.source_key: {"state": c.state, "rag": rags[c.id].value, "id": c.id,
                                 "lead": c.lead_department.name if c.lead_department else None}
                  for c in cases}
        db.session.remove()
        return result


@pytest.fixture()
def varied(fresh_db, wf):
    """worker1's cases in several states and all three lights."""
    today = local_today()
    green, yellow, verified, in_progress, submitted = wf.worker1_cases()[:5]
    wf.act("admin", "change_deadline", green, deadline=today + timedelta(days=300))
    wf.act("worker1", "add_progress", green, note="已完成招商签约，正在办理用地手续", percent=95)
    wf.act("admin", "change_deadline", yellow, deadline=today + timedelta(days=1))
    wf.drive(verified, "verified")
    wf.drive(in_progress, "in_progress")
    wf.drive(submitted, "submitted")
    return {"green": green, "yellow": yellow, "verified": verified,
            "in_progress": in_progress, "submitted": submitted}


def test_the_red_list_exports_exactly_the_red_cases_with_their_states(varied, app, as_user):
    expected = {key: row for key, row in truth(app).items() if row["rag"] == "red"}
    name, rows = download(as_user("office"), "/caseview/export/?rag=red")
    assert name == f"督办事项状态-红灯-{local_today().isoformat()}.xlsx"
    assert {r["编号"] for r in rows} == set(expected)
    assert len(rows) == len(expected)
    for row in rows:
        case = expected[row["编号"]]
        assert row["状态"] == STATE_ZH[case["state"]]
        assert row["红黄绿灯"] == "红灯"
        assert row["逾期工作日"] > 0
    states = {r["状态"] for r in rows}
    assert {"已交办", "办理中", "已报送"} <= states
    # The page's own count of red cases agrees with the file.
    page = as_user("office").get("/caseview/list/").get_data(as_text=True)
    assert f"逾期（{len(rows)}）" in page


def test_each_light_exports_its_cases_with_progress_and_dates(varied, app, as_user):
    office = as_user("office")
    lights = truth(app)
    for rag in ("green", "yellow"):
        _name, rows = download(office, f"/caseview/export/?rag={rag}")
        assert {r["编号"] for r in rows} == {k for k, v in lights.items() if v["rag"] == rag}
        assert {r["红黄绿灯"] for r in rows} == {RAG_ZH[rag]}
    _name, rows = download(office, "/caseview/export/?rag=green")
    green = next(r for r in rows if lights[r["编号"]]["id"] == varied["green"])
    assert green["最新进展"] == "已完成招商签约，正在办理用地手续"
    assert green["最新进展日期"].date() == local_today()
    assert green["完成进度"] == pytest.approx(0.95)
    assert green["完成时限"].date() == local_today() + timedelta(days=300)
    assert green["原完成时限"].date() == date(2024, 12, 31)
    assert green["逾期工作日"] == 0
    assert green["牵头单位"] == "区商务局"


def test_the_export_follows_the_queue_and_the_search(varied, app, as_user, wf):
    office = as_user("office")
    name, rows = download(office, "/overdueview/export/")
    overdue = {k for k, v in truth(app).items()
               if v["rag"] == "red"}  # overdue = red: past the deadline and not verified
    assert {r["编号"] for r in rows} == overdue
    assert name == f"督办事项状态-逾期事项-{local_today().isoformat()}.xlsx"
    name, rows = download(office, "/caseview/export/?q=区商务局&_flt_3_state=submitted")
    lights = truth(app)
    assert [lights[r["编号"]]["id"] for r in rows] == [varied["submitted"]]
    assert "已报送" in name and "含区商务局" in name


def test_a_caseworker_exports_only_the_cases_they_may_see(app, as_user):
    visible = truth(app, "worker2")
    everything = truth(app)
    _name, rows = download(as_user("worker2"), "/caseview/export/")
    assert {r["编号"] for r in rows} == set(visible)
    assert len(rows) < len(everything)
    # Asking by the other department's name, or from a queue, changes nothing.
    _name, rows = download(as_user("worker2"), "/caseview/export/?q=区商务局")
    assert {r["编号"] for r in rows} <= set(visible)
    _name, rows = download(as_user("worker2"), "/mycasesview/export/")
    assert {r["编号"] for r in rows} <= set(visible)
    # A queue of another role is refused.
    assert as_user("worker2").get("/overdueview/export/").status_code in (302, 403)


def test_cells_starting_with_formula_characters_stay_text(fresh_db, app, as_user, wf):
    from app.extensions import db
    from app.models import Case

    case_id = wf.worker1_cases()[0]
    with app.app_context():
        case = db.session.get(Case, case_id)
        case.title = '=HYPERLINK("http://example.invalid","点此")'
        db.session.commit()
        key = case.source_key
        db.session.remove()
    wf.act("worker1", "add_progress", case_id, note="+1 已完成", percent=10)
    data = as_user("office").get("/caseview/export/?q=" + key).data
    sheet = load_workbook(io.BytesIO(data))["督办事项状态"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == key)
    title, note = row[1], row[7]
    assert title.value.startswith("=HYPERLINK") and title.data_type == "s"
    assert note.value == "+1 已完成" and note.data_type == "s"


def test_cli_writes_the_same_export(varied, app, tmp_path):
    out = tmp_path / "red.xlsx"
    result = app.test_cli_runner().invoke(
        args=["cases", "export", "--out", str(out), "--rag", "red", "--department", "区商务局"])
    assert result.exit_code == 0, result.output
    expected = {k for k, v in truth(app).items() if v["rag"] == "red" and v["lead"] == "区商务局"}
    rows = read_rows(out.read_bytes())
    assert {r["编号"] for r in rows} == expected
    assert f"已导出 {len(expected)} 项" in result.output
    out2 = tmp_path / "state.xlsx"
    result = app.test_cli_runner().invoke(
        args=["cases", "export", "--out", str(out2), "--state", "submitted", "--q", "区商务局"])
    assert result.exit_code == 0, result.output
    assert [r["状态"] for r in read_rows(out2.read_bytes())] == ["已报送"]
    bad = app.test_cli_runner().invoke(
        args=["cases", "export", "--out", str(tmp_path / "x.xlsx"), "--department", "区不存在局"])
    assert bad.exit_code == 1 and "没有名为“区不存在局”的单位" in bad.output
    assert not (tmp_path / "x.xlsx").exists()
