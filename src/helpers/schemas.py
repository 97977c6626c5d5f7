"""Schemas: the published source tables and the hourly facts the pipeline produces."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import pyarrow as pa
from google.cloud import bigquery

SOURCE_TABLES = ("file_downloads", "distribution_metadata")

# The grain of everything downstream: one row per hour and dimension combination.
# Stable schema of the daily files under data/, the staging table and the mart facts.
HOURLY_FIELDS: tuple[tuple[str, pa.DataType, bool, str], ...] = (
    ("hour", pa.timestamp("us", tz="UTC"), False, "start of the UTC hour"),
    ("country_code", pa.string(), True, "ISO 3166-1 alpha-2 code; NULL when unknown"),
    ("project", pa.string(), False, "normalised project name"),
    ("version", pa.string(), False, "version of the downloaded file"),
    ("file_type", pa.string(), False, "file.type: bdist_wheel, sdist, ..."),
    ("installer_family", pa.string(), False, "pip, uv, other_tool, mirror, browser, unknown"),
    ("is_ci", pa.bool_(), False, "details.ci is TRUE"),
    ("downloads", pa.int64(), False, "number of downloads"),
    ("bytes", pa.int64(), False, "sum of the file size over downloads with metadata"),
    ("dependencies", pa.int64(), False, "sum of len(requires_dist) over downloads with metadata"),
    ("downloads_without_metadata", pa.int64(), False, "downloads whose file has no metadata"),
)

HOURLY_SCHEMA = pa.schema(
    [pa.field(name, kind, nullable=nullable) for name, kind, nullable, _ in HOURLY_FIELDS]
)

_BQ_TYPES = {
    pa.timestamp("us", tz="UTC"): "TIMESTAMP",
    pa.string(): "STRING",
    pa.bool_(): "BOOLEAN",
    pa.int64(): "INTEGER",
    pa.float64(): "FLOAT",
    pa.date32(): "DATE",
}


@cache
def source_schema_json(table: str) -> tuple[dict, ...]:
    """The published schema of a source table, as `bq show --schema` prints it."""
    if table not in SOURCE_TABLES:
        raise KeyError(f"unknown source table {table!r}; expected one of {SOURCE_TABLES}")
    text = resources.files("helpers").joinpath(f"resources/schemas/{table}.schema.json")
    return tuple(json.loads(text.read_text(encoding="utf-8")))


def source_schema(table: str) -> list[bigquery.SchemaField]:
    """The published schema of a source table as BigQuery SchemaFields."""
    return [bigquery.SchemaField.from_api_repr(field) for field in source_schema_json(table)]


def _arrow_type(field: dict) -> pa.DataType:
    kind = field["type"]
    if kind in ("RECORD", "STRUCT"):
        inner = pa.struct([_arrow_field(child) for child in field["fields"]])
    else:
        inner = {
            "STRING": pa.string(),
            "INTEGER": pa.int64(),
            "INT64": pa.int64(),
            "BOOLEAN": pa.bool_(),
            "TIMESTAMP": pa.timestamp("us", tz="UTC"),
            "FLOAT": pa.float64(),
            "DATE": pa.date32(),
        }[kind]
    return (
        pa.list_(pa.field("element", inner, nullable=False))
        if field["mode"] == "REPEATED"
        else inner
    )


def _arrow_field(field: dict) -> pa.Field:
    return pa.field(field["name"], _arrow_type(field), nullable=field["mode"] == "NULLABLE")


def source_arrow_schema(table: str) -> pa.Schema:
    """Arrow schema equivalent to a published source schema (REPEATED becomes a list)."""
    return pa.schema([_arrow_field(field) for field in source_schema_json(table)])


def bq_schema_from_arrow(schema: pa.Schema) -> list[bigquery.SchemaField]:
    """BigQuery SchemaFields for a flat Arrow schema of the pipeline's own tables."""
    return [
        bigquery.SchemaField(
            f.name, _BQ_TYPES[f.type], mode="NULLABLE" if f.nullable else "REQUIRED"
        )
        for f in schema
    ]


HOURLY_BQ_SCHEMA = bq_schema_from_arrow(HOURLY_SCHEMA)
