"""The working-day calendar, checked against real 2024 dates from the State Council notices."""

from datetime import date, datetime, timedelta

import pytest

from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar, known_years

D = date.fromisoformat


@pytest.fixture(scope="module")
def cal():
    return WorkingDayCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2024-02-02", True),  # Friday
        ("2024-02-03", False),  # Saturday
        ("2024-02-04", True),  # Sunday, make-up working day (Spring Festival)
        ("2024-02-09", True),  # Friday, Spring Festival eve: working
        *((f"2024-02-{d:02d}", False) for d in range(10, 18)),  # Spring Festival holiday
        ("2024-02-18", True),  # Sunday, make-up working day
        ("2024-02-19", True),  # Monday
        ("2024-09-28", False),  # Saturday
        ("2024-09-29", True),  # Sunday, make-up working day (National Day)
        *((f"2024-10-{d:02d}", False) for d in range(1, 8)),  # National Day holiday
        ("2024-10-08", True),
        ("2024-10-12", True),  # Saturday, make-up working day
        ("2024-10-13", False),  # Sunday
    ],
)
def test_official_days(cal, day, working):
    assert cal.is_working_day(D(day)) is working


def test_overrides_win(cal):
    office = WorkingDayCalendar({D("2024-02-12"): True, D("2024-02-19"): False})
    assert office.is_working_day(D("2024-02-12"))
    assert not office.is_working_day(D("2024-02-19"))
    assert cal.is_working_day(D("2024-02-19"))  # the plain calendar is not touched
    assert office.next_working_day(D("2024-02-09")) == D("2024-02-12")


def test_unknown_year_raises_never_guesses(cal):
    with pytest.raises(UnknownCalendarYear) as caught:
        cal.is_working_day(D("2027-01-04"))
    assert caught.value.year == 2027
    assert caught.value.code == "unknown_calendar_year"
    assert "2027" in str(caught.value)
    with pytest.raises(UnknownCalendarYear):
        cal.is_working_day(D("2003-06-02"))


def test_counting_into_an_unknown_year_raises(cal):
    with pytest.raises(UnknownCalendarYear):
        cal.add_working_days(D("2026-12-30"), 5)
    with pytest.raises(UnknownCalendarYear):
        cal.working_days_between(D("2026-12-01"), D("2027-01-10"))


def test_override_covers_a_single_unknown_date():
    office = WorkingDayCalendar({D("2027-01-01"): False})
    assert not office.is_working_day(D("2027-01-01"))
    with pytest.raises(UnknownCalendarYear):
        office.is_working_day(D("2027-01-04"))


def test_office_years_follow_the_plain_week_plus_overrides():
    office = WorkingDayCalendar({D("2027-01-01"): False}, office_years=[2027])
    assert office.knows_year(2027)
    assert not office.is_working_day(D("2027-01-01"))  # Friday, entered as a holiday
    assert office.is_working_day(D("2027-01-04"))  # Monday
    assert not office.is_working_day(D("2027-01-09"))  # Saturday
    assert office.next_working_day(D("2026-12-31")) == D("2027-01-04")


def test_known_years():
    years = known_years()
    assert 2004 in years and 2024 in years and 2026 in years
    assert 2027 not in years
    assert WorkingDayCalendar().knows_year(2024)
    assert not WorkingDayCalendar().knows_year(2027)


def test_next_and_previous_working_day(cal):
    assert cal.next_working_day(D("2024-02-09")) == D("2024-02-18")
    assert cal.next_working_day(D("2024-02-12")) == D("2024-02-18")  # from inside the holiday
    assert cal.previous_working_day(D("2024-02-18")) == D("2024-02-09")
    assert cal.next_working_day(D("2024-09-27")) == D("2024-09-29")
    assert cal.next_working_day(D("2024-09-30")) == D("2024-10-08")
    assert cal.next_working_day(D("2024-10-11")) == D("2024-10-12")


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2024-02-08", 1, "2024-02-09"),
        ("2024-02-08", 2, "2024-02-18"),
        ("2024-02-08", 3, "2024-02-19"),
        ("2024-02-19", -2, "2024-02-09"),
        ("2024-02-03", 1, "2024-02-04"),  # from a Saturday
        ("2024-02-14", -1, "2024-02-09"),  # from inside the holiday
        ("2024-02-14", 0, "2024-02-14"),  # zero: the day itself, working or not
        ("2024-09-27", 3, "2024-10-08"),
    ],
)
def test_add_working_days(cal, start, n, expected):
    assert cal.add_working_days(D(start), n) == D(expected)


@pytest.mark.parametrize(
    ("a", "b", "count"),
    [
        ("2024-02-09", "2024-02-19", 2),  # (a, b]: 02-18, 02-19
        ("2024-02-08", "2024-02-19", 3),
        ("2024-02-09", "2024-02-17", 0),  # only holidays after a
        ("2024-02-19", "2024-02-19", 0),
        ("2024-02-19", "2024-02-09", -2),
        ("2024-09-27", "2024-10-12", 7),  # 09-29, 09-30, 10-08 … 10-12
    ],
)
def test_working_days_between(cal, a, b, count):
    assert cal.working_days_between(D(a), D(b)) == count
    assert cal.working_days_until(D(a), D(b)) == count


def test_add_and_between_are_inverse_on_working_days(cal):
    start = D("2024-01-25")
    for b in (start + timedelta(days=i) for i in range(1, 40)):
        n = cal.working_days_between(start, b)
        if cal.is_working_day(b):
            assert cal.add_working_days(start, n) == b
            assert cal.working_days_between(b, start) == -n
        else:  # a day off counts like the last working day before it
            assert n == cal.working_days_between(start, cal.previous_working_day(b))


def test_datetimes_are_refused(cal):
    with pytest.raises(TypeError):
        cal.is_working_day(datetime(2024, 2, 18, 9, 0))


@pytest.mark.parametrize(
    ("d", "deadline", "n", "within"),
    [
        ("2024-02-06", "2024-02-19", 5, True),  # exactly 5 left
        ("2024-02-05", "2024-02-19", 5, False),  # 6 left
        ("2024-02-19", "2024-02-19", 0, True),
        ("2024-02-20", "2024-02-19", 0, True),  # past: negative
        ("2024-02-09", "2024-02-17", 0, True),  # a day off counts like the day before
    ],
)
def test_within_working_days(cal, d, deadline, n, within):
    assert cal.within_working_days(D(d), D(deadline), n) is within
    assert within == (cal.working_days_until(D(d), D(deadline)) <= n)


def test_within_working_days_needs_no_far_year(cal):
    assert not cal.within_working_days(D("2026-06-01"), D("2027-06-30"), 5)
    with pytest.raises(UnknownCalendarYear):
        cal.within_working_days(D("2026-12-28"), D("2027-01-08"), 5)


def test_counting_by_running_totals_agrees_with_walking_the_days():
    """Counts come from per-year running totals; they must equal a day-by-day walk."""
    import random

    cal = WorkingDayCalendar({D("2024-03-04"): False, D("2024-03-09"): True})
    rng = random.Random(7)
    for _ in range(400):
        a = D("2022-01-01") + timedelta(days=rng.randrange(1800))
        b = min(a + timedelta(days=rng.randrange(-800, 800)), D("2026-12-31"))
        expected = cal._walk(a, b) if a <= b else -cal._walk(b, a)
        assert cal.working_days_between(a, b) == expected, (a, b)
