"""Tests of the extraction: day planning, source schema checks and source-day checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from google.cloud import bigquery

from helpers import bq
from helpers.clients import make_clients
from helpers.config import SourceTables, load_settings
from helpers.extract import (
    METADATA_COLUMNS,
    SOURCE_COLUMNS,
    ExtractError,
    check_source_schema,
    days_to_read,
    flatten_schema,
    plan_days,
    require_source_days,
    schema_differences,
)
from helpers.schemas import source_schema

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = load_settings(ROOT / "params" / "local.yaml")
SCRATCH_PROJECT, SCRATCH_DATASET = "schema-test", "pypi"


def day(number: int) -> dt.date:
    return dt.date(2026, 11, number)


def window(first: int, last: int) -> list[dt.date]:
    return [day(n) for n in range(first, last + 1)]


# --- plan_days --------------------------------------------------------------------------


def test_plan_days_requested_only_when_window_staged():
    days = plan_days([day(20)], window(6, 20), set(window(6, 20)), lookback_days=0)

    assert days == [day(20)]


def test_plan_days_adds_lookback_before_first_requested():
    days = plan_days([day(19), day(20)], window(6, 20), set(window(6, 20)), lookback_days=2)

    assert days == [day(17), day(18), day(19), day(20)]


def test_plan_days_adds_unstaged_window_days_sorted_without_duplicates():
    # Arrange: 18 is missing and also in the look-back; 7 is missing at the window start
    staged = set(window(6, 20)) - {day(7), day(18)}

    # Act
    days = plan_days([day(20), day(19)], window(6, 20), staged, lookback_days=1)

    # Assert
    assert days == [day(7), day(18), day(19), day(20)]


def test_plan_days_nothing_staged_gives_the_whole_window():
    days = plan_days([day(20)], window(6, 20), set(), lookback_days=0)

    assert days == window(6, 20)


def test_plan_days_backfill_before_the_window():
    days = plan_days([day(1), day(2)], window(6, 20), set(window(6, 20)), lookback_days=1)

    assert days == [dt.date(2026, 10, 31), day(1), day(2)]


# --- flatten_schema / schema_differences ------------------------------------------------

NESTED = [
    bigquery.SchemaField("timestamp", "TIMESTAMP"),
    bigquery.SchemaField(
        "details",
        "RECORD",
        fields=[
            bigquery.SchemaField(
                "installer", "RECORD", fields=[bigquery.SchemaField("name", "STRING")]
            ),
            bigquery.SchemaField("ci", "BOOL"),
        ],
    ),
]


def test_flatten_schema_dotted_names():
    assert flatten_schema(NESTED) == {
        "timestamp": "TIMESTAMP",
        "details": "RECORD",
        "details.installer": "RECORD",
        "details.installer.name": "STRING",
        "details.ci": "BOOL",
    }


def test_schema_differences_none_for_published_downloads():
    assert schema_differences(flatten_schema(source_schema("file_downloads")), SOURCE_COLUMNS) == []


def test_schema_differences_none_for_published_metadata():
    flat = flatten_schema(source_schema("distribution_metadata"))

    assert schema_differences(flat, METADATA_COLUMNS) == []


@pytest.mark.parametrize(
    ("actual", "expected", "problems"),
    [
        ({"a": "STRING"}, {"a": "STRING", "b": "INTEGER"}, ["column b is missing"]),
        ({"a": "INTEGER"}, {"a": "STRING"}, ["column a is INTEGER, expected STRING"]),
        ({"a": "INT64", "b": "BOOL"}, {"a": "INTEGER", "b": "BOOLEAN"}, []),  # aliases
        ({"a": "STRUCT"}, {"a": "RECORD"}, []),
        ({"a": "FLOAT"}, {"a": "INTEGER"}, ["column a is FLOAT, expected INTEGER"]),
        ({}, {"a": "STRING", "b.c": "STRING"}, ["column a is missing", "column b.c is missing"]),
        ({"a": "STRING", "extra": "STRING"}, {"a": "STRING"}, []),  # new columns are fine
    ],
)
def test_schema_differences_cases(actual, expected, problems):
    assert schema_differences(actual, expected) == problems


def test_schema_differences_details_removed():
    schema = [f for f in source_schema("file_downloads") if f.name != "details"]

    problems = schema_differences(flatten_schema(schema), SOURCE_COLUMNS)

    assert problems == ["column details.installer.name is missing", "column details.ci is missing"]


# --- days_to_read -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("acquired", "expected"),
    [
        ([], window(18, 20)),
        ([day(19)], window(18, 20)),  # inside the window: nothing added
        ([day(16), day(20)], [day(16), *window(18, 20)]),
    ],
)
def test_days_to_read(acquired, expected):
    assert days_to_read(window(18, 20), acquired) == expected


# --- against the emulator: a fake source in a scratch project ---------------------------


@pytest.fixture(scope="module")
def scratch(local_bigquery):
    clients = make_clients(SETTINGS)
    bq.ensure_dataset(clients, f"{SCRATCH_PROJECT}.{SCRATCH_DATASET}", SETTINGS.location)
    return clients


def scratch_settings(downloads: str, metadata: str):
    source = SourceTables(SCRATCH_PROJECT, SCRATCH_DATASET, downloads, metadata)
    return dataclasses.replace(SETTINGS, source=source)


def create(clients, table_id: str, schema) -> None:
    clients.bigquery.delete_table(table_id, not_found_ok=True)
    bq.ensure_table(clients, table_id, schema)


@pytest.mark.emulator
def test_check_source_schema_published_schemas_pass(scratch):
    settings = scratch_settings("downloads_ok", "metadata_ok")
    create(scratch, settings.source.downloads, source_schema("file_downloads"))
    create(scratch, settings.source.metadata, source_schema("distribution_metadata"))

    check_source_schema(scratch, settings)  # raises on any difference


@pytest.mark.emulator
def test_check_source_schema_without_details(scratch):
    # Arrange
    settings = scratch_settings("downloads_no_details", "metadata_for_details")
    schema = [f for f in source_schema("file_downloads") if f.name != "details"]
    create(scratch, settings.source.downloads, schema)
    create(scratch, settings.source.metadata, source_schema("distribution_metadata"))

    # Act / Assert
    with pytest.raises(ExtractError, match=r"source schema changed in schema-test\.pypi") as info:
        check_source_schema(scratch, settings)

    assert "column details.installer.name is missing" in str(info.value)
    assert "column details.ci is missing" in str(info.value)


@pytest.mark.emulator
def test_check_source_schema_metadata_type_changed(scratch):
    settings = scratch_settings("downloads_for_size", "metadata_size_string")
    metadata = [
        bigquery.SchemaField("size", "STRING") if f.name == "size" else f
        for f in source_schema("distribution_metadata")
    ]
    create(scratch, settings.source.downloads, source_schema("file_downloads"))
    create(scratch, settings.source.metadata, metadata)

    with pytest.raises(ExtractError, match="column size is STRING, expected INTEGER"):
        check_source_schema(scratch, settings)


@pytest.mark.emulator
def test_check_source_schema_table_not_found(scratch):
    settings = scratch_settings("no_such_table", "no_such_metadata")

    with pytest.raises(
        ExtractError, match=r"source table schema-test\.pypi\.no_such_table not found"
    ):
        check_source_schema(scratch, settings)


@pytest.fixture(scope="module")
def source_with_two_days(scratch):
    """A fake downloads table holding downloads on 2026-11-18 (two) and 2026-11-20 (one)."""
    settings = scratch_settings("downloads_two_days", "metadata_two_days")
    table_id = settings.source.downloads
    create(scratch, table_id, source_schema("file_downloads"))
    values = ", ".join(
        f"(TIMESTAMP '{stamp}', 'https://files/x', 'demo', "
        "STRUCT('demo-1.0.whl' AS filename, 'demo' AS project, '1.0' AS version, "
        "'bdist_wheel' AS type))"
        for stamp in ("2026-11-18 00:00:00+00", "2026-11-18 23:59:59+00", "2026-11-20 12:00:00+00")
    )
    bq.run_query(
        scratch,
        settings,
        f"INSERT INTO `{table_id}` (timestamp, url, project, file) VALUES {values}",
        label="test-insert",
    )
    return settings


@pytest.mark.emulator
def test_require_source_days_all_present(scratch, source_with_two_days):
    require_source_days(scratch, source_with_two_days, [day(18), day(20)])


@pytest.mark.emulator
def test_require_source_days_names_the_missing_days(scratch, source_with_two_days):
    with pytest.raises(
        ExtractError, match="for 2026-11-17, 2026-11-19, 2026-11-21: nothing"
    ) as info:
        require_source_days(scratch, source_with_two_days, window(17, 21))

    assert "schema-test.pypi.downloads_two_days" in str(info.value)
    assert "2026-11-18" not in str(info.value)
