"""Tests of the data-quality checks on tiny hand-built hourly tables."""

from __future__ import annotations

import datetime as dt
import logging

import pyarrow as pa
import pytest

from helpers.checks import (
    FAIL,
    PASS,
    WARN,
    CheckResult,
    DataQualityError,
    check_freshness,
    check_null_country_share,
    check_reconciliation,
    check_share_without_metadata,
    check_window_complete,
    daily_downloads,
    enforce,
    quality_checks,
)
from helpers.config import Checks
from helpers.schemas import HOURLY_SCHEMA
from tests.hourly_rows import at, hourly_table

D1, D2, D3 = dt.date(2026, 11, 18), dt.date(2026, 11, 19), dt.date(2026, 11, 20)


def hourly(*rows: dict) -> pa.Table:
    """An hourly table; each row overrides the defaults (hour defaults to D1)."""
    return hourly_table(*rows, hour=at(D1))


# --- share without metadata -------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "status"),
    [(0, PASS), (4, PASS), (5, PASS), (6, FAIL), (100, FAIL)],  # limit 5% of 100
)
def test_check_share_without_metadata_threshold(missing, status):
    table = hourly(
        {"downloads": 60, "downloads_without_metadata": missing // 2},
        {"downloads": 40, "downloads_without_metadata": missing - missing // 2, "project": "b"},
    )

    result = check_share_without_metadata(table, max_share=0.05)

    assert result.name == "share_without_metadata"
    assert result.status == status
    assert f"{missing / 100:.2%} of 100 downloads" in result.detail
    assert "(limit 5%)" in result.detail


def test_check_share_without_metadata_empty_table_passes():
    result = check_share_without_metadata(HOURLY_SCHEMA.empty_table(), max_share=0.0)

    assert result.status == PASS
    assert "of 0 downloads" in result.detail


# --- share with no country --------------------------------------------------------------


@pytest.mark.parametrize(("null_downloads", "status"), [(0, PASS), (10, PASS), (11, FAIL)])
def test_check_null_country_share_threshold(null_downloads, status):
    table = hourly(
        {"downloads": 100 - null_downloads},
        {"downloads": null_downloads, "country_code": None},
    )

    result = check_null_country_share(table, max_share=0.10)

    assert result.name == "share_null_country"
    assert result.status == status
    assert f"{null_downloads / 100:.2%} of downloads have no country" in result.detail


def test_check_null_country_share_counts_downloads_not_rows():
    # One NULL-country row of 1 download among 2 rows holding 50 downloads: 2%, not 50%.
    table = hourly({"downloads": 49}, {"downloads": 1, "country_code": None})

    result = check_null_country_share(table, max_share=0.05)

    assert result.status == PASS
    assert "2.00%" in result.detail


# --- window complete --------------------------------------------------------------------


def test_check_window_complete_passes():
    result = check_window_complete({D1: 3, D2: 1, D3: 7}, [D1, D2, D3])

    assert result == CheckResult("window_complete", PASS, "all 3 days hold downloads")


def test_check_window_complete_lists_empty_days():
    result = check_window_complete({D1: 3, D2: 0}, [D1, D2, D3])

    assert result.status == FAIL
    assert result.detail == "days without downloads: 2026-11-19, 2026-11-20"


def test_check_window_complete_ignores_days_outside_the_window():
    assert check_window_complete({D1: 0, D2: 5}, [D2]).status == PASS


# --- freshness --------------------------------------------------------------------------


@pytest.mark.parametrize(("lag", "status"), [(0.0, PASS), (48.0, PASS), (48.1, FAIL)])
def test_check_freshness_threshold(lag, status):
    result = check_freshness(lag, D3, max_lag_hours=48)

    assert result.name == "source_freshness"
    assert result.status == status
    assert f"{lag:.1f} h before the end of 2026-11-20 (limit 48 h)" in result.detail


def test_check_freshness_without_source_row():
    result = check_freshness(None, D3, max_lag_hours=48)

    assert result.status == FAIL
    assert result.detail == "no source row at or after 2026-11-20"


# --- reconciliation ---------------------------------------------------------------------


def test_check_reconciliation_agrees():
    result = check_reconciliation("staging_vs_files", {D1: 10, D2: 20}, {D2: 20, D1: 10})

    assert result.status == PASS
    assert result.name == "staging_vs_files"
    assert result.detail == "2 days, 30 downloads agree"


def test_check_reconciliation_lists_the_differing_days():
    expected = {D1: 10, D2: 2000}
    actual = {D1: 10, D2: 2001, D3: 5}

    result = check_reconciliation("mart_vs_staging", expected, actual)

    assert result.status == FAIL
    assert result.detail == "totals differ on 2026-11-19: 2,000 vs 2,001; 2026-11-20: 0 vs 5"
    assert "2026-11-18" not in result.detail


def test_check_reconciliation_missing_day_in_actual():
    result = check_reconciliation("x", {D1: 1, D2: 2}, {D1: 1})

    assert result.status == FAIL
    assert result.detail == "totals differ on 2026-11-19: 2 vs 0"


# --- daily downloads and the set of checks ----------------------------------------------


def test_daily_downloads_sums_per_utc_day():
    table = hourly(
        {"hour": at(D1, 0), "downloads": 2},
        {"hour": at(D1, 23), "downloads": 3},
        {"hour": at(D2, 0), "downloads": 7},
    )

    assert daily_downloads(table) == {D1: 5, D2: 7}


def test_quality_checks_names_and_outcomes():
    table = hourly(
        {"hour": at(D1), "downloads": 10, "downloads_without_metadata": 1},
        {"hour": at(D2), "downloads": 10, "country_code": None},
    )
    limits = Checks(max_share_without_metadata=0.10, max_share_null_country=0.10)

    results = quality_checks(table, [D1, D2, D3], limits)

    assert [(r.name, r.status) for r in results] == [
        ("window_complete", FAIL),  # D3 is empty
        ("share_without_metadata", PASS),  # 1 of 20
        ("share_null_country", FAIL),  # 10 of 20
    ]


# --- enforce ----------------------------------------------------------------------------

RESULTS = [
    CheckResult("window_complete", FAIL, "days without downloads: 2026-11-20"),
    CheckResult("share_without_metadata", PASS, "fine"),
    CheckResult("share_null_country", FAIL, "30.00% of downloads have no country"),
]


def test_enforce_fail_names_every_failed_check():
    with pytest.raises(DataQualityError, match="data-quality checks failed") as info:
        enforce(RESULTS, on_failure="fail")

    message = str(info.value)
    assert "window_complete: days without downloads: 2026-11-20" in message
    assert "share_null_country: 30.00% of downloads have no country" in message
    assert "share_without_metadata" not in message


def test_enforce_warn_downgrades_failures(caplog):
    with caplog.at_level(logging.INFO, logger="helpers.checks"):
        results = enforce(RESULTS, on_failure="warn")

    assert [(r.name, r.status) for r in results] == [
        ("window_complete", WARN),
        ("share_without_metadata", PASS),
        ("share_null_country", WARN),
    ]
    assert [r.detail for r in results] == [r.detail for r in RESULTS]
    assert [record.levelno for record in caplog.records] == [
        logging.WARNING,
        logging.INFO,
        logging.WARNING,
    ]


def test_enforce_all_passing_returns_results_unchanged():
    passing = [CheckResult("a", PASS, "ok"), CheckResult("b", PASS, "ok")]

    assert enforce(passing, on_failure="fail") == passing


def test_check_result_as_dict():
    assert CheckResult("a", FAIL, "why").as_dict() == {
        "name": "a",
        "status": "fail",
        "detail": "why",
    }
