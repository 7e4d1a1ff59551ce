"""`flask lists import|export`: what scripts rely on — counts, problems, JSON, exit codes."""

from __future__ import annotations

import json

from openpyxl import load_workbook

from tests.data.excel.builders import simple_list

ACTION_1 = "（1）大力实施产业培塑行动"


def _file(tmp_path, rows, name="list.xlsx"):
    path = tmp_path / name
    path.write_bytes(simple_list(rows))
    return str(path)


def _new(text: str, **values) -> dict:
    row = {"所属行动": ACTION_1, "任务内容": text, "牵头单位": "区商务局", "完成时限": "6月底"}
    row.update(values)
    return row


def test_dry_run_json_reports_every_row_and_writes_nothing(app, fresh_db, lists_helper, tmp_path):
    seeded = lists_helper.case(source_key="1-1")
    path = _file(tmp_path, [
        _new("新建社区团购集配中心"),
        {**_new(seeded["text"]), "牵头单位": seeded["lead"], "编号": "1-1"},
        _new("开展老字号认定", 牵头单位="区商务部"),
        _new("培育夜间经济街区", 完成时限="明年吧"),
    ])
    before = lists_helper.case_count()
    result = lists_helper.cli("lists", "import", path, "--dry-run", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False and report["written"] is False
    assert report["counts"] == {"create": 1, "update": 1, "unchanged": 0, "error": 2}
    rows = {r["row"]: r for r in report["rows"]}
    assert rows[4]["status"] == "update" and rows[4]["key"] == "1-1" and rows[4]["changes"] == ["完成时限"]
    assert [(p["column"], p["header"], p["level"]) for p in rows[5]["problems"]] == [("D", "牵头单位", "error")]
    assert rows[5]["problems"][0]["message"].startswith("未知单位“区商务部”；是否指：区商务局")
    assert rows[6]["problems"][0]["column"] == "G" and "无法识别的日期" in rows[6]["problems"][0]["message"]
    assert lists_helper.case_count() == before

    # Without --dry-run, the errors still stop everything.
    result = lists_helper.cli("lists", "import", path)
    assert result.exit_code == 1 and "有错误 2 行" in result.output
    assert lists_helper.case_count() == before
    assert lists_helper.case(source_key="1-1")["deadline"] == seeded["deadline"]


def test_import_prints_counts_then_writes(app, fresh_db, lists_helper, tmp_path):
    path = _file(tmp_path, [_new("新建社区团购集配中心"), _new("开展老字号认定", 清单类型="政策清单")])
    before = lists_helper.case_count()
    dry = lists_helper.cli("lists", "import", path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "合计：新增 2 条，更新 0 条，无变化 0 条，有错误 0 行。" in dry.output and "试运行" in dry.output
    assert lists_helper.case_count() == before
    done = lists_helper.cli("lists", "import", path, "--json")
    assert done.exit_code == 0
    assert json.loads(done.output)["written"] is True
    assert lists_helper.case_count() == before + 2
    again = lists_helper.cli("lists", "import", path, "--json")
    assert json.loads(again.output)["counts"] == {"create": 0, "update": 0, "unchanged": 2, "error": 0}
    assert lists_helper.case_count() == before + 2


def test_export_by_kind_and_department_round_trips(app, fresh_db, lists_helper, tmp_path):
    out = tmp_path / "商务局任务清单.xlsx"
    result = lists_helper.cli("lists", "export", "--kind", "task", "--department", "区商务局", "--out", str(out))
    assert result.exit_code == 0 and "已导出" in result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["任务清单"]
    rows = list(wb.active.iter_rows(min_row=3, values_only=True))
    assert rows and {r[3] for r in rows} == {"区商务局"} and {r[10] for r in rows} == {"任务清单"}
    check = json.loads(lists_helper.cli("lists", "import", str(out), "--dry-run", "--json").output)
    assert check["counts"] == {"create": 0, "update": 0, "unchanged": len(rows), "error": 0}


def test_export_as_a_user_and_bad_arguments(app, fresh_db, lists_helper, tmp_path):
    out = tmp_path / "w2.xlsx"
    assert lists_helper.cli("lists", "export", "--user", "worker2", "--out", str(out)).exit_code == 0
    everything = tmp_path / "all.xlsx"
    lists_helper.cli("lists", "export", "--out", str(everything))

    def count(path):
        return sum(ws.max_row - 2 for ws in load_workbook(path).worksheets)

    assert 0 < count(out) < count(everything) == 119
    unknown = lists_helper.cli("lists", "export", "--department", "区商务委", "--out", str(out))
    assert unknown.exit_code == 1 and "未知单位“区商务委”" in unknown.output
    missing = lists_helper.cli("lists", "import", str(tmp_path / "nope.xlsx"))
    assert missing.exit_code == 1 and "无法读取文件" in missing.output
    (tmp_path / "x.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    old = lists_helper.cli("lists", "import", str(tmp_path / "x.xls"))
    assert old.exit_code == 1 and "请另存为 .xlsx" in old.output
