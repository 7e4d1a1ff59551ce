"""Match the unit names a plan writes to the installation's departments, with a confidence.

Plans write units as their authors say them: "区发改局" for 区发展和改革局, "县人社局" for
县人力资源和社会保障局, "市场监管局" for 市场监督管理局, "区教育局（牵头）" with a role word, or
without the district's prefix ("发展改革局"). ``match_department`` ranks the known departments
for one written name:

======================  ===========  ==================================================
how it matches          confidence   example
======================  ===========  ==================================================
same name / short name  1.00         区教育局 = 区教育局
same after role words   0.98         区教育局（牵头） = 区教育局
same core, any prefix   0.92         发展和改革局 = 鹤城区发展和改革局
abbreviation table      0.90         区发改局 = 区发展和改革局; 住建局 = 住房和城乡建设局
similar text            ≤ 0.75       区文旅局 ~ 区文化旅游广电局 (difflib ratio × 0.75)
======================  ===========  ==================================================

A match of 0.9 or more may be taken without asking (the review screen still shows it); a
lower one is only a suggestion, and a name without any match is a new department that the
office must confirm. Pure Python: the caller passes the known departments in.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from .units import clean_unit_name

# Common abbreviations of Chinese government departments → their full core names (without the
# district prefix). Several full names where districts differ (发改委 is a 委员会 in cities).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "发改局": ("发展和改革局", "发展改革局"),
    "发改委": ("发展和改革委员会", "发展改革委员会", "发展和改革委", "发展改革委", "发展和改革局"),
    "发展改革局": ("发展和改革局",),
    "发展改革委": ("发展和改革委员会",),
    "住建局": ("住房和城乡建设局", "住房城乡建设局"),
    "住建委": ("住房和城乡建设委员会", "住房城乡建设委员会", "住房和城乡建设委"),
    "住房城乡建设局": ("住房和城乡建设局",),
    "人社局": ("人力资源和社会保障局", "人力资源社会保障局"),
    "人力资源社会保障局": ("人力资源和社会保障局",),
    "人力社保局": ("人力资源和社会保障局",),
    "工信局": ("工业和信息化局", "工业和信息化委员会"),
    "经信局": ("经济和信息化局", "经济和信息化委员会"),
    "科技局": ("科学技术局", "科技和工业信息化局"),
    "自然资源局": ("自然资源和规划局",),
    "自规局": ("自然资源和规划局", "自然资源局"),
    "规划局": ("自然资源和规划局", "规划和自然资源局"),
    "国土局": ("国土资源局", "自然资源和规划局", "自然资源局"),
    "生态环境局": ("生态环境分局",),
    "环保局": ("生态环境局", "环境保护局", "生态环境分局"),
    "交通局": ("交通运输局",),
    "交运局": ("交通运输局",),
    "农业局": ("农业农村局",),
    "农委": ("农业农村委员会", "农业农村局"),
    "水务局": ("水利局",),
    "商务局": ("商务和粮食局",),
    "文旅局": ("文化和旅游局", "文化旅游广电体育局", "文化广电和旅游局", "文化旅游局"),
    "文广旅局": ("文化广电和旅游局", "文化广电旅游局"),
    "文广旅体局": ("文化广电旅游体育局", "文化广电和旅游体育局"),
    "文体局": ("文化体育局", "文化和体育局"),
    "卫健局": ("卫生健康局", "卫生和健康局"),
    "卫健委": ("卫生健康委员会", "卫生和健康委员会", "卫生健康局"),
    "卫生健康委": ("卫生健康委员会",),
    "应急局": ("应急管理局",),
    "市场局": ("市场监督管理局",),
    "市监局": ("市场监督管理局",),
    "市场监管局": ("市场监督管理局",),
    "医保局": ("医疗保障局",),
    "退役军人局": ("退役军人事务局",),
    "教体局": ("教育和体育局", "教育体育局"),
    "城管局": ("城市管理局", "城市管理和综合执法局", "城市管理综合执法局"),
    "综合执法局": ("综合行政执法局", "城市管理和综合执法局"),
    "审批局": ("行政审批服务局", "行政审批局"),
    "行政审批局": ("行政审批服务局",),
    "数据局": ("数据资源管理局", "大数据管理局", "数据局"),
    "大数据局": ("大数据管理局", "大数据发展管理局", "数据资源管理局"),
    "国资局": ("国有资产监督管理局", "国有资产管理局"),
    "国资委": ("国有资产监督管理委员会",),
    "林业局": ("林业和草原局",),
    "林草局": ("林业和草原局",),
    "粮食局": ("粮食和物资储备局",),
    "投促局": ("投资促进局",),
    "招商局": ("招商合作局", "投资促进局"),
    "金融办": ("地方金融监督管理局", "金融工作办公室", "金融服务中心"),
    "人防办": ("人民防空办公室",),
    "政府办": ("人民政府办公室", "政府办公室"),
    "督查室": ("人民政府督查室", "政府督查室"),
    "统计局": ("统计局",),
    "残联": ("残疾人联合会",),
    "妇联": ("妇女联合会",),
    "团委": ("共青团委员会",),
    "科协": ("科学技术协会",),
    "工商联": ("工商业联合会",),
    "总工会": ("总工会",),
    "宣传部": ("委宣传部",),
    "组织部": ("委组织部",),
    "统战部": ("委统战部",),
    "政法委": ("委政法委员会", "委政法委"),
    "编办": ("委机构编制委员会办公室", "委编办"),
    "文明办": ("精神文明建设办公室", "委宣传部（文明办）"),
    "税务局": ("税务局",),
    "公安局": ("公安分局",),
    "公安分局": ("公安局",),
    "融媒体中心": ("融媒体中心",),
}

# District prefixes end in one of these characters: "区", "鹤城区", "怀化市鹤城区", "县", "市".
_AREA_END = "省市州盟区县旗"
# Prefix-like words that are part of the unit itself: 开发区管委会 is not 高新区管委会.
_OWN_AREA = re.compile(r"(?:开发区|高新区|园区|景区|片区|保税区|示范区|试验区|功能区)$")

TRUST = 0.9  # a match at or above this may be taken without asking


@dataclass(frozen=True)
class DepartmentMatch:
    """One candidate department for a written unit name."""

    name: str  # the known department's name
    confidence: float
    how: str  # "exact", "role words", "prefix", "abbreviation", "similar"


def normalise(name: str) -> str:
    """NFKC, no blanks, no role words or trailing 等."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name or "")))
    return clean_unit_name(text.replace("(", "（").replace(")", "）"))


def cores(name: str) -> set[str]:
    """The name and what is left after each possible district prefix:
    "鹤城区发展和改革局" → {"鹤城区发展和改革局", "发展和改革局"} (and harmless fragments)."""
    name = normalise(name)
    found = {name}
    for i, char in enumerate(name[:9]):
        rest = name[i + 1:]
        if char in _AREA_END and len(rest) >= 2 and not _OWN_AREA.search(name[:i + 1]):
            found.add(rest)
    return found


def core(name: str) -> str:
    """The shortest meaningful core: "鹤城区发展和改革局" → "发展和改革局"."""
    options = sorted(cores(name), key=len)
    plausible = [c for c in options if len(c) >= 3] or options
    return next((c for c in plausible if not re.match(r"^[场级直属]", c)), plausible[-1])


def _link(a: set[str], b: set[str]) -> float:
    """0.9 when one side is an abbreviation of the other, 0.8 when both are full forms of one
    abbreviation (发展和改革局 ~ 发展改革局), else 0."""
    best = 0.0
    for short, fulls in ABBREVIATIONS.items():
        if (short in a and b & set(fulls)) or (short in b and a & set(fulls)):
            return TRUST
        if a & set(fulls) and b & set(fulls):
            best = 0.8
    return best


def match_department(name: str, known: list[tuple[str, str | None]], *, limit: int = 3) -> list[DepartmentMatch]:
    """Known departments ``[(name, short_name)]`` that ``name`` may mean, best first."""
    written = str(name or "").strip()
    clean = normalise(written)
    if not clean:
        return []
    written_cores = cores(clean)
    scored: dict[str, DepartmentMatch] = {}

    def offer(dept: str, confidence: float, how: str) -> None:
        if dept not in scored or scored[dept].confidence < confidence:
            scored[dept] = DepartmentMatch(dept, round(confidence, 2), how)

    def plain(text: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))

    for dept_name, short in known:
        names = [n for n in (dept_name, short) if n]
        if plain(written) in [plain(n) for n in names]:
            offer(dept_name, 1.0, "exact")
            continue
        if clean in [normalise(n) for n in names]:
            offer(dept_name, 0.98, "role words")
            continue
        known_cores = set().union(*(cores(n) for n in names))
        if written_cores & known_cores:
            offer(dept_name, 0.92, "prefix")
            continue
        link = _link(written_cores, known_cores)
        if link:
            offer(dept_name, link, "abbreviation")
            continue
        ratio = difflib.SequenceMatcher(None, core(clean), core(dept_name)).ratio()
        if ratio >= 0.6:
            offer(dept_name, ratio * 0.75, "similar")
    return sorted(scored.values(), key=lambda m: (-m.confidence, m.name))[:limit]


def best_match(name: str, known: list[tuple[str, str | None]]) -> DepartmentMatch | None:
    """The match that may be taken without asking (confidence ≥ ``TRUST``), if one stands out."""
    matches = match_department(name, known, limit=2)
    if not matches or matches[0].confidence < TRUST:
        return None
    if len(matches) > 1 and matches[1].confidence >= matches[0].confidence:
        return None  # two equally good: the office chooses
    return matches[0]


__all__ = ["ABBREVIATIONS", "TRUST", "DepartmentMatch", "best_match", "core", "cores", "match_department", "normalise"]
