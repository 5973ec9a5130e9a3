"""The regulation's time words (timewords.py, rules.md C2-C6): pure date arithmetic, no database."""

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from applications import timewords
from applications.timewords import (
    add_months,
    add_years,
    completed_months,
    completed_years_and_months,
    has_lasted_years,
    previous_cycles,
    previous_financial_years,
    within_last_years,
)

DAYS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))
YEARS = st.integers(min_value=-100, max_value=100)
SPANS = st.integers(min_value=0, max_value=100)


def is_29_february(day: dt.date) -> bool:
    return (day.month, day.day) == (2, 29)


# --- add_years and add_months (C3: Civil Code Art. 201-202) ---


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (dt.date(2021, 3, 15), 5, dt.date(2026, 3, 15)),
        (dt.date(2020, 2, 29), 1, dt.date(2021, 2, 28)),
        (dt.date(2020, 2, 29), 4, dt.date(2024, 2, 29)),
        (dt.date(2020, 2, 29), 5, dt.date(2025, 2, 28)),
        (dt.date(2020, 2, 29), -1, dt.date(2019, 2, 28)),
        (dt.date(2025, 6, 30), -3, dt.date(2022, 6, 30)),
        (dt.date(2025, 6, 30), 0, dt.date(2025, 6, 30)),
    ],
)
def test_add_years_same_date_and_29_february_becomes_28(day, years, expected):
    assert add_years(day, years) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 3, 31), -1, dt.date(2025, 2, 28)),
        (dt.date(2025, 11, 15), 2, dt.date(2026, 1, 15)),
        (dt.date(2025, 1, 15), -1, dt.date(2024, 12, 15)),
    ],
)
def test_add_months_ends_on_the_last_day_of_a_short_month(day, months, expected):
    assert add_months(day, months) == expected


@given(day=DAYS.filter(lambda day: not is_29_february(day)), years=YEARS)
def test_add_years_round_trips_except_29_february(day, years):
    assert add_years(add_years(day, years), -years) == day


LEAP_DAYS = st.sampled_from([year for year in range(1900, 2201) if calendar.isleap(year)]).map(
    lambda year: dt.date(year, 2, 29)
)


@given(day=LEAP_DAYS, years=YEARS)
def test_add_years_from_29_february_lands_on_28_or_29_february(day, years):
    result = add_years(day, years)

    assert (result.year, result.month) == (day.year + years, 2)
    assert result.day == (29 if calendar.isleap(result.year) else 28)


# --- completed_years_and_months ---


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (dt.date(2020, 7, 1), dt.date(2025, 6, 30), (4, 11)),
        (dt.date(2020, 6, 30), dt.date(2025, 6, 30), (5, 0)),
        (dt.date(2020, 2, 29), dt.date(2025, 2, 28), (5, 0)),
        (dt.date(2020, 2, 29), dt.date(2025, 2, 27), (4, 11)),
        (dt.date(2025, 1, 31), dt.date(2025, 2, 28), (0, 1)),
        (dt.date(2025, 1, 31), dt.date(2025, 2, 27), (0, 0)),
        (dt.date(2025, 6, 30), dt.date(2025, 6, 30), (0, 0)),
    ],
)
def test_completed_years_and_months_counts_whole_periods(start, end, expected):
    assert completed_years_and_months(start, end) == expected


def test_completed_years_and_months_end_before_start_is_an_error():
    with pytest.raises(ValueError, match="before the start"):
        completed_years_and_months(dt.date(2025, 6, 30), dt.date(2025, 6, 29))


@given(start=DAYS, months=st.integers(min_value=0, max_value=1200))
def test_completed_months_inverts_add_months(start, months):
    assert completed_months(start, add_months(start, months)) == months


@given(start=DAYS, end=DAYS, years=SPANS)
def test_completed_years_agree_with_has_lasted_years(start, end, years):
    start, end = min(start, end), max(start, end)

    completed, _months = completed_years_and_months(start, end)

    assert has_lasted_years(start, end, years) == (completed >= years)


# --- has_lasted_years (C2: 以上 includes the number) ---


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (dt.date(2025, 6, 29), False),  # the fifth anniversary is tomorrow
        (dt.date(2025, 6, 30), True),  # the fifth anniversary is today: 五年以上（含五年）
        (dt.date(2025, 7, 1), True),  # the fifth anniversary was yesterday
    ],
)
def test_has_lasted_years_includes_the_anniversary(reference, expected):
    assert has_lasted_years(dt.date(2020, 6, 30), reference, 5) is expected


@given(start=DAYS, first=DAYS, second=DAYS, years=SPANS)
def test_has_lasted_years_is_monotone_in_the_reference(start, first, second, years):
    earlier, later = min(first, second), max(first, second)

    if has_lasted_years(start, earlier, years):
        assert has_lasted_years(start, later, years)


# --- within_last_years (C4) ---


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (dt.date(2022, 6, 29), False),  # one day more than three years before
        (dt.date(2022, 6, 30), True),  # exactly three years before: counts
        (dt.date(2025, 6, 30), True),  # on the reference date
        (dt.date(2025, 7, 1), False),  # after the reference date
    ],
)
def test_within_last_years_includes_both_ends(event, expected):
    assert within_last_years(event, dt.date(2025, 6, 30), 3) is expected


@given(reference=DAYS.filter(lambda day: day.year >= 2000), years=st.integers(min_value=0, max_value=50))
def test_within_last_years_window_edges(reference, years):
    first = add_years(reference, -years)

    assert within_last_years(first, reference, years)
    assert within_last_years(reference, reference, years)
    assert not within_last_years(first - dt.timedelta(days=1), reference, years)


# --- financial years (C5) and cycles (C6) ---


def test_previous_financial_years_are_the_three_completed_calendar_years():
    assert previous_financial_years(dt.date(2025, 6, 30)) == [2024, 2023, 2022]
    assert previous_financial_years(dt.date(2025, 1, 1)) == [2024, 2023, 2022]


def test_previous_financial_years_count():
    assert previous_financial_years(dt.date(2025, 6, 30), count=1) == [2024]


def test_previous_cycles_are_the_three_before():
    assert previous_cycles(7) == [6, 5, 4]
    assert previous_cycles(2) == [1, 0, -1]
    assert previous_cycles(7, count=1) == [6]


def test_timewords_imports_no_django():
    assert "django" not in timewords.__loader__.get_source(timewords.__name__)
