"""Quantitative targets: "增长15%以上", "7.15万户", "1-2个", "新建三所学校".

A target is a number directly followed by a unit of measure. What makes this hard is what
is *not* a target although it has digits: years and dates (2024年, 6月30日), document
numbers (〔2024〕3号), item numbers (1.), ordinals (第一), names (“5+N”, 4×4, 三类500强,
PM2.5, 5G) and qualifiers ("引进10亿元以上项目15个": only 15个 is the target). The rules:

1. A unit must follow the number: years, months, days and 号 are not units, so dates and
   document numbers never match.
2. Numbers inside short quotations, book titles and 〔〕 are names (see textutil).
3. Numbers glued to letters, '+', '×' or preceded by 第/前/后 are names or ordinals.
4. "N unit 以上 + noun" followed by another target in the same clause is a qualifier.
5. Chinese numerals count only in a clause that starts with a verb of building or adding
   (新建, 新增, 建成, 培育…): "新建三所学校" is a target, "三大改造工程", "八项机制" are not.
"""

from __future__ import annotations

import re

from ..dates import DEADLINE_PHRASE
from ..numerals import CN_NUMERAL_CHARS, cn_to_int
from .model import Actual, Indicator
from .textutil import SpanSet

# Units of measure, grouped for reading. A magnitude (万, 亿, 千万…) may precede any of them.
_BASE_UNITS = [
    # shares and rates
    "%", "％", "‰", "个百分点", "百分点", "倍",
    # money
    "元", "美元",
    # counts of things, people and events
    "个", "家", "户", "人次", "人", "名", "位", "所", "座", "处", "项", "条", "套", "台", "辆",
    "艘", "架", "张", "床", "间", "栋", "幢", "场", "场次", "次", "批", "期", "件", "宗", "起",
    "例", "篇", "部", "本", "册", "份", "支", "只", "头", "株", "棵", "盏", "口", "眼", "块",
    "段", "片", "门", "岗", "轮", "轮次", "标箱", "架次", "艘次", "车次", "班次", "人天", "家次", "户次", "批次",
    # length, area, volume, weight, energy
    "公里", "千米", "米", "延米", "平方公里", "平方米", "平米", "立方米", "亩", "公顷",
    "吨", "千克", "公斤", "斤", "千瓦", "兆瓦", "千瓦时", "度", "微克/立方米", "毫克/升",
    # time spans (not 年/月/日: those are dates)
    "小时", "天", "个工作日", "工作日", "个月", "分钟", "周",
    # scores
    "分",
]
_MAGNITUDES = ["万亿", "千亿", "百亿", "十亿", "亿", "千万", "百万", "十万", "万", "千", "百"]


def _alternation(words: list[str]) -> str:
    """Regex alternation, longest first, so "万人次" wins over "万人" and "人"."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_UNIT = rf"(?:(?:{_alternation(_MAGNITUDES)})(?:{_alternation(_BASE_UNITS)})?|(?:{_alternation(_BASE_UNITS)}))"

# An Arabic number as written: 7.15, 2000, 1,200 (thousands separators only before a unit).
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_RANGE_DASH = r"(?:-|—|–|~|～|至|到)"

# The target itself: number [range] [余/多] unit. Look-behind keeps us off the middle of other
# numbers, "PM2.5", "G209", "5+N"; the look-ahead rejects "4×4", "5+N", "3A级".
ARABIC_TARGET = re.compile(
    rf"(?<![\d.A-Za-z+＋×*/])(?P<value>{_NUMBER})"
    rf"(?:\s*{_RANGE_DASH}\s*(?P<value_max>{_NUMBER}))?"
    rf"(?P<approx>[余多])?"
    rf"(?P<unit>{_UNIT})"
    rf"(?![+＋×*A-Za-z])"
)

# Chinese numerals followed by a counting unit ("三所", "两个", "五个").
_CN_COUNT_UNITS = ["个", "家", "所", "座", "处", "条", "项", "场", "次", "批", "期", "支", "名",
                   "户", "套", "台", "辆", "栋", "间", "张", "件", "宗", "人", "轮"]
CHINESE_TARGET = re.compile(
    rf"(?<![{CN_NUMERAL_CHARS}第前后届])(?P<value>[{CN_NUMERAL_CHARS}]{{1,4}})"
    rf"(?P<unit>{_alternation(_CN_COUNT_UNITS)})"
    r"(?!性|系列|些|体|流|线|致|样|同|律|起|般|道|刻|级)"
)
# Enumerators that open a clause in work plans: "一是新建…；二是…", "其一，…".
_ENUMERATOR = r"(?:[一二三四五六七八九十]{1,2}是|其[一二三四五六七八九十]|首先|其次|再次|最后)"
# A clause with a Chinese-numeral target starts with one of these verbs.
_BUILD_VERBS = re.compile(
    rf"^{_ENUMERATOR}?(?:力争|确保|全年|年内|今年|并|再)?(?:新建|新增|新开|新设|新改扩建|改扩建|新建改扩建|建成|建设|"
    r"改造|提质改造|完成|培育|打造|引进|招引|创建|创成|开通|举办|开展|组织|培训|设立|落地|认定|"
    r"遴选|申报|建立|增加|引育|挂牌|命名|评选|扶持|支持|实施)"
)
# Nouns after a Chinese numeral that make it a name ("八项机制", "三项行动").
_NAME_NOUNS = re.compile(r"^(?:机制|制度|行动|工程|清单|举措|措施|原则|体系|模式|战略|理念|要求|"
                         r"统筹|着力|攻坚|专项|计划|关系|方面|领域|环节|结合|服务)")

# Words just before a number that make it an ordinal or a rank, not a quantity.
_ORDINAL_BEFORE = re.compile(r"(?:第|前|后|排名|排位|列|位列)\s*$")
# ... except a rank to reach: "进入全省前5位" is a target (≤ 5); "排名前3位的单位" is not.
_RANK_TARGET_BEFORE = re.compile(r"(?:进入|保持|稳居|位居|位列|跻身|争创|排名|排在)[^，,；;。]{0,8}前\s*$")

# Comparators (see the module docstring of the package): words after the unit, then words
# earlier in the same clause. "力争" reaches back to the start of the sentence.
_GE_AFTER = re.compile(r"^\s*(?:及以上|以上|之上|多|余)")
_LE_AFTER = re.compile(r"^\s*(?:及以下|以下|以内|之内|内)")
_LE_BEFORE = re.compile(r"(?:不超过|不高于|不多于|(?<!不)低于|(?<!不)少于|控制在|压缩至|压缩到|压减至|压减到|降至|降到|"
                        r"降低至|降低到|缩短至|缩短到|减少到|减少至)[^，,、；;。]*$")
_GE_BEFORE = re.compile(r"(?:不低于|不少于|(?<!不)超过|突破|达到|至少|(?<!不)高于|(?<!不)多于|提高到|提高至|提升到|提升至|"
                        r"增加到|增加至|增至|达)[^，,、；;。]{0,2}$")
_GE_SENTENCE = re.compile(r"力争")

# Where a clause starts or ends, for names and quotes.
_CLAUSE_BREAK = "，,；;。！？!?：:\n"
_LIST_BREAK = "、"

# A qualifier: "10亿元以上项目", "5000万元以上的企业" — followed by a noun, not a break.
_QUALIFIER_AFTER = re.compile(r"^\s*(?:及以上|以上|以下)(?:的)?[\u4e00-\u9fff]")

# Leading words that belong to the sentence rather than to the indicator's name.
_NAME_LEAD = re.compile(
    rf"^(?:(?:{_ENUMERATOR}|力争|确保|努力|争取|其中|同时|并且|并|累计|预计|为实现|实现|到|至|在|今年|全年|年内|"
    r"\d{4}年(?:底|末|内|度)?|全市|全区|全县|全镇|全街道|全省)[，,]?)+"
)
_NAME_TAIL = re.compile(r"(?:达到|达|突破|超过|不低于|不少于|不超过|不高于|控制在|压缩至|压缩到|"
                        r"提高到|提高至|提升至|提升到|增加到|增至|降至|降到|为|至|到|均|分别)+$")


def _number(text: str) -> int | float:
    """A JSON number exactly as written: "7.15" → 7.15, "10" → 10, "1,200" → 1200."""
    text = text.replace(",", "")
    return float(text) if "." in text else int(text)


def _clause_start(text: str, pos: int, floor: int, breaks: str) -> int:
    i = pos
    while i > floor and text[i - 1] not in breaks:
        i -= 1
    return i


def _clause_end(text: str, pos: int, ceiling: int, breaks: str) -> int:
    i = pos
    while i < ceiling and text[i] not in breaks:
        i += 1
    return i


def _comparator(text: str, start: int, end: int, lo: int) -> str:
    """≥ / ≤ / = for the target text[start:end], looking at its clause and sentence."""
    after = text[end:end + 4]
    if _LE_AFTER.match(after):
        return "≤"
    if _GE_AFTER.match(after):
        return "≥"
    clause = text[_clause_start(text, start, lo, _CLAUSE_BREAK + _LIST_BREAK):start]
    if _LE_BEFORE.search(clause):
        return "≤"
    if _GE_BEFORE.search(clause):
        return "≥"
    sentence = text[_clause_start(text, start, lo, "。；;！？!?\n"):start]
    if _GE_SENTENCE.search(sentence):
        return "≥"
    return "="


def _describe(text: str, start: int, end: int, lo: int, hi: int,
              prev_end: int) -> tuple[str, str]:
    """(name, quote) of the target text[start:end]; both come from its clause."""
    begin = max(_clause_start(text, start, lo, _CLAUSE_BREAK + _LIST_BREAK), prev_end, lo)
    stop = _clause_end(text, end, hi, _CLAUSE_BREAK + _LIST_BREAK)
    quote = text[begin:stop].strip()
    before = text[begin:start].strip()
    deadline = DEADLINE_PHRASE.match(before)  # "6月底前完成…": the deadline is not the name
    if deadline:
        before = re.sub(r"^(?:前|之前|以前)", "", before[deadline.end():])
    before = _NAME_LEAD.sub("", before)
    before = _NAME_TAIL.sub("", before)
    after = re.sub(r"^(?:及以上|以上|以下|以内|之内|左右|余|多)", "", text[end:stop]).strip()
    after = after.split("的", 1)[0]  # "…90平方公里的目标任务": the name ends before 的
    name = (before + after).strip()
    return name or quote, quote


# ---------------------------------------------------------------------------------------------
# Targets, actuals and gaps
# ---------------------------------------------------------------------------------------------
# A progress or execution report states what was reached: "完成21.91亿元，同比增长1.3%，完成全年
# 目标的48.7%，高于目标2.1个百分点", "截至10月底已建成24个". Such numbers are actuals, not targets.

# "高于目标2.1个百分点": a gap to a target or an average.
_GAP_BEFORE = re.compile(r"(?:高于|低于|超过|超出|快于|慢于|领先|落后)于?(?:全年|年度|同期)?"
                         r"(?:目标|预期目标|预期|计划|序时进度|序时|全省|全市|全国|平均水平|平均)[^，,；;。]{0,4}$")
# "占年计划的53.3%", "完成年度目标任务的55%", "完成率60%".
_SHARE_BEFORE = re.compile(
    r"(?:占|完成|达到)(?:了)?(?:全年|年度|年|总)?(?:计划|目标|任务|目标任务|总计划|计划投资|总投资|计划任务)"
    r"[^，,；;。]{0,14}的$|(?:完成率|完成比例|执行率|完成进度)(?:达到?|为)?$")
# The base of a share that follows: "…42.3万人，占总计划的84.6%".
_SHARE_AFTER = re.compile(r"[^，,；;。]{0,4}?[，,]\s*(?:占|完成)(?:了)?(?:全年|年度|年|总)?(?:计划|目标|任务)")
# "同比增长1.3%", "较上年同期下降2%".
_GROWTH_BEFORE = re.compile(r"(?:同比|比上年同期|较上年同期|比去年同期|较去年同期|同口径)[^，,；;。]{0,4}"
                            r"(?:增长|下降|提高|减少|回落|上升|增加)了?$")
# What a sentence says when it reports what was reached so far.
_PROGRESS_SIGNAL = re.compile(
    r"截至|截止|截止到|上半年|前三季度|今年以来|年初以来|1\s*[-—–~～至]\s*\d{1,2}\s*月|\d{1,2}\s*[-—–~～至]\s*\d{1,2}\s*月份|"
    r"实际完成|完成情况[:：]|进展情况[:：]|已(?:经)?(?:完成|建成|投放|新辟|完工|加装|筛查|开工|实现|新增|解决|"
    r"培训|改造|发放|覆盖|落地|签约|接待|办结|累计|全部|提前|超额)|累计[^，,；;。]{0,8}了|(?:实现|完成)了")
_PERIOD = re.compile(r"截至[^，,；;。]{1,12}?(?:底|末|日|止)|截止[^，,；;。]{1,12}?(?:底|末|日|止)|上半年|前三季度|"
                     r"1\s*[-—–~～至]\s*\d{1,2}\s*月(?:份)?|\d{1,2}\s*[-—–~～至]\s*\d{1,2}\s*月份")
# Words that make a number in a progress sentence a target after all.
_TARGET_WORDS = re.compile(r"目标|计划|力争|确保|争取|预期|下半年|全年|年度|到20\d\d年|今年要|将")
# In a section reporting results ("一、上半年执行情况"), these verbs report an actual.
# (Only verbs that report: 新增/建成 state targets as often as results.)
_REACHED_VERBS = re.compile(r"完成|实现|达到|解决|完工")
# "分解任务15项", "146项工作任务", "30件民生实事": counts of the document's own items.
_META_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,4}?(?:工作任务|重点任务|任务|民生实事|实事|事项|具体工作|重点工作|"
                         r"目标任务|个方面|方面)|^[\u4e00-\u9fff]{0,8}?(?:票决项目|实事项目|民生项目)")
_META_BEFORE = re.compile(r"(?:任务|实事|事项|工作)(?:共|计|共计|合计)?$")
# "从4周延长至12周", "由60%提高到80%": the first number is the starting point.
_BASELINE_BEFORE = re.compile(r"(?:从|由)$")
_BASELINE_AFTER = re.compile(r"^[^，,；;。]{0,6}?(?:延长|提高|提升|增加|增长|扩大|缩短|压缩|降低|下降|减少|调整|放宽)(?:至|到)")


def _is_meta_count(text: str, m: re.Match[str], lo: int) -> bool:
    unit = m["unit"]
    if unit not in ("项", "件", "个"):
        return False
    after = text[m.end():m.end() + 12]
    if unit == "个":
        return after.startswith("方面")
    if text[max(0, m.start() - 1):m.start()] in ("（", "(") and after[:1] in ("）", ")"):
        return True  # "一、城建综合治理类（11件）": the count of a category's items
    return bool(_META_AFTER.match(after) or _META_BEFORE.search(text[max(lo, m.start() - 6):m.start()]))


def _is_baseline(text: str, m: re.Match[str], lo: int) -> bool:
    return (_BASELINE_BEFORE.search(text[max(lo, m.start() - 1):m.start()]) is not None
            and _BASELINE_AFTER.match(text[m.end():m.end() + 12]) is not None)


# "2023年，全市地区生产总值增长5.8%" in a 2024 plan, "去年全区…": last year's results.
_PAST_OPENING = re.compile(r"^(?:去年|上年|过去一年|(?P<year>20\d{2})\s*年(?:全年|以来|度)?)[，,]")


def actual_kind(text: str, start: int, end: int, lo: int, unit: str,
                results_section: bool = False, year: int | None = None) -> str | None:
    """"gap" / "share" / "growth" / "actual" if text[start:end] reports a value reached, else None."""
    clause = text[_clause_start(text, start, lo, _CLAUSE_BREAK):start]
    if unit in ("个百分点", "百分点") and _GAP_BEFORE.search(clause):
        return "gap"
    if _SHARE_BEFORE.search(clause):
        return "share"
    # The sentence may begin before ``lo`` (a case is one clause of "预计1-6月份，完成…；…；…").
    sentence = text[_clause_start(text, start, text.rfind("\n", 0, start) + 1, "。！？!?\n"):start]
    targeted = _TARGET_WORDS.search(clause) is not None
    if _GROWTH_BEFORE.search(clause) and not _TARGET_WORDS.search(sentence):
        return "growth"
    if _SHARE_AFTER.match(text, end) and not targeted:  # "累计完成搬迁42.3万人，占总计划的84.6%"
        return "actual"
    if _PROGRESS_SIGNAL.search(sentence) and not targeted:
        return "actual"
    past = _PAST_OPENING.match(sentence.strip())
    if past and not _TARGET_WORDS.search(sentence) and (
            past["year"] is None or (year is not None and int(past["year"]) < year)):
        return "actual"
    if results_section and _REACHED_VERBS.search(clause) and not targeted:
        return "actual"
    return None


def _period(text: str, start: int, lo: int) -> str | None:
    sentence = text[_clause_start(text, start, text.rfind("\n", 0, start) + 1, "。！？!?\n"):start]
    found = _PERIOD.findall(sentence)
    return found[-1].strip() if found else None


def find_targets(text: str, start: int, end: int, protected: SpanSet, *,
                 actuals: list[Actual] | None = None, results_section: bool = False,
                 all_actual: bool = False, year: int | None = None) -> list[Indicator]:
    """All targets in ``text[start:end]``, in order, with absolute spans.

    Values the text reports as reached (see ``actual_kind``; every value when ``all_actual``,
    as in a table's 完成情况 column) are not targets: they go to ``actuals`` if given.
    ``results_section``: the text stands under a heading such as "一、上半年执行情况".
    """
    found: list[tuple[int, int, re.Match[str], bool]] = []
    for m in ARABIC_TARGET.finditer(text, start, end):
        if _is_name_or_ordinal(text, m, start, protected):
            continue
        found.append((m.start(), m.end(), m, False))
    for m in CHINESE_TARGET.finditer(text, start, end):
        if _is_chinese_target(text, m, start, end, protected):
            found.append((m.start(), m.end(), m, True))
    found.sort(key=lambda item: item[0])

    indicators: list[Indicator] = []
    prev_end = start
    paired: dict[int, str] = {}  # index in ``found`` → name, for "分别" lists
    for i, (s, e, m, chinese) in enumerate(found):
        if i not in paired:
            paired.update(_respective_names(text, found, i, start, indicators))
        if _is_qualifier(text, e, found[i + 1:], end):
            continue
        if _counts_listed_names(text, s, m, max(start, prev_end)):
            continue
        if not chinese and (_is_meta_count(text, m, start) or _is_baseline(text, m, start)):
            continue
        if chinese and m["value"] == "一" and any(
                not c and fs < _clause_end(text, e, end, _CLAUSE_BREAK) for fs, _fe, _fm, c in found[i + 1:]):
            continue  # "建设一座日供水30万吨的净水厂": "一座" is the article, the target follows
        unit_text = m["unit"].replace("％", "%")
        kind = "actual" if all_actual else actual_kind(text, s, e, start, unit_text, results_section, year)
        if kind is not None:
            if actuals is not None:
                value_a = cn_to_int(m["value"]) if chinese else _number(m["value"])
                name_a, quote_a = _describe(text, s, e, start, end, prev_end)
                actuals.append(Actual(name_a, value_a, unit_text, quote_a, (s, e), kind,
                                      _period(text, s, start)))
            prev_end = e
            continue
        if chinese:
            value: int | float = cn_to_int(m["value"])
            value_max = None
        else:
            value = _number(m["value"])
            value_max = _number(m["value_max"]) if m["value_max"] else None
        unit = m["unit"].replace("％", "%")
        if not chinese and _is_rank_target(text, m, start):
            comparator = "≤"  # "前5位": rank 5 or better
        elif not chinese and m["approx"]:
            comparator = "≥"
        else:
            comparator = _comparator(text, s, e, start)
        name, quote = _describe(text, s, e, start, end, prev_end)
        if i in paired:
            name, quote = paired[i], text[_clause_start(text, s, start, _CLAUSE_BREAK):
                                          _clause_end(text, e, end, _CLAUSE_BREAK)].strip()
        for each_name in _shared_subjects(text, s, start, prev_end) or [name]:
            indicators.append(Indicator(name=each_name, value=value, unit=unit,
                                        comparator=comparator, quote=quote, span=(s, e),
                                        value_max=value_max))
        prev_end = e
    return indicators


# "A、B办理时间分别压缩至3个工作日、1个工作日以内"; "接待游客4200万人次、旅游收入480亿元，
# 分别增长8%和10%": the values after 分别 pair, in order, with the subjects listed before it
# in the clause, else with the targets just found in the same sentence.
_RESPECTIVELY = re.compile(r"分别(?P<verb>[\u4e00-\u9fff]{0,4})$")
_RUN_GAP = re.compile(r"^(?:及以上|以上|以内|以下|左右)?(?:、|和|及|与|，|,)?$")


def _respective_names(text: str, found: list, i: int, lo: int,
                      earlier: list[Indicator]) -> dict[int, str]:
    s = found[i][0]
    clause_begin = _clause_start(text, s, lo, _CLAUSE_BREAK)
    m = _RESPECTIVELY.search(text, clause_begin, s)
    if not m:
        return {}
    run = [i]  # the values listed after 分别: "8%和10%", "3个工作日、1个工作日"
    while run[-1] + 1 < len(found) and _RUN_GAP.match(
            text[found[run[-1]][1]:found[run[-1] + 1][0]]):
        run.append(run[-1] + 1)
    if len(run) < 2:
        return {}
    subjects = [x for x in re.split(r"[、和及与]", text[clause_begin:m.start()]) if x]
    if len(subjects) != len(run):
        sentence_begin = _clause_start(text, s, lo, "。；;！？!?\n")
        subjects = [ind.name for ind in earlier if ind.span[0] >= sentence_begin]
        if len(subjects) < len(run):
            return {}
        subjects = subjects[-len(run):]
    return {k: _NAME_TAIL.sub("", _NAME_LEAD.sub("", subject.strip()) + m["verb"])
            for k, subject in zip(run, subjects, strict=True)}


# "中老、中越、中缅、怀化至北部湾4条国际物流大通道": the number counts the names just listed.
_ENUMERATION_UNITS = {"个", "条", "家", "项", "所", "座", "处", "类", "种", "大"}


def _counts_listed_names(text: str, start: int, m: re.Match[str], lo: int) -> bool:
    if m["unit"] not in _ENUMERATION_UNITS or m["value"] in (None, ""):
        return False
    clause = text[_clause_start(text, start, lo, _CLAUSE_BREAK):start].lstrip("、")
    if clause.endswith("等") or re.search(r"\d", clause):
        return False  # "…等5条" lists only some; digits mean other targets in between
    names = clause.split("、")
    if len(names) < 3 or any(len(n) > 12 for n in names[:-1]):
        return False
    try:
        count = int(m["value"]) if m["value"].isdigit() else cn_to_int(m["value"])
    except ValueError:
        return False
    return len(names) == count


# "技工贸总收入、亩均生产总值、亩均税收均增长15%以上": one target shared by three subjects.
_SHARED = re.compile(r"^(?P<subjects>[^，,；;。]+?)均(?P<verb>增长|提高|提升|下降|降低|达到|达|超过|突破)?$")


def _shared_subjects(text: str, start: int, lo: int, prev_end: int) -> list[str] | None:
    begin = max(_clause_start(text, start, lo, _CLAUSE_BREAK), prev_end)
    m = _SHARED.match(_NAME_LEAD.sub("", text[begin:start].strip()))
    if not m or "、" not in m["subjects"]:
        return None
    return [subject + (m["verb"] or "") for subject in m["subjects"].split("、") if subject]


def _is_name_or_ordinal(text: str, m: re.Match[str], lo: int, protected: SpanSet) -> bool:
    if protected.covers(m.start()):
        return True
    if _ORDINAL_BEFORE.search(text[max(lo, m.start() - 3):m.start()]):
        return not _is_rank_target(text, m, lo)
    return False


def _is_rank_target(text: str, m: re.Match[str], lo: int) -> bool:
    return (m["unit"] in ("位", "名") and not text.startswith("的", m.end())
            and _RANK_TARGET_BEFORE.search(text[max(lo, m.start() - 12):m.start()]) is not None)


def _is_chinese_target(text: str, m: re.Match[str], lo: int, hi: int,
                       protected: SpanSet) -> bool:
    if protected.covers(m.start()):
        return False
    if m["value"] in ("一", "两", "二") and m["unit"] == "批":
        return False  # "一批" is "a number of", not a count
    try:
        cn_to_int(m["value"])
    except ValueError:
        return False
    if _NAME_NOUNS.match(text[m.end():m.end() + 2]):
        return False
    clause_begin = _clause_start(text, m.start(), lo, _CLAUSE_BREAK)
    item_begin = _clause_start(text, m.start(), lo, _CLAUSE_BREAK + _LIST_BREAK)
    clause = text[clause_begin:m.start()]
    if not _BUILD_VERBS.match(clause) and not _BUILD_VERBS.match(text[item_begin:m.start()]):
        return False
    # Either right after the verb ("新建三所学校") or closing its clause ("…中心五个").
    right_after_verb = _BUILD_VERBS.fullmatch(text[item_begin:m.start()]) is not None
    # "…演练两次以上": a comparator word may stand between the count and the clause's end.
    rest = _CLAUSE_END_WORDS.sub("", text[m.end():min(hi, m.end() + 8)])  # hi: a cell's end
    closes_clause = not rest or rest[0] in _CLAUSE_BREAK + _LIST_BREAK
    return right_after_verb or closes_clause


_CLAUSE_END_WORDS = re.compile(r"^(?:及以上|以上|以内|之内|左右|余)")


def _is_qualifier(text: str, end: int, later: list, hi: int) -> bool:
    """'N亿元以上项目M个': N is a size class when another target follows in the clause."""
    if not _QUALIFIER_AFTER.match(text[end:end + 6]):
        return False
    clause_end = _clause_end(text, end, hi, _CLAUSE_BREAK + _LIST_BREAK)
    return any(s < clause_end for s, *_ in later)
