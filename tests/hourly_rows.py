"""Builders of tiny hourly tables (HOURLY_SCHEMA) for the helper tests."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from helpers.schemas import HOURLY_SCHEMA

# Dimension and measure values of a row unless the test says otherwise.
ROW_DEFAULTS = {
    "country_code": "US",
    "project": "demo",
    "version": "1.0",
    "file_type": "bdist_wheel",
    "installer_family": "pip",
    "is_ci": False,
    "downloads": 1,
    "bytes": 100,
    "dependencies": 0,
    "downloads_without_metadata": 0,
}


def at(day: dt.date, hour: int = 0) -> dt.datetime:
    """The start of an hour of a UTC day."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def hourly_table(*rows: dict, hour: dt.datetime | None = None) -> pa.Table:
    """An hourly table; each row overrides ROW_DEFAULTS (and `hour`, when given)."""
    base = {**ROW_DEFAULTS, **({"hour": hour} if hour else {})}
    return pa.Table.from_pylist([{**base, **row} for row in rows], schema=HOURLY_SCHEMA)
