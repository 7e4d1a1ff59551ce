"""The report-kind registry: everything one kind of report is, in one entry.

A kind carries its Chinese name, its subject (a period, or one case), the periods it covers,
who may request it, its options, its schedule, its document-number series, and where its
template and builder are. Everything else reads this table: the request form and API
(`app.services.reports`), beat (`schedule_due_reports`), the renderer (`app.reports`), the
permissions (`workflows.permissions` calls `may_request`).

Adding a kind: one `ReportKind(...)` entry below, its template under templates/reports/
and its builder in app/reports/ (named here as "module:function"), and its number prefix
in the plan file's `organisation.number_prefixes` (else `default_prefix` applies).

Plain Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from workflows.periods import PeriodKind
from workflows.vocabulary import Actor, Role

__all__ = [
    "CASE_KINDS",
    "KINDS",
    "PERIOD_KINDS",
    "SCHEDULED",
    "CaseRight",
    "Numbering",
    "Option",
    "ReportKind",
    "Subject",
    "clean_options",
    "may_request",
]


class Subject(StrEnum):
    """What a report is about."""

    PERIOD = "period"  # a dekad, month, quarter or year of the plan
    CASE = "case"  # one case


class CaseRight(StrEnum):
    """Besides the role, what a case report's requester must be able to do with the case."""

    VIEW = "view"  # see the case
    URGE = "urge"  # urge the case (the office, the case's task-force lead; the case open)


class Numbering(StrEnum):
    """How a series numbers its documents within a year (〔2024〕N号)."""

    PERIOD = "period"  # the period's ordinal: dekad 1–36, month 1–12, quarter 1–4
    REQUEST = "request"  # the register's next number when the report is requested (督办通知单)
    CASE = "case"  # the case's id


@dataclass(frozen=True)
class Option:
    """One option a kind's request may carry: a flag, or a text of at most `max_length`."""

    name: str
    kind: str = "flag"  # "flag" or "text"
    default: object = None
    max_length: int = 0


@dataclass(frozen=True)
class ReportKind:
    """One kind of report (see the module docstring for what reads which field)."""

    code: str
    name_zh: str
    subject: Subject
    template: str  # under templates/
    builder: str  # "app.reports.module:function", called with (period, plan, options) or (case, as_of, options)
    requesters: frozenset[Role]  # roles that may request it
    default_prefix: str  # 机关代字 of the number series when the plan file names none
    numbering: Numbering
    period_kinds: tuple[PeriodKind, ...] = ()
    case_right: CaseRight | None = None
    options: tuple[Option, ...] = ()
    schedule: PeriodKind | None = None  # beat generates one for every ended period of this kind

    def default(self, option_name: str):
        """The value an option takes when the request leaves it out."""
        return next((o.default for o in self.options if o.name == option_name), None)


_ANY_PERIOD = (PeriodKind.DEKAD, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)
_CIRCULATED = frozenset({Role.OFFICE, Role.ADMIN, Role.LEADER, Role.TASK_FORCE_LEAD})
_EVERYONE = frozenset(Role)
MAX_REMARKS = 3000
MAX_REQUIREMENT = 1000


def _red_header(default: bool) -> Option:
    return Option("red_header", "flag", default)


KINDS: Mapping[str, ReportKind] = {
    k.code: k
    for k in (
        ReportKind("inspection", "督查通报", Subject.PERIOD, "reports/inspection.html",
                   "app.reports.periodic:build_inspection", frozenset({Role.OFFICE, Role.ADMIN}),
                   "督查", Numbering.PERIOD, _ANY_PERIOD,
                   options=(_red_header(True), Option("remarks", "text", "", MAX_REMARKS))),
        ReportKind("dekad", "旬简报", Subject.PERIOD, "reports/periodic.html",
                   "app.reports.periodic:build_dekad", _CIRCULATED, "简", Numbering.PERIOD,
                   (PeriodKind.DEKAD,), options=(_red_header(True),), schedule=PeriodKind.DEKAD),
        ReportKind("monthly", "月通报", Subject.PERIOD, "reports/periodic.html",
                   "app.reports.periodic:build_monthly", _CIRCULATED, "通", Numbering.PERIOD,
                   (PeriodKind.MONTH,), options=(_red_header(True),), schedule=PeriodKind.MONTH),
        ReportKind("work-report", "工作月报", Subject.PERIOD, "reports/work_report.html",
                   "app.reports.periodic:build_work_report", _CIRCULATED, "报", Numbering.PERIOD,
                   (PeriodKind.MONTH,), options=(_red_header(True),), schedule=PeriodKind.MONTH),
        ReportKind("quarterly", "季讲评", Subject.PERIOD, "reports/quarterly.html",
                   "app.reports.periodic:build_quarterly", _CIRCULATED, "评", Numbering.PERIOD,
                   (PeriodKind.QUARTER,), options=(_red_header(True),), schedule=PeriodKind.QUARTER),
        ReportKind("notice", "督办通知单", Subject.CASE, "reports/notice.html",
                   "app.reports.casefile:build_notice", frozenset({Role.OFFICE, Role.TASK_FORCE_LEAD}),
                   "督办", Numbering.REQUEST, case_right=CaseRight.URGE,
                   options=(_red_header(True), Option("requirement", "text", "", MAX_REQUIREMENT))),
        ReportKind("dossier", "督办事项档案", Subject.CASE, "reports/dossier.html",
                   "app.reports.casefile:build_dossier", _EVERYONE, "督档", Numbering.CASE,
                   case_right=CaseRight.VIEW, options=(_red_header(False),)),
    )
}
PERIOD_KINDS = tuple(code for code, k in KINDS.items() if k.subject == Subject.PERIOD)
CASE_KINDS = tuple(code for code, k in KINDS.items() if k.subject == Subject.CASE)
# The kinds beat generates, with the period kind each covers.
SCHEDULED = tuple((code, k.schedule) for code, k in KINDS.items() if k.schedule is not None)


def may_request(actor: Actor, kind: str | ReportKind) -> bool:
    """Whether the actor's roles allow requesting this kind at all.

    A case kind asks more of its requester on the case itself (`case_right`): the caller
    checks that on the case (see workflows.permissions).
    """
    spec = kind if isinstance(kind, ReportKind) else KINDS.get(kind)
    return spec is not None and bool(actor.roles & spec.requesters)


class OptionError(ValueError):
    """An option of the wrong type or too long; `reason` is "object", "text" or "too_long"."""

    def __init__(self, reason: str, max_length: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.max_length = max_length


_TRUE_WORDS = ("1", "true", "on", "yes", "y")


def clean_options(kind: str | ReportKind, options) -> dict:
    """The options of a request, checked against the kind's schema; others are ignored.

    Flags accept booleans and the words a form sends ("on", "1", "true"); texts are
    stripped, CRLF made LF, and dropped when empty. Raises OptionError.
    """
    spec = kind if isinstance(kind, ReportKind) else KINDS[kind]
    options = options or {}
    if not isinstance(options, dict):
        raise OptionError("object")
    clean = {}
    for option in spec.options:
        value = options.get(option.name)
        if option.kind == "flag":
            if option.name in options:
                clean[option.name] = value.strip().lower() in _TRUE_WORDS if isinstance(value, str) else bool(value)
            continue
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise OptionError("text")
        value = value.replace("\r\n", "\n").strip()
        if len(value) > option.max_length:
            raise OptionError("too_long", option.max_length)
        if value:
            clean[option.name] = value
    return clean
