"""The column vocabulary of the three lists: headers, their aliases, list kinds, header rows.

Adding a list column: its header and field name here (HEADERS, FIELD_BY_HEADER, ALIASES),
its parsing in the service's row planner (app/services/lists/planning.py), its cell in the
export (app/services/lists/excel.py) and its width there.
"""

from __future__ import annotations

import re

from workflows.lists.cells import cell_text, norm

# The columns of every list, in order (issue #6), then the key column written on export.
HEADERS = ("序号", "所属行动", "任务内容", "牵头单位", "配合单位", "牵头负责人", "完成时限",
           "时间节点", "目标值", "单位", "清单类型")
KEY_HEADER = "编号"
FIELD_BY_HEADER = {
    "序号": "seq", "所属行动": "action", "任务内容": "content", "牵头单位": "lead",
    "配合单位": "partners", "牵头负责人": "owner", "完成时限": "deadline", "时间节点": "milestones",
    "目标值": "target", "单位": "unit", "清单类型": "list_kind", KEY_HEADER: "key",
}
HEADER_BY_FIELD = {f: h for h, f in FIELD_BY_HEADER.items()}
# Other names offices give the same columns; the canonical header wins when both appear.
ALIASES = {
    "seq": ("序", "序次"),
    "action": ("行动", "专项行动", "所属专项行动", "行动名称", "所属行动名称"),
    "content": ("任务", "工作任务", "重点任务", "任务名称", "具体任务", "工作内容", "主要任务",
                "事项", "任务事项", "政策名称", "政策内容", "项目名称", "项目内容", "建设内容"),
    "lead": ("牵头部门", "责任单位", "主办单位", "牵头责任单位", "责任部门"),
    "partners": ("配合部门", "协办单位", "参与单位", "协同单位"),
    "owner": ("负责人", "责任人", "牵头领导", "责任领导", "牵头单位负责人"),
    "deadline": ("完成时间", "时限", "截止时间", "完成期限", "时限要求", "完成时限要求"),
    "milestones": ("节点", "节点安排", "进度安排", "时间安排", "时间进度安排"),
    "target": ("目标", "指标值", "目标任务", "预期目标", "目标值（数值）"),
    "unit": ("计量单位",),
    "list_kind": ("类型", "清单", "所属清单"),
    "key": ("系统编号", "任务编号"),
}
KIND_LABELS_ZH = {"task": "任务清单", "policy": "政策清单", "project": "项目清单"}
KIND_WORDS = {"task": ("任务清单", "任务", "task"), "policy": ("政策清单", "政策", "policy"),
              "project": ("项目清单", "项目", "project")}
STATUS_LABELS = {"create": "新增", "update": "更新", "unchanged": "无变化", "error": "有错误"}

# A row needs a task; these columns make a row worth reading at all.
CONTENT_FIELDS = ("content", "lead", "partners", "owner", "deadline", "milestones", "target")
# Fields frozen once people have worked on a case: they belong to the workflow then.
WORKFLOW_FIELDS = ("action", "lead", "partners", "deadline")


def norm_header(text) -> str:
    """A header cell for matching: normalised, no "*" (required marks), no "(…)" note at the end."""
    text = norm(text).replace("*", "")
    return re.sub(r"\(.*?\)$", "", text) or text


def match_headers(cells: list) -> dict[str, tuple[int, str]]:
    """Field → (0-based column, header as written) for a row of candidate header cells."""
    found: dict[str, tuple[int, str]] = {}
    normalised = [(norm_header(c), cell_text(c)) for c in cells]
    for col, (key, shown) in enumerate(normalised):
        field_name = FIELD_BY_HEADER.get(key)
        if field_name and field_name not in found:
            found[field_name] = (col, shown)
    for col, (key, shown) in enumerate(normalised):
        if not key or any(col == c for c, _h in found.values()):
            continue
        for field_name, aliases in ALIASES.items():
            if field_name not in found and key in aliases:
                found[field_name] = (col, shown)
                break
    return found


def is_header(found: dict) -> bool:
    """A header row names the task column and at least two others."""
    return "content" in found and len(found) >= 3


def sheet_kind(title: str) -> str | None:
    """The list a sheet's name says ("政策清单", "项目"), or None."""
    for kind, words in KIND_WORDS.items():
        if any(w in title for w in words[:2]):
            return kind
    return None


def kind_of(text: str) -> str | None:
    """The list kind a 清单类型 cell names ("任务清单", "政策", "project"), or None."""
    key = norm(text).lower()
    return next((k for k, words in KIND_WORDS.items() if key in words), None)
