"""Importing the three lists from Excel: preview by row and column, confirm all or nothing, re-import."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from tests.data.excel.builders import MESSY_EXPECTED, messy_office_workbook, simple_list
from tests.integration.fixtures_lists import client_for
from workflows.vocabulary import SYSTEM

ACTION_1 = "（1）大力实施产业培塑行动"


def _row(**values) -> dict:
    """A valid new row; keyword arguments override columns by header."""
    row = {"所属行动": ACTION_1, "任务内容": "新建农产品展销中心一处", "牵头单位": "区商务局",
           "配合单位": "区财政局", "完成时限": "2024年10月31日", "目标值": 1, "单位": "个"}
    row.update(values)
    return row


def _preview(app, data: bytes, name: str = "清单.xlsx"):
    from app.services.lists import plan_import

    with app.app_context():
        return plan_import(data, name, SYSTEM)


def test_preview_lists_every_problem_by_row_and_column_and_writes_nothing(app, office_client, lists_helper):
    before = lists_helper.case_count()
    data = simple_list([
        _row(),
        _row(任务内容="升级改造城区农贸市场", 牵头单位="区发改委"),  # unknown, close to 区发改局
        _row(任务内容="开展消费季活动", 完成时限="下个月吧"),
        _row(任务内容=None, 完成时限="2024年2月30日"),
        _row(任务内容="培育电商主体", 所属行动="第九行动", 目标值="五家"),
    ])
    response = lists_helper.upload(office_client, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Row numbers are the sheet's (title row 1, headers row 2): the first task is row 3.
    assert "未知单位“区发改委”；是否指：" in html and "区发改局" in html
    assert "D列（牵头单位）" in html
    assert "G列（完成时限）：无法识别的日期：“下个月吧”" in html
    assert "C列（任务内容）：缺少任务内容" in html
    assert "日期不存在：“2024年2月30日”" in html
    assert "未知的行动“第九行动”" in html
    assert "目标值“五家”不是数字" in html
    assert "以下错误全部更正前不能导入" in html
    assert lists_helper.confirm_url(html) is None  # no confirm button while rows have errors

    preview = _preview(app, data)
    by_row = {r.row: r for r in preview.rows}
    assert by_row[3].status == "create" and not by_row[3].problems
    assert [(p.column, p.header) for p in by_row[4].errors] == [("D", "牵头单位")]
    assert [p.column for p in by_row[5].errors] == ["G"]
    assert {p.column for p in by_row[6].errors} == {"C", "G"}
    assert {p.column for p in by_row[7].errors} == {"B", "I"}
    with app.app_context():
        assert str(by_row[4].errors[0]).startswith("工作表“任务清单”第4行 D列（牵头单位）：未知单位“区发改委”")
    assert preview.counts == {"create": 1, "update": 0, "unchanged": 0, "error": 4}
    assert lists_helper.case_count() == before


def test_confirm_writes_all_rows_in_one_go(app, office_client, lists_helper):
    before = lists_helper.case_count()
    data = simple_list([
        _row(),
        _row(任务内容="举办家居家电以旧换新促消费活动", 完成时限="2024/9/30", 目标值="6", 单位="场",
             时间节点="3月底前完成方案；2024年6月30日：完成首场活动", 牵头负责人="worker1"),
        _row(任务内容="出台促进夜间经济发展若干措施", 清单类型="政策清单", 目标值=None, 单位=None,
             所属行动="行动三", 牵头单位="区商务局、区文旅广体局", 配合单位=None),
    ])
    response = lists_helper.upload(office_client, data)
    html = response.get_data(as_text=True)
    assert "将新增 3" in html
    url = lists_helper.confirm_url(html)
    response = office_client.post(url, follow_redirects=True)
    assert "已导入 清单.xlsx：新增 3 项任务" in response.get_data(as_text=True)
    assert lists_helper.case_count() == before + 3

    case = lists_helper.case(title="举办家居家电以旧换新促消费活动")
    assert case["deadline"] == dt.date(2024, 9, 30) == case["original_deadline"]
    assert case["lead"] == "区商务局" and case["partners"] == ["区财政局"] and case["owner"] == "worker1"
    assert case["targets"] == [("=", 6.0, None, "场", "举办家居家电以旧换新促消费活动")]
    assert case["milestones"] == [("3月底前完成方案", dt.date(2024, 3, 31)), ("完成首场活动", dt.date(2024, 6, 30))]
    policy = lists_helper.case(title="出台促进夜间经济发展若干措施")
    # A second lead unit becomes a partner: a case has one accountable department.
    assert policy["list_kind"] == "policy" and policy["action"] == 3
    assert policy["lead"] == "区商务局" and policy["partners"] == ["区文化旅游广电体育局"]
    # The stash is single-use: confirming again says the upload is gone, and writes nothing.
    again = office_client.post(url, follow_redirects=True)
    assert "上传的文件已失效" in again.get_data(as_text=True)
    assert lists_helper.case_count() == before + 3


def test_one_bad_row_means_nothing_is_written(app, fresh_db, lists_helper):
    from app.services.lists import ListImportError, apply_import

    before = lists_helper.case_count()
    rows = [_row(任务内容=f"新建社区便民服务点第{i}批") for i in range(1, 6)]
    rows.append(_row(任务内容="开展消费季活动", 牵头单位="区商务委"))
    with app.app_context(), pytest.raises(ListImportError) as caught:
        apply_import(simple_list(rows), "bad.xlsx", SYSTEM)
    assert caught.value.preview.counts["create"] == 5 and caught.value.preview.counts["error"] == 1
    assert lists_helper.case_count() == before


def test_a_failure_while_writing_rolls_back_every_row(app, fresh_db, lists_helper, monkeypatch):
    from app.extensions import db
    from app.services import lists
    from app.services.lists import writing

    before = lists_helper.case_count()
    real_create = writing._create_case
    calls = []

    def failing_create(plan, row, next_seq, today):
        calls.append(row.row)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        case = real_create(plan, row, next_seq, today)
        db.session.flush()  # the first rows are in the database's transaction when row 3 fails
        return case

    monkeypatch.setattr(writing, "_create_case", failing_create)
    rows = [_row(任务内容=f"新建社区便民服务点第{i}批") for i in range(1, 5)]
    with app.app_context(), pytest.raises(RuntimeError):
        lists.apply_import(simple_list(rows), "x.xlsx", SYSTEM)
    assert calls == [3, 4, 5]
    assert lists_helper.case_count() == before


def test_reimporting_an_edited_export_updates_cases_instead_of_duplicating(app, fresh_db, lists_helper, tmp_path):
    from app.services.lists import apply_import, export_cases

    with app.app_context():
        data, count = export_cases(SYSTEM, kind="project", department="区商务局")
    assert count >= 1
    path = tmp_path / "export.xlsx"
    path.write_bytes(data)
    wb = load_workbook(path)
    ws = wb["项目清单"]
    header = [c.value for c in ws[2]]
    col = {h: header.index(h) + 1 for h in header}
    key = ws.cell(row=3, column=col["编号"]).value
    original = lists_helper.case(source_key=key)
    ws.cell(row=3, column=col["完成时限"]).value = "三季度末"
    ws.cell(row=3, column=col["配合单位"]).value = "区财政局、区发改局"
    ws.cell(row=3, column=col["目标值"]).value = "≥7；30以上"
    ws.cell(row=3, column=col["单位"]).value = "个；亿元"
    ws.cell(row=3, column=col["任务内容"]).value = original["text"] + "（已调整）"
    # A new task appended at the bottom, without a 编号.
    ws.append([None, ACTION_1, "新建县域商业体系示范点", "区商务局", None, None, "2024-11-30", None, 2, "个", "项目清单"])
    wb.save(path)
    before = lists_helper.case_count()

    with app.app_context():
        first = apply_import(path.read_bytes(), "edited.xlsx", SYSTEM)
    assert first.counts["create"] == 1 and first.counts["update"] == 1 and first.counts["error"] == 0
    updated = next(r for r in first.rows if r.status == "update")
    assert set(updated.changes) == {"任务内容", "配合单位", "完成时限", "目标值"}
    case = lists_helper.case(source_key=key)
    assert case["id"] == original["id"] and case["deadline"] == dt.date(2024, 9, 30)
    assert case["partners"] == ["区发展和改革局", "区财政局"]
    assert [(t[0], t[1], t[3]) for t in case["targets"]] == [("≥", 7.0, "个"), ("≥", 30.0, "亿元")]
    assert case["version"] == original["version"] + 1
    assert lists_helper.case_count() == before + 1

    # The same file again: matched by 编号 and by task text, so nothing new and nothing changed.
    with app.app_context():
        second = apply_import(path.read_bytes(), "edited.xlsx", SYSTEM)
    assert second.counts == {"create": 0, "update": 0, "unchanged": len(second.rows), "error": 0}
    assert lists_helper.case_count() == before + 1


def test_a_sheet_without_keys_matches_existing_cases_by_action_and_task_text(app, fresh_db, lists_helper):
    from app.services.lists import apply_import

    seeded = lists_helper.case(source_key="1-1")
    data = simple_list([_row(任务内容=f"  {seeded['text']} ", 牵头单位=seeded["lead"], 配合单位=None,
                             完成时限="2024年6月30日", 目标值=None, 单位=None)],
                       headers=["序号", "所属行动", "任务内容", "牵头单位", "完成时限"])
    before = lists_helper.case_count()
    with app.app_context():
        result = apply_import(data, "own-sheet.xlsx", SYSTEM)
    assert [r.status for r in result.rows] == ["update"] and result.rows[0].changes == ["完成时限"]
    assert lists_helper.case_count() == before
    case = lists_helper.case(source_key="1-1")
    assert case["deadline"] == dt.date(2024, 6, 30)
    # Columns the sheet lacks (配合单位, 目标值) are left as they were.
    assert case["partners"] == seeded["partners"] and case["targets"] == seeded["targets"]


def test_blank_cells_keep_values_and_wu_clears_them(app, fresh_db, lists_helper):
    from app.services.lists import apply_import

    seeded = lists_helper.case(source_key="1-1")  # two targets, no partners
    assert seeded["targets"]
    row = {"所属行动": ACTION_1, "任务内容": seeded["text"], "牵头单位": None, "配合单位": "区财政局",
           "完成时限": "2024-12-31", "目标值": None, "单位": None, "编号": "1-1"}
    headers = ["序号", "所属行动", "任务内容", "牵头单位", "配合单位", "完成时限", "目标值", "单位", "编号"]
    with app.app_context():
        result = apply_import(simple_list([row], headers=headers), "keep.xlsx", SYSTEM)
    assert result.rows[0].changes == ["配合单位"]
    kept = lists_helper.case(source_key="1-1")
    assert kept["lead"] == seeded["lead"] and kept["targets"] == seeded["targets"]
    assert kept["partners"] == ["区财政局"]
    row.update({"配合单位": "无", "目标值": "无"})
    with app.app_context():
        result = apply_import(simple_list([row], headers=headers), "clear.xlsx", SYSTEM)
    assert sorted(result.rows[0].changes) == sorted(["配合单位", "目标值"])
    cleared = lists_helper.case(source_key="1-1")
    assert cleared["partners"] == [] and cleared["targets"] == [] and cleared["lead"] == seeded["lead"]


def test_cases_already_in_the_workflow_keep_lead_and_deadline(app, fresh_db, lists_helper):
    from app.security import actor_for
    from app.services.lists import apply_import, export_cases
    from app.services.transitions import apply_transition

    with app.app_context():
        worker1 = app.appbuilder.sm.find_user(username="worker1")
        data, _n = export_cases(actor_for(worker1), kind="task")
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    header = [c.value for c in ws[2]]
    key = ws.cell(row=3, column=header.index("编号") + 1).value
    case_id = lists_helper.case(source_key=key)["id"]
    with app.app_context():
        apply_transition(case_id, actor_for(app.appbuilder.sm.find_user(username="worker1")), "accept")
    ws.cell(row=3, column=header.index("完成时限") + 1).value = "2024年3月31日"
    ws.cell(row=3, column=header.index("牵头单位") + 1).value = "区财政局"
    out = io.BytesIO()
    wb.save(out)
    with app.app_context():
        result = apply_import(out.getvalue(), "started.xlsx", SYSTEM)
    row = next(r for r in result.rows if r.key == key)
    assert row.status == "unchanged"
    assert any("已开始办理" in p.message and "牵头单位、完成时限" in p.message for p in row.problems)
    case = lists_helper.case(source_key=key)
    assert case["lead"] == "区商务局" and case["deadline"] == dt.date(2024, 12, 31)


def test_messy_office_workbook_is_read_as_it_is(app):
    preview = _preview(app, messy_office_workbook(), "商务局清单.xlsx")
    assert preview.counts == {"create": 7, "update": 0, "unchanged": 0, "error": 0}
    assert [(r.sheet, r.row, int(r.action_label[1]), r.content, r.deadline, r.list_kind) for r in preview.rows] == \
        MESSY_EXPECTED
    assert any("“说明”" in note for note in preview.notes)
    first, _second, third = preview.rows[:3]
    assert [d.name for d in first.values["partners"]] == ["区住房和城乡建设局", "区城市管理和综合执法局"]
    assert first.values["milestones"] == [("3月底前完成方案", dt.date(2024, 3, 31)),
                                          ("6月底前完成改造", dt.date(2024, 6, 30))]
    assert [(t["comparator"], t["value"], t["unit"]) for t in third.values["indicators"]] == [("≥", 20, "家")]
    ranged = preview.rows[-1].values["indicators"][0]
    assert (ranged["value"], ranged["value_max"]) == (1, 2)


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("2024年6月30日", dt.date(2024, 6, 30)),
        ("2024/6/30", dt.date(2024, 6, 30)),
        ("6月底", dt.date(2024, 6, 30)),
        ("6月底前", dt.date(2024, 6, 30)),
        ("年底", dt.date(2024, 12, 31)),
        ("三季度末", dt.date(2024, 9, 30)),
        ("上半年", dt.date(2024, 6, 30)),
        ("45473", dt.date(2024, 6, 30)),  # an Excel serial typed as text
        (45473, dt.date(2024, 6, 30)),
        (dt.datetime(2024, 6, 30), dt.date(2024, 6, 30)),
    ],
)
def test_deadlines_in_the_formats_people_type(app, cell, expected):
    preview = _preview(app, simple_list([_row(完成时限=cell)]))
    assert preview.rows[0].deadline == expected and not preview.rows[0].errors


def test_ongoing_tasks_get_the_year_end_with_a_warning(app):
    row = _preview(app, simple_list([_row(完成时限="长期坚持")])).rows[0]
    assert row.status == "create" and row.deadline == dt.date(2024, 12, 31)
    assert [p.level for p in row.problems] == ["warning"] and "没有具体日期" in row.problems[0].message


def test_files_that_are_not_xlsx_get_a_clear_message(app, lists_helper):
    office_client = client_for(app, "office")
    response = lists_helper.upload(office_client, b"\xd0\xcf\x11\xe0" + b"\0" * 600, "旧表.xls")
    assert "旧版 Excel/WPS 文件" in response.get_data(as_text=True) or response.status_code == 302
    followed = office_client.get("/lists/")
    assert "旧版 Excel/WPS 文件（.xls/.et），请另存为 .xlsx" in followed.get_data(as_text=True)
    lists_helper.upload(office_client, "序号,任务内容\n1,x".encode("gb18030"), "清单.csv")
    assert "不是 Excel 工作簿" in office_client.get("/lists/").get_data(as_text=True)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(_soffice() is None and not os.environ.get("DUBAN_TEST_COMMAND"),
                    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
def test_a_workbook_saved_by_libreoffice_reads_the_same(app, fresh_db, tmp_path):
    # Under scripts/test (which installs LibreOffice) a missing soffice is a failure, not a skip.
    assert _soffice(), "scripts/test should have installed libreoffice-calc-nogui"
    source = tmp_path / "messy.xlsx"
    source.write_bytes(messy_office_workbook())
    outdir = tmp_path / "lo"
    subprocess.run(
        [_soffice(), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--norestore",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(source)],
        check=True, capture_output=True, timeout=120,
    )
    saved = (outdir / "messy.xlsx").read_bytes()
    assert saved != source.read_bytes()
    original, libre = _preview(app, source.read_bytes()), _preview(app, saved)
    assert [r.to_json() for r in libre.rows] == [r.to_json() for r in original.rows]
    assert libre.counts["create"] == 7


def test_only_the_office_and_admins_import(app, fresh_db, lists_helper):
    worker = client_for(app, "worker1")
    before = lists_helper.case_count()
    response = lists_helper.upload(worker, simple_list([_row()]))
    assert response.status_code == 403
    assert "导入清单" not in worker.get("/lists/").get_data(as_text=True)
    leader = client_for(app, "leader")
    assert leader.get("/lists/").status_code in (302, 403)
    assert lists_helper.upload(leader, simple_list([_row()])).status_code in (302, 403)
    admin = client_for(app, "admin")
    assert "将新增 1" in lists_helper.upload(admin, simple_list([_row()])).get_data(as_text=True)
    assert lists_helper.case_count() == before


def test_forms_need_the_csrf_token_when_protection_is_on(app, lists_helper, monkeypatch):
    import re

    office = client_for(app, "office")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert lists_helper.upload(office, simple_list([_row()])).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', office.get("/lists/").get_data(as_text=True)).group(1)
    response = office.post("/lists/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(simple_list([_row()])), "a.xlsx")})
    assert response.status_code == 200 and "将新增 1" in response.get_data(as_text=True)
