"""Small helpers of the draft builder (workflows/plan_extraction/draft.py): the plan's title
and year, units, titles, case merging and the list kind of a task."""

from __future__ import annotations

import re
from datetime import date

from .model import Case, Unit
from .structure import Section
from .textutil import Span, split_sentences

_DOC_NUMBER = re.compile(r"〔\d{4}〕\s*\d+\s*号|\[\d{4}\]\s*\d+\s*号")
_TITLE_WORDS = re.compile(r"方案|计划|安排|要点|清单|任务|实事|意见|行动|分解|分工|目标")

_POLICY = re.compile(r"(?:出台|制定|修订|印发|完善|研究制定|落实|兑现|争取|用好)[^。；]{0,15}"
                     r"(?:政策|办法|措施|意见|细则|规定|条例|制度|标准|机制)")
_PROJECT = re.compile(r"(?:建成|建设|开工|竣工|投产|新建|改扩建|续建|实施|推进|启动)[^。；]{0,30}"
                      r"(?:项目|工程)|项目建设|工程建设")


def _detect_title(text: str, root: Section) -> str:
    head = root.body[:8]
    for line in head:
        m = re.search(r"关于印发《(.+?)》的通知", line.text)
        if m:
            return m.group(1)
    for line in head:
        candidate = line.text.strip()
        if (len(candidate) <= 60 and not re.search(r"[。：:；;，,]$", candidate)
                and not _DOC_NUMBER.search(candidate) and _TITLE_WORDS.search(candidate)):
            return candidate
    first = text.strip().splitlines()[0].strip()
    return first[:60] if first else "未命名方案"


def _detect_year(title: str, text: str) -> int:
    for source in (title, text[:2000], text):
        m = re.search(r"(20\d{2})\s*年", source)
        if m:
            return int(m.group(1))
    return date.today().year


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

def _units(found: list[tuple[str, Span]], role: str = "lead") -> list[Unit]:
    """Group (name, span) findings by name, keeping every span."""
    units: dict[str, Unit] = {}
    for name, span in found:
        units.setdefault(name, Unit(name, role=role)).spans.append(span)
    return list(units.values())


def _merge(case: Case, row: Case) -> None:
    """Fold a table row that restates ``case`` into it."""
    for indicator in row.indicators:
        same = next((i for i in case.indicators
                     if i.value == indicator.value and i.unit == indicator.unit), None)
        if same is not None:
            same.also_at.append(indicator.span)
        else:
            case.indicators.append(indicator)
    if not case.leads:
        case.leads = row.leads
    else:
        for unit in row.leads:
            match = next((u for u in case.leads if u.name == unit.name), None)
            if match is not None:
                match.spans.extend(unit.spans)
    taken = {u.name for u in case.leads} | {u.name for u in case.partners}
    case.partners += [u for u in row.partners + row.leads if u.name not in taken]
    if row.deadline:
        case.deadline = row.deadline


def _title_key(title: str) -> str:
    return re.sub(r"[\s，,。；;：:、“”\"（）()《》]", "", title)


def _first_sentence(text: str) -> str:
    spans = split_sentences(text, 0, len(text))
    return text[spans[0][0]:spans[0][1]] if spans else text


def _shorten(text: str, limit: int = 40) -> str:
    """A title: the first sentence; if long, its first clauses up to ``limit`` characters."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"[。；;，,：:]+$", "", text)
    lead_in = re.match(r"([^：:]{4,30})[：:]", text)  # "重点抓好三方面工作：一是…"
    if lead_in and len(text) > limit:
        return lead_in.group(1)
    if len(text) <= limit:
        return text
    clauses = re.split(r"(?<=[，,、])", text)
    title = ""
    for clause in clauses:
        if len(title) + len(clause) > limit and len(title) >= 6:
            break
        title += clause
    return re.sub(r"[，,、]+$", "", title)[:limit]


def _split_title(heading: str) -> tuple[str, str | None]:
    """"大力实施产业培塑行动,加快构建…" → (title, subtitle) at the first comma."""
    m = re.search(r"[，,]", heading)
    if not m:
        return heading, None
    return heading[:m.start()].strip(), heading[m.end():].strip() or None


def _list_kind(text: str, title: str = "") -> str:
    """task / policy / project, from the wording; the office corrects it on review."""
    if _POLICY.search(text):
        return "policy"
    if _PROJECT.search(text) or re.search(r"(?:项目|工程)$", title):
        return "project"
    return "task"
