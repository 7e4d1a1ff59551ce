"""Plan text → draft → one review screen → loaded plan, through the Flask test client."""

from __future__ import annotations

import io
import json
import re
import zipfile

from markupsafe import escape
from sqlalchemy import func, select

from tests.integration.fixtures_lists import client_for

PLAN_TEXT = """鹤城区2025年优化营商环境攻坚行动方案

为持续优化营商环境，激发市场主体活力，结合我区实际，制定本方案。

一、工作目标
到2025年底，全区新增经营主体5000户以上，政务服务事项网上可办率达到98%以上。

二、重点任务
（一）提升政务服务效能。推行“一件事一次办”，新增集成办理事项10项以上，6月底前完成。（牵头单位：区行政审批服务局；责任单位：区数据局）
（二）强化用地保障。新增工业用地300亩以上，三季度末前完成土地收储。（牵头单位：区自然资源局；责任单位：区财政局）
（三）扩大有效投资。新开工重点项目20个，完成投资50亿元以上，年底前完成。（牵头单位：区发改局；责任单位：区住建局、区财政局）

三、保障措施
各单位要高度重视，确保各项任务按时完成。
"""
TITLE = "鹤城区2025年优化营商环境攻坚行动方案"


def _upload(client, data: bytes, name: str):
    return client.post("/drafts/upload", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _draft_url(client, data: bytes, name: str) -> str:
    response = _upload(client, data, name)
    assert response.status_code == 302 and "/drafts/" in response.headers["Location"], response.get_data(as_text=True)
    return response.headers["Location"]


def _form_fields(html: str) -> dict[str, str]:
    """The review form's text inputs and selected options, as the browser would post them."""
    fields = {m[0]: m[1] for m in re.findall(r'<input class="form-control[^"]*" name="([^"]+)" value="([^"]*)"', html)}
    for name, body in re.findall(r'<select class="form-control input-sm" name="([^"]+)">(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = selected.group(1) if selected else ""
    return {k: _unescape(v) for k, v in fields.items()}


def _unescape(value: str) -> str:
    return value.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plans(app, title: str):
    from app.extensions import db
    from app.models import Plan

    with app.app_context():
        try:
            return list(db.session.scalars(select(Plan.id).where(Plan.title == title)))
        finally:
            db.session.remove()


def test_review_screen_shows_every_extracted_target_of_the_seed(app, fresh_db, office_client, seed_text):
    from workflows.plan_extraction import extract_plan

    draft = extract_plan(seed_text)
    indicators = [i for g in draft["goals"] for i in g["indicators"]]
    indicators += [i for a in draft["actions"] for i in a["indicators"]]
    indicators += [i for a in draft["actions"] for c in a["cases"] for i in c["indicators"]]
    assert len(indicators) >= 60
    # Offices often save text as GB18030: the upload decodes it.
    url = _draft_url(office_client, seed_text.encode("gb18030"), "八大行动方案.txt")
    html = office_client.get(url).get_data(as_text=True)
    assert html.count('class="indicator-row"') == len(indicators)
    rows = re.findall(r'<tr class="indicator-row" data-path="[^"]+">(.*?)</tr>', html, re.S)
    shown = []
    for row in rows:
        value = re.search(r'name="[^"]+\.value" value="([^"]*)"', row).group(1)
        unit = re.search(r'name="[^"]+\.unit" value="([^"]*)"', row).group(1)
        comparator = re.search(r'<option value="([^"]*)" selected>', row).group(1)
        quote = re.search(r'<td class="indicator-quote text-muted">(.*?)</td>', row, re.S).group(1)
        shown.append((value, _unescape(unit), comparator, _unescape(quote)))
    expected = [(str(i["value"]), i["unit"], i["comparator"], i["quote"]) for i in indicators]
    assert sorted(shown) == sorted(expected)
    assert "7.15" in html and "万户" in html and "2000" in html and "万人次" in html
    # Saving the screen untouched changes nothing: every field round-trips.
    saved = office_client.post(url, data=dict(_form_fields(html), op="save"))
    assert "已保存。" in saved.get_data(as_text=True)
    assert _form_fields(office_client.get(url).get_data(as_text=True)) == _form_fields(html)


def test_correct_then_load_the_draft_as_a_plan(app, fresh_db, office_client):
    from app.extensions import db
    from app.models import Case, Department, Indicator, Plan

    url = _draft_url(office_client, PLAN_TEXT.encode("utf-8"), "营商环境方案.txt")
    html = office_client.get(url).get_data(as_text=True)
    assert "系统中没有的单位" in html and "区行政审批服务局" in html and "区数据局" in html
    fields = _form_fields(html)
    assert fields["title"] == TITLE and fields["year"] == "2025"

    # First a bad value: the screen says so, keeps what was typed, and nothing is loaded.
    bad = dict(fields, **{"g0.i0.value": "五千", "op": "load"})
    response = office_client.post(url, data=bad, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "不是数字：“五千”" in page and 'value="五千"' in page
    assert _plans(app, TITLE) == []

    corrections = dict(fields)
    corrections.update({
        "title": TITLE + "（修订）",
        "g0.i0.value": "6000", "g0.i0.unit": "户",
        "g0.i1.delete": "1",  # not a target the office wants tracked
        "a0.title": "优化营商环境重点任务",
        "a0.c0.partners": "区财政局",  # 区数据局 was a mistake
        "a0.c0.deadline": "7月底",
        "a0.c2.i0.comparator": "≥",
        "a0.c2.list_kind": "project",
        "op": "load",
    })
    response = office_client.post(url, data=corrections, follow_redirects=True)
    page = response.get_data(as_text=True)
    # One department is still unknown: loading waits for the office to confirm it.
    assert "以下单位在系统中不存在：区行政审批服务局" in page
    assert _plans(app, TITLE + "（修订）") == []
    with app.app_context():
        assert db.session.scalar(select(Department.id).where(Department.name == "区行政审批服务局")) is None
        db.session.remove()

    corrections["create_departments"] = "1"
    response = office_client.post(url, data=corrections)
    assert response.status_code == 302 and "/planview/list" in response.headers["Location"].lower()
    [plan_id] = _plans(app, TITLE + "（修订）")
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        assert plan.year == 2025
        cases = list(db.session.scalars(select(Case).where(Case.plan_id == plan_id).order_by(Case.seq)))
        assert [c.title for c in cases] == ["提升政务服务效能", "强化用地保障", "扩大有效投资"]
        first, second, third = cases
        assert first.lead_department.name == "区行政审批服务局" and first.lead_department.kind == "district_department"
        assert [d.name for d in first.partner_departments] == ["区财政局"]
        assert str(first.deadline) == "2025-07-31" and str(second.deadline) == "2025-09-30"
        assert second.lead_department.name == "怀化市自然资源和规划局鹤城分局"  # a short name, resolved
        assert third.list_kind == "project"
        assert [(i.comparator, float(i.value), i.unit) for i in third.indicators] == [("≥", 20.0, "个"), ("≥", 50.0, "亿元")]
        goal_targets = list(db.session.scalars(
            select(Indicator).where(Indicator.plan_id == plan_id, Indicator.goal_id.is_not(None))))
        assert [(float(i.value), i.unit) for i in goal_targets] == [(6000.0, "户")]
        assert db.session.scalar(select(func.count(Department.id)).where(Department.name == "区数据局")) == 0
        db.session.remove()
    # A loaded draft is not loaded twice.
    again = office_client.post(url, data=corrections, follow_redirects=True).get_data(as_text=True)
    assert "该草稿已载入为方案" in again
    assert len(_plans(app, TITLE + "（修订）")) == 1


def test_a_draft_from_flask_plan_extract_json_uploads_and_loads(app, fresh_db, office_client, tmp_path):
    source = tmp_path / "方案.docx"
    source.write_bytes(_docx(PLAN_TEXT))
    result = app.test_cli_runner().invoke(args=["plan", "extract", str(source), "--json"])
    assert result.exit_code == 0, result.output
    draft = json.loads(result.output)
    assert draft["title"] == TITLE and next(c["title"] for c in draft["actions"][0]["cases"]) == "提升政务服务效能"
    url = _draft_url(office_client, result.output.encode("utf-8"), "draft.json")
    fields = _form_fields(office_client.get(url).get_data(as_text=True))
    fields.update({"op": "load", "create_departments": "1", "year": "2026"})
    response = office_client.post(url, data=fields)
    assert response.status_code == 302
    assert len(_plans(app, TITLE)) == 1


def test_bad_files_get_clear_messages(app, fresh_db, office_client):
    cases = [
        (b"", "empty.txt", "是空文件"),
        (b"%PDF-1.7 binary", "plan.pdf", "是 PDF 文件"),
        ("关于做好春节期间值班工作的通知\n\n请各单位认真做好值班值守工作。".encode("gb18030"), "notice.txt",
         "未在文本中识别到任何量化指标"),
        (b"{not json", "draft.json", "不是有效的草稿 JSON 文件"),
    ]
    for data, name, message in cases:
        response = _upload(office_client, data, name)
        assert response.status_code == 302
        page = office_client.get(response.headers["Location"]).get_data(as_text=True)
        assert message in page, name


def test_only_the_office_drafts_plans_and_drafts_are_personal(app, fresh_db, office_client):
    url = _draft_url(office_client, PLAN_TEXT.encode("utf-8"), "a.txt")
    worker = client_for(app, "worker1")
    assert worker.get("/drafts/").status_code == 403
    assert _upload(worker, PLAN_TEXT.encode("utf-8"), "a.txt").status_code == 403
    assert worker.get(url).status_code == 403
    admin = client_for(app, "admin")
    assert admin.get(url).status_code == 404  # another user's draft
    assert admin.get("/drafts/").status_code == 200


def _docx(text: str) -> bytes:
    """A minimal Word document: one paragraph per line."""
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    paragraphs = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>' for line in text.splitlines())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'))
        archive.writestr("word/document.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{ns}"><w:body>{paragraphs}</w:body></w:document>'))
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Issue 13: department matches, adding targets and tasks, actuals, loading into an action
# ---------------------------------------------------------------------------------------------

MATCH_TEXT = """鹤城区2025年城市更新重点任务

一、重点任务
1.改造老旧小区12个。
牵头单位：区住建局
责任单位：区发展改革局、区文化旅游局、区教育局（配合）
2.新建排水管网8公里。（区水利局牵头，区财政局配合）
"""

PROGRESS_TEXT = """鹤城区2025年民生实事1—9月进展情况
一、进展情况
1.新建口袋公园10个。截至9月底，已建成7个。（区住建局负责）
2.新增停车泊位2000个。截至9月底，已新增1560个。（区城管执法局负责）
"""


def _department_fields(html: str) -> dict[str, str]:
    """The department-match rows: each written name and the department chosen for it."""
    fields = dict(re.findall(r'<input type="hidden" name="(dept\d+\.name)" value="([^"]*)"', html))
    for name, body in re.findall(r'<select class="form-control input-sm department-choice" name="([^"]+)">(.*?)</select>',
                                 html, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = selected.group(1) if selected else ""
    return fields


def _choice_for(fields: dict[str, str], written: str) -> str:
    key = next(k for k, v in fields.items() if k.endswith(".name") and v == written)
    return key.removesuffix(".name") + ".choice"


def test_departments_are_matched_with_confidence_and_never_duplicated(app, fresh_db, office_client):
    from app.extensions import db
    from app.models import Case, Department

    url = _draft_url(office_client, MATCH_TEXT.encode("utf-8"), "城市更新.txt")
    html = office_client.get(url).get_data(as_text=True)
    # 区住建局 is the short name of 区住房和城乡建设局, 发展改革局 a usual form of 发展和改革局;
    # 区文化旅游局 only resembles 区文化旅游广电体育局.
    assert "区住房和城乡建设局（100%）" in html and "区发展和改革局（90%）" in html
    assert "区文化旅游广电体育局（80%）" in html and "系统中有相近的单位" in html
    fields = dict(_form_fields(html), **_department_fields(html))
    assert fields[_choice_for(fields, "区住建局")] == "区住房和城乡建设局"
    assert fields[_choice_for(fields, "区发展改革局")] == "区发展和改革局"
    assert fields[_choice_for(fields, "区文化旅游局")] == ""  # the office must choose
    assert 'data-name="区教育局（配合）"' not in html and 'data-name="区教育局"' in html  # no role word in the name

    # Even with "create unknown departments" ticked, a name that resembles a department is not
    # created: the office is asked what it is.
    response = office_client.post(url, data=dict(fields, op="load", create_departments="1"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "请先确定这些单位是什么" in page and "区文化旅游局" in page
    assert _plans(app, "鹤城区2025年城市更新重点任务") == []

    fields[_choice_for(fields, "区文化旅游局")] = "区文化旅游广电体育局"
    response = office_client.post(url, data=dict(fields, op="load", create_departments="1"))
    assert response.status_code == 302, response.get_data(as_text=True)
    [plan_id] = _plans(app, "鹤城区2025年城市更新重点任务")
    with app.app_context():
        first, second = db.session.scalars(select(Case).where(Case.plan_id == plan_id).order_by(Case.seq))
        assert first.lead_department.name == "区住房和城乡建设局"
        assert sorted(d.name for d in first.partner_departments) == ["区发展和改革局", "区教育局", "区文化旅游广电体育局"]
        assert second.lead_department.name == "区水利局"  # no similar department: created, once
        names = list(db.session.scalars(select(Department.name)))
        assert names.count("区水利局") == 1
        assert not {"区发展改革局", "区住建局", "区文化旅游局", "区教育局（配合）"} & set(names)
        db.session.remove()


def test_add_a_target_and_a_task_on_the_review_screen(app, fresh_db, office_client):
    from app.extensions import db
    from app.models import Case

    url = _draft_url(office_client, MATCH_TEXT.encode("utf-8"), "城市更新.txt")
    html = office_client.get(url).get_data(as_text=True)
    fields = dict(_form_fields(html), **_department_fields(html))
    fields[_choice_for(fields, "区文化旅游局")] = "区文化旅游广电体育局"
    html = office_client.post(url, data=dict(fields, op="add_target:a0.c1"), follow_redirects=True).get_data(as_text=True)
    assert 'name="a0.c1.i1.value" value=""' in html  # the new, empty target of the second task
    assert "不是数字" in html  # it must be filled in before loading

    html = office_client.post(url, data=dict(fields, op="add_case:a0"), follow_redirects=True).get_data(as_text=True)
    assert 'name="a0.c2.title" value=""' in html
    fields = dict(_form_fields(html), **_department_fields(html))
    fields.update({"a0.c1.i1.name": "新建雨水泵站", "a0.c1.i1.value": "2", "a0.c1.i1.unit": "座",
                   "a0.c2.title": "建设海绵城市示范片区", "a0.c2.leads": "区住建局", "a0.c2.deadline": "10月底",
                   "create_departments": "1", "op": "add_target:a0.c2"})
    html = office_client.post(url, data=fields, follow_redirects=True).get_data(as_text=True)
    fields = dict(_form_fields(html), **_department_fields(html))
    fields.update({"a0.c2.i0.name": "示范片区面积", "a0.c2.i0.value": "1.5", "a0.c2.i0.unit": "平方公里",
                   "create_departments": "1", "op": "load"})
    response = office_client.post(url, data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    [plan_id] = _plans(app, "鹤城区2025年城市更新重点任务")
    with app.app_context():
        cases = list(db.session.scalars(select(Case).where(Case.plan_id == plan_id).order_by(Case.seq)))
        assert [c.title for c in cases][2] == "建设海绵城市示范片区"
        assert cases[2].lead_department.name == "区住房和城乡建设局" and str(cases[2].deadline) == "2025-10-31"
        assert [(i.name, float(i.value), i.unit) for i in cases[1].indicators] == [
            ("新建排水管网", 8.0, "公里"), ("新建雨水泵站", 2.0, "座")]
        assert [(i.name, float(i.value), i.unit) for i in cases[2].indicators] == [("示范片区面积", 1.5, "平方公里")]
        db.session.remove()


def test_load_a_progress_draft_into_an_action_with_its_actuals(restored_db, app, fresh_db, office_client):
    from app.extensions import db
    from app.models import Action, Case, IndicatorActual, Plan

    with app.app_context():
        plan = db.session.scalars(select(Plan)).first()
        action = db.session.scalars(select(Action).where(Action.plan_id == plan.id).order_by(Action.index)).first()
        action_id, plan_id = action.id, plan.id
        before = db.session.scalar(select(func.count(Case.id)).where(Case.action_id == action_id))
        db.session.remove()

    url = _draft_url(office_client, PROGRESS_TEXT.encode("utf-8"), "进展.txt")
    html = office_client.get(url).get_data(as_text=True)
    assert "已完成的数值（不是目标）" in html and "截至9月底" in html
    assert html.count('class="actual-row"') == 2
    fields = dict(_form_fields(html), **_department_fields(html))
    actual_boxes = re.findall(r'name="(a0\.c\d\.x0\.use)" value="1" checked', html)
    assert actual_boxes == ["a0.c0.x0.use", "a0.c1.x0.use"]
    seen = dict(re.findall(r'<input type="hidden" name="(a0\.c\d\.x0\.seen)" value="(1)"', html))
    fields.update(seen)
    fields["a0.c0.x0.use"] = "1"  # the second is unticked: the office keeps it out
    fields.update({"op": "load", "load_mode": "action", "target_action": str(action_id)})
    response = office_client.post(url, data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _plans(app, "鹤城区2025年民生实事1—9月进展情况") == []  # no new plan
    with app.app_context():
        cases = list(db.session.scalars(select(Case).where(Case.action_id == action_id).order_by(Case.seq)))
        assert len(cases) == before + 2 and all(c.plan_id == plan_id for c in cases)
        new = cases[-2:]
        assert [c.title for c in new] == ["新建口袋公园10个", "新增停车泊位2000个"]
        assert new[0].source_key.startswith("draft-") and new[0].lead_department.name == "区住房和城乡建设局"
        assert new[1].lead_department.name == "区城市管理和综合执法局"
        [park] = new[0].indicators
        actuals = list(db.session.scalars(select(IndicatorActual).where(IndicatorActual.indicator_id == park.id)))
        assert [(float(a.value), a.period, a.source) for a in actuals] == [(7.0, "2025-09", "进展.txt")]
        [parking] = new[1].indicators
        assert db.session.scalar(select(func.count(IndicatorActual.id)).where(
            IndicatorActual.indicator_id == parking.id)) == 0
        db.session.remove()


def test_a_goal_target_is_reported_by_the_unit_the_text_names(app, fresh_db, office_client):
    from app.extensions import db
    from app.models import Indicator

    text = ("鹤城区2025年主要目标任务分解\n一、主要预期目标\n1.地区生产总值增长6%左右。\n牵头单位：区发改局\n"
            "责任单位：区统计局\n二、重点任务\n2.新建学校2所。（区教育局负责）\n")
    url = _draft_url(office_client, text.encode("utf-8"), "分解.txt")
    html = office_client.get(url).get_data(as_text=True)
    fields = dict(_form_fields(html), **_department_fields(html))
    assert fields["g0.leads"] == "区发改局" and fields["g0.partners"] == "区统计局"
    response = office_client.post(url, data=dict(fields, op="load"))
    assert response.status_code == 302, response.get_data(as_text=True)
    [plan_id] = _plans(app, "鹤城区2025年主要目标任务分解")
    with app.app_context():
        [goal_target] = db.session.scalars(
            select(Indicator).where(Indicator.plan_id == plan_id, Indicator.goal_id.is_not(None)))
        assert (float(goal_target.value), goal_target.responsible_department.name) == (6.0, "区发展和改革局")
        db.session.remove()
