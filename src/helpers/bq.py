"""Thin BigQuery I/O layer: SQL files, job configs, queries, loads and Storage Read reads.

Every job goes through `query_config` / `load_config` so it carries `maximum_bytes_billed`
and labels, and every job logs bytes processed, bytes billed, cache hit and duration.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from google.cloud import bigquery
from google.cloud.bigquery_storage_v1 import types as storage_types

from helpers.clients import BigQueryClients
from helpers.config import Settings

LOGGER = logging.getLogger(__name__)

JOB_LABELS = {"app": "pypi-downloads-pipeline"}
# The first calls of a run give up after this many seconds (the client's default is 10
# minutes), so an unreachable endpoint is reported promptly.
FIRST_CALL_RETRY = bigquery.DEFAULT_RETRY.with_deadline(30)
# Table ids are the only text put into SQL; values always travel as query parameters.
TABLE_ID = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_$-]+){2}$")
COLUMN_LIST = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(, [A-Za-z_][A-Za-z0-9_]*)*$")


@cache
def load_sql(name: str) -> str:
    """Text of `helpers/sql/<name>.sql`."""
    path = resources.files("helpers").joinpath(f"sql/{name}.sql")
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file named {name}.sql in helpers/sql/")
    return path.read_text(encoding="utf-8")


def render_sql(name: str, **names: str) -> str:
    """SQL file `name` with its `{placeholders}` replaced by validated table or column names."""
    for placeholder, value in names.items():
        if not (TABLE_ID.match(value) or COLUMN_LIST.match(value)):
            raise ValueError(f"{placeholder}={value!r} is neither a table id nor a column list")
    return load_sql(name).format(**names)


def _scalar_type(value: Any) -> str:
    # bool before int: bool is an int subclass.
    for kind, name in (
        (bool, "BOOL"),
        (int, "INT64"),
        (float, "FLOAT64"),
        (dt.datetime, "TIMESTAMP"),
        (dt.date, "DATE"),
        (str, "STRING"),
    ):
        if isinstance(value, kind):
            return name
    raise TypeError(f"unsupported query parameter value {value!r}")


def query_parameters(values: Mapping[str, Any]) -> list:
    """Named query parameters, typed from the Python values (lists become arrays)."""
    parameters = []
    for name, value in values.items():
        if isinstance(value, list | tuple):
            kind = _scalar_type(value[0]) if value else "STRING"
            parameters.append(bigquery.ArrayQueryParameter(name, kind, list(value)))
        else:
            parameters.append(bigquery.ScalarQueryParameter(name, _scalar_type(value), value))
    return parameters


def query_config(
    settings: Settings, parameters: Mapping[str, Any] | None = None, dry_run: bool = False
) -> bigquery.QueryJobConfig:
    """The one place that builds query job configs: cost cap, labels, parameters."""
    return bigquery.QueryJobConfig(
        query_parameters=query_parameters(parameters or {}),
        maximum_bytes_billed=settings.maximum_bytes_billed,
        labels=JOB_LABELS,
        dry_run=dry_run,
        use_query_cache=not dry_run,
    )


def log_job(job, label: str, seconds: float) -> None:
    """One INFO line per job: bytes processed, billed, cache hit, duration."""
    LOGGER.info(
        "job %s [%s]: %s bytes processed, %s bytes billed, cache hit %s, %.2f s",
        label,
        job.job_id,
        getattr(job, "total_bytes_processed", None),
        getattr(job, "total_bytes_billed", None),
        getattr(job, "cache_hit", None),
        seconds,
    )


def run_query(
    clients: BigQueryClients,
    settings: Settings,
    sql: str,
    parameters: Mapping[str, Any] | None = None,
    label: str = "query",
) -> bigquery.QueryJob:
    """Run a statement (or script) to completion and log what it cost."""
    started = time.monotonic()
    job = clients.bigquery.query(sql, job_config=query_config(settings, parameters))
    job.result()
    log_job(job, label, time.monotonic() - started)
    return job


def replace_days(
    clients: BigQueryClients,
    settings: Settings,
    target_table: str,
    work_table: str,
    columns: Sequence[str],
    day_column: str,
) -> None:
    """Swap the days held by `work_table` into `target_table` in one transaction."""
    script = render_sql(
        "replace_days",
        target_table=target_table,
        work_table=work_table,
        columns=", ".join(columns),
        day_column=day_column,
    )
    run_query(clients, settings, script, None, "replace-days")


def estimate_bytes(
    clients: BigQueryClients, settings: Settings, sql: str, parameters: Mapping[str, Any]
) -> int:
    """Bytes a query would process, from a dry run (nothing is billed)."""
    job = clients.bigquery.query(sql, job_config=query_config(settings, parameters, dry_run=True))
    return int(job.total_bytes_processed or 0)


def ensure_dataset(clients: BigQueryClients, dataset_id: str, location: str) -> None:
    """Create the dataset when missing."""
    dataset = bigquery.Dataset(dataset_id)
    dataset.location = location
    clients.bigquery.create_dataset(dataset, exists_ok=True)


def ensure_table(
    clients: BigQueryClients,
    table_id: str,
    schema: Sequence[bigquery.SchemaField],
    *,
    partition_field: str | None = None,
    clustering: Sequence[str] = (),
    description: str = "",
    partition_expiration_days: int | None = None,
) -> bigquery.Table:
    """Create the table (day-partitioned, clustered) when missing."""
    table = bigquery.Table(table_id, schema=list(schema))
    if partition_field:
        table.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY,
            field=partition_field,
            expiration_ms=partition_expiration_days * 86_400_000
            if partition_expiration_days
            else None,
        )
    if clustering:
        table.clustering_fields = list(clustering)
    table.description = description
    return clients.bigquery.create_table(table, exists_ok=True)


def load_config(
    settings: Settings,
    schema: Sequence[bigquery.SchemaField] | None = None,
    write_disposition: str = bigquery.WriteDisposition.WRITE_APPEND,
) -> bigquery.LoadJobConfig:
    """Load job config for Parquet files; REPEATED columns arrive as Parquet lists."""
    options = bigquery.ParquetOptions()
    options.enable_list_inference = True
    return bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.PARQUET,
        parquet_options=options,
        schema=list(schema) if schema else None,
        write_disposition=write_disposition,
        labels=JOB_LABELS,
    )


def load_parquet(
    clients: BigQueryClients,
    settings: Settings,
    path: Path,
    table_id: str,
    *,
    schema: Sequence[bigquery.SchemaField] | None = None,
    write_disposition: str = bigquery.WriteDisposition.WRITE_APPEND,
) -> bigquery.LoadJob:
    """Load one Parquet file into an existing table and log the rows loaded."""
    started = time.monotonic()
    with Path(path).open("rb") as source:
        job = clients.bigquery.load_table_from_file(
            source, table_id, job_config=load_config(settings, schema, write_disposition)
        )
    job.result()
    LOGGER.info(
        "load %s [%s]: %s rows into %s, %.2f s",
        Path(path).name,
        job.job_id,
        job.output_rows,
        table_id,
        time.monotonic() - started,
    )
    return job


def load_arrow(
    clients: BigQueryClients,
    settings: Settings,
    table: pa.Table,
    table_id: str,
    *,
    schema: Sequence[bigquery.SchemaField] | None = None,
    write_disposition: str = bigquery.WriteDisposition.WRITE_APPEND,
) -> bigquery.LoadJob:
    """Load an Arrow table through a temporary Parquet file (one load job, not streaming)."""
    with tempfile.TemporaryDirectory(prefix="bq-load-") as folder:
        path = Path(folder) / "load.parquet"
        pq.write_table(table, path)
        return load_parquet(
            clients, settings, path, table_id, schema=schema, write_disposition=write_disposition
        )


def read_table(
    clients: BigQueryClients,
    table_id: str,
    row_restriction: str = "",
    columns: Sequence[str] = (),
) -> pa.Table:
    """Read a table (or a filtered part of it) as Arrow through the Storage Read API."""
    started = time.monotonic()
    table = clients.bigquery.get_table(table_id)
    session = storage_types.ReadSession(
        table=f"projects/{table.project}/datasets/{table.dataset_id}/tables/{table.table_id}",
        data_format=storage_types.DataFormat.ARROW,
        read_options=storage_types.ReadSession.TableReadOptions(
            row_restriction=row_restriction, selected_fields=list(columns)
        ),
    )
    session = clients.read.create_read_session(
        parent=f"projects/{clients.bigquery.project}", read_session=session, max_stream_count=1
    )
    batches = [
        page.to_arrow()
        for stream in session.streams
        for page in clients.read.read_rows(stream.name).rows(session).pages
    ]
    schema = pa.ipc.read_schema(pa.py_buffer(session.arrow_schema.serialized_schema))
    result = pa.Table.from_batches(batches, schema=schema) if batches else schema.empty_table()
    LOGGER.info(
        "read %s rows of %s (%s) through the Storage Read API in %.2f s",
        result.num_rows,
        table_id,
        row_restriction or "all rows",
        time.monotonic() - started,
    )
    return result
