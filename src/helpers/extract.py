"""Extraction: the acquisition query, day by day, into the staging table; read-back as Arrow."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass

import pyarrow as pa
from google.api_core import exceptions as google_exceptions

from helpers import bq
from helpers.clients import BigQueryClients
from helpers.config import Settings
from helpers.schemas import HOURLY_BQ_SCHEMA, HOURLY_SCHEMA
from helpers.transform import hourly_totals

LOGGER = logging.getLogger(__name__)

STAGING_TABLE = "hourly_downloads"
# Columns the acquisition reads; a change of any of them in the source stops the run.
SOURCE_COLUMNS = {
    "timestamp": "TIMESTAMP",
    "country_code": "STRING",
    "project": "STRING",
    "file.filename": "STRING",
    "file.version": "STRING",
    "file.type": "STRING",
    "details.installer.name": "STRING",
    "details.ci": "BOOLEAN",
}
METADATA_COLUMNS = {
    "filename": "STRING",
    "size": "INTEGER",
    "requires_dist": "STRING",
    "upload_time": "TIMESTAMP",
}


class ExtractError(RuntimeError):
    """The acquisition cannot run or produced nothing."""


@dataclass(frozen=True)
class AcquiredDay:
    day: dt.date
    rows: int
    downloads: int
    estimated_bytes: int
    bytes_processed: int | None
    bytes_billed: int | None
    seconds: float

    def as_dict(self) -> dict:
        return {**asdict(self), "day": self.day.isoformat()}


def staging_table_id(settings: Settings) -> str:
    return settings.table(settings.staging_dataset, STAGING_TABLE)


def plan_days(
    requested: list[dt.date], window: list[dt.date], staged: set[dt.date], lookback_days: int
) -> list[dt.date]:
    """Days to acquire: the requested ones, the look-back before them, and unstaged window days."""
    first = min(requested)
    lookback = [first - dt.timedelta(days=i) for i in range(1, lookback_days + 1)]
    missing = [day for day in window if day not in staged]
    return sorted(set(requested) | set(lookback) | set(missing))


def flatten_schema(fields, prefix: str = "") -> dict[str, str]:
    """`parent.child` names of a BigQuery schema mapped to their types."""
    flat = {}
    for field in fields:
        name = f"{prefix}{field.name}"
        flat[name] = field.field_type
        if field.fields:
            flat.update(flatten_schema(field.fields, f"{name}."))
    return flat


def schema_differences(actual: dict[str, str], expected: dict[str, str]) -> list[str]:
    """Expected columns that are missing or have changed type."""
    normalise = {"INT64": "INTEGER", "BOOL": "BOOLEAN", "STRUCT": "RECORD"}
    problems = []
    for name, kind in expected.items():
        found = normalise.get(actual.get(name, ""), actual.get(name))
        if found is None:
            problems.append(f"column {name} is missing")
        elif found != kind:
            problems.append(f"column {name} is {found}, expected {kind}")
    return problems


def check_source_schema(clients: BigQueryClients, settings: Settings) -> None:
    """Fail clearly when the source tables lost or changed a column the acquisition reads."""
    for table_id, expected in (
        (settings.source.downloads, SOURCE_COLUMNS),
        (settings.source.metadata, METADATA_COLUMNS),
    ):
        try:
            table = clients.bigquery.get_table(table_id, retry=bq.FIRST_CALL_RETRY, timeout=10)
        except google_exceptions.NotFound:
            raise ExtractError(f"source table {table_id} not found") from None
        problems = schema_differences(flatten_schema(table.schema), expected)
        if problems:
            raise ExtractError(f"source schema changed in {table_id}: " + "; ".join(problems))


def ensure_staging(clients: BigQueryClients, settings: Settings) -> str:
    """Create the staging dataset and its day-partitioned hourly table when missing."""
    bq.ensure_dataset(clients, f"{settings.project}.{settings.staging_dataset}", settings.location)
    table_id = staging_table_id(settings)
    bq.ensure_table(
        clients,
        table_id,
        HOURLY_BQ_SCHEMA,
        partition_field="hour",
        clustering=("project", "country_code"),
        description="Hourly PyPI downloads by country, project, version, file type, "
        "installer family and CI flag; one partition per acquired day.",
    )
    return table_id


def staged_days(clients: BigQueryClients, settings: Settings, days: list[dt.date]) -> set[dt.date]:
    """Which of `days` already have rows in the staging table."""
    sql = (
        f"SELECT DISTINCT DATE(hour) AS day FROM `{staging_table_id(settings)}` "
        "WHERE hour >= TIMESTAMP(@first) AND hour < TIMESTAMP(DATE_ADD(@last, INTERVAL 1 DAY))"
    )
    job = bq.run_query(
        clients, settings, sql, {"first": min(days), "last": max(days)}, "staged-days"
    )
    return {row.day for row in job.result()}


def acquisition_sql(settings: Settings) -> str:
    return bq.render_sql(
        "extract/hourly_downloads",
        downloads_table=settings.source.downloads,
        metadata_table=settings.source.metadata,
    )


def guard_cost(clients: BigQueryClients, settings: Settings, day: dt.date) -> int:
    """Dry-run the acquisition and refuse it above the configured cap."""
    estimate = bq.estimate_bytes(
        clients, settings, acquisition_sql(settings), _day_params(settings, day)
    )
    LOGGER.info("acquisition of %s: dry run estimates %s bytes", day, f"{estimate:,}")
    if estimate > settings.dry_run_cap_bytes:
        raise ExtractError(
            f"acquisition of {day} would process {estimate:,} bytes, above the cap of "
            f"{settings.dry_run_cap_bytes:,} (cost.dry_run_cap_bytes): restrict run.projects "
            "or raise the cap"
        )
    return estimate


def _day_params(settings: Settings, day: dt.date) -> dict:
    return {"day": day, "projects": list(settings.projects)}


def acquire_day(clients: BigQueryClients, settings: Settings, day: dt.date) -> AcquiredDay:
    """Aggregate one source day into a work table, then swap it into staging atomically."""
    started = time.monotonic()
    estimate = guard_cost(clients, settings, day)
    work_table = settings.table(settings.staging_dataset, f"_acquired_{day:%Y%m%d}")
    build = f"CREATE OR REPLACE TABLE `{work_table}` AS\n{acquisition_sql(settings)}"
    job = bq.run_query(clients, settings, build, _day_params(settings, day), f"acquire-{day}")
    try:
        totals = _work_table_totals(clients, settings, work_table)
        if totals["rows"] == 0:
            raise ExtractError(
                f"no source data for {day} in {settings.source.downloads}"
                + (f" for projects {', '.join(settings.projects)}" if settings.projects else "")
                + ": nothing was written"
            )
        bq.replace_days(
            clients, settings, staging_table_id(settings), work_table, HOURLY_SCHEMA.names, "hour"
        )
    finally:
        clients.bigquery.delete_table(work_table, not_found_ok=True)
    acquired = AcquiredDay(
        day=day,
        rows=totals["rows"],
        downloads=totals["downloads"],
        estimated_bytes=estimate,
        bytes_processed=job.total_bytes_processed,
        bytes_billed=job.total_bytes_billed,
        seconds=round(time.monotonic() - started, 3),
    )
    LOGGER.info(
        "acquired %s: %s hourly rows, %s downloads, %.2f s",
        day,
        f"{acquired.rows:,}",
        f"{acquired.downloads:,}",
        acquired.seconds,
    )
    return acquired


def _work_table_totals(clients: BigQueryClients, settings: Settings, table_id: str) -> dict:
    sql = f"SELECT COUNT(*) AS rows, COALESCE(SUM(downloads), 0) AS downloads FROM `{table_id}`"
    row = next(iter(bq.run_query(clients, settings, sql, None, "acquired-totals").result()))
    return {"rows": int(row.rows), "downloads": int(row.downloads)}


def source_days(
    clients: BigQueryClients, settings: Settings, days: list[dt.date]
) -> dict[dt.date, int]:
    """Downloads per day in the source for the given days (days without data are absent)."""
    sql = bq.render_sql("extract/source_days", downloads_table=settings.source.downloads)
    parameters = {"first": min(days), "last": max(days)}
    job = bq.run_query(clients, settings, sql, parameters, "source-days")
    return {row.day: int(row.downloads) for row in job.result()}


def require_source_days(clients: BigQueryClients, settings: Settings, days: list[dt.date]) -> None:
    """Fail before writing anything when a day to process has no source data."""
    available = source_days(clients, settings, days)
    missing = [day.isoformat() for day in days if not available.get(day)]
    if missing:
        raise ExtractError(
            f"no source data in {settings.source.downloads} for {', '.join(missing)}: "
            "nothing was processed (is the date right, and is the source loaded?)"
        )


def source_newest(clients: BigQueryClients, settings: Settings, day: dt.date) -> dt.datetime | None:
    """Newest source timestamp in the partitions of `day` and the day after."""
    sql = bq.render_sql("extract/source_freshness", downloads_table=settings.source.downloads)
    job = bq.run_query(clients, settings, sql, {"day": day}, f"freshness-{day}")
    return next(iter(job.result())).newest


def read_staging(clients: BigQueryClients, settings: Settings, days: list[dt.date]) -> pa.Table:
    """Staging rows of the given days, read day by day through the Storage Read API."""
    # One read session per day keeps each response bounded (NOTE: the emulator sends a read
    # stream as one message and refuses messages above about 11 MB).
    tables = []
    for day in sorted(days):
        following = day + dt.timedelta(days=1)
        # The Storage Read API takes a filter text, not parameters: dates come from date objects.
        restriction = (
            f"hour >= TIMESTAMP '{day.isoformat()}' AND hour < TIMESTAMP '{following.isoformat()}'"
        )
        table = bq.read_table(clients, staging_table_id(settings), restriction)
        tables.append(table.select(HOURLY_SCHEMA.names).cast(HOURLY_SCHEMA))
    return pa.concat_tables(tables) if tables else HOURLY_SCHEMA.empty_table()


def days_to_read(window: list[dt.date], acquired: list[dt.date]) -> list[dt.date]:
    """The window plus any acquired day outside it (a backfill's early days, the look-back)."""
    return sorted(set(window) | set(acquired))


def read_hour_totals(clients: BigQueryClients, settings: Settings, days: list[dt.date]) -> pa.Table:
    """Per-hour totals by country of staging days, read one day at a time (bounded memory)."""
    tables = [hourly_totals(read_staging(clients, settings, [day])) for day in sorted(days)]
    return pa.concat_tables(tables)
