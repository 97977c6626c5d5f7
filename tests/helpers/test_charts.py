"""Figure builders: formatting, KPI tiles and the figures drawn from transform's tables."""

from __future__ import annotations

import datetime as dt
import json

import plotly.graph_objects as go
import pyarrow as pa
import pytest

from helpers import charts, transform
from helpers.schemas import HOURLY_SCHEMA

WINDOW = transform.Window(dt.date(2026, 11, 2), dt.date(2026, 11, 16))  # Monday to Monday


@pytest.fixture(scope="module")
def hourly() -> pa.Table:
    """Downloads on weekday mornings and evenings, fewer on weekends."""
    rows = []
    for date in WINDOW.dates():
        for hour in (8, 20):
            n = 10 if date.weekday() < 5 else 4
            rows.append(
                {
                    "hour": dt.datetime.combine(date, dt.time(hour), tzinfo=dt.UTC),
                    "country_code": "US",
                    "project": "alpha",
                    "version": "1.0",
                    "file_type": "bdist_wheel",
                    "installer_family": "pip",
                    "is_ci": False,
                    "downloads": n,
                    "bytes": n * 1_500_000,
                    "dependencies": n * 3,
                    "downloads_without_metadata": 0,
                }
            )
    return pa.Table.from_pylist(rows, schema=HOURLY_SCHEMA)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1_000, "1.0 kB"),
        (1_234_567, "1.2 MB"),
        (999_960, "1.0 MB"),
        (3.2e15, "3.2 PB"),
        (None, "—"),
    ],
)
def test_format_bytes(value, text):
    assert charts.format_bytes(value) == text


def test_format_numbers():
    assert charts.format_count(1234567) == "1,234,567"
    assert charts.format_count(None) == "—"
    assert charts.format_decimal(1234.567, 2) == "1,234.57"
    assert charts.format_decimal(float("nan")) == "—"


def test_kpi_tiles_from_a_summary(hourly):
    summary = transform.kpi_summary(hourly, WINDOW, "week")
    tiles = {tile["id"]: tile for tile in charts.kpi_tiles(summary, "week")}
    assert list(tiles) == [
        "kpi-downloads-sum",
        "kpi-downloads-mean",
        "kpi-bytes-sum",
        "kpi-bytes-mean",
        "kpi-dependencies-sum",
        "kpi-dependencies-mean",
    ]
    assert tiles["kpi-downloads-sum"]["value"] == summary["downloads_sum"] == 2 * (11 * 10 + 4 * 4)
    assert tiles["kpi-downloads-sum"]["display"] == "252"
    assert tiles["kpi-downloads-mean"]["value"] == 252 / 3  # three ISO weeks touched
    assert tiles["kpi-downloads-mean"]["label"] == "Downloads · Mean per ISO week"
    assert "3 ISO weeks" in tiles["kpi-downloads-mean"]["definition"]
    assert tiles["kpi-bytes-mean"]["display"] == "1.5 MB"
    assert tiles["kpi-dependencies-mean"]["display"] == "3.00"
    assert all(tile["definition"].endswith(".") for tile in tiles.values())


def test_kpi_tiles_show_a_dash_for_an_undefined_mean():
    summary = {"downloads_sum": 0, "downloads_mean": 0.0, "bytes_sum": 0, "bytes_mean": None}
    tiles = {tile["id"]: tile for tile in charts.kpi_tiles({**summary, "buckets": 1}, "day")}
    assert tiles["kpi-bytes-mean"]["display"] == "—"
    assert tiles["kpi-dependencies-sum"]["display"] == "—"


@pytest.mark.parametrize(
    ("granularity", "points", "kind"),
    [("hour", 360, "scatter"), ("day", 15, "bar"), ("week", 3, "bar")],
)
def test_timeseries_figure_has_one_point_per_bucket_with_data(hourly, granularity, points, kind):
    figure = charts.timeseries_figure(transform.roll_up(hourly, granularity), granularity)
    trace = figure.data[0]
    assert trace.type == kind
    # roll_up leaves out the buckets without rows; the page fills them with zeros.
    assert len(trace.x) == {"hour": 30, "day": 15, "week": 3}[granularity] <= points
    assert sum(trace.y) == 252
    assert figure.layout.title.text == f"Downloads per {charts.BUCKET_NOUNS[granularity]}"


def test_timeseries_labels_are_utc_and_metric_axes_differ(hourly):
    hour = charts.timeseries_figure(transform.roll_up(hourly, "hour"), "hour")
    assert hour.data[0].x[:2] == ("2026-11-02 08:00", "2026-11-02 20:00")
    week = charts.timeseries_figure(transform.roll_up(hourly, "week"), "week", "bytes")
    assert week.data[0].x == ("2026-11-02", "2026-11-09", "2026-11-16")
    assert week.layout.yaxis.ticksuffix == "B"
    with pytest.raises(ValueError, match="granularity"):
        charts.timeseries_figure(transform.roll_up(hourly, "day"), "month")


def test_weekday_figure_groups_the_three_metrics(hourly):
    weights = transform.weekday_weights(hourly, WINDOW)
    figure = charts.weekday_figure(weights)
    assert [trace.name for trace in figure.data] == ["Downloads", "Bytes", "Dependencies"]
    downloads = figure.data[0]
    assert downloads.x == charts.WEEKDAY_NAMES
    assert sum(downloads.y) == pytest.approx(1.0)
    # Monday occurs three times in the window, the other weekdays twice.
    assert [row[0] for row in downloads.customdata] == [3, 2, 2, 2, 2, 2, 2]
    assert downloads.y[0] == pytest.approx(20 / (5 * 20 + 2 * 8))
    assert figure.layout.barmode == "group"


def test_weekday_figure_orders_weekdays_whatever_the_row_order(hourly):
    weights = transform.weekday_weights(hourly, WINDOW)
    shuffled = weights.take(list(reversed(range(weights.num_rows))))
    assert charts.weekday_figure(shuffled).data[0].x == charts.WEEKDAY_NAMES


def test_hourly_figure_has_24_bars(hourly):
    figure = charts.hourly_figure(transform.hourly_profile(hourly, WINDOW))
    bars = figure.data[0]
    assert list(bars.x) == list(range(24))
    assert bars.y[8] == pytest.approx(126 / 15) and bars.y[0] == 0
    assert figure.layout.xaxis.range == (-0.5, 23.5)


def test_breakdown_and_kpi_figures():
    bars = charts.breakdown_figure(["a", "b"], [5, 3], "Downloads by project")
    assert bars.data[0].orientation == "h" and bars.data[0].x == (5, 3)
    summary = {"downloads_sum": 10, "downloads_mean": 2.5, "buckets": 4}
    indicators = charts.kpi_figure(summary, "day")
    assert len(indicators.data) == 6
    assert all(isinstance(trace, go.Indicator) for trace in indicators.data)


def test_figures_serialise_to_plain_json(hourly):
    spec = charts.figure_spec(charts.hourly_figure(transform.hourly_profile(hourly, WINDOW)))
    assert set(spec) == {"data", "layout"}
    assert json.loads(json.dumps(spec)) == spec
    assert spec["layout"]["separators"] == ".,"


def test_empty_tables_give_empty_figures():
    rolled = pa.table(
        {"period_start": pa.array([], pa.string()), "downloads": pa.array([], pa.int64())}
    )
    assert len(charts.timeseries_figure(rolled, "day").data[0].x) == 0
