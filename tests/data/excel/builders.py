"""Build list workbooks the way real offices save them: title rows, merged cells, text numbers.

Every builder returns the .xlsx bytes; tests write them to tmp_path when a file is needed.
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook

HEADERS = ["序号", "所属行动", "任务内容", "牵头单位", "配合单位", "牵头负责人", "完成时限", "时间节点",
           "目标值", "单位", "清单类型"]


def to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def simple_list(rows: list[dict], *, headers: list[str] = HEADERS, title: str | None = "任务清单",
                sheet: str = "任务清单") -> bytes:
    """One sheet: an optional merged title row, the headers, then one row per dict (by header)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    return to_bytes(wb)


def messy_office_workbook() -> bytes:
    """A district bureau's list as found in the wild.

    Sheet 任务清单: a merged title row and a merged "填报单位" line above the headers (one
    header with a line break), a blank spacer row, 所属行动 merged down three rows, numbers
    and dates typed as text, a heading row merged across the table that starts action 三,
    rows under it with 所属行动 left empty, a footnote. Sheet 项目清单: real dates, an
    Excel serial typed as a number, targets with comparators and ranges. Sheet 说明: prose.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "任务清单"
    ws.append(["鹤城区商务局2024年“八大行动”任务清单"])
    ws.merge_cells("A1:K1")
    ws.append(["填报单位：区商务局（盖章）            填报日期：2024年3月1日"])
    ws.merge_cells("A2:K2")
    ws.append(["序号", "所属行动", "任务内容\n（具体事项）", "牵头单位", "配合单位", "牵头\n负责人",
               "完成时限", "时间节点", "目标值", "单位", "清单类型"])
    ws.append([None] * 11)  # spacer
    ws.append(["1", "（一）大力实施产业培塑行动", "焕新重塑火车站中央商圈商业业态", "区商务局", "区住建局、区城管执法局",
               None, "2024年6月30日", "3月底前完成方案；6月底前完成改造", "1", "个", "任务清单"])
    ws.append(["2", None, "举办家居家电以旧换新促消费活动", "区商务局", None, None, "2024/9/30", None, "6", "场", "任务"])
    ws.append(["3", None, "培育限额以上商贸企业", "区商务局", "区统计局", None, "年底", None, "20家以上", None, None])
    ws.merge_cells("B5:B7")
    ws.append([None] * 11)  # spacer
    ws.append(["（三）大力实施激发需求行动"])
    ws.merge_cells("A9:K9")
    ws.append(["4", None, "开展“湘超”联赛主题促消费活动", "区商务局", "区文旅广体局", None, "三季度末", None, None, None, None])
    ws.append(["5", None, "推动跨境电商企业入驻怀化国际陆港", "区商务局", None, None, "45657", None, "≥3", "家", None])
    ws.append(["注：完成时限按“年月日”填写；目标值填数字。"])

    ps = wb.create_sheet("项目清单")
    ps.append(["鹤城区商务局2024年项目清单"])
    ps.merge_cells("A1:K1")
    ps.append(HEADERS)
    ps.append([1, "行动一", "竣工运营佳惠供应链物流中心", "区商务局", "区发改局", None, dt.datetime(2024, 10, 31),
               None, 1, "个", None])
    ps.append([2, "产业培塑行动", "建设五省边区农副产品冷链分拨集散中心", "区商务局", None, None, 45626,
               None, "1-2", "个", "项目清单"])

    notes = wb.create_sheet("说明")
    notes.append(["本表由区商务局填报，请于每月5日前更新。"])
    notes.append(["联系人：张三"])
    return to_bytes(wb)


MESSY_EXPECTED = [
    # (sheet, row, action index, task, deadline, list kind)
    ("任务清单", 5, 1, "焕新重塑火车站中央商圈商业业态", dt.date(2024, 6, 30), "task"),
    ("任务清单", 6, 1, "举办家居家电以旧换新促消费活动", dt.date(2024, 9, 30), "task"),
    ("任务清单", 7, 1, "培育限额以上商贸企业", dt.date(2024, 12, 31), "task"),
    ("任务清单", 10, 3, "开展“湘超”联赛主题促消费活动", dt.date(2024, 9, 30), "task"),
    ("任务清单", 11, 3, "推动跨境电商企业入驻怀化国际陆港", dt.date(2024, 12, 31), "task"),
    ("项目清单", 3, 1, "竣工运营佳惠供应链物流中心", dt.date(2024, 10, 31), "project"),
    ("项目清单", 4, 1, "建设五省边区农副产品冷链分拨集散中心", dt.date(2024, 11, 30), "project"),
]
