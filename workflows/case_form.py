"""Cases by hand (立项): reading and checking what the office types for a new or edited case.

A case comes from a 领导批示, a meeting or a document: title, text, source, action or plan,
lead and partner units, 牵头负责人, deadline, milestones (时间节点) and targets. This module
checks the values' shape and sense (plain Python); the service checks that the ids exist
and who may write what.

Who may edit which fields:

- the supervision office: every field;
- the lead of the case's task force: the milestones and targets of their action's cases
  (and may propose a lead unit for a case without one, which the office then assigns).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from workflows.errors import Forbidden, InvalidInput
from workflows.subtasks import read_weight
from workflows.targets import MAX_ABS_VALUE
from workflows.vocabulary import Actor, Role

MAX_TITLE = 200
MAX_TEXT = 5000
MAX_SOURCE = 200
MAX_MILESTONES = 50
MAX_TARGETS = 20
COMPARATORS = ("≥", "≤", "=")

FIELDS = ("title", "text", "source", "action_id", "plan_id", "parent_id", "weight", "lead_department_id",
          "partner_department_ids", "owner_id", "deadline", "milestones", "targets")
LEAD_FIELDS = frozenset({"milestones", "targets"})


class FieldMissing(InvalidInput):
    code = "field_missing"
    msgid = "Give the %(field)s."
    labelled = {"field": "case_field"}


class TextTooLong(InvalidInput):
    code = "text_too_long"
    msgid = "The %(field)s is too long (at most %(max)s characters)."
    labelled = {"field": "case_field"}


class NotADate(InvalidInput):
    code = "invalid_date"
    msgid = "Not a valid date: %(value)s (use YYYY-MM-DD)."


class DeadlineInPast(InvalidInput):
    code = "deadline_in_past"
    msgid = "The deadline %(date)s has passed already."


class MilestoneAfterDeadline(InvalidInput):
    code = "milestone_after_deadline"
    msgid = "The milestone “%(title)s” (%(date)s) is after the deadline %(deadline)s."


class TooMany(InvalidInput):
    code = "too_many"
    msgid = "At most %(max)s %(field)s."
    labelled = {"field": "case_field"}


class BadTarget(InvalidInput):
    code = "invalid_target"
    msgid = "Target %(n)s needs a name, a number as its value, and ≥, ≤ or =."


class NotAnId(InvalidInput):
    code = "invalid_id"
    msgid = "The %(field)s is not valid."
    labelled = {"field": "case_field"}


class PlanOrActionMissing(InvalidInput):
    code = "plan_missing"
    msgid = "Give the action or the plan the case belongs to."


class MayNotCreate(Forbidden):
    code = "may_not_create"
    msgid = "Only the supervision office creates cases."


class MayNotEditField(Forbidden):
    code = "may_not_edit"
    msgid = "You may not change the %(field)s of this case."
    labelled = {"field": "case_field"}


def may_create(actor: Actor) -> bool:
    """Only the supervision office opens a case by hand (立项)."""
    return Role.OFFICE in actor.roles


def editable_fields(actor: Actor, action_id: int | None) -> frozenset[str]:
    """The fields of one case the actor may change."""
    if Role.OFFICE in actor.roles:
        return frozenset(FIELDS) - {"plan_id"}
    if Role.TASK_FORCE_LEAD in actor.roles and action_id is not None \
            and action_id in actor.led_action_ids:
        return LEAD_FIELDS
    return frozenset()


def check_may_edit(actor: Actor, action_id: int | None, fields) -> None:
    """Refuse (403) the first field the actor may not change."""
    allowed = editable_fields(actor, action_id)
    for name in fields:
        if name not in allowed:
            raise MayNotEditField(field=name)


def _text(data, name, limit, *, required):
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldMissing(field=name)
        return ""
    if not isinstance(value, str):
        raise FieldMissing(field=name)
    value = value.replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise TextTooLong(field=name, max=limit)
    return value


def parse_day(value) -> dt.date:
    """A date from a date or YYYY-MM-DD."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise NotADate(value=str(value)[:40])


def _id(data, name, *, required=False):
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise FieldMissing(field=name)
        return None
    if isinstance(value, bool):
        raise NotAnId(field=name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotAnId(field=name) from None
    if not 1 <= number <= 2**31 - 1:
        raise NotAnId(field=name)
    return number


def _ids(data, name):
    value = data.get(name) or []
    if isinstance(value, (str, int)):
        value = [v for v in str(value).replace("，", ",").split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise NotAnId(field=name)
    return sorted({_id({name: v}, name) for v in value})


def _milestones(value, deadline: dt.date | None) -> list[tuple[str, dt.date]]:
    if value in (None, ""):
        return []
    if not isinstance(value, (list, tuple)):
        raise FieldMissing(field="milestones")
    if len(value) > MAX_MILESTONES:
        raise TooMany(max=MAX_MILESTONES, field="milestones")
    result = []
    for item in value:
        if not isinstance(item, Mapping):
            raise FieldMissing(field="milestones")
        title = _text(item, "title", MAX_TITLE, required=True)
        due = parse_day(item.get("due_date") or item.get("due"))
        if deadline is not None and due > deadline:
            raise MilestoneAfterDeadline(title=title, date=due.isoformat(), deadline=deadline.isoformat())
        result.append((title, due))
    return sorted(set(result), key=lambda m: (m[1], m[0]))


def _targets(value) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, (list, tuple)):
        raise BadTarget(n=1)
    if len(value) > MAX_TARGETS:
        raise TooMany(max=MAX_TARGETS, field="targets")
    result = []
    for n, item in enumerate(value, start=1):
        if not isinstance(item, Mapping) or not str(item.get("name") or "").strip():
            raise BadTarget(n=n)
        try:
            number = Decimal(str(item.get("value")).strip())
        except ArithmeticError:
            raise BadTarget(n=n) from None
        comparator = item.get("comparator") or "≥"
        if not number.is_finite() or abs(number) >= MAX_ABS_VALUE or comparator not in COMPARATORS \
                or isinstance(item.get("value"), bool):
            raise BadTarget(n=n)
        result.append({"name": str(item["name"]).strip()[:MAX_TITLE], "value": number,
                       "unit": str(item.get("unit") or "").strip()[:30], "comparator": comparator})
    return result


def read_case(data: Mapping, today: dt.date, *, partial: bool = False,
              current_deadline: dt.date | None = None) -> dict:
    """The typed values of the fields given (all required ones when not `partial`)."""
    if not isinstance(data, Mapping):
        raise FieldMissing(field="title")
    out: dict = {}
    present = (lambda name: name in data) if partial else (lambda name: True)
    if present("title"):
        out["title"] = _text(data, "title", MAX_TITLE, required=True)
    if present("text"):
        out["text"] = _text(data, "text", MAX_TEXT, required=False)
    if present("source"):
        out["source"] = _text(data, "source", MAX_SOURCE, required=False)
    for name in ("action_id", "plan_id", "parent_id", "owner_id"):
        if present(name):
            out[name] = _id(data, name)
    if present("weight"):
        out["weight"] = read_weight(data.get("weight"))
    if present("lead_department_id"):
        out["lead_department_id"] = _id(data, "lead_department_id", required=not partial)
    if present("partner_department_ids"):
        out["partner_department_ids"] = _ids(data, "partner_department_ids")
    if present("deadline"):
        if data.get("deadline") in (None, ""):
            raise FieldMissing(field="deadline")
        out["deadline"] = parse_day(data["deadline"])
        if out["deadline"] < today:
            raise DeadlineInPast(date=out["deadline"].isoformat())
    deadline = out.get("deadline", current_deadline)
    if present("milestones"):
        out["milestones"] = _milestones(data.get("milestones"), deadline)
    if present("targets"):
        out["targets"] = _targets(data.get("targets"))
    if not partial and not out.get("action_id") and not out.get("plan_id"):
        raise PlanOrActionMissing()
    if partial and "deadline" in out and "milestones" not in out and current_deadline is not None:
        pass  # the service re-checks existing milestones against a new deadline
    return out
