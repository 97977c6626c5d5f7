"""Tests of run-date parsing and validation, always with an explicit `today`."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from helpers.dates import DateError, RunDates, parse_date, validate_run_dates

TODAY = dt.date(2026, 11, 21)
YESTERDAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", dt.date(2026, 11, 20)),
        (" 2024-02-29\n", dt.date(2024, 2, 29)),  # surrounding blanks, leap day
        ("2000-01-01", dt.date(2000, 1, 1)),
    ],
)
def test_parse_date_ok(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2026-13-01", "2023-02-29", "20/11/2026", "yesterday", ""])
def test_parse_date_invalid(text):
    with pytest.raises(DateError, match=r"is not a valid date \(expected YYYY-MM-DD\)"):
        parse_date(text)


def test_parse_date_invalid_names_the_argument():
    with pytest.raises(DateError, match=r"^--start '2026-11-31' is not a valid date"):
        parse_date("2026-11-31", name="--start")


def test_validate_run_dates_yesterday_is_accepted():
    run = validate_run_dates(YESTERDAY, YESTERDAY, 15, today=TODAY)

    assert run == RunDates(YESTERDAY, YESTERDAY, 15)


def test_validate_run_dates_today_is_incomplete():
    with pytest.raises(DateError, match=r"date 2026-11-21 is not a complete day yet") as info:
        validate_run_dates(TODAY, TODAY, 15, today=TODAY)

    assert "complete days up to 2026-11-20" in str(info.value)


def test_validate_run_dates_future_date():
    future = TODAY + dt.timedelta(days=10)

    with pytest.raises(DateError, match=r"date 2026-12-01 is not a complete day yet"):
        validate_run_dates(YESTERDAY, future, 15, today=TODAY)


def test_validate_run_dates_end_before_start():
    start, end = dt.date(2026, 11, 10), dt.date(2026, 11, 9)

    with pytest.raises(DateError, match="end date 2026-11-09 is before start date 2026-11-10"):
        validate_run_dates(start, end, 15, today=TODAY)


@pytest.mark.parametrize("window_days", [0, 91, -3])
def test_validate_run_dates_window_out_of_range(window_days):
    with pytest.raises(
        DateError, match=f"window of {window_days} days: it must be between 1 and 90"
    ):
        validate_run_dates(YESTERDAY, YESTERDAY, window_days, today=TODAY)


@pytest.mark.parametrize("window_days", [1, 90])
def test_validate_run_dates_window_bounds_accepted(window_days):
    assert validate_run_dates(YESTERDAY, YESTERDAY, window_days, today=TODAY).window_days == (
        window_days
    )


def test_validate_run_dates_range_over_90_days():
    start = YESTERDAY - dt.timedelta(days=90)  # 91 days with both ends

    with pytest.raises(DateError, match=r"spans 91 days: run at most 90 days at a time"):
        validate_run_dates(start, YESTERDAY, 15, today=TODAY)


def test_validate_run_dates_range_of_90_days_accepted():
    start = YESTERDAY - dt.timedelta(days=89)

    run = validate_run_dates(start, YESTERDAY, 15, today=TODAY)

    assert len(run.days()) == 90


def test_validate_run_dates_default_today_rejects_the_far_future():
    far = dt.date(9999, 1, 1)

    with pytest.raises(DateError, match="not a complete day yet"):
        validate_run_dates(far, far, 15)


def test_run_dates_window_of_15_days():
    # Arrange
    run = RunDates(start=dt.date(2026, 11, 19), end=dt.date(2026, 11, 20), window_days=15)

    # Act
    window = run.window()

    # Assert
    assert len(window) == 15
    assert window[0] == run.window_start == dt.date(2026, 11, 6)
    assert window[-1] == dt.date(2026, 11, 20)
    assert all((b - a).days == 1 for a, b in itertools.pairwise(window))


def test_run_dates_window_crosses_month_and_year():
    run = RunDates(start=dt.date(2027, 1, 3), end=dt.date(2027, 1, 3), window_days=15)

    assert run.window()[0] == dt.date(2026, 12, 20)
    assert run.window()[-1] == dt.date(2027, 1, 3)


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (dt.date(2026, 11, 20), dt.date(2026, 11, 20), 1),
        (dt.date(2026, 11, 6), dt.date(2026, 11, 20), 15),
        (dt.date(2024, 2, 28), dt.date(2024, 3, 1), 3),  # leap day included
    ],
)
def test_run_dates_days(start, end, count):
    days = RunDates(start, end, 15).days()

    assert len(days) == count
    assert days[0] == start
    assert days[-1] == end
    assert len(set(days)) == count
