"""Report periods: 旬, 月, 季, 年."""

from datetime import date

import pytest

from workflows.periods import (
    Period,
    PeriodKind,
    parse_period,
    period_just_ended,
    periods_due_on,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "key", "label"),
    [
        ("2024-06-D1", "dekad", "2024-06-01", "2024-06-10", "2024-06-D1", "2024年6月上旬"),
        ("2024-06-D2", "dekad", "2024-06-11", "2024-06-20", "2024-06-D2", "2024年6月中旬"),
        ("2024-06-D3", "dekad", "2024-06-21", "2024-06-30", "2024-06-D3", "2024年6月下旬"),
        ("2024-02-D3", "dekad", "2024-02-21", "2024-02-29", "2024-02-D3", "2024年2月下旬"),
        ("2023-02-d3", "dekad", "2023-02-21", "2023-02-28", "2023-02-D3", "2023年2月下旬"),
        ("2024-07-D3", "dekad", "2024-07-21", "2024-07-31", "2024-07-D3", "2024年7月下旬"),
        ("2024-06", "month", "2024-06-01", "2024-06-30", "2024-06", "2024年6月"),
        (" 2024-6 ", "month", "2024-06-01", "2024-06-30", "2024-06", "2024年6月"),
        ("2024-12", "month", "2024-12-01", "2024-12-31", "2024-12", "2024年12月"),
        ("2024-Q1", "quarter", "2024-01-01", "2024-03-31", "2024-Q1", "2024年第一季度"),
        ("2024-Q2", "quarter", "2024-04-01", "2024-06-30", "2024-Q2", "2024年第二季度"),
        ("2024-q4", "quarter", "2024-10-01", "2024-12-31", "2024-Q4", "2024年第四季度"),
        ("2024", "year", "2024-01-01", "2024-12-31", "2024", "2024年"),
    ],
)
def test_parse_period(text, kind, start, end, key, label):
    period = parse_period(text)
    assert period.kind == kind
    assert (period.start, period.end) == (D(start), D(end))
    assert period.key == key == str(period)
    assert period.label_zh == label
    assert parse_period(period.key) == period


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x",
        "2024-13",
        "2024-00",
        "2024-06-D4",
        "2024-06-D0",
        "2024-Q5",
        "2024-Q0",
        "24-06",
        "2024-06-15",
        "2024/06",
        "2024-H1",
        "0000",
    ],
)
def test_bad_periods_name_the_accepted_formats(text):
    with pytest.raises(ValueError) as caught:
        parse_period(text)
    message = str(caught.value)
    assert "可用格式" in message
    for example in ("2024-06-D2", "2024-06", "2024-Q2"):
        assert example in message


def test_previous_and_next_cross_months_and_years():
    assert parse_period("2024-01-D1").previous().key == "2023-12-D3"
    assert parse_period("2024-03-D1").previous() == parse_period("2024-02-D3")
    assert parse_period("2024-02-D3").next().key == "2024-03-D1"
    assert parse_period("2024-01").previous().key == "2023-12"
    assert parse_period("2024-Q1").previous().key == "2023-Q4"
    assert parse_period("2024-Q4").next().key == "2025-Q1"
    assert parse_period("2024").previous().key == "2023"


def test_contains():
    dekad = parse_period("2024-02-D3")
    assert dekad.contains(D("2024-02-21")) and dekad.contains(D("2024-02-29"))
    assert not dekad.contains(D("2024-02-20")) and not dekad.contains(D("2024-03-01"))


@pytest.mark.parametrize(
    ("kind", "day", "key"),
    [
        ("dekad", D("2024-06-11"), "2024-06-D1"),
        ("dekad", D("2024-06-21"), "2024-06-D2"),
        ("dekad", D("2024-07-01"), "2024-06-D3"),
        ("dekad", D("2024-06-15"), "2024-06-D1"),  # any day reports the last complete one
        ("month", D("2024-07-01"), "2024-06"),
        ("month", D("2024-01-01"), "2023-12"),
        ("quarter", D("2024-07-01"), "2024-Q2"),
        ("quarter", D("2024-05-20"), "2024-Q1"),
        ("year", D("2025-01-01"), "2024"),
        (PeriodKind.MONTH, D("2024-03-01"), "2024-02"),
    ],
)
def test_period_just_ended(kind, day, key):
    assert period_just_ended(kind, day).key == key


@pytest.mark.parametrize(
    ("day", "keys"),
    [
        ("2024-06-01", ["2024-05-D3", "2024-05"]),
        ("2024-06-11", ["2024-06-D1"]),
        ("2024-06-21", ["2024-06-D2"]),
        ("2024-06-15", []),
        ("2024-06-30", []),
        ("2024-07-01", ["2024-06-D3", "2024-06", "2024-Q2"]),
        ("2024-10-01", ["2024-09-D3", "2024-09", "2024-Q3"]),  # a holiday: generated anyway
        ("2025-01-01", ["2024-12-D3", "2024-12", "2024-Q4"]),
    ],
)
def test_periods_due_on(day, keys):
    assert [p.key for p in periods_due_on(D(day))] == keys


def test_constructors_validate():
    with pytest.raises(ValueError):
        Period.dekad(2024, 6, 4)
    with pytest.raises(ValueError):
        Period.quarter(2024, 0)
    assert Period.containing("dekad", D("2024-01-31")).key == "2024-01-D3"
