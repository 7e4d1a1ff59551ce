"""Responsible units (牵头单位 / 配合单位) and labelled deadlines in a task's text.

Plans name units in four ways, read here in this order of trust:

1. Labelled lists: "牵头单位：A；责任单位：B、C", "[责任单位：…]", "主办：A；协办：B".
2. A trailing parenthesis without labels: "（A牵头，B、C配合）", "（A）".
3. The subject of a sentence: "区教育局负责…", "各乡镇（街道）要…", "由A牵头，B配合".
4. (In ``structure``/``draft``) a table's columns, and the action's lead for its cases.

In a 责任单位 list the first unit is the lead and the rest are partners; units under 牵头/主办
labels are all leads; 配合/协办/参与 units are partners.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Span = tuple[int, int]

# ---------------------------------------------------------------------------------------------
# What a unit name looks like (used where no label vouches for it)
# ---------------------------------------------------------------------------------------------

# Names start with an administrative prefix ("区", "市", "各", "街道", "鹤城区") ...
_PREFIX = (r"(?:各|全区各|区直|市直|县直|区|市|县|省|州|镇|乡|街道|团|共青团|国网|人行|中国|"
           r"[\u4e00-\u9fff]{2,5}?(?:省|市|县|区|镇|乡))")
# ... and end with a kind of organisation.
_SUFFIX = (r"(?:人民政府|政府|管委会|管理委员会|委员会|办事处|办公室|事务中心|服务中心|中心|分局|机构|"
           r"支队|大队|集团|公司|部门|单位|局|委|办|部|院|所|站|队|社|行|会|联|处|室|"
           r"街道|乡镇|镇|乡|社区|村)")
_UNIT = (rf"{_PREFIX}[\u4e00-\u9fff]{{0,16}}?{_SUFFIX}"
         r"(?:（[^（）]{1,8}）|\([^()]{1,8}\))?")
UNIT_NAME = re.compile(_UNIT)
_NOT_UNITS = {"全区", "全市", "全县", "各地", "各级", "街道", "乡镇", "社区", "城区", "区域", "市场"}

# Verbs that follow a unit acting as a sentence's subject.
_LEAD_VERBS = (r"共同牵头|牵头负责|具体负责|负总责|按职责分工负责|按照职责分工负责|分别负责|共同负责|负责|牵头|"
               r"主办|要|应|会同|联合|做好|组织|抓好|推进|落实|开展|完成|实施|加快|持续|全力|积极|"
               r"认真|切实|着力|统筹|督促|指导|聚焦|围绕|确保|力争|在")
_PARTNER_VERBS = r"配合|协助|协同|参与|协办"
_SUBJECT = re.compile(
    rf"(?:由)?(?P<units>{_UNIT}(?:[、和及与]{_UNIT}){{0,5}})"
    rf"(?P<verb>{_PARTNER_VERBS}|{_LEAD_VERBS})"
)
# Partners named later in the same sentence: "会同A、B", "，A、B配合".
_WITH_PARTNERS = re.compile(rf"(?:会同|联合|协调)(?P<units>{_UNIT}(?:[、和及与]{_UNIT}){{0,5}})")
_PARTNER_CLAUSE = re.compile(
    rf"[，,](?P<units>{_UNIT}(?:[、和及与]{_UNIT}){{0,5}})(?:{_PARTNER_VERBS})")
_BY_UNIT = re.compile(rf"由(?P<units>{_UNIT}(?:[、和及与]{_UNIT}){{0,5}})(?P<verb>共同牵头|共同负责|牵头|负责|主办)")

# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------

# A department's own work plan assigns its 处室 / 科室 / 股室 ("牵头处室：规划发展处") the way
# a government's plan assigns 单位 / 部门, so every role word takes any of these nouns.
_LABEL_NOUNS = ("单位", "部门", "处室", "科室", "股室")


def _labels(*roles: str) -> tuple[str, ...]:
    return tuple(role + noun for role in roles for noun in _LABEL_NOUNS)


_LEAD_LABELS = (*_labels("牵头", "主办", "主责", "牵头责任", "主要责任", "牵头负责"), "主办", "牵头")
_RESPONSIBLE_LABELS = (*_labels("责任", "承办", "实施"), "责任站所", "责任所站", "责任股室")
_PARTNER_LABELS = (*_labels("配合", "协办", "参与", "协同", "协同责任", "配合责任", "其他责任"),
                   "协办", "配合")
_DEADLINE_LABELS = ("完成时限", "完成时间", "时间节点", "时限要求", "截止时间", "时限")
_PERSON_LABELS = ("牵头领导", "责任领导", "责任人", "牵头负责人", "牵头负责领导", "项目责任人",
                  "牵头县领导", "牵头市领导", "牵头区领导", "责任县领导", "责任市领导", "责任区领导",
                  "分管领导", "联系领导", "包保领导", "牵头镇领导", "责任镇领导")
LABEL = re.compile(
    r"(?P<label>" + "|".join(sorted(
        _LEAD_LABELS + _RESPONSIBLE_LABELS + _PARTNER_LABELS + _DEADLINE_LABELS + _PERSON_LABELS,
        key=len, reverse=True)) + r")\s*[:：]\s*"
)
# A line that starts with a label ("责任单位：市发改委"), to be attached to the task above it.
# Use with .match(text, pos): no "^", which would only match at offset 0.
LABEL_LINE = re.compile(r"\s*[（(\[【]?\s*(?:" + LABEL.pattern + r")")

_LIST_SEPARATORS = "、，,/／ \t\u3000"


@dataclass
class UnitFindings:
    """Units and labelled deadline found in one task's text, all with absolute spans."""

    leads: list[tuple[str, Span]] = field(default_factory=list)
    partners: list[tuple[str, Span]] = field(default_factory=list)
    deadline_text: str | None = None
    persons: list[str] = field(default_factory=list)  # 责任领导 / 责任人: people, not units
    # Spans of the annotations themselves, to cut from a task's title.
    annotation_spans: list[Span] = field(default_factory=list)

    def add_leads(self, units: list[tuple[str, Span]]) -> None:
        self.leads.extend(u for u in units if u[0] not in self.lead_names())

    def add_partners(self, units: list[tuple[str, Span]]) -> None:
        taken = self.lead_names() | {n for n, _ in self.partners}
        for name, span in units:
            if name not in taken:
                self.partners.append((name, span))
                taken.add(name)

    def lead_names(self) -> set[str]:
        return {n for n, _ in self.leads}


# A role word written on a listed name: "县教育局（牵头）", "区交通局(牵头)", "市财政局（配合）".
_ROLE_MARK = re.compile(r"[（(]\s*(?P<role>牵头(?:单位|部门)?|主办|主责|总牵头|配合(?:单位|部门)?|协办|参与)\s*[）)]$")
# References to units in general, not units: "各牵头单位要…", "各有关部门要…".
GENERIC_UNIT = re.compile(r"^(?:各地)?各?(?:级)?(?:牵头|责任|配合|协同|相关|有关|成员|参与|承办|主办)"
                          r"(?:责任)?(?:单位|部门)$|^各[\u4e00-\u9fff]{1,4}各(?:有关|相关|级)?(?:部门|单位)$|"
                          r"^各(?:级)?(?:单位|部门)$")


def unit_role_mark(name: str) -> str | None:
    """"lead" / "partner" if a listed name carries a role word in brackets, else None."""
    m = _ROLE_MARK.search(name.strip(" \t\u3000。.；;"))
    if not m:
        return None
    return "partner" if m["role"].startswith(("配合", "协办", "参与")) else "lead"


def clean_unit_name(name: str) -> str:
    """Trim a unit name as listed: whitespace, a leading 由, role words, a trailing 等 / 负责."""
    name = name.strip(" \t\u3000。.；;")
    name = re.sub(r"^(?:由|其中|包括)", "", name)
    name = _ROLE_MARK.sub("", name).strip()
    name = re.sub(r"(?:等单位|等部门|等相关单位|等|按职责分工负责|按职责负责|负责|共同牵头|牵头)$", "", name)
    return name.strip()


def is_unit_name(name: str) -> bool:
    """Does ``name`` look like a government unit ("区教育局", "各乡镇（街道）")?"""
    return (len(name) >= 3 and name not in _NOT_UNITS
            and UNIT_NAME.fullmatch(name) is not None)


def _plausible_name(name: str) -> bool:
    """Loose check for names vouched by a role word: Chinese, short, no digits."""
    return 2 <= len(name) <= 25 and re.fullmatch(r"[\u4e00-\u9fff（）()]+", name) is not None


def split_unit_list(text: str, start: int, end: int) -> list[tuple[str, Span]]:
    """Split "A、B，C" into names with spans; separators inside brackets do not split."""
    return [(n, s) for n, s, _ in split_unit_list_marked(text, start, end)]


def split_unit_list_marked(text: str, start: int, end: int) -> list[tuple[str, Span, str | None]]:
    """Like ``split_unit_list``, with each name's role mark ("lead" for "A（牵头）")."""
    units: list[tuple[str, Span, str | None]] = []
    depth, begin = 0, start
    for i in range(start, end + 1):
        char = text[i] if i < end else "、"
        if char in "（(":
            depth += 1
        elif char in "）)":
            depth = max(0, depth - 1)
        if depth == 0 and char in _LIST_SEPARATORS:
            mark = unit_role_mark(text[begin:i])
            units.extend((n, s, mark) for n, s in _split_conjunction(text, begin, i))
            begin = i + 1
    return units


def _split_conjunction(text: str, start: int, end: int) -> list[tuple[str, Span]]:
    """One list item, possibly "A和B" / "A及B": split only where both halves are unit names
    ("区住房和城乡建设局" stays whole)."""
    raw = text[start:end]
    name = clean_unit_name(raw)
    if not name:
        return []
    offset = start + raw.find(name)
    for m in re.finditer(r"[和及与]", name):
        left, right = name[:m.start()], name[m.end():]
        if is_unit_name(left) and is_unit_name(right):
            return [(left, (offset, offset + len(left))),
                    (right, (offset + m.end(), offset + len(name)))]
    return [(name, (offset, offset + len(name)))]


def _label_value_end(text: str, start: int, end: int) -> int:
    """Where a label's value stops: at ；。 a closing bracket, a line end or the next label."""
    depth = 0
    i = start
    while i < end:
        char = text[i]
        if char in "（(":
            depth += 1
        elif char in "）)]】":
            if depth == 0:
                return i
            depth -= 1
        elif char in "；;。\n":
            return i
        elif char in "，, \t\u3000":
            j = i + 1
            while j < end and text[j] in " \t\u3000":
                j += 1
            if LABEL.match(text, j) or (char in "\t\u3000" and _PERSON_LABEL_AHEAD.match(text, j)):
                return i
        i += 1
    return end


_PERSON_LABEL_AHEAD = re.compile(r"[\u4e00-\u9fff]{0,4}(?:领导|责任人|负责人)\s*[:：]")


def find_units(text: str, start: int, end: int) -> UnitFindings:
    """Units and labelled deadline in ``text[start:end]`` (one task)."""
    found = UnitFindings()
    _read_labels(text, start, end, found)
    if not found.leads:
        _read_trailing_parentheses(text, start, end, found)
    if not found.leads:
        _read_subjects(text, start, end, found)
    return found


def _read_labels(text: str, start: int, end: int, found: UnitFindings) -> None:
    responsible: list[tuple[str, Span, str | None]] = []
    for m in LABEL.finditer(text, start, end):
        label = m["label"]
        value_end = _label_value_end(text, m.end(), end)
        found.annotation_spans.append(_annotation_span(text, m.start(), value_end, start, end))
        if label in _DEADLINE_LABELS:
            found.deadline_text = found.deadline_text or text[m.end():value_end].strip()
            continue
        if label in _PERSON_LABELS:
            found.persons.extend(n for n, _ in split_unit_list(text, m.end(), value_end))
            continue
        marked = split_unit_list_marked(text, m.end(), value_end)
        units = [(n, s) for n, s, _ in marked]
        if label in _LEAD_LABELS:
            found.add_leads(units)
        elif label in _RESPONSIBLE_LABELS:
            responsible.extend(marked)
        else:
            found.add_partners(units)
    if responsible:
        flagged = [(n, s) for n, s, mark in responsible if mark == "lead"]
        rest = [(n, s) for n, s, mark in responsible if mark != "lead"]
        if flagged:  # "责任单位：县教育局（牵头）、县财政局等"
            found.add_leads(flagged)
        elif not found.leads:
            found.add_leads(rest[:1])
            rest = rest[1:]
        found.add_partners(rest)


def _annotation_span(text: str, label_start: int, value_end: int, lo: int, hi: int) -> Span:
    """Widen a label's span to its enclosing bracket, if it has one."""
    s = label_start
    while s > lo and text[s - 1] in " ；;，,":
        s -= 1
    e = value_end
    if s > lo and text[s - 1] in "（([【":
        s -= 1
        close = re.compile(r"[）)\]】]").search(text, e, hi)
        e = close.end() if close else e
    return s, e


_PAREN = re.compile(r"[（(](?P<body>(?:[^（）()]|（[^（）]*）|\([^()]*\))+)[）)]")
_ROLE_SUFFIX = re.compile(r"(?P<role>共同牵头|牵头负责|牵头|负责|主办|配合|协办|参与|协助|共同负责)$")


def _read_trailing_parentheses(text: str, start: int, end: int, found: UnitFindings) -> None:
    """"（A牵头，B、C配合）" or "（A、B）" closing a sentence or the task."""
    for m in _PAREN.finditer(text, start, end):
        after = text[m.end():end].lstrip(" \t\u3000")
        if after and after[0] not in "。；;，,\n":
            continue  # "各乡镇（街道）要…": part of a name, not an annotation
        leads: list[tuple[str, Span]] = []
        partners: list[tuple[str, Span]] = []
        bare: list[tuple[str, Span]] = []
        ok = True
        body_start = m.start("body")
        for seg in re.finditer(r"[^，,；;]+", m["body"]):
            seg_start, seg_end = body_start + seg.start(), body_start + seg.end()
            role = _ROLE_SUFFIX.search(text, seg_start, seg_end)
            units_end = role.start() if role else seg_end
            units = split_unit_list(text, seg_start, units_end)
            # A role word (牵头/配合) vouches for names of any shape ("各银行业金融机构");
            # without one, every name must look like a unit ("（区教育局）", not "（冷链）").
            vouched = role is not None and all(_plausible_name(n) for n, _ in units)
            if not units or not (vouched or all(is_unit_name(n) for n, _ in units)):
                ok = False
                break
            if role is None:
                bare.extend(units)
            elif role["role"] in ("配合", "协办", "参与", "协助"):
                partners.extend(units)
            else:
                # "（A、B牵头，C配合）": every unit before 牵头 leads; "（A、B负责）": the first.
                jointly = role["role"] in ("共同负责", "共同牵头", "牵头", "牵头负责", "主办")
                leads.extend(units if jointly else units[:1])
                partners.extend([] if jointly else units[1:])
        if not ok:
            continue
        if not leads and bare:
            leads, bare = bare[:1], bare[1:]
        found.add_leads(leads)
        found.add_partners(bare + partners)
        found.annotation_spans.append(m.span())


def _sentence_starts(text: str, start: int, end: int) -> list[int]:
    starts = [start]
    for i in range(start, end):
        if text[i] in "。；;！？!?\n":
            j = i + 1
            while j < end and text[j] in " \t\u3000\n":
                j += 1
            if j < end:
                starts.append(j)
    return starts


def _units_of(text: str, m: re.Match[str]) -> list[tuple[str, Span]]:
    units = []
    for name, span in split_unit_list(text, m.start("units"), m.end("units")):
        if not is_unit_name(name) or GENERIC_UNIT.match(name):
            continue
        units.extend(_split_and(name, span))
    return units


def _split_and(name: str, span: Span) -> list[tuple[str, Span]]:
    """"市水利局和市住建局" (a subject joined by 和/及/与) → two units, when both look like units."""
    for m in re.finditer(r"[和及与]", name):
        left, right = name[:m.start()], name[m.end():]
        if is_unit_name(left) and is_unit_name(right):
            return [(left, (span[0], span[0] + len(left))), *_split_and(right, (span[0] + m.end(), span[1]))]
    return [(name, span)]


def _read_subjects(text: str, start: int, end: int, found: UnitFindings) -> None:
    """"区教育局负责…", "各乡镇（街道）要…", "由A牵头，B配合" at sentence starts."""
    for pos in _sentence_starts(text, start, end):
        sentence_end = min((i for i in (text.find(c, pos, end) for c in "。；;\n") if i >= 0),
                           default=end)
        m = _SUBJECT.match(text, pos, sentence_end) or _BY_UNIT.search(text, pos, sentence_end)
        if not m:
            continue
        units = _units_of(text, m)
        if not units:
            continue
        if m.re is _SUBJECT and re.fullmatch(_PARTNER_VERBS, m["verb"]):
            found.add_partners(units)
            continue
        if m["verb"] in ("共同牵头", "共同负责"):
            found.add_leads(units)
        else:
            found.add_leads(units[:1])
            found.add_partners(units[1:])
        after_subject = m.start("verb") if m.re is _SUBJECT else m.end()  # "A会同B…"
        for pm in list(_WITH_PARTNERS.finditer(text, after_subject, sentence_end)) + list(
                _PARTNER_CLAUSE.finditer(text, m.end(), sentence_end)):
            found.add_partners(_units_of(text, pm))
        return  # the first sentence naming a lead decides the task's lead
