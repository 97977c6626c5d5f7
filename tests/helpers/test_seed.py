"""Tests of seeding the local BigQuery with a small replica of the public tables.

The replica goes under its own source project so it never touches the tables that the
end-to-end tests seed into the same session emulator.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers import bq, seed
from helpers.clients import make_clients
from helpers.config import load_settings
from helpers.schemas import SOURCE_TABLES
from helpers.seed import replica_spec, seed_replica, spec_fingerprint
from tests.conftest import write_params

pytestmark = pytest.mark.emulator

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "src" / "helpers" / "resources" / "schemas"
SOURCE_PROJECT = "seed-test-data"
TYPE_ALIASES = {"INT64": "INTEGER", "BOOL": "BOOLEAN", "STRUCT": "RECORD", "FLOAT64": "FLOAT"}


def normalised(fields: list[dict]) -> list[dict]:
    """Name, type, mode and nested fields of an API schema, aliases and defaults resolved."""
    return [
        {
            "name": field["name"],
            "type": TYPE_ALIASES.get(field["type"], field["type"]),
            "mode": field.get("mode") or "NULLABLE",
            "fields": normalised(field.get("fields") or []),
        }
        for field in fields
    ]


@pytest.fixture(scope="module")
def seeded(local_bigquery, tmp_path_factory):
    folder = tmp_path_factory.mktemp("seed")
    params = write_params(
        folder,
        source={"project": SOURCE_PROJECT},
        replica={"days": 3, "downloads_per_day": 500},
    )
    settings = load_settings(params)
    clients = make_clients(settings)
    result = seed_replica(settings, clients, settings.emulator.replica_dir)
    return settings, clients, result


def count_rows(clients, settings, table_id: str) -> int:
    job = bq.run_query(clients, settings, f"SELECT COUNT(*) AS n FROM `{table_id}`")
    return next(iter(job.result())).n


def test_seed_replica_first_call_seeds(seeded):
    settings, _, result = seeded

    assert result["seeded"] is True
    assert result["spec"] == spec_fingerprint(replica_spec(settings))
    assert settings.source.downloads == f"{SOURCE_PROJECT}.pypi.file_downloads"


@pytest.mark.parametrize("name", SOURCE_TABLES)
def test_seed_replica_schema_equals_published_json(seeded, name):
    # Arrange
    settings, clients, _ = seeded
    published = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))

    # Act
    table = clients.bigquery.get_table(f"{settings.source.project}.pypi.{name}")

    # Assert
    assert normalised([field.to_api_repr() for field in table.schema]) == normalised(published)


def test_seed_replica_downloads_partitioned_and_clustered(seeded):
    settings, clients, _ = seeded

    table = clients.bigquery.get_table(settings.source.downloads)

    assert table.time_partitioning is not None
    assert table.time_partitioning.type_ == "DAY"
    assert table.time_partitioning.field == "timestamp"
    assert table.clustering_fields == ["project"]
    assert table.description == spec_fingerprint(replica_spec(settings))


def test_seed_replica_metadata_not_partitioned(seeded):
    settings, clients, _ = seeded

    table = clients.bigquery.get_table(settings.source.metadata)

    assert table.time_partitioning is None
    assert not table.clustering_fields


@pytest.mark.parametrize("name", SOURCE_TABLES)
def test_seed_replica_row_counts_equal_raw_parquet(seeded, name):
    settings, clients, result = seeded
    raw = settings.emulator.replica_dir / f"{name}.parquet"

    rows = count_rows(clients, settings, f"{settings.source.project}.pypi.{name}")

    assert rows == pq.read_metadata(raw).num_rows
    assert rows == result[f"{name}_rows"]
    assert rows > 0


def test_seed_replica_covers_the_replica_days(seeded):
    settings, clients, _ = seeded
    sql = f"SELECT DISTINCT DATE(timestamp) AS day FROM `{settings.source.downloads}` ORDER BY day"

    days = [row.day for row in bq.run_query(clients, settings, sql).result()]

    last = settings.replica.last_day
    assert days == [last - dt.timedelta(days=2), last - dt.timedelta(days=1), last]


def test_seed_replica_same_spec_does_not_reload(seeded, monkeypatch):
    # Arrange: a reload would generate the replica again
    settings, clients, first = seeded

    def no_generation(spec):
        raise AssertionError("the replica was generated again")

    monkeypatch.setattr(seed, "generate_replica", no_generation)

    # Act
    again = seed_replica(settings, clients, settings.emulator.replica_dir)

    # Assert
    assert again == {
        "seeded": False,
        "spec": first["spec"],
        "raw_dir": str(settings.emulator.replica_dir),
    }


def test_seed_replica_other_spec_reloads(seeded, tmp_path):
    # Arrange: another source project, seeded once, then asked for another seed
    settings, clients, _ = seeded
    source = dataclasses.replace(settings.source, project=f"{SOURCE_PROJECT}-respec")
    first = dataclasses.replace(settings, source=source)
    second = dataclasses.replace(first, replica=dataclasses.replace(first.replica, seed=8))
    seed_replica(first, clients, tmp_path)

    # Act
    result = seed_replica(second, clients, tmp_path)

    # Assert
    assert result["seeded"] is True
    assert clients.bigquery.get_table(source.downloads).description == result["spec"]
    assert (tmp_path / "replica.json").read_text(encoding="utf-8") == result["spec"]
    assert count_rows(clients, second, source.downloads) == result["file_downloads_rows"]


def test_replica_spec_defaults_last_day_to_the_day_before_today(seeded):
    settings, _, _ = seeded
    undated = dataclasses.replace(
        settings, replica=dataclasses.replace(settings.replica, last_day=None)
    )

    spec = replica_spec(undated, today=dt.date(2028, 3, 1))

    assert spec.last_day == dt.date(2028, 2, 29)
    assert (spec.days, spec.downloads_per_day, spec.seed) == (3, 500, settings.replica.seed)


def test_replica_spec_without_today_ends_yesterday(seeded, monkeypatch):
    settings, _, _ = seeded
    undated = dataclasses.replace(
        settings, replica=dataclasses.replace(settings.replica, last_day=None)
    )
    monkeypatch.setattr(seed, "yesterday", lambda: dt.date(2026, 1, 1))

    assert replica_spec(undated).last_day == dt.date(2026, 1, 1)


def test_replica_spec_keeps_an_explicit_last_day(seeded):
    settings, _, _ = seeded

    spec = replica_spec(settings, today=dt.date(2030, 1, 1))

    assert spec.last_day == settings.replica.last_day == dt.date(2026, 11, 21)
