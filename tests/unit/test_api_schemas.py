"""The request schemas alone: strict JSON types, bounds, our errors, translations."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.api import errors
from app.api.base import SchemaRefusal, _body_depth_ok, load
from app.api.schemas import BulkRequestSchema, ProgressRequestSchema, TransitionRequestSchema
from workflows.errors import DomainError

CATALOGUE = Path(__file__).resolve().parents[2] / "app/translations/zh/LC_MESSAGES/messages.po"


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _import_all(package: str) -> None:
    import importlib
    import pkgutil

    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        importlib.import_module(info.name)


def test_every_error_class_has_a_chinese_message():
    """Each DomainError subclass of app/ and workflows/ with its own msgid is translated."""
    for package in ("workflows", "app.services", "app.api"):
        _import_all(package)
    with CATALOGUE.open("rb") as f:
        translated = {m.id: m.string for m in read_po(f) if m.id and m.string}
    ours = [c for c in _subclasses(DomainError) if c.__module__.startswith(("app.", "workflows."))]
    assert len([c for c in ours if c.__module__.startswith("app.api")]) > 20
    missing = sorted({f"{c.__module__}.{c.__name__}: {c.msgid}" for c in ours
                      if "msgid" in vars(c) and c.msgid not in translated})
    assert not missing, missing


def refusal(schema, data) -> SchemaRefusal:
    with pytest.raises(SchemaRefusal) as caught:
        load(schema, data)
    return caught.value


@pytest.mark.parametrize("data, status, path, error", [
    ({}, 400, "transition", errors.FieldMissing),
    ({"transition": None}, 400, "transition", errors.FieldMissing),
    ({"transition": 5}, 400, "transition", errors.MustBeText),
    ({"transition": "accept", "version": "1"}, 400, "version", errors.MustBeWholeNumber),
    ({"transition": "accept", "version": True}, 400, "version", errors.MustBeWholeNumber),
    ({"transition": "accept", "version": -1}, 422, "version", errors.OutOfRange),
    ({"transition": "accept", "new_department_id": 2**31}, 422, "new_department_id", errors.OutOfRange),
    ({"transition": "accept", "comment": "x" * 5001}, 422, "comment", errors.TooLong),
])
def test_transition_body(data, status, path, error):
    refused = refusal(TransitionRequestSchema, data)
    assert refused.status == status
    assert [(p, type(e)) for p, e in refused.problems] == [(path, error)]


def test_wrong_shape_wins_over_a_refused_value():
    refused = refusal(TransitionRequestSchema, {"transition": 5, "comment": "x" * 6000})
    assert refused.status == 400
    assert {p for p, _ in refused.problems} == {"transition", "comment"}


def test_valid_bodies_pass_and_unknown_keys_are_ignored():
    assert load(TransitionRequestSchema, {"transition": "accept", "comment": None, "x": 1}) == {
        "transition": "accept", "comment": None,
    }
    assert load(ProgressRequestSchema, {"note": "n", "percent": "40", "indicators": {"3": "1.5"}}) == {
        "note": "n", "percent": "40", "indicators": {"3": "1.5"},
    }


def test_bulk_ids_deduplicated_in_order_and_limited():
    body = load(BulkRequestSchema, {"case_ids": [3, "1", 3, 2, 1], "operation": "urge"})
    assert body["case_ids"] == [3, 1, 2]
    assert load(BulkRequestSchema, {"case_ids": [7] * 10_000, "operation": "urge"})["case_ids"] == [7]
    refused = refusal(BulkRequestSchema, {"case_ids": list(range(1, 502)), "operation": "urge"})
    assert [type(e) for _, e in refused.problems] == [errors.TooMany]


def test_bulk_limit_is_checked_in_linear_time():
    """80,000 ids: refused after the 501st different one, not after comparing them all.

    The bound is loose on purpose (a loaded CI machine): a quadratic pass over 80,000 ids
    takes minutes, a linear one milliseconds.
    """
    data = {"case_ids": list(range(1, 80_001)), "operation": "urge"}
    started = time.perf_counter()
    refusal(BulkRequestSchema, data)
    assert time.perf_counter() - started < 2
    started = time.perf_counter()
    load(BulkRequestSchema, {"case_ids": [5] * 80_000, "operation": "urge"})
    assert time.perf_counter() - started < 2


def test_nesting_depth_is_measured_without_recursion():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert not _body_depth_ok({"a": deep}, 8)
    assert _body_depth_ok({"a": [[{"b": 1}]]}, 8)
    assert not _body_depth_ok({"a": [[[[[[[[1]]]]]]]]}, 8)


def test_the_bulk_service_limits_in_one_linear_pass():
    """The service's own check (the pages call it too): linear, limit before per-case work."""
    from app.services.bulk import BULK_MAX, _bulk_ids
    from app.services.case_base import InvalidInput

    assert _bulk_ids([3, "1", 3, 2, 1]) == [3, 1, 2]
    assert _bulk_ids([9] * 80_000) == [9]
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as caught:
        _bulk_ids(list(range(1, 80_001)))
    assert time.perf_counter() - started < 0.05
    assert caught.value.params == {"max": BULK_MAX}
