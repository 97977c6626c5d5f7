"""Tests of the hourly roll-ups, KPIs and profiles on tiny hand-built hourly tables."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pyarrow as pa
import pytest

from helpers.schemas import HOURLY_SCHEMA
from helpers.transform import (
    GRANULARITIES,
    MEASURES,
    METRICS,
    WEEKDAY_NAMES,
    Window,
    aggregate_batches,
    daily_totals,
    filter_hourly,
    hourly_profile,
    hourly_totals,
    kpi_summary,
    roll_up,
    weekday_weights,
    within_window,
)

# Dimension and measure values of a row unless the test says otherwise.
DEFAULTS = {
    "country_code": "US",
    "project": "demo",
    "version": "1.0",
    "file_type": "bdist_wheel",
    "installer_family": "pip",
    "is_ci": False,
    "downloads": 1,
    "bytes": 100,
    "dependencies": 3,
    "downloads_without_metadata": 0,
}

# 2027-01-04 is a Monday: this 15-day window holds three Mondays and two of every other day.
FIFTEEN_DAYS = Window(dt.date(2027, 1, 4), dt.date(2027, 1, 18))


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _at(day: str, hour: int = 0) -> dt.datetime:
    return dt.datetime.combine(_day(day), dt.time(hour), tzinfo=dt.UTC)


def _row(day: str, hour: int = 0, **fields) -> dict:
    return {**DEFAULTS, "hour": _at(day, hour), **fields}


def _table(*rows: dict) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=HOURLY_SCHEMA)


def _weights(table: pa.Table, metric: str) -> list[float]:
    return [row["weight"] for row in table.to_pylist() if row["metric"] == metric]


# --- Window -----------------------------------------------------------------------------


def test_window_days_and_dates_include_both_ends():
    window = Window(_day("2026-12-30"), _day("2027-01-02"))
    assert window.days == 4
    assert window.dates() == [
        _day("2026-12-30"),
        _day("2026-12-31"),
        _day("2027-01-01"),
        _day("2027-01-02"),
    ]


@pytest.mark.parametrize(
    ("end", "days", "start"),
    [
        ("2027-01-05", 9, "2026-12-28"),
        ("2027-01-05", 1, "2027-01-05"),
        ("2027-03-01", 2, "2027-02-28"),
    ],
)
def test_window_ending_counts_back_from_end(end, days, start):
    window = Window.ending(_day(end), days)
    assert (window.start, window.end, window.days) == (_day(start), _day(end), days)


def test_window_rejects_start_after_end():
    with pytest.raises(ValueError, match="window start 2027-01-05 is after its end 2027-01-04"):
        Window(_day("2027-01-05"), _day("2027-01-04"))


@pytest.mark.parametrize(
    ("start", "kind"),
    [(_at("2027-01-01"), "datetime"), ("2027-01-01", "str"), (None, "NoneType")],
)
def test_window_rejects_start_that_is_not_a_date(start, kind):
    with pytest.raises(TypeError, match=rf"window start must be a datetime\.date, got {kind}"):
        Window(start, _day("2027-01-04"))


def test_window_rejects_end_that_is_not_a_date():
    with pytest.raises(TypeError, match=r"window end must be a datetime\.date, got datetime"):
        Window(_day("2027-01-01"), _at("2027-01-04"))


@pytest.mark.parametrize("days", [0, -3])
def test_window_ending_rejects_days_below_one(days):
    with pytest.raises(ValueError, match=f"window days must be at least 1, got {days}"):
        Window.ending(_day("2027-01-04"), days)


@pytest.mark.parametrize(("days", "kind"), [(1.5, "float"), (True, "bool"), ("7", "str")])
def test_window_ending_rejects_days_that_are_not_int(days, kind):
    with pytest.raises(TypeError, match=f"window days must be an int, got {kind}"):
        Window.ending(_day("2027-01-04"), days)


def test_window_is_frozen():
    window = Window.ending(_day("2027-01-04"), 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        window.start = _day("2027-01-01")


# --- filter_hourly ----------------------------------------------------------------------


def _filter_rows() -> pa.Table:
    # downloads identify the rows: 1..5.
    return _table(
        _row("2027-01-04", country_code="US", project="a", version="1", downloads=1),
        _row("2027-01-04", country_code=None, project="a", version="1", downloads=2),
        _row(
            "2027-01-04",
            country_code="FR",
            project="b",
            version="2",
            installer_family="mirror",
            downloads=3,
        ),
        _row(
            "2027-01-04",
            country_code=None,
            project="b",
            version="1",
            installer_family="uv",
            is_ci=True,
            downloads=4,
        ),
        _row(
            "2027-01-04",
            country_code="US",
            project="a",
            version="2",
            installer_family="mirror",
            is_ci=True,
            downloads=5,
        ),
    )


def _kept(table: pa.Table) -> list[int]:
    return sorted(table["downloads"].to_pylist())


@pytest.mark.parametrize("empty", [None, [], ()])
def test_filter_hourly_none_or_empty_keeps_all(empty):
    table = filter_hourly(_filter_rows(), countries=empty, projects=empty, versions=empty)
    assert _kept(table) == [1, 2, 3, 4, 5]


def test_filter_hourly_unknown_selects_null_country():
    assert _kept(filter_hourly(_filter_rows(), countries=["unknown"])) == [2, 4]


def test_filter_hourly_specific_country_keeps_null_country_out():
    assert _kept(filter_hourly(_filter_rows(), countries=["US"])) == [1, 5]


def test_filter_hourly_unknown_together_with_a_country():
    assert _kept(filter_hourly(_filter_rows(), countries=["unknown", "US"])) == [1, 2, 4, 5]


def test_filter_hourly_bare_string_is_one_value():
    assert _kept(filter_hourly(_filter_rows(), countries="US", projects="a")) == [1, 5]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"projects": ["b"]}, [3, 4]),
        ({"versions": ["2"]}, [3, 5]),
        ({"exclude_mirrors": True}, [1, 2, 4]),
        ({"exclude_ci": True}, [1, 2, 3]),
        ({"countries": ["ZZ"]}, []),
    ],
)
def test_filter_hourly_single_filter(filters, expected):
    assert _kept(filter_hourly(_filter_rows(), **filters)) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"countries": ["unknown", "US"], "projects": ["a"], "exclude_ci": True}, [1, 2]),
        ({"countries": ["US"], "versions": ["2"]}, [5]),
        ({"countries": ["US"], "versions": ["2"], "exclude_mirrors": True}, []),
        ({"projects": ["a", "b"], "versions": ["1"], "exclude_ci": True}, [1, 2]),
        ({"exclude_mirrors": True, "exclude_ci": True}, [1, 2]),
    ],
)
def test_filter_hourly_filters_combined(filters, expected):
    assert _kept(filter_hourly(_filter_rows(), **filters)) == expected


def test_filter_hourly_keeps_the_schema():
    assert filter_hourly(_filter_rows(), countries=["US"]).schema == HOURLY_SCHEMA


def test_filter_hourly_rejects_missing_column():
    table = _filter_rows().drop_columns(["is_ci"])
    with pytest.raises(ValueError, match=r"missing column\(s\) \['is_ci'\]"):
        filter_hourly(table, exclude_ci=True)


# --- roll_up ----------------------------------------------------------------------------


def test_roll_up_hour_sums_every_measure():
    table = _table(
        _row("2027-01-04", 5, version="1", downloads=2, bytes=20, dependencies=4),
        _row(
            "2027-01-04",
            5,
            version="2",
            downloads=3,
            bytes=30,
            dependencies=0,
            downloads_without_metadata=1,
        ),
        _row("2027-01-04", 6, downloads=7, bytes=70, dependencies=1),
    )
    assert roll_up(table, "hour").to_pylist() == [
        {
            "period_start": _at("2027-01-04", 5),
            "downloads": 5,
            "bytes": 50,
            "dependencies": 4,
            "downloads_without_metadata": 1,
        },
        {
            "period_start": _at("2027-01-04", 6),
            "downloads": 7,
            "bytes": 70,
            "dependencies": 1,
            "downloads_without_metadata": 0,
        },
    ]


def test_roll_up_day_across_month_and_year_boundary():
    table = _table(
        _row("2027-01-01", 23, downloads=4),
        _row("2026-12-31", 23, downloads=1),
        _row("2027-01-01", 0, downloads=2),
        _row("2026-12-01", 0, downloads=16),
        _row("2026-11-30", 5, downloads=8),
    )
    rolled = roll_up(table, "day")
    assert rolled["period_start"].to_pylist() == [
        _at("2026-11-30"),
        _at("2026-12-01"),
        _at("2026-12-31"),
        _at("2027-01-01"),
    ]
    assert rolled["downloads"].to_pylist() == [8, 16, 1, 6]


def test_roll_up_week_starts_on_monday_across_year_boundary():
    # One download per day from Sunday 2026-12-27 to Tuesday 2027-01-05.
    days = [dt.date(2026, 12, 27) + dt.timedelta(days=offset) for offset in range(10)]
    table = _table(*(_row(day.isoformat(), 12) for day in days))
    rolled = roll_up(table, "week")
    assert rolled["period_start"].to_pylist() == [
        _at("2026-12-21"),
        _at("2026-12-28"),
        _at("2027-01-04"),
    ]
    # The week of Monday 2026-12-28 holds 28..31 December and 1..3 January.
    assert rolled["downloads"].to_pylist() == [1, 7, 2]


def test_roll_up_by_sorts_by_period_then_columns_with_null_country_last():
    table = _table(
        _row("2027-01-05", country_code="US", downloads=1),
        _row("2027-01-04", 3, country_code=None, downloads=2),
        _row("2027-01-04", 9, country_code="US", downloads=4),
        _row("2027-01-04", 1, country_code="FR", downloads=8),
        _row("2027-01-04", 2, country_code=None, downloads=16),
    )
    rolled = roll_up(table, "day", by=("country_code",))
    assert rolled.select(["period_start", "country_code", "downloads"]).to_pylist() == [
        {"period_start": _at("2027-01-04"), "country_code": "FR", "downloads": 8},
        {"period_start": _at("2027-01-04"), "country_code": "US", "downloads": 4},
        {"period_start": _at("2027-01-04"), "country_code": None, "downloads": 18},
        {"period_start": _at("2027-01-05"), "country_code": "US", "downloads": 1},
    ]


def test_roll_up_columns_and_types():
    rolled = roll_up(_table(_row("2027-01-04")), "week", by=["is_ci", "project"])
    assert rolled.column_names == ["period_start", "is_ci", "project", *MEASURES]
    assert rolled.schema.field("period_start").type == pa.timestamp("us", tz="UTC")
    assert rolled.schema.field("is_ci").type == pa.bool_()
    assert all(rolled.schema.field(measure).type == pa.int64() for measure in MEASURES)


def test_roll_up_bare_string_by_is_one_column():
    table = _table(_row("2027-01-04", project="a"), _row("2027-01-04", project="b"))
    assert roll_up(table, "day", by="project")["project"].to_pylist() == ["a", "b"]


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_roll_up_empty_table_gives_no_rows(granularity):
    rolled = roll_up(HOURLY_SCHEMA.empty_table(), granularity, by=("country_code",))
    assert rolled.num_rows == 0
    assert rolled.column_names == ["period_start", "country_code", *MEASURES]


@pytest.mark.parametrize("granularity", ["month", "Day", "", None])
def test_roll_up_rejects_unknown_granularity(granularity):
    with pytest.raises(ValueError, match=f"unknown granularity {granularity!r}"):
        roll_up(_table(_row("2027-01-04")), granularity)


@pytest.mark.parametrize(
    ("by", "message"),
    [
        (("downloads",), r"cannot roll up by \['downloads'\]"),
        (("hour",), r"cannot roll up by \['hour'\]"),
        (("project", "nope"), r"cannot roll up by \['nope'\]"),
        (("project", "project"), "by repeats a column"),
    ],
)
def test_roll_up_rejects_invalid_by(by, message):
    with pytest.raises(ValueError, match=message):
        roll_up(_table(_row("2027-01-04")), "day", by=by)


def test_roll_up_rejects_missing_measure():
    table = _table(_row("2027-01-04")).drop_columns(["bytes"])
    with pytest.raises(ValueError, match=r"missing column\(s\) \['bytes'\]"):
        roll_up(table, "day")


# --- aggregate_batches ------------------------------------------------------------------


def _mixed_rows() -> pa.Table:
    countries = ["US", None, "FR"]
    projects = ["a", "b"]
    return _table(
        *(
            _row(
                (dt.date(2026, 12, 30) + dt.timedelta(days=index % 7)).isoformat(),
                index % 24,
                country_code=countries[index % 3],
                project=projects[index % 2],
                downloads=index + 1,
                bytes=10 * index,
                dependencies=index % 4,
                downloads_without_metadata=index % 2,
            )
            for index in range(40)
        )
    )


@pytest.mark.parametrize("granularity", GRANULARITIES)
@pytest.mark.parametrize("by", [(), ("country_code",), ("project", "country_code")])
@pytest.mark.parametrize("batch_rows", [1, 3, 7, 40])
def test_aggregate_batches_equals_roll_up_of_the_whole(granularity, by, batch_rows):
    table = _mixed_rows()
    batches = table.to_batches(max_chunksize=batch_rows)
    assert len(batches) == -(-40 // batch_rows)
    assert aggregate_batches(batches, granularity, by).equals(roll_up(table, granularity, by))


def test_aggregate_batches_sums_a_key_spread_over_batches():
    first = _table(_row("2027-01-04", 1, downloads=2), _row("2027-01-05", 1, downloads=5))
    second = _table(_row("2027-01-04", 23, downloads=3, bytes=7)).to_batches()[0]
    rolled = aggregate_batches(iter([first, second]), "day")
    assert rolled.select(["period_start", "downloads", "bytes"]).to_pylist() == [
        {"period_start": _at("2027-01-04"), "downloads": 5, "bytes": 107},
        {"period_start": _at("2027-01-05"), "downloads": 5, "bytes": 100},
    ]


def test_aggregate_batches_without_batches_gives_empty_roll_up():
    rolled = aggregate_batches([], "week", by=("project",))
    assert rolled.num_rows == 0
    assert rolled.column_names == ["period_start", "project", *MEASURES]


def test_aggregate_batches_rejects_unknown_granularity_before_reading():
    with pytest.raises(ValueError, match="unknown granularity 'month'"):
        aggregate_batches([], "month")


# --- kpi_summary ------------------------------------------------------------------------


def _kpi_rows() -> pa.Table:
    # Window 2027-01-04 .. 2027-01-06: nothing on the 5th; two rows outside the window.
    return _table(
        _row("2027-01-03", 23, downloads=1000, bytes=1, dependencies=1),
        _row(
            "2027-01-04", 1, downloads=10, bytes=800, dependencies=24, downloads_without_metadata=2
        ),
        _row("2027-01-06", 5, downloads=22, bytes=1600, dependencies=36),
        _row("2027-01-07", 0, downloads=1000, bytes=1, dependencies=1),
    )


KPI_WINDOW = Window(dt.date(2027, 1, 4), dt.date(2027, 1, 6))


@pytest.mark.parametrize(
    ("granularity", "buckets", "downloads_mean"),
    [("hour", 72, 32 / 72), ("day", 3, 32 / 3), ("week", 1, 32.0)],
)
def test_kpi_summary_counts_empty_buckets_as_zero(granularity, buckets, downloads_mean):
    summary = kpi_summary(_kpi_rows(), KPI_WINDOW, granularity)
    assert summary == {
        "downloads_sum": 32,
        "downloads_mean": pytest.approx(downloads_mean),
        "bytes_sum": 2400,
        # 2400 bytes over 32 - 2 = 30 downloads with metadata.
        "bytes_mean": pytest.approx(80.0),
        "dependencies_sum": 60,
        "dependencies_mean": pytest.approx(2.0),
        "downloads_without_metadata": 2,
        "buckets": buckets,
    }


@pytest.mark.parametrize(
    ("start", "end", "buckets"),
    [
        ("2027-01-04", "2027-01-04", 1),
        ("2027-01-04", "2027-01-10", 1),
        ("2027-01-03", "2027-01-04", 2),
        ("2026-12-28", "2027-01-05", 2),
        ("2027-01-04", "2027-01-18", 3),
        ("2026-12-27", "2027-01-04", 3),
    ],
)
def test_kpi_summary_week_buckets_are_iso_weeks_touched(start, end, buckets):
    summary = kpi_summary(_table(_row(start, downloads=6)), Window(_day(start), _day(end)), "week")
    assert summary["buckets"] == buckets
    assert summary["downloads_mean"] == pytest.approx(6 / buckets)


def test_kpi_summary_means_are_none_without_metadata():
    table = _table(
        _row("2027-01-04", downloads=4, bytes=0, dependencies=0, downloads_without_metadata=4),
        _row("2027-01-05", downloads=2, bytes=0, dependencies=0, downloads_without_metadata=2),
    )
    summary = kpi_summary(table, KPI_WINDOW, "day")
    assert summary["downloads_mean"] == pytest.approx(6 / 3)
    assert summary["bytes_mean"] is None
    assert summary["dependencies_mean"] is None
    assert summary["downloads_without_metadata"] == 6


def test_kpi_summary_of_no_rows_is_zero_with_none_means():
    summary = kpi_summary(HOURLY_SCHEMA.empty_table(), KPI_WINDOW, "hour")
    assert summary == {
        "downloads_sum": 0,
        "downloads_mean": 0.0,
        "bytes_sum": 0,
        "bytes_mean": None,
        "dependencies_sum": 0,
        "dependencies_mean": None,
        "downloads_without_metadata": 0,
        "buckets": 72,
    }


@pytest.mark.parametrize("granularity", ["month", "HOUR"])
def test_kpi_summary_rejects_unknown_granularity(granularity):
    with pytest.raises(ValueError, match=f"unknown granularity '{granularity}'"):
        kpi_summary(_kpi_rows(), KPI_WINDOW, granularity)


def test_kpi_summary_rejects_window_that_is_not_a_window():
    with pytest.raises(TypeError, match="window must be a Window, got tuple"):
        kpi_summary(_kpi_rows(), (_day("2027-01-04"), _day("2027-01-06")), "day")


# --- weekday_weights --------------------------------------------------------------------


def _daily(window: Window, downloads_by_weekday: dict[int, int]) -> pa.Table:
    """One row per day of the window at noon, downloads chosen by ISO weekday (default 10)."""
    return _table(
        *(
            _row(day.isoformat(), 12, downloads=downloads_by_weekday.get(day.isoweekday(), 10))
            for day in window.dates()
        )
    )


def test_weekday_weights_layout():
    table = weekday_weights(_daily(FIFTEEN_DAYS, {}), FIFTEEN_DAYS)
    assert table.num_rows == 21
    assert table.column_names == [
        "metric",
        "weekday",
        "weekday_name",
        "occurrences",
        "total",
        "mean_per_occurrence",
        "weight",
    ]
    assert table["metric"].to_pylist() == [metric for metric in METRICS for _ in range(7)]
    assert table["weekday"].to_pylist() == list(range(1, 8)) * 3
    assert table["weekday_name"].to_pylist() == list(WEEKDAY_NAMES) * 3


def test_weekday_weights_15_days_equal_daily_totals_weigh_one_seventh_each():
    table = weekday_weights(_daily(FIFTEEN_DAYS, {}), FIFTEEN_DAYS, metrics=["downloads"])
    rows = table.to_pylist()
    # Monday occurs 3 times (30 downloads), the other days twice (20): a share of the total
    # would favour Monday (30 / 150 = 0.2), the mean per occurrence does not.
    assert [row["occurrences"] for row in rows] == [3, 2, 2, 2, 2, 2, 2]
    assert [row["total"] for row in rows] == [30, 20, 20, 20, 20, 20, 20]
    assert [row["mean_per_occurrence"] for row in rows] == [10.0] * 7
    assert [row["weight"] for row in rows] == pytest.approx([1 / 7] * 7)


def test_weekday_weights_15_days_hand_computed():
    # Mondays 20 downloads each: mean 20; other days 10: mean 10; sum of means 20 + 6 x 10 = 80.
    table = weekday_weights(_daily(FIFTEEN_DAYS, {1: 20}), FIFTEEN_DAYS)
    rows = [row for row in table.to_pylist() if row["metric"] == "downloads"]
    assert [row["total"] for row in rows] == [60, 20, 20, 20, 20, 20, 20]
    assert [row["mean_per_occurrence"] for row in rows] == [20.0] + [10.0] * 6
    assert _weights(table, "downloads") == pytest.approx([0.25] + [0.125] * 6)
    # bytes: 100 per row every day, so equal means and equal weights.
    assert _weights(table, "bytes") == pytest.approx([1 / 7] * 7)


def test_weekday_weights_short_window_gives_absent_weekdays_zero():
    window = Window(_day("2027-01-06"), _day("2027-01-08"))  # Wednesday .. Friday
    table = weekday_weights(_daily(window, {3: 1, 4: 2, 5: 1}), window, metrics="downloads")
    rows = table.to_pylist()
    assert [row["occurrences"] for row in rows] == [0, 0, 1, 1, 1, 0, 0]
    assert [row["mean_per_occurrence"] for row in rows] == [0.0, 0.0, 1.0, 2.0, 1.0, 0.0, 0.0]
    assert [row["weight"] for row in rows] == pytest.approx([0, 0, 0.25, 0.5, 0.25, 0, 0])


def test_weekday_weights_metric_with_zero_total_has_zero_weights():
    table = _table(*(_row(day.isoformat(), dependencies=0) for day in FIFTEEN_DAYS.dates()))
    assert _weights(weekday_weights(table, FIFTEEN_DAYS), "dependencies") == [0.0] * 7


def test_weekday_weights_ignore_rows_outside_window():
    window = Window(_day("2027-01-06"), _day("2027-01-08"))
    outside = [_row("2027-01-05", 23, downloads=500), _row("2027-01-09", 0, downloads=500)]
    table = _table(
        _row("2027-01-06", 0, downloads=3), _row("2027-01-08", 23, downloads=1), *outside
    )
    rows = weekday_weights(table, window, metrics=["downloads"]).to_pylist()
    assert [row["total"] for row in rows] == [0, 0, 3, 0, 1, 0, 0]
    assert [row["weight"] for row in rows] == pytest.approx([0, 0, 0.75, 0, 0.25, 0, 0])


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        (["downloads", "clicks"], r"unknown metric\(s\) \['clicks'\]"),
        ("downloads_without_metadata", r"unknown metric\(s\) \['downloads_without_metadata'\]"),
        ([], "no metric chosen"),
    ],
)
def test_weekday_weights_rejects_invalid_metrics(metrics, message):
    with pytest.raises(ValueError, match=message):
        weekday_weights(_daily(FIFTEEN_DAYS, {}), FIFTEEN_DAYS, metrics=metrics)


# --- hourly_profile ---------------------------------------------------------------------


def test_hourly_profile_keeps_hours_without_downloads():
    window = Window(_day("2027-01-04"), _day("2027-01-05"))
    table = _table(
        _row("2027-01-04", 0, downloads=4),
        _row("2027-01-05", 0, downloads=2),
        _row("2027-01-04", 13, project="a", downloads=1),
        _row("2027-01-04", 13, project="b", downloads=2),
        _row("2027-01-03", 13, downloads=100),
        _row("2027-01-06", 0, downloads=100),
    )
    profile = hourly_profile(table, window)
    expected = [0] * 24
    expected[0], expected[13] = 6, 3
    assert profile["hour_of_day"].to_pylist() == list(range(24))
    assert profile["downloads"].to_pylist() == expected
    assert profile["days"].to_pylist() == [2] * 24
    assert profile["mean_downloads"].to_pylist() == [count / 2 for count in expected]


def test_hourly_profile_of_no_rows_is_24_zero_hours():
    profile = hourly_profile(HOURLY_SCHEMA.empty_table(), Window.ending(_day("2027-01-04"), 7))
    assert profile.num_rows == 24
    assert profile["downloads"].to_pylist() == [0] * 24
    assert profile["mean_downloads"].to_pylist() == [0.0] * 24
    assert profile["days"].to_pylist() == [7] * 24


# --- daily_totals -----------------------------------------------------------------------


def test_daily_totals_sum_per_utc_day():
    table = _table(
        _row("2027-01-02", 0, downloads=5, bytes=50, dependencies=1, downloads_without_metadata=1),
        _row("2027-01-01", 23, downloads=2, bytes=20, dependencies=2),
        _row("2027-01-01", 0, country_code=None, downloads=3, bytes=30, dependencies=0),
    )
    totals = daily_totals(table)
    assert totals.schema.field("day").type == pa.date32()
    assert totals.to_pylist() == [
        {
            "day": _day("2027-01-01"),
            "downloads": 5,
            "bytes": 50,
            "dependencies": 2,
            "downloads_without_metadata": 0,
        },
        {
            "day": _day("2027-01-02"),
            "downloads": 5,
            "bytes": 50,
            "dependencies": 1,
            "downloads_without_metadata": 1,
        },
    ]


def test_hourly_totals_sums_per_hour_and_country_under_hourly_names():
    table = _table(
        _row("2027-01-04", 3, downloads=2, bytes=20),
        _row("2027-01-04", 3, project="other", version="9", downloads=5, bytes=50),
        _row("2027-01-04", 3, country_code=None, downloads=1),
        _row("2027-01-04", 4, downloads=7),
    )

    totals = hourly_totals(table)

    assert totals.column_names[:2] == ["hour", "country_code"]
    assert totals.select(["hour", "country_code", "downloads", "bytes"]).to_pylist() == [
        {"hour": _at("2027-01-04", 3), "country_code": "US", "downloads": 7, "bytes": 70},
        {"hour": _at("2027-01-04", 3), "country_code": None, "downloads": 1, "bytes": 100},
        {"hour": _at("2027-01-04", 4), "country_code": "US", "downloads": 7, "bytes": 100},
    ]


def test_kpis_of_hourly_totals_equal_kpis_of_the_rows():
    rows = _table(
        _row("2027-01-04", 1, downloads=3),
        _row("2027-01-05", 2, project="b", downloads=4, downloads_without_metadata=1),
        _row("2027-01-09", 23, country_code=None, downloads=5),
    )
    window = Window(dt.date(2027, 1, 4), dt.date(2027, 1, 10))

    assert kpi_summary(hourly_totals(rows), window, "day") == kpi_summary(rows, window, "day")
    assert weekday_weights(hourly_totals(rows), window).equals(weekday_weights(rows, window))


def test_within_window_drops_the_days_around_it():
    table = _table(
        _row("2027-01-03", 23), _row("2027-01-04", 0), _row("2027-01-05", 23), _row("2027-01-06")
    )

    kept = within_window(table, Window(dt.date(2027, 1, 4), dt.date(2027, 1, 5)))

    assert kept["hour"].to_pylist() == [_at("2027-01-04", 0), _at("2027-01-05", 23)]
