"""The HTML report in headless Chromium: charts drawn, filters and toggles recompute the tiles.

Expected tiles are plain Python sums over the synthetic rows below (not helpers.transform);
one test also checks the page against helpers.transform for the same filters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from playwright.sync_api import Page

from helpers import report, transform
from helpers.config import ReportLimits
from helpers.schemas import HOURLY_SCHEMA

pytestmark = pytest.mark.browser

FIRST_DAY = dt.date(2026, 11, 2)  # a Monday: the 15 days touch 3 ISO weeks
WINDOW = transform.Window(FIRST_DAY, dt.date(2026, 11, 16))
VERSIONS = {"alpha": ("1.0", "1.1", "2.0"), "beta": ("0.9", "1.0"), "gamma": ("3.2",)}
SIZES = {"alpha": 2_000_000, "beta": 350_000, "gamma": 12_345}
COUNTRIES = ("US", "DE", None, "FR")
INSTALLERS = ("pip", "uv", "mirror", "browser")
HOURS = (1, 9, 14, 22)
TILES = ("downloads", "bytes", "dependencies")
BUCKETS = {"hour": 360, "day": 15, "week": 3}


def synthetic_rows() -> list[dict]:
    """Deterministic hourly rows: 3 projects, 6 versions, a NULL country, mirror and CI rows."""
    rows = []
    for day in range(-1, 16):  # one day before and one day after the window
        date = FIRST_DAY + dt.timedelta(days=day)
        for hour in HOURS:
            for p, (project, versions) in enumerate(VERSIONS.items()):
                for v, version in enumerate(versions):
                    for c, country in enumerate(COUNTRIES):
                        if (day + hour + p + c + v) % 2:
                            continue
                        n = 1 + (day * 7 + hour * 3 + p * 5 + v * 11 + c * 13) % 9
                        without = n // 7
                        deps = p + v + 1
                        rows.append(
                            {
                                "hour": dt.datetime.combine(date, dt.time(hour), tzinfo=dt.UTC),
                                "country_code": country,
                                "project": project,
                                "version": version,
                                "file_type": "bdist_wheel" if v % 2 == 0 else "sdist",
                                "installer_family": INSTALLERS[(day + hour + c) % 4],
                                "is_ci": (day + v + c) % 3 == 0,
                                "downloads": n,
                                "bytes": (n - without) * SIZES[project],
                                "dependencies": (n - without) * deps,
                                "downloads_without_metadata": without,
                            }
                        )
    return rows


ROWS = synthetic_rows()


def in_window(row: dict) -> bool:
    return FIRST_DAY <= row["hour"].date() <= WINDOW.end


def expected_tiles(keep: Callable[[dict], bool], granularity: str = "day") -> dict:
    """Tile values by plain sums over the synthetic rows that `keep` selects."""
    chosen = [row for row in ROWS if in_window(row) and keep(row)]
    sums = {m: sum(row[m] for row in chosen) for m in (*TILES, "downloads_without_metadata")}
    with_metadata = sums["downloads"] - sums["downloads_without_metadata"]
    return {
        "downloads-sum": sums["downloads"],
        "downloads-mean": sums["downloads"] / BUCKETS[granularity],
        "bytes-sum": sums["bytes"],
        "bytes-mean": sums["bytes"] / with_metadata if with_metadata else None,
        "dependencies-sum": sums["dependencies"],
        "dependencies-mean": sums["dependencies"] / with_metadata if with_metadata else None,
        "downloads-without-metadata": sums["downloads_without_metadata"],
        "buckets": BUCKETS[granularity],
    }


def context() -> report.ReportContext:
    return report.ReportContext(
        run_date=dt.date(2026, 11, 17),
        window=WINDOW,
        data_freshness=dt.datetime(2026, 11, 16, 23, 59, tzinfo=dt.UTC),
        checks=[
            {"name": "share_without_metadata", "status": "pass", "detail": "1.2% <= 5%"},
            {"name": "share_null_country", "status": "warn", "detail": "24% > 10%"},
        ],
        generated_at=dt.datetime(2026, 11, 17, 5, 30, tzinfo=dt.UTC),
        run_id="browser-test",
    )


@pytest.fixture(scope="module")
def hourly() -> pa.Table:
    return pa.Table.from_pylist(ROWS, schema=HOURLY_SCHEMA)


@pytest.fixture(scope="module")
def report_url(hourly, tmp_path_factory) -> str:
    """The report of the synthetic rows with the default limits (nothing folded)."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    report.write_report(report.build_report_html(hourly, context(), ReportLimits()), path)
    return path.as_uri()


@pytest.fixture(scope="module")
def folded_report_url(hourly, tmp_path_factory) -> str:
    """The report with one project, one version and one country kept: the rest is "other"."""
    path = tmp_path_factory.mktemp("folded") / "report.html"
    limits = ReportLimits(top_projects=1, top_versions_per_project=1, top_countries=1)
    report.write_report(report.build_report_html(hourly, context(), limits), path)
    return path.as_uri()


@pytest.fixture
def opened(page: Page, page_events, report_url) -> Page:
    """The report open and drawn; on teardown, no console error and no request but itself."""
    open_report(page, report_url)
    yield page
    assert_quiet(page_events, report_url)


def open_report(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("document.body.dataset.ready !== 'false'", timeout=60_000)
    assert page.get_attribute("body", "data-ready") == "true", page.inner_text("#load-error")


def assert_quiet(events, url: str) -> None:
    assert events.errors == [], events.errors
    assert events.failed == [], events.failed
    assert events.outside(url) == [], events.outside(url)


def renders(page: Page) -> int:
    return int(page.get_attribute("body", "data-renders"))


def change(page: Page, action: Callable[[], object]) -> None:
    """Run a control change and wait until the page has drawn again."""
    before = renders(page)
    action()
    page.wait_for_function(f"Number(document.body.dataset.renders) > {before}")


def select(page: Page, selector: str, value: str) -> None:
    change(page, lambda: page.select_option(selector, value))


def tiles(page: Page) -> dict:
    """Each tile's raw data-value: int for counts, float for means, None when undefined."""
    values = {}
    for name in (
        "downloads-sum",
        "downloads-mean",
        "bytes-sum",
        "bytes-mean",
        "dependencies-sum",
        "dependencies-mean",
        "downloads-without-metadata",
        "buckets",
    ):
        text = page.get_attribute(f"#kpi-{name}", "data-value")
        values[name] = None if text == "" else float(text) if "mean" in name else int(text)
    return values


def option_values(page: Page, selector: str) -> list[str]:
    return page.eval_on_selector_all(f"{selector} option", "options => options.map(o => o.value)")


def chart_points(page: Page, chart: str) -> list[int]:
    """Number of points of each plotly trace drawn in a chart."""
    return page.evaluate(
        "id => document.getElementById(id).data.map(trace => trace.x.length)", chart
    )


def test_every_chart_renders_with_data(opened: Page):
    for chart in ("chart-timeseries", "chart-breakdown", "chart-weekday", "chart-hourly"):
        points = chart_points(opened, chart)
        assert points and all(count > 0 for count in points), chart
        assert opened.locator(f"#{chart} .main-svg").count() > 0, chart
    assert chart_points(opened, "chart-weekday") == [7, 7, 7]
    assert chart_points(opened, "chart-hourly") == [24]
    assert opened.locator("#chart-hourly .bars .point").count() == 24
    assert opened.locator("#chart-timeseries .bars .point").count() == 15
    weights = opened.evaluate("document.getElementById('chart-weekday').data[0].y")
    assert sum(weights) == pytest.approx(1.0)


def test_header_states_window_run_quality_and_bound(opened: Page):
    assert opened.inner_text("#report-title") == "PyPI downloads — 2026-11-02 to 2026-11-16"
    assert opened.get_attribute("#report-window", "data-start") == "2026-11-02"
    assert opened.get_attribute("#report-window", "data-end") == "2026-11-16"
    assert opened.inner_text("#run-date") == "2026-11-17"
    assert opened.inner_text("#data-freshness") == "2026-11-16 23:59 UTC"
    assert opened.get_attribute("#quality-status", "data-status") == "warn"
    checks = opened.locator("#checks li.check")
    assert checks.count() == 2
    assert checks.nth(1).get_attribute("data-status") == "warn"
    bound = opened.locator("#data-bound")
    assert bound.is_visible()
    assert "top 30 projects" in bound.inner_text()


def test_country_then_project_then_version_recompute_the_tiles(opened: Page, screenshots: Path):
    assert tiles(opened) == expected_tiles(lambda row: True)
    opened.screenshot(path=screenshots / "report-before-filtering.png", full_page=True)

    steps = [
        ("#filter-country", "DE", lambda row: row["country_code"] == "DE"),
        ("#filter-project", "alpha", lambda row: row["project"] == "alpha"),
        ("#filter-version", "1.1", lambda row: row["version"] == "1.1"),
    ]
    previous, chosen = tiles(opened), []
    for selector, value, keep in steps:
        select(opened, selector, value)
        chosen.append(keep)
        expected = expected_tiles(
            lambda row, conditions=tuple(chosen): all(k(row) for k in conditions)
        )
        assert tiles(opened) == expected, selector
        assert expected["downloads-sum"] < previous["downloads-sum"], selector
        previous = expected
    opened.screenshot(path=screenshots / "report-after-filtering.png", full_page=True)

    select(opened, "#filter-country", "unknown")
    assert tiles(opened) == expected_tiles(
        lambda row: (
            row["country_code"] is None and row["project"] == "alpha" and row["version"] == "1.1"
        )
    )


def test_version_list_depends_on_the_project(opened: Page):
    assert opened.is_disabled("#filter-version")
    assert option_values(opened, "#filter-version") == [""]
    select(opened, "#filter-project", "beta")
    assert opened.is_enabled("#filter-version")
    per_version = {
        version: sum(
            r["downloads"]
            for r in ROWS
            if in_window(r) and r["project"] == "beta" and r["version"] == version
        )
        for version in VERSIONS["beta"]
    }
    ranked = sorted(per_version, key=lambda version: (-per_version[version], version))
    assert option_values(opened, "#filter-version") == ["", *ranked]
    select(opened, "#filter-version", ranked[0])
    select(opened, "#filter-project", "gamma")  # another project resets the version to All
    assert opened.input_value("#filter-version") == ""
    assert tiles(opened) == expected_tiles(lambda row: row["project"] == "gamma")


def test_granularity_changes_the_number_of_points(opened: Page):
    points = {}
    for granularity in ("hour", "day", "week"):
        select(opened, "#granularity", granularity)
        points[granularity] = chart_points(opened, "chart-timeseries")[0]
        assert int(opened.get_attribute("#chart-timeseries", "data-points")) == points[granularity]
        assert tiles(opened) == expected_tiles(lambda row: True, granularity)
        assert opened.get_attribute("#kpis", "data-granularity") == granularity
    assert points == {"hour": 360, "day": 15, "week": 3}
    assert points["hour"] > points["day"] > points["week"]
    select(opened, "#timeseries-metric", "bytes")
    series = opened.evaluate("document.getElementById('chart-timeseries').data[0].y")
    assert sum(series) == expected_tiles(lambda row: True)["bytes-sum"]


def test_mirror_and_ci_toggles_drop_their_rows(opened: Page):
    total = expected_tiles(lambda row: True)["downloads-sum"]
    change(opened, lambda: opened.check("#exclude-mirrors"))
    no_mirrors = expected_tiles(lambda row: row["installer_family"] != "mirror")
    assert tiles(opened) == no_mirrors and no_mirrors["downloads-sum"] < total
    change(opened, lambda: opened.check("#exclude-ci"))
    neither = expected_tiles(lambda row: row["installer_family"] != "mirror" and not row["is_ci"])
    assert tiles(opened) == neither and neither["downloads-sum"] < no_mirrors["downloads-sum"]
    change(opened, lambda: opened.uncheck("#exclude-mirrors"))
    assert tiles(opened) == expected_tiles(lambda row: not row["is_ci"])


def test_page_equals_transform_for_the_same_filters(opened: Page, hourly):
    select(opened, "#filter-country", "US")
    change(opened, lambda: opened.check("#exclude-ci"))
    rows = transform.filter_hourly(hourly, countries="US", exclude_ci=True)
    for granularity in ("hour", "day", "week"):
        select(opened, "#granularity", granularity)
        summary = transform.kpi_summary(rows, WINDOW, granularity)
        page = tiles(opened)
        for key, value in summary.items():
            assert (
                page[key.replace("_sum", "-sum").replace("_mean", "-mean").replace("_", "-")]
                == value
            )
    weights = transform.weekday_weights(rows, WINDOW).to_pylist()
    drawn = opened.evaluate("document.getElementById('chart-weekday').data.map(t => t.y)")
    for index, metric in enumerate(TILES):
        assert drawn[index] == [row["weight"] for row in weights if row["metric"] == metric]
    profile = transform.hourly_profile(rows, WINDOW).column("mean_downloads").to_pylist()
    assert opened.evaluate("document.getElementById('chart-hourly').data[0].y") == profile
    daily = transform.roll_up(rows, "day")
    select(opened, "#granularity", "day")
    drawn_days = opened.evaluate("document.getElementById('chart-timeseries').data[0]")
    by_day = dict(zip(drawn_days["x"], drawn_days["y"], strict=True))
    for start, downloads in zip(
        daily["period_start"].to_pylist(), daily["downloads"].to_pylist(), strict=True
    ):
        if WINDOW.start <= start.date() <= WINDOW.end:  # roll_up does not cut the window
            assert by_day[start.date().isoformat()] == downloads


def test_folded_labels_select_the_other_bucket(page: Page, page_events, folded_report_url):
    open_report(page, folded_report_url)
    assert "other" in option_values(page, "#filter-project")
    select(page, "#filter-project", "other")
    assert tiles(page) == expected_tiles(lambda row: row["project"] != "alpha")
    assert option_values(page, "#filter-version") == ["", "other"]
    select(page, "#filter-project", "")
    select(page, "#filter-country", "other")
    assert tiles(page) == expected_tiles(lambda row: row["country_code"] in ("DE", "FR"))
    select(page, "#filter-country", "unknown")
    assert tiles(page) == expected_tiles(lambda row: row["country_code"] is None)
    assert "top 1 projects" in page.inner_text("#data-bound")
    assert_quiet(page_events, folded_report_url)


def test_narrow_screens_stack_the_charts(page: Page, page_events, report_url, screenshots: Path):
    page.set_viewport_size({"width": 820, "height": 1000})
    open_report(page, report_url)
    first = page.locator("#chart-timeseries").bounding_box()
    second = page.locator("#chart-breakdown").bounding_box()
    assert second["y"] > first["y"] + first["height"] - 1
    page.screenshot(path=screenshots / "report-narrow.png", full_page=True)
    assert_quiet(page_events, report_url)
