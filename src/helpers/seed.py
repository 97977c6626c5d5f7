"""Seeding the local BigQuery with the replica of the public PyPI tables.

The replica goes under the public tables' own ids (`bigquery-public-data.pypi.*`) with
their published schemas, partitioning and clustering, loaded by Parquet load jobs, so the
pipeline's SQL runs unchanged. The raw Parquet files stay on disk as the oracle's input.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict
from pathlib import Path

from google.api_core import exceptions as google_exceptions

from helpers import bq
from helpers.clients import BigQueryClients
from helpers.config import Settings
from helpers.dates import yesterday
from helpers.replica import ReplicaSpec, generate_replica, write_replica
from helpers.schemas import source_schema

LOGGER = logging.getLogger(__name__)

SPEC_FILE = "replica.json"


def replica_spec(settings: Settings, today: dt.date | None = None) -> ReplicaSpec:
    """The replica asked for by params/: by default it ends yesterday, like the real table."""
    options = settings.replica
    last_day = options.last_day or (today - dt.timedelta(days=1) if today else yesterday())
    return ReplicaSpec(
        last_day=last_day,
        days=options.days,
        downloads_per_day=options.downloads_per_day,
        seed=options.seed,
        projects=options.projects,
    )


def spec_fingerprint(spec: ReplicaSpec) -> str:
    """A stable text naming the replica, stored as the seeded table's description."""
    fields = {**asdict(spec), "last_day": spec.last_day.isoformat()}
    return "replica " + json.dumps(fields, sort_keys=True)


def seeded_fingerprint(clients: BigQueryClients, settings: Settings) -> str | None:
    """The description of the seeded downloads table, or None when it does not exist."""
    try:
        table = clients.bigquery.get_table(
            settings.source.downloads, retry=bq.FIRST_CALL_RETRY, timeout=10
        )
        return table.description
    except google_exceptions.NotFound:
        return None


def create_source_tables(clients: BigQueryClients, settings: Settings) -> None:
    """(Re)create both public tables empty, with the published schemas."""
    source = settings.source
    bq.ensure_dataset(clients, f"{source.project}.{source.dataset}", settings.location)
    for table_id in (source.downloads, source.metadata):
        clients.bigquery.delete_table(table_id, not_found_ok=True)
    bq.ensure_table(
        clients,
        source.downloads,
        source_schema("file_downloads"),
        partition_field="timestamp",
        clustering=("project",),
    )
    bq.ensure_table(clients, source.metadata, source_schema("distribution_metadata"))


def seed_replica(
    settings: Settings, clients: BigQueryClients, raw_dir: Path, today: dt.date | None = None
) -> dict:
    """Generate and load the replica unless the same one is already seeded."""
    spec = replica_spec(settings, today)
    fingerprint = spec_fingerprint(spec)
    raw_dir = Path(raw_dir)
    spec_path = raw_dir / SPEC_FILE
    # Asked first: it also tells promptly when the local BigQuery does not answer.
    seeded = seeded_fingerprint(clients, settings)
    on_disk = spec_path.exists() and spec_path.read_text(encoding="utf-8") == fingerprint
    if on_disk and seeded == fingerprint:
        LOGGER.info("local BigQuery already holds the replica (%s)", fingerprint)
        return {"seeded": False, "spec": fingerprint, "raw_dir": str(raw_dir)}
    replica = generate_replica(spec)
    paths = write_replica(replica, raw_dir)
    create_source_tables(clients, settings)
    for name, table_id in (
        ("file_downloads", settings.source.downloads),
        ("distribution_metadata", settings.source.metadata),
    ):
        bq.load_parquet(clients, settings, paths[name], table_id)
    table = clients.bigquery.get_table(settings.source.downloads)
    table.description = fingerprint
    clients.bigquery.update_table(table, ["description"])
    spec_path.write_text(fingerprint, encoding="utf-8")
    LOGGER.info(
        "seeded the local BigQuery: %s downloads over %s days ending %s, %s metadata rows",
        f"{replica.file_downloads.num_rows:,}",
        spec.days,
        spec.last_day,
        f"{replica.distribution_metadata.num_rows:,}",
    )
    return {
        "seeded": True,
        "spec": fingerprint,
        "raw_dir": str(raw_dir),
        "file_downloads_rows": replica.file_downloads.num_rows,
        "distribution_metadata_rows": replica.distribution_metadata.num_rows,
    }
