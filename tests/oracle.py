"""Independent oracle: the dashboard's numbers computed with DuckDB from the raw replica.

Shares no code with the pipeline (no `helpers` import): it reads the Parquet files the seed
wrote and re-states every definition of the README in plain SQL, so a translation error of
the emulator or a bug of the pipeline shows up as a difference.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

MIRRORS = ("bandersnatch", "z3c.pypimirror", "pep381client", "devpi", "nexus", "artifactory")


def connect(raw_dir: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the raw tables as views `downloads` and `metadata`."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for view, name in (("downloads", "file_downloads"), ("metadata", "distribution_metadata")):
        path = raw_dir / f"{name}.parquet"
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet('{path}')")
    return con


def _window_filter(first: dt.date, last: dt.date) -> str:
    return (
        f"timestamp >= TIMESTAMPTZ '{first} 00:00:00+00' "
        f"AND timestamp < TIMESTAMPTZ '{last + dt.timedelta(days=1)} 00:00:00+00'"
    )


def downloads_with_metadata(con, first: dt.date, last: dt.date) -> pd.DataFrame:
    """One row per download of [first, last] with its file's size and dependency count."""
    mirrors = ", ".join(f"'{name}'" for name in MIRRORS)
    rows = con.execute(
        f"""
        WITH one_row_per_file AS (
            SELECT DISTINCT ON (filename) filename, size, len(requires_dist) AS deps
            FROM metadata ORDER BY filename, upload_time DESC, size DESC
        )
        SELECT
            d.timestamp,
            CAST(d.timestamp AS DATE) AS day,
            EXTRACT(hour FROM d.timestamp) AS hour_of_day,
            d.country_code,
            d.project,
            d.file.version AS version,
            CASE
                WHEN d.details IS NULL OR d.details.installer.name IS NULL THEN 'unknown'
                WHEN lower(d.details.installer.name) IN ({mirrors}) THEN 'mirror'
                WHEN lower(d.details.installer.name) = 'pip' THEN 'pip'
                WHEN lower(d.details.installer.name) = 'uv' THEN 'uv'
                WHEN lower(d.details.installer.name) = 'browser' THEN 'browser'
                ELSE 'other_tool'
            END AS installer_family,
            coalesce(d.details.ci, false) AS is_ci,
            m.size,
            m.deps,
            m.filename IS NULL AS no_metadata
        FROM downloads AS d LEFT JOIN one_row_per_file AS m ON m.filename = d.file.filename
        WHERE {_window_filter(first, last).replace("timestamp", "d.timestamp")}
        """
    ).df()
    return rows.assign(day=rows["day"].dt.date)


def totals(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Downloads, bytes, dependencies and downloads without metadata per group."""
    grouped = rows.assign(
        downloads=1,
        bytes=rows["size"].fillna(0),
        dependencies=rows["deps"].fillna(0),
        downloads_without_metadata=rows["no_metadata"].astype(int),
    ).groupby(by, dropna=False)
    return grouped[["downloads", "bytes", "dependencies", "downloads_without_metadata"]].sum()


def weekday_weights(rows: pd.DataFrame, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Weight of each weekday per metric, from the mean per occurrence of the weekday."""
    days = pd.date_range(first, last, freq="D")
    occurrences = pd.Series(days.dayofweek + 1).value_counts()
    per_weekday = totals(
        rows.assign(weekday=pd.to_datetime(rows["day"]).dt.dayofweek + 1), ["weekday"]
    )
    result = []
    for metric in ("downloads", "bytes", "dependencies"):
        means = {w: per_weekday[metric].get(w, 0) / occurrences.get(w, 1) for w in range(1, 8)}
        whole = sum(means.values())
        result += [
            {"metric": metric, "weekday": w, "weight": means[w] / whole if whole else 0.0}
            for w in range(1, 8)
        ]
    return pd.DataFrame(result)


def hourly_profile(rows: pd.DataFrame, days: int) -> pd.Series:
    """Mean downloads per hour of day (0..23) over `days` days, empty hours as zero."""
    counts = rows.groupby("hour_of_day").size().reindex(range(24), fill_value=0)
    return counts / days


def last_downloads(con, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Last download per day, country and project, ties broken by filename then url."""
    return (
        con.execute(
            f"""
        SELECT CAST(timestamp AS DATE) AS day, country_code, project,
               timestamp AS last_download_at, file.filename AS filename
        FROM downloads WHERE {_window_filter(first, last)}
        QUALIFY row_number() OVER (
            PARTITION BY CAST(timestamp AS DATE), country_code, project
            ORDER BY timestamp DESC, file.filename DESC, url DESC) = 1
        """
        )
        .df()
        .pipe(lambda frame: frame.assign(day=frame["day"].dt.date))
    )


def intervals(con, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Every download of [first, last] with the seconds since the project's previous one,
    looked for on the same day and the day before only, and the gzip flag."""
    return con.execute(
        f"""
        WITH ordered AS (
            SELECT timestamp, project, file.filename AS filename, url,
                   lag(timestamp) OVER (PARTITION BY project ORDER BY timestamp, file.filename, url)
                       AS previous
            FROM downloads WHERE {_window_filter(first - dt.timedelta(days=1), last)}
        )
        SELECT timestamp, project, filename, url,
               CASE WHEN previous >= CAST(CAST(timestamp AS DATE) - 1 AS TIMESTAMPTZ)
                    THEN epoch_us(timestamp) - epoch_us(previous) END AS micros,
               regexp_matches(lower(filename), '\\.(gz|tgz)$') AS is_gzipped
        FROM ordered WHERE timestamp >= TIMESTAMPTZ '{first} 00:00:00+00'
        """
    ).df()
