"""Assemble a draft plan from the outline: goals, actions, cases, units, deadlines.

How the outline maps onto the plan (see docs/extraction.md):

- Goals come from sections titled "…目标" (主要目标, 预期目标, 总体目标), wherever they are:
  one goal per sub-item ("——…", "1.") or, for a plain paragraph, per sentence/clause.
- Sections about how the plan is run (组织实施, 保障措施, 工作要求, 指导思想…) are skipped.
- The other top-level sections hold the tasks. A section whose children are themselves
  substantial (sub-items, or long paragraphs) is a container: each child is an action
  ("二、重点任务" → "（一）…（八）"). A section whose children are short single tasks is
  one action and its children are its cases ("一、项目内容" → "（一）…（十）").
- An action without sub-items has one case per sentence; a short lead sentence such as
  "全力做大新能源及其装备产业。" becomes the title of the case that follows it.
- Table rows are cases; a row restating an existing case (same title) enriches it instead.
- A document with no numbering at all: each paragraph is an action, its sentences cases.
"""

from __future__ import annotations

import re
from datetime import date

from ..dates import find_all_deadlines, parse_deadline
from .draft_helpers import (
    _detect_title,
    _detect_year,
    _first_sentence,
    _list_kind,
    _merge,
    _shorten,
    _split_title,
    _title_key,
    _units,
)
from .errors import PlanTextError
from .model import Action, Actual, Case, Goal, Indicator, PlanDraft, Unit
from .structure import Section, Table, parse_outline
from .targets import find_targets
from .textutil import Span, SpanSet, has_cjk, protected_spans, split_sentences
from .units import LABEL_LINE, find_units, split_unit_list_marked

_GOAL_TITLE = re.compile(r"目标|指标")
_NOT_GOAL_TITLE = re.compile(r"任务|措施|举措|分工")
_SKIP_TITLE = re.compile(
    r"组织实施|保障措施|保障机制|工作要求|组织领导|工作机制|实施步骤|进度安排|步骤安排|时间安排|"
    r"总体要求|指导思想|基本原则|工作原则|有关要求|工作保障|督查考核|考核评价|考核奖惩|附则|"
    r"背景|形势|宣传引导|其他事项|有关事项|实施时间|政策依据|编制依据"
)
# Paragraphs before the tasks ("为…，制定本方案。", "现将…安排如下：") and closing ones.
_PREAMBLE = re.compile(r"如下[:：。]?$|特制定|制定本方案|制定如下|现将|现就|结合.{0,10}实际|通知如下")
_CLOSING = re.compile(r"^(?:请|本方案|本安排|本计划|本清单|以上|特此)")

# A short sentence that announces the tasks after it ("全力做大新能源及其装备产业。").
_MAX_LEAD_SENTENCE = 16
# Children with at most this many sentences each are single tasks (cases), not actions.
_MAX_CASE_SENTENCES = 4
_MAX_CASE_CHARS = 400

_KIND_WORDS = {"任务": "task", "政策": "policy", "项目": "project"}
# Headings of sections that report results ("一、上半年执行情况", "（一）主要经济指标完成情况").
_RESULTS_HEADING = re.compile(r"执行情况|完成情况|进展情况|进度情况|推进情况|工作回顾|工作成效|基本情况|取得成效")
_NOT_RESULTS_HEADING = re.compile(r"目标|安排|计划|打算|任务|措施|要求")
# A line opening one item of a label block ("项目名称：…" then "建设内容：…", "牵头单位：…").
_ITEM_LABEL = re.compile(r"^(?:项目名称|任务名称|工作任务|重点任务|项目|事项|实事名称|名称|工作内容|任务)\s*[:：]\s*")
_ANY_LABEL = re.compile(r"^[\u4e00-\u9fff]{2,6}\s*[:：]")


def draft_plan(text: str, *, year: int | None = None) -> PlanDraft:
    """Build a ``PlanDraft`` (with source positions) from a plan's plain text."""
    if not isinstance(text, str) or not text.strip():
        raise PlanTextError("文本为空，没有可识别的方案内容。")
    if not has_cjk(text):
        raise PlanTextError("文本中没有中文内容，不像是一份工作方案。")
    root = parse_outline(text)
    title = _detect_title(text, root)
    year = year or _detect_year(title, text)
    draft = _Builder(text, year).build(root, title)
    # A task split without any number (every task qualitative, each with its 牵头单位) or a
    # progress report (actuals only) is still a plan of the genre: only a text with neither
    # targets, actuals nor named units is refused.
    if not draft.all_indicators() and not draft.all_actuals() and not draft.lead_mentions():
        raise PlanTextError("未在文本中识别到任何量化指标（如“新增就业3600人”“增长15%以上”），"
                            "请确认上传的是含目标任务的工作方案正文。")
    return draft


class _Builder:
    """Holds the text and its protected spans while the draft is assembled."""

    def __init__(self, text: str, year: int):
        self.text = text
        self.year = year
        self.protected: SpanSet = protected_spans(text)
        self.cases: list[Case] = []  # every case so far, for table rows restating them
        self._spawned: dict[int, list[Action]] = {}  # section action → table group actions
        self.results = SpanSet([])  # sections reporting results, where 完成… is an actual

    # -- top level --------------------------------------------------------------------------

    def _results_spans(self, section: Section) -> list[Span]:
        spans = []
        for child in section.children:
            heading = self.heading_title(child)
            if _RESULTS_HEADING.search(heading) and not _NOT_RESULTS_HEADING.search(heading):
                spans.append((child.content[0], child.end()))
            else:
                spans.extend(self._results_spans(child))
        return spans

    def build(self, root: Section, title: str) -> PlanDraft:
        self.results = SpanSet(self._results_spans(root))
        goal_sections: list[Section] = []
        task_sections: list[Section] = []
        annexes: list[Section] = []
        for section in root.children:
            heading = self.heading_title(section)
            if section.style == "annex":
                annexes.append(section)
            elif _GOAL_TITLE.search(heading) and not _NOT_GOAL_TITLE.search(heading):
                goal_sections.append(section)
            elif _SKIP_TITLE.search(heading):
                goal_sections.extend(c for c in section.children
                                     if _GOAL_TITLE.search(self.heading_title(c))
                                     and not _NOT_GOAL_TITLE.search(self.heading_title(c)))
            else:
                task_sections.append(section)

        goals = [g for s in goal_sections for g in self.goals_of(s)]
        actions: list[Action] = []
        if root.children:  # the preamble: a 通知's "主要预期目标是：…" stands before any heading
            goals = self.preamble_goals(root) + goals
        if not root.children:
            goals, actions = self.paragraph_plan(root, title)
        elif task_sections and all(self.is_single_task(s) for s in task_sections):
            actions.append(self.action_of_items(task_sections, title))  # a flat list of items
        else:
            for section in task_sections:
                if section.children and not all(self.is_single_task(c) for c in section.children):
                    for child in section.children:
                        actions.extend(self.actions_of_section(child))
                else:
                    actions.extend(self.actions_of_section(section))
        for table in root.tables:
            self.add_table(table, actions, title)
        for annex in annexes:
            self.add_annex(annex, actions)
        actions = [a for a in actions if a.cases or a.indicators]
        for i, action in enumerate(actions, 1):
            action.index = i
        for i, goal in enumerate(goals, 1):
            goal.index = i
        return PlanDraft(title=title, year=self.year, goals=goals, actions=actions)

    # -- headings and sentences --------------------------------------------------------------

    def heading_span(self, section: Section) -> Span:
        """The heading's first sentence, plus a unit annotation right after it."""
        start, end = section.content
        sentences = split_sentences(self.text, start, end)
        if not sentences:
            return start, end
        head_end = sentences[0][1]
        if len(sentences) > 1 and self._is_annotation(sentences[1]):
            head_end = sentences[1][1]
        return start, head_end

    def heading_title(self, section: Section) -> str:
        start, end = section.content
        sentences = split_sentences(self.text, start, end)
        if not sentences:
            return ""
        s, e = sentences[0]
        return self._strip_annotations(s, e)

    def _strip_annotations(self, start: int, end: int) -> str:
        """Text of a span without unit/deadline annotations and closing punctuation."""
        found = find_units(self.text, start, end)
        pieces, pos = [], start
        for s, e in sorted(found.annotation_spans):
            if s >= pos:
                pieces.append(self.text[pos:s])
                pos = e
        pieces.append(self.text[pos:end])
        return re.sub(r"[。；;，,：:\s]+$", "", "".join(pieces)).strip()

    def _is_annotation(self, span: Span) -> bool:
        return LABEL_LINE.match(self.text, span[0], span[1]) is not None

    def sentence_count(self, section: Section) -> int:
        start, end = section.content[0], section.end()
        return len([s for s in split_sentences(self.text, start, end) if not self._is_annotation(s)])

    def is_single_task(self, section: Section) -> bool:
        """A leaf item short enough to be one case rather than an action."""
        if section.children or section.tables:
            return False
        # Two paragraphs of tasks under one heading are two cases, not one.
        paragraphs = [line for line in section.body if not self._is_annotation(line.span)]
        heading_rest = self.heading_span(section)[1] < section.content[1]
        if len(paragraphs) + (1 if heading_rest else 0) > 1:
            return False
        return (self.sentence_count(section) <= _MAX_CASE_SENTENCES
                and section.end() - section.content[0] <= _MAX_CASE_CHARS)

    # -- goals -------------------------------------------------------------------------------

    def goals_of(self, section: Section) -> list[Goal]:
        goals: list[Goal] = []
        if section.children:
            for line in section.body:  # an introduction above the sub-items
                goals.extend(g for g in self.goals_of_paragraph(line.span) if g.indicators)
            for child in section.children:
                span = (child.content[0], child.end())
                goal = Goal(0, self.heading_title(child) or self._snippet(span))
                goal.indicators = self.targets(*span, owner=goal)
                self.add_goal_units(goal, span)
                goals.append(goal)
            return goals
        for line in section.body:
            if goals and self._is_annotation(line.span):
                self.add_goal_units(goals[-1], line.span)  # "牵头单位：…" under the goal
                continue
            goals.extend(self.goals_of_paragraph(line.span))
        return goals

    def add_goal_units(self, goal: Goal, span: Span) -> None:
        found = find_units(self.text, *span)
        for names, holder in ((found.leads, goal.leads), (found.partners, goal.partners)):
            for unit in _units(names):
                same = next((u for u in holder if u.name == unit.name), None)
                if same is None:
                    holder.append(unit)
                else:
                    same.spans.extend(unit.spans)

    def goals_of_paragraph(self, span: Span) -> list[Goal]:
        """One goal per sentence or semicolon clause of a paragraph of goals."""
        goals: list[Goal] = []
        for s, e in split_sentences(self.text, *span):
            if goals and self._is_annotation((s, e)):
                self.add_goal_units(goals[-1], (s, e))
                continue
            title = self._strip_annotations(s, e)
            if title:
                goal = Goal(0, _shorten(title))
                goal.indicators = self.targets(s, e, owner=goal)
                self.add_goal_units(goal, (s, e))
                goals.append(goal)
        return goals

    def preamble_goals(self, root: Section) -> list[Goal]:
        """Goals stated before the first heading (a notice's or a plan's opening paragraph)."""
        goals: list[Goal] = []
        for line in root.body:
            if not self.targets(*line.span):
                continue
            goals.extend(g for g in self.goals_of_paragraph(line.span) if g.indicators)
        return goals

    # -- actions -----------------------------------------------------------------------------

    def actions_of_section(self, section: Section) -> list[Action]:
        """The section's action, followed by any its tables' category rows create."""
        action = self.action_of_section(section)
        return [action, *self._spawned.pop(id(action), [])]

    def action_of_section(self, section: Section) -> Action:
        head = self.heading_span(section)
        title, subtitle = _split_title(self.heading_title(section))
        action = Action(0, title or self._snippet(head), subtitle)
        leads = self.annotation_leads(section, head)
        action.leads = leads
        action.indicators = self.targets(*head, owner=action)
        if section.children:
            for line in section.body:  # an introduction above the sub-items
                if not self._is_annotation(line.span):
                    action.indicators += self.targets(*line.span, owner=action)
            for leaf in section.leaves():
                inherited = self.inherited_leads(leaf, section) or leads
                action.cases.append(self.case_of_span((leaf.content[0], leaf.end()), inherited,
                                                      title=self.heading_title(leaf)))
        else:
            body_spans = []
            if head[1] < section.content[1]:
                body_spans.append((head[1], section.content[1]))
            body_spans += [line.span for line in section.body
                           if not (line is section.body[0] and self._is_annotation(line.span)
                                   and leads)]
            action.cases.extend(self.cases_of_sentences(body_spans, leads))
        holder = [action]
        for table in self.tables_under(section):
            self.add_table(table, holder, action.title, default=action)
        if len(holder) > 1:  # grouped rows ("所属行动" column or category rows): new actions
            self._spawned[id(action)] = holder[1:]
        return action

    def action_of_items(self, sections: list[Section], title: str) -> Action:
        """One action whose cases are the given (short) sections."""
        action = Action(0, title, None)
        for section in sections:
            action.cases.append(self.case_of_span((section.content[0], section.end()), [],
                                                  title=self.heading_title(section)))
        return action

    def tables_under(self, section: Section) -> list[Table]:
        tables = list(section.tables)
        for child in section.children:
            tables.extend(self.tables_under(child))
        return tables

    def annotation_leads(self, section: Section, head: Span) -> list[Unit]:
        """Leads written on a heading ("（牵头单位：…）") or on a label line just under it."""
        spans = [head]
        if section.body and self._is_annotation(section.body[0].span):
            spans.append(section.body[0].span)
        for s, e in spans:
            found = find_units(self.text, s, e)
            if found.annotation_spans and found.leads:
                return _units(found.leads)
        return []

    def inherited_leads(self, leaf: Section, action_section: Section) -> list[Unit]:
        """Leads annotated on headings between the action and the leaf (nearest first)."""
        node = leaf.parent
        while node is not None and node is not action_section:
            leads = self.annotation_leads(node, self.heading_span(node))
            if leads:
                return leads
            node = node.parent
        return []

    # -- cases -------------------------------------------------------------------------------

    def cases_of_sentences(self, spans: list[Span], inherited: list[Unit]) -> list[Case]:
        """One case per sentence; lead sentences and label lines join their neighbours."""
        sentences: list[Span] = []
        for span in spans:
            sentences.extend(split_sentences(self.text, *span))
        groups: list[list[Span]] = []
        pending_lead: Span | None = None
        for sentence in sentences:
            if self._is_annotation(sentence) and groups:
                groups[-1].append(sentence)  # "责任单位：…" under the task it belongs to
                continue
            if self._is_lead_sentence(sentence):
                if pending_lead is not None:
                    groups.append([pending_lead])
                pending_lead = sentence
                continue
            groups.append([pending_lead, sentence] if pending_lead else [sentence])
            pending_lead = None
        if pending_lead is not None:
            groups.append([pending_lead])
        cases = []
        for group in groups:
            title = None
            if len(group) > 1 and self._is_lead_sentence(group[0]):
                title = self._strip_annotations(*group[0])
            cases.append(self.case_of_span((group[0][0], group[-1][1]), inherited, title=title))
        return cases

    def _is_lead_sentence(self, span: Span) -> bool:
        s, e = span
        sentence = self.text[s:e]
        return (e - s <= _MAX_LEAD_SENTENCE and sentence.endswith("。")
                and not re.search(r"\d|[（(：:]", sentence))

    def case_of_span(self, span: Span, inherited: list[Unit], title: str | None = None) -> Case:
        s, e = span
        found = find_units(self.text, s, e)
        body = self._strip_annotations(s, e)
        case_title = _shorten(title or _first_sentence(body))
        case = Case(
            title=case_title,
            text=self.text[s:e],
            span=span,
            list_kind=_list_kind(body, case_title),
            leads=_units(found.leads) or list(inherited),
            partners=_units(found.partners, "partner"),
            persons=list(dict.fromkeys(found.persons)),
        )
        case.indicators = self.targets(s, e, owner=case)
        case.deadline = self.deadline(found.deadline_text, self.text[s:e])
        self.cases.append(case)
        return case

    def deadline(self, labelled: str | None, text: str) -> date | None:
        """A labelled deadline ("完成时限：…") wins; else the latest date in the text."""
        if labelled:
            parsed = parse_deadline(labelled, self.year)
            if parsed:
                return parsed
        # "截至9月底，已建成7个" dates a report, not a deadline.
        text = re.sub(r"(?:截至|截止到?)[^，,；;。]{1,12}?(?:底|末|日|止)", "", text)
        found = find_all_deadlines(text, self.year)
        return max(found) if found else None

    def targets(self, start: int, end: int, owner=None, all_actual: bool = False) -> list[Indicator]:
        """Targets of text[start:end]; values reported as reached go to ``owner.actuals``."""
        actuals: list[Actual] = []
        found = find_targets(self.text, start, end, self.protected, actuals=actuals,
                             results_section=self.results.covers(start), all_actual=all_actual,
                             year=self.year)
        if owner is not None:
            taken = {a.span for a in owner.actuals}
            owner.actuals.extend(a for a in actuals if a.span not in taken)
        return found

    def _snippet(self, span: Span) -> str:
        return _shorten(self.text[span[0]:span[1]])

    # -- documents without numbering ---------------------------------------------------------

    def paragraph_plan(self, root: Section, title: str) -> tuple[list[Goal], list[Action]]:
        goals: list[Goal] = []
        actions: list[Action] = []
        lines = list(root.body)
        if any(_ITEM_LABEL.match(line.text) for line in lines):
            block = self.label_blocks(lines, title)
            if block is not None:
                return goals, [block]
        for line in lines:
            text = line.text
            if text.strip() == title or (len(text) <= 60 and not re.search(r"[。；;！!]", text)
                                         and not self.targets(*line.span)):
                continue  # title lines, the document number, the addressee
            if actions and actions[-1].cases and self._is_annotation(line.span):
                case = actions[-1].cases[-1]  # "牵头单位：…" under the paragraph above
                self.cases.remove(case)
                actions[-1].cases[-1] = self.case_of_span((case.span[0], line.span[1]), [],
                                                          title=case.title)
                continue
            if _PREAMBLE.search(text) or _CLOSING.search(text):
                # "主要预期目标是：…。现将…印发给你们": a notice's paragraph may hold the goals.
                goals.extend(g for g in self.goals_of_paragraph(line.span) if g.indicators)
                continue
            sentences = split_sentences(self.text, *line.span)
            first = self.text[sentences[0][0]:sentences[0][1]]
            if re.match(r"^(?:主要|工作|总体|发展|年度)?目标", first):
                goals.extend(self.goals_of_paragraph(line.span))
                continue
            if self._is_lead_sentence(sentences[0]) and len(sentences) > 1:
                action = Action(0, self._strip_annotations(*sentences[0]), None)
                rest = [(sentences[1][0], line.span[1])]
            else:
                action = Action(0, _shorten(_first_sentence(text)), None)
                rest = [line.span]
            action.cases = self.cases_of_sentences(rest, [])
            actions.append(action)
        return goals, actions

    def label_blocks(self, lines: list, title: str) -> Action | None:
        """"项目名称：A / 建设内容：… / 牵头单位：… / 完成时限：…" blocks, one case each."""
        action = Action(0, title, None)
        block: list = []

        def close() -> None:
            if block:
                m = _ITEM_LABEL.match(block[0].text)
                name = block[0].text[m.end():].strip() if m else None
                action.cases.append(self.case_of_span((block[0].span[0], block[-1].span[1]), [],
                                                      title=name or None))

        for line in lines:
            if _ITEM_LABEL.match(line.text):
                close()
                block = [line]
            elif block and _ANY_LABEL.match(line.text):
                block.append(line)
            else:
                close()
                block = []
        close()
        return action if action.cases else None

    # -- tables ------------------------------------------------------------------------------

    def add_annex(self, annex: Section, actions: list[Action]) -> None:
        title = re.sub(r"^[:：\s]+", "", self.heading_title(annex)) or "附件"
        if not annex.tables and not annex.children and not annex.body:
            return
        holder = Action(0, title, None)
        for table in self.tables_under(annex):
            self.add_table(table, actions, title, default=holder)
        if holder.cases and holder not in actions:
            actions.append(holder)

    def add_table(self, table: Table, actions: list[Action], title: str,
                  default: Action | None = None) -> None:
        """Each row a case: merged into an existing case with the same title, else added to
        the action named in a group column, else to ``default`` (or a new action)."""
        group_value = ""
        for n, row in enumerate(table.rows):
            cells = {role: cell for role, cell in zip(table.roles, row, strict=False) if role}
            if not any(c.text for role, c in cells.items() if role in ("title", "detail")):
                continue
            if "group" in cells and cells["group"].text:
                group_value = cells["group"].text  # merged cells come through empty: carry on
            elif n < len(table.row_groups) and table.row_groups[n] is not None:
                group_value = table.row_groups[n].text  # a category row above the row
            case = self.case_of_row(cells, [c for r, c in zip(table.roles, row, strict=False)
                                            if r == "actual"])
            existing = self.find_case(case.title)
            if existing is not None:
                _merge(existing, case)
                continue
            self.cases.append(case)
            target = None
            if group_value:
                target = next((a for a in actions if group_value in (a.title, a.subtitle)), None)
                if target is None:
                    target = Action(0, group_value, None)
                    actions.append(target)
            elif default is not None:
                target = default
            else:
                target = next((a for a in actions if a.title == title), None)
                if target is None:
                    target = Action(0, title, None)
                    actions.append(target)
            target.cases.append(case)

    def case_of_row(self, cells: dict, actual_cells: list = ()) -> Case:
        title_cell = cells.get("title")
        detail = cells.get("detail")
        spans = [p for c in (title_cell, detail) if c is not None and c.text for p in c.parts]
        text = "：".join(self.text[s:e] for s, e in spans)
        leads: list[tuple[str, Span]] = []
        partners: list[tuple[str, Span]] = []

        def units_of(cell) -> list[tuple[str, Span, str | None]]:
            return [u for s, e in cell.parts for u in split_unit_list_marked(self.text, s, e)]

        if "lead" in cells:
            leads = [(n, s) for n, s, _ in units_of(cells["lead"])]
        elif "lead_list" in cells:
            units = units_of(cells["lead_list"])
            flagged = [(n, s) for n, s, mark in units if mark == "lead"]
            rest = [(n, s) for n, s, mark in units if mark != "lead"]
            leads, partners = (flagged, rest) if flagged else (rest[:1], rest[1:])
        if "partner" in cells:
            for n, s, mark in units_of(cells["partner"]):
                (leads if mark == "lead" and not leads else partners).append((n, s))
        persons = [n for n, _, _ in units_of(cells["person"])] if "person" in cells else []
        holder = Case("", "", (0, 0))
        indicators = [i for s, e in spans for i in self.targets(s, e, owner=holder)]
        for cell in actual_cells:  # 完成情况 / 完成率 columns: values reached, not targets
            for s, e in cell.parts:
                self.targets(s, e, owner=holder, all_actual=True)
        deadline_text = cells["deadline"].text if "deadline" in cells else None
        kind = cells["kind"].text if "kind" in cells else ""
        row_span = (min(c.span[0] for c in cells.values()), max(c.span[1] for c in cells.values()))
        return Case(
            title=_shorten(title_cell.text if title_cell and title_cell.text else text),
            text=text,
            span=row_span,
            list_kind=next((v for k, v in _KIND_WORDS.items() if k in kind),
                           _list_kind(text, title_cell.text if title_cell else "")),
            leads=_units(leads),
            partners=[u for u in _units(partners, "partner") if u.name not in {x for x, _ in leads}],
            deadline=self.deadline(deadline_text, text),
            indicators=indicators,
            actuals=holder.actuals,
            persons=persons,
        )

    def find_case(self, title: str) -> Case | None:
        key = _title_key(title)
        if len(key) < 4:
            return None
        for case in self.cases:
            other = _title_key(case.title)
            if key == other or (len(other) >= 4 and (key in other or other in key)):
                return case
        return None


__all__ = ["draft_plan"]
