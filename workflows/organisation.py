"""Who issues a plan's documents: the district, its offices, their red headers, number prefixes.

District data is data: it comes from the plan file's `organisation:` block and is stored
with the plan (column `plan.organisation`), never written in code. A plan without the
block (a draft made from a plan's text, a file of an older format) gets names derived from
its issuer ("怀化市鹤城区人民政府" → 鹤城区, 鹤城区人民政府督查室 …) and number prefixes made of
the district's first character and the report kind's default series ("鹤督查").

Plain Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["FIELDS", "BlockError", "Issuer", "Organisation", "campaign_of", "derive", "from_mapping", "parse_block"]

# A city (or prefecture) before the district in an issuer's name: 怀化市鹤城区人民政府.
_CITY = re.compile(r"^\S+?(?:市|州|盟|地区)(?=\S+?(?:区|县|市|旗)人民政府$)")
_CAMPAIGN = re.compile(r"实施(.+?)(总体)?方案")


@dataclass(frozen=True)
class Issuer:
    """An issuing organ: its name (发文机关署名), its red header (发文机关标志), and the short
    name a document's own text calls it by ("区政府督查室"); both default to the name."""

    name: str
    masthead: str = ""
    short_name: str = ""

    def __post_init__(self):
        if not self.masthead:
            object.__setattr__(self, "masthead", self.name)
        if not self.short_name:
            object.__setattr__(self, "short_name", self.name)


@dataclass(frozen=True)
class Organisation:
    """The names a plan's documents print, and the prefixes (机关代字) of their numbers."""

    district: str  # 鹤城区
    government: str  # 鹤城区人民政府: addressee of the work report
    office: Issuer  # 鹤城区人民政府督查室: 督查通报, 督办通知单, 档案
    task_force_office: Issuer  # 鹤城区“八大行动”总专班办公室: 旬简报, 月通报, 工作月报, 季讲评
    circulation: str  # 主送 of circulars: 各专班，区直各单位，各乡镇（街道）
    copy_to: str  # 抄送 of the inspection report
    number_prefixes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def prefix(self, kind: str, default_series: str) -> str:
        """The number prefix of a kind: the plan's, else the district's first character + series."""
        return self.number_prefixes.get(kind) or f"{self.district[:1]}{default_series}"

    def to_mapping(self) -> dict:
        """The block as the plan file writes it (and the database stores it)."""
        return {
            "district": self.district,
            "government": self.government,
            "office": {"name": self.office.name, "masthead": self.office.masthead,
                       "short_name": self.office.short_name},
            "task_force_office": {"name": self.task_force_office.name,
                                  "masthead": self.task_force_office.masthead,
                                  "short_name": self.task_force_office.short_name},
            "circulation": self.circulation,
            "copy_to": self.copy_to,
            "number_prefixes": dict(self.number_prefixes),
        }


# The keys of the plan file's block, and what each holds (for the loader's messages).
FIELDS = ("district", "government", "office", "task_force_office", "circulation", "copy_to",
          "number_prefixes")


def campaign_of(title: str | None) -> str:
    """The campaign's name from a plan title: “八大行动” for 实施“八大行动”总体方案."""
    match = _CAMPAIGN.search(title or "")
    return match.group(1) if match else "重点工作"


def derive(issuer: str | None, title: str | None) -> Organisation:
    """Names for a plan without an `organisation` block, from its issuer and title."""
    government = _CITY.sub("", (issuer or "").strip()) or "区人民政府"
    district = government.removesuffix("人民政府") or "区"
    level = district[-1] if district[-1] in "区县市旗" else "区"
    return Organisation(
        district=district,
        government=government,
        office=Issuer(f"{government}督查室", short_name=f"{level}政府督查室"),
        task_force_office=Issuer(f"{district}{campaign_of(title)}总专班办公室"),
        circulation=f"各专班，{level}直各单位，各乡镇（街道）",
        copy_to=f"{level}委办公室，{level}人大常委会办公室，{level}政协办公室",
    )


def from_mapping(block: Mapping | None, *, issuer: str | None, title: str | None) -> Organisation:
    """The organisation of a plan: its stored block over the names derived from its issuer.

    Keys the block leaves out keep their derived value, so a file may give only what
    differs (say, the number prefixes).
    """
    base = derive(issuer, title)
    if not block:
        return base

    def issuer_of(key: str, fallback: Issuer) -> Issuer:
        value = block.get(key)
        if isinstance(value, str):
            return Issuer(value)
        if isinstance(value, Mapping) and value.get("name"):
            return Issuer(value["name"], value.get("masthead") or "", value.get("short_name") or "")
        return fallback

    district = block.get("district") or base.district
    government = block.get("government") or base.government
    return Organisation(
        district=district,
        government=government,
        office=issuer_of("office", base.office),
        task_force_office=issuer_of("task_force_office", base.task_force_office),
        circulation=block.get("circulation") or base.circulation,
        copy_to=block.get("copy_to") or base.copy_to,
        number_prefixes=MappingProxyType(dict(block.get("number_prefixes") or {})),
    )


class BlockError(ValueError):
    """A plan file's `organisation:` block that cannot be used: where (key path) and why (Chinese)."""

    def __init__(self, key_path: str, message: str, node=None):
        super().__init__(f"{key_path}：{message}")
        self.key_path, self.message, self.node = key_path, message, node


def _text(node: Mapping, key: str, path: str, max_length: int, *, required: bool = False) -> str:
    value = node.get(key)
    if value in (None, ""):
        if required:
            raise BlockError(f"{path}.{key}", "缺少必填项", node)
        return ""
    if not isinstance(value, str):
        raise BlockError(f"{path}.{key}", "应为文字", node)
    value = value.strip()
    if len(value) > max_length:
        raise BlockError(f"{path}.{key}", f"不能超过{max_length}个字符", node)
    return value


def parse_block(block, report_kinds: Mapping) -> dict | None:
    """Check a plan file's `organisation:` block; the clean mapping to store, None for no block.

    Offices may be written as a name alone or as {name, masthead}; `number_prefixes` keys
    must be report kinds. Raises BlockError naming the key.
    """
    if block is None:
        return None
    path = "organisation"
    if not isinstance(block, Mapping):
        raise BlockError(path, "应为映射")
    for key in block:
        if key not in FIELDS:
            raise BlockError(f"{path}.{key}", f"未知的项，可用：{'、'.join(FIELDS)}", block)
    clean: dict = {}
    for key in ("district", "government", "circulation", "copy_to"):
        value = _text(block, key, path, 200)
        if value:
            clean[key] = value
    for key in ("office", "task_force_office"):
        node = block.get(key)
        if node is None:
            continue
        if isinstance(node, str):
            node = {"name": node}
        if not isinstance(node, Mapping):
            raise BlockError(f"{path}.{key}", "应为映射（name、masthead、short_name）或文字", block)
        for sub in node:
            if sub not in ("name", "masthead", "short_name"):
                raise BlockError(f"{path}.{key}.{sub}", "未知的项，可用：name、masthead、short_name", node)
        clean[key] = {"name": _text(node, "name", f"{path}.{key}", 100, required=True),
                      "masthead": _text(node, "masthead", f"{path}.{key}", 100),
                      "short_name": _text(node, "short_name", f"{path}.{key}", 100)}
    prefixes = block.get("number_prefixes") or {}
    if not isinstance(prefixes, Mapping):
        raise BlockError(f"{path}.number_prefixes", "应为映射（报告类型: 机关代字）", block)
    for kind in prefixes:
        if kind not in report_kinds:
            raise BlockError(f"{path}.number_prefixes.{kind}", f"未知的报告类型，可用：{'、'.join(report_kinds)}",
                             prefixes)
    if prefixes:
        clean["number_prefixes"] = {kind: _text(prefixes, kind, f"{path}.number_prefixes", 20, required=True)
                                    for kind in prefixes}
    return clean
