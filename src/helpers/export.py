"""Export: daily Parquet files, mart tables for Looker Studio, the two required objects."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from google.cloud import bigquery

from helpers import bq
from helpers.clients import BigQueryClients
from helpers.config import Settings
from helpers.files import atomic_path
from helpers.schemas import HOURLY_SCHEMA, bq_schema_from_arrow

LOGGER = logging.getLogger(__name__)

DAILY_FILE_PATTERN = "pypi_downloads_{day}.parquet"
# Deterministic row order and writer options: a re-run of a day gives a byte-identical file.
SORT_KEYS = [
    ("hour", "ascending"),
    ("project", "ascending"),
    ("version", "ascending"),
    ("country_code", "ascending"),
    ("file_type", "ascending"),
    ("installer_family", "ascending"),
    ("is_ci", "ascending"),
]
PARQUET_OPTIONS = {"compression": "zstd", "write_statistics": True, "use_dictionary": True}

FACTS_TABLE = "fact_hourly_downloads"
WEEKDAY_TABLE = "weekday_weights"
PROFILE_TABLE = "hourly_profile"
LAST_DOWNLOAD_TABLE = "last_download_per_country_project_day"
INTERVALS_TABLE = "download_intervals"
FACTS_SCHEMA = HOURLY_SCHEMA.append(pa.field("day", pa.date32(), nullable=False))


def daily_file_path(data_dir: Path, day: dt.date) -> Path:
    return Path(data_dir) / DAILY_FILE_PATTERN.format(day=day.isoformat())


def rows_of_day(hourly: pa.Table, day: dt.date) -> pa.Table:
    """The hourly rows of one UTC day, in the stable order of the daily files."""
    mask = pc.equal(pc.cast(hourly["hour"], pa.date32()), pa.scalar(day, pa.date32()))
    return hourly.filter(mask).sort_by(SORT_KEYS).cast(HOURLY_SCHEMA)


def write_parquet_atomic(table: pa.Table, path: Path) -> Path:
    """Write next to the target, then rename over it: readers never see half a file."""
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary, **PARQUET_OPTIONS)
    return Path(path)


def write_daily_file(rows: pa.Table, day: dt.date, data_dir: Path) -> dict:
    """The day's Parquet file under data_dir, replacing any earlier file of that day."""
    rows = rows_of_day(rows, day)
    path = write_parquet_atomic(rows, daily_file_path(data_dir, day))
    downloads = pc.sum(rows["downloads"]).as_py() or 0
    LOGGER.info("daily file %s: %s rows, %s downloads", path, rows.num_rows, f"{downloads:,}")
    return {"path": str(path), "rows": rows.num_rows, "downloads": downloads}


def read_daily_file(data_dir: Path, day: dt.date) -> pa.Table:
    return pq.read_table(daily_file_path(data_dir, day))


def with_day(hourly: pa.Table) -> pa.Table:
    """Hourly facts plus their UTC `day`, the partition column of the mart table."""
    return hourly.append_column("day", pc.cast(hourly["hour"], pa.date32())).cast(FACTS_SCHEMA)


def ensure_mart(clients: BigQueryClients, settings: Settings) -> None:
    """Create the mart and ops datasets and the partitioned facts table when missing."""
    for dataset in (settings.mart_dataset, settings.ops_dataset):
        bq.ensure_dataset(clients, f"{settings.project}.{dataset}", settings.location)
    bq.ensure_table(
        clients,
        settings.table(settings.mart_dataset, FACTS_TABLE),
        bq_schema_from_arrow(FACTS_SCHEMA),
        partition_field="day",
        clustering=("project", "country_code"),
        description="Hourly PyPI downloads (see README: KPIs). One partition per day.",
    )


def load_facts(
    clients: BigQueryClients, settings: Settings, hourly: pa.Table, days: list[dt.date]
) -> int:
    """Replace the given days of the mart facts: load into a work table, swap in one transaction."""
    facts = with_day(pa.concat_tables([rows_of_day(hourly, day) for day in days]))
    target = settings.table(settings.mart_dataset, FACTS_TABLE)
    work = settings.table(settings.mart_dataset, f"_load_{FACTS_TABLE}")
    clients.bigquery.delete_table(work, not_found_ok=True)
    bq.ensure_table(clients, work, bq_schema_from_arrow(FACTS_SCHEMA))
    try:
        bq.load_arrow(clients, settings, facts, work)
        bq.replace_days(clients, settings, target, work, FACTS_SCHEMA.names, "day")
    finally:
        clients.bigquery.delete_table(work, not_found_ok=True)
    return facts.num_rows


def replace_small_table(
    clients: BigQueryClients, settings: Settings, table: pa.Table, name: str
) -> str:
    """Replace a small mart table whole (weekday weights, hourly profile) with a load job."""
    table_id = settings.table(settings.mart_dataset, name)
    clients.bigquery.delete_table(table_id, not_found_ok=True)
    bq.ensure_table(clients, table_id, bq_schema_from_arrow(table.schema))
    bq.load_arrow(
        clients,
        settings,
        table,
        table_id,
        write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
    )
    return table_id


def with_window_end(table: pa.Table, window_end: dt.date) -> pa.Table:
    """Prefix a table with the window it describes, for readers of the mart."""
    column = pa.array([window_end] * table.num_rows, pa.date32())
    return table.add_column(0, pa.field("window_end", pa.date32(), nullable=False), column)


REQUIRED_OBJECTS = {
    LAST_DOWNLOAD_TABLE: ("country_code", "project"),
    INTERVALS_TABLE: ("project",),
}


def build_required_objects(
    clients: BigQueryClients, settings: Settings, first_day: dt.date, last_day: dt.date
) -> dict[str, int]:
    """Build the two required tables for first_day..last_day, one day per job.

    Each day is computed from its own partition of the source (and the day before, for the
    intervals) and swapped in whole, so a job scans a day or two, never the whole window,
    and stays under maximum_bytes_billed; readers take the window with a filter on `day`.
    """
    counts = dict.fromkeys(REQUIRED_OBJECTS, 0)
    day = first_day
    while day <= last_day:
        for name, clustering in REQUIRED_OBJECTS.items():
            counts[name] += _build_day(clients, settings, name, clustering, day)
        day += dt.timedelta(days=1)
    for name, rows in counts.items():
        LOGGER.info("table %s: %s rows for %s..%s swapped in", name, rows, first_day, last_day)
    return counts


def _build_day(
    clients: BigQueryClients, settings: Settings, name: str, clustering: tuple, day: dt.date
) -> int:
    """One day of a required table, built in a work table and swapped in; its row count."""
    target = settings.table(settings.mart_dataset, name)
    work = settings.table(settings.mart_dataset, f"_build_{name}")
    select = bq.render_sql(f"export/{name}", downloads_table=settings.source.downloads)
    parameters = {"first_day": day, "last_day": day, "projects": list(settings.projects)}
    bq.run_query(
        clients,
        settings,
        f"CREATE OR REPLACE TABLE `{work}` AS\n{select}",
        parameters,
        f"build-{name}",
    )
    try:
        schema = clients.bigquery.get_table(work).schema
        bq.ensure_table(
            clients,
            target,
            schema,
            partition_field="day",
            clustering=clustering,
            partition_expiration_days=(
                settings.intervals_retention_days if name == INTERVALS_TABLE else None
            ),
        )
        bq.replace_days(clients, settings, target, work, [f.name for f in schema], "day")
        return _row_count(clients, settings, work)
    finally:
        clients.bigquery.delete_table(work, not_found_ok=True)


def _row_count(clients: BigQueryClients, settings: Settings, table_id: str) -> int:
    job = bq.run_query(clients, settings, f"SELECT COUNT(*) AS n FROM `{table_id}`", None, "count")
    return int(next(iter(job.result())).n)


def mart_daily_downloads(
    clients: BigQueryClients, settings: Settings, days: list[dt.date]
) -> dict[dt.date, int]:
    """Downloads per day in the mart facts, for reconciliation."""
    sql = (
        f"SELECT day, SUM(downloads) AS downloads "
        f"FROM `{settings.table(settings.mart_dataset, FACTS_TABLE)}` "
        "WHERE day BETWEEN @first AND @last GROUP BY day"
    )
    job = bq.run_query(clients, settings, sql, {"first": min(days), "last": max(days)}, "mart-days")
    return {row.day: int(row.downloads) for row in job.result()}


def days_to_export(acquired: list[dt.date], window: list[dt.date], data_dir: Path) -> list[dt.date]:
    """The days acquired by this run, plus window days whose daily file is missing."""
    missing = {day for day in window if not daily_file_path(data_dir, day).exists()}
    return sorted(set(acquired) | missing)
