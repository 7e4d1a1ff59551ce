"""Excel output: the empty template of a list and the export of cases in the import format.

The export writes the same columns as the import reads, with the 编号 column, so an
exported file re-imports as "no changes".
"""

from __future__ import annotations

import datetime as dt
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from app.access import visible_cases_clause
from app.extensions import db
from app.models import LIST_KINDS, Action, Case, Department, Plan
from app.services.excel_safety import keep_text
from app.services.lists.errors import ListFileError
from app.services.lists.matching import did_you_mean
from app.services.plans import latest_plan
from workflows.lists.cells import norm
from workflows.lists.columns import HEADERS, KEY_HEADER, KIND_LABELS_ZH
from workflows.lists.matching import suggest
from workflows.lists.milestones import milestones_text
from workflows.lists.targets import target_cells
from workflows.vocabulary import Actor

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_KEY_FILL = PatternFill("solid", fgColor="EEEEEE")
_WIDTHS = {"序号": 6, "所属行动": 22, "任务内容": 50, "牵头单位": 18, "配合单位": 22, "牵头负责人": 10,
           "完成时限": 14, "时间节点": 28, "目标值": 10, "单位": 8, "清单类型": 10, KEY_HEADER: 14}
_DATE_FORMAT = 'yyyy"年"m"月"d"日"'


def _write_sheet_frame(ws, title: str) -> None:
    """Title row merged across the columns, the header row, widths, frozen header."""
    headers = (*HEADERS, KEY_HEADER)
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    ws.append(list(headers))
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=2, column=col)
        cell.font = Font(bold=True)
        cell.fill = _KEY_FILL if header == KEY_HEADER else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(col)].width = _WIDTHS[header]
    ws.freeze_panes = "A3"
    # Printed as offices file them: A4 landscape, all columns on one page width, headers repeated.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "2:2"


def _owner_text(case: Case, users_by_name: dict) -> str:
    if case.owner is None:
        return ""
    name = f"{case.owner.first_name}{case.owner.last_name}"
    return name if len(users_by_name.get(norm(name), [])) == 1 else case.owner.username


def _write_case_rows(ws, cases: list[Case], year: int, users_by_name: dict) -> None:
    for n, case in enumerate(cases, start=1):
        target, unit = target_cells(case.indicators)
        ws.append([
            n, str(case.action) if case.action else "", case.text or case.title,
            case.lead_department.name if case.lead_department else "",
            "、".join(d.name for d in case.partner_departments), _owner_text(case, users_by_name),
            case.deadline, milestones_text(case.milestones, year), target, unit,
            KIND_LABELS_ZH[case.list_kind], case.source_key,
        ])
        r = ws.max_row
        for col in range(1, len(HEADERS) + 2):
            cell = ws.cell(row=r, column=col)
            keep_text(cell)  # a title starting with "=" stays text (app.services.excel_safety)
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        ws.cell(row=r, column=7).number_format = _DATE_FORMAT
        ws.cell(row=r, column=len(HEADERS) + 1).fill = _KEY_FILL


def _to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_template(kind: str) -> bytes:
    """An empty list of one kind: headers, drop-downs, and a sheet of instructions and names."""
    if kind not in LIST_KINDS:
        raise ListFileError(_("Unknown list type “%(text)s” (write 任务清单, 政策清单 or 项目清单).", text=kind))
    plan = latest_plan()
    wb = Workbook()
    ws = wb.active
    ws.title = KIND_LABELS_ZH[kind]
    _write_sheet_frame(ws, f"{KIND_LABELS_ZH[kind]}（填报单位：          ）")
    for r in range(3, 53):
        for col in range(1, len(HEADERS) + 2):
            ws.cell(row=r, column=col).border = _BORDER
        ws.cell(row=r, column=7).number_format = _DATE_FORMAT
        ws.cell(row=r, column=11).value = KIND_LABELS_ZH[kind]
    help_ws = wb.create_sheet("填写说明")
    help_ws.column_dimensions["A"].width = 14
    help_ws.column_dimensions["B"].width = 70
    help_ws.column_dimensions["D"].width = 36
    help_ws.column_dimensions["E"].width = 30
    for line in _template_help(plan):
        help_ws.append(line)
    actions = [str(a) for a in db.session.scalars(
        select(Action).where(Action.plan_id == plan.id).order_by(Action.index))] if plan else []
    departments = list(db.session.scalars(
        select(Department.name).where(Department.kind != "task_force").order_by(Department.kind, Department.name)))
    help_ws["D1"], help_ws["E1"] = "所属行动（可选值）", "单位（可选值）"
    for i, text in enumerate(actions, start=2):
        help_ws.cell(row=i, column=4, value=text)
    for i, text in enumerate(departments, start=2):
        help_ws.cell(row=i, column=5, value=text)
    validations = [
        ("B3:B500", f"'填写说明'!$D$2:$D${max(len(actions), 1) + 1}"),
        ("D3:D500", f"'填写说明'!$E$2:$E${max(len(departments), 1) + 1}"),
        ("K3:K500", '"任务清单,政策清单,项目清单"'),
    ]
    for ref, formula in validations:
        # A warning, not a stop: several units in one cell and new names must stay possible.
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, errorStyle="warning",
                            showErrorMessage=True, error="不在可选值中，请核对（可继续）。")
        dv.add(ref)
        ws.add_data_validation(dv)
    return _to_bytes(wb)


def _template_help(plan: Plan | None) -> list[list[str]]:
    year = plan.year if plan else dt.date.today().year
    return [
        ["列名", "填写要求"],
        ["序号", "可不填；仅用于排序显示。"],
        ["所属行动", "必填；从下拉框选择，或写“行动一”“（一）”“产业培塑行动”。同一行动的连续各行可合并单元格或只填第一行。"],
        ["任务内容", "必填；一行一项任务。"],
        ["牵头单位", "新增任务应填写（不填则待专班指定）；填系统中的单位全称或简称；多个单位用“、”分隔时，第一个为牵头单位，其余作配合单位。"],
        ["配合单位", "可不填；多个单位用“、”分隔。"],
        ["牵头负责人", "可不填；须为系统用户（姓名或用户名）。"],
        ["（不填与“无”）", "更新已有任务时，牵头单位、配合单位、牵头负责人、时间节点、目标值不填表示保持原值；填“无”表示清空。"],
        ["完成时限", f"必填；可写 {year}年6月30日、{year}/6/30、6月底、年底、三季度末 等。"],
        ["时间节点", "可不填；多个节点用“；”或换行分隔，每个节点须含日期，如“6月底前完成方案；9月底前开工”。"],
        ["目标值", "可不填；数字，可写 ≥5、5以上、≤3、1-2；多个目标用“；”分隔。"],
        ["单位", "目标值的计量单位，如 个、亿元、%；多个目标时按顺序用“；”分隔。"],
        ["清单类型", "任务清单、政策清单或项目清单；不填时按工作表名称判断。"],
        ["编号", "系统导出时生成，用于再次导入时更新原任务，请勿修改；新增任务留空。"],
    ]


def export_cases(actor: Actor, *, kind: str | None = None, department: str | None = None,
                 within=None, title: str | None = None) -> tuple[bytes, int]:
    """Export the cases the actor may see as a workbook in the import format; (bytes, count).

    `kind` limits to one list (one sheet); without it every list gets its sheet.
    `department` (name or short name) keeps the cases it leads; `within` is an optional
    selectable of case ids (a filtered case list). The CLI passes SYSTEM (sees every case).
    """
    if kind is not None and kind not in LIST_KINDS:
        raise ListFileError(_("Unknown list type “%(text)s” (write 任务清单, 政策清单 or 项目清单).", text=kind))
    plan = latest_plan()
    if plan is None:
        raise ListFileError(_("No plan is loaded yet: load a plan first (flask plan load)."))
    query = select(Case).join(Action, Case.action_id == Action.id, isouter=True).where(Case.plan_id == plan.id)
    heading = title or ""
    if department:
        dept_row = db.session.scalar(select(Department).where(
            (Department.name == department.strip()) | (Department.short_name == department.strip())))
        if dept_row is None:
            names = list(db.session.scalars(select(Department.name)))
            raise ListFileError(_("Unknown department “%(name)s”", name=department)
                                + did_you_mean(suggest(department, names)))
        query = query.where(Case.lead_department_id == dept_row.id)
        heading = heading or dept_row.name
    query = query.where(visible_cases_clause(actor))
    if within is not None:
        query = query.where(Case.id.in_(within))
    cases = list(db.session.scalars(query.order_by(Action.index, Case.seq, Case.id)))
    from flask_appbuilder.security.sqla.models import User

    users_by_name: dict[str, list] = {}
    for user in db.session.scalars(select(User)):
        users_by_name.setdefault(norm(f"{user.first_name}{user.last_name}"), []).append(user)
    wb = Workbook()
    wb.remove(wb.active)
    for list_kind in ([kind] if kind else LIST_KINDS):
        ws = wb.create_sheet(KIND_LABELS_ZH[list_kind])
        label = f"{heading}{KIND_LABELS_ZH[list_kind]}" if heading else KIND_LABELS_ZH[list_kind]
        _write_sheet_frame(ws, f"{label}（{plan.title}，{plan.year}年）")
        _write_case_rows(ws, [c for c in cases if c.list_kind == list_kind], plan.year, users_by_name)
    return _to_bytes(wb), len(cases) if not kind else sum(1 for c in cases if c.list_kind == kind)


