"""Data-quality checks run after each stage: plain functions returning results with messages."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import pyarrow as pa
import pyarrow.compute as pc

from helpers.config import Checks
from helpers.transform import daily_totals

LOGGER = logging.getLogger(__name__)

PASS, WARN, FAIL = "pass", "warn", "fail"


class DataQualityError(RuntimeError):
    """At least one check failed and params/ says failures stop the run."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _share_check(name: str, part: int, total: int, max_share: float, detail: str) -> CheckResult:
    """Pass while `part` is at most `max_share` of `total`; `detail` formats share and total."""
    share = _share(part, total)
    status = PASS if share <= max_share else FAIL
    text = detail.format(share=share, total=total)
    return CheckResult(name, status, f"{text} (limit {max_share:.0%})")


def _downloads(table: pa.Table) -> int:
    return pc.sum(table["downloads"]).as_py() or 0


def check_share_without_metadata(hourly: pa.Table, max_share: float) -> CheckResult:
    """Share of downloads whose file has no metadata row (their bytes and dependencies are 0)."""
    missing = pc.sum(hourly["downloads_without_metadata"]).as_py() or 0
    return _share_check(
        "share_without_metadata",
        missing,
        _downloads(hourly),
        max_share,
        "{share:.2%} of {total:,} downloads have no file metadata",
    )


def check_null_country_share(hourly: pa.Table, max_share: float) -> CheckResult:
    """Share of downloads with a NULL country_code."""
    nulls = _downloads(hourly.filter(pc.is_null(hourly["country_code"])))
    return _share_check(
        "share_null_country",
        nulls,
        _downloads(hourly),
        max_share,
        "{share:.2%} of downloads have no country",
    )


def check_window_complete(
    daily_downloads: Mapping[dt.date, int], days: list[dt.date]
) -> CheckResult:
    """Every day of the window holds downloads."""
    empty = [day.isoformat() for day in days if not daily_downloads.get(day)]
    if empty:
        return CheckResult("window_complete", FAIL, f"days without downloads: {', '.join(empty)}")
    return CheckResult("window_complete", PASS, f"all {len(days)} days hold downloads")


def check_freshness(lag_hours: float | None, day: dt.date, max_lag_hours: float) -> CheckResult:
    """The newest source row is close enough to the end of the run day."""
    if lag_hours is None:
        return CheckResult("source_freshness", FAIL, f"no source row at or after {day}")
    status = PASS if lag_hours <= max_lag_hours else FAIL
    return CheckResult(
        "source_freshness",
        status,
        f"newest source row {lag_hours:.1f} h before the end of {day} (limit {max_lag_hours:g} h)",
    )


def check_reconciliation(
    name: str, expected: Mapping[dt.date, int], actual: Mapping[dt.date, int]
) -> CheckResult:
    """Downloads per day agree between two copies of the same data."""
    differences = [
        f"{day}: {expected.get(day, 0):,} vs {actual.get(day, 0):,}"
        for day in sorted(set(expected) | set(actual))
        if expected.get(day, 0) != actual.get(day, 0)
    ]
    if differences:
        return CheckResult(name, FAIL, "totals differ on " + "; ".join(differences))
    total = sum(expected.values())
    return CheckResult(name, PASS, f"{len(expected)} days, {total:,} downloads agree")


def daily_downloads(hourly: pa.Table) -> dict[dt.date, int]:
    """Downloads per UTC day of an hourly table."""
    totals = daily_totals(hourly)
    return dict(zip(totals["day"].to_pylist(), totals["downloads"].to_pylist(), strict=True))


def quality_checks(hourly: pa.Table, window: list[dt.date], limits: Checks) -> list[CheckResult]:
    """The checks on the window's hourly facts."""
    return [
        check_window_complete(daily_downloads(hourly), window),
        check_share_without_metadata(hourly, limits.max_share_without_metadata),
        check_null_country_share(hourly, limits.max_share_null_country),
    ]


def enforce(results: list[CheckResult], on_failure: str) -> list[CheckResult]:
    """Log every result; raise on failures when `on_failure` is 'fail', else downgrade to warn."""
    for result in results:
        level = logging.INFO if result.status == PASS else logging.WARNING
        LOGGER.log(level, "check %s: %s — %s", result.name, result.status, result.detail)
    failed = [result for result in results if result.status == FAIL]
    if failed and on_failure == "fail":
        raise DataQualityError(
            "data-quality checks failed: "
            + "; ".join(f"{result.name}: {result.detail}" for result in failed)
        )
    return [CheckResult(r.name, WARN, r.detail) if r.status == FAIL else r for r in results]
