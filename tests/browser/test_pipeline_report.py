"""The report of a real pipeline run, in Chromium: filtered tiles equal the oracle's numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests import oracle
from tests.browser.test_report import assert_quiet, open_report, select, tiles

pytestmark = [pytest.mark.browser, pytest.mark.emulator]


def expected(rows, days: int) -> dict:
    """Tile values computed from raw download rows (day granularity)."""
    downloads = len(rows)
    with_metadata = int((~rows["no_metadata"]).sum())
    size, deps = int(rows["size"].fillna(0).sum()), int(rows["deps"].fillna(0).sum())
    return {
        "downloads-sum": downloads,
        "downloads-mean": pytest.approx(downloads / days),
        "bytes-sum": size,
        "bytes-mean": pytest.approx(size / with_metadata),
        "dependencies-sum": deps,
        "dependencies-mean": pytest.approx(deps / with_metadata),
    }


def test_pipeline_report_filters_match_oracle(
    pipeline_run, page: Page, page_events, screenshots: Path
):
    rows = oracle.downloads_with_metadata(
        oracle.connect(pipeline_run.raw_dir), pipeline_run.window[0], pipeline_run.window[-1]
    )
    country = rows["country_code"].value_counts().index[0]
    in_country = rows[rows["country_code"] == country]
    project = in_country["project"].value_counts().index[0]
    in_project = in_country[in_country["project"] == project]
    version = in_project["version"].value_counts().index[0]
    in_version = in_project[in_project["version"] == version]
    url = (pipeline_run.run_dir / "report.html").as_uri()
    open_report(page, url)
    select(page, "#granularity", "day")
    keys = list(expected(rows, 15))

    def current() -> dict:
        values = tiles(page)
        return {key: values[key] for key in keys}

    assert current() == expected(rows, 15)
    select(page, "#filter-country", country)
    assert current() == expected(in_country, 15)
    select(page, "#filter-project", project)
    assert current() == expected(in_project, 15)
    select(page, "#filter-version", version)
    assert current() == expected(in_version, 15)
    page.screenshot(path=str(screenshots / "pipeline-report-filtered.png"), full_page=True)
    assert_quiet(page_events, url)
