"""The two required BigQuery tables on hand-made edge cases, with hand-computed answers."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pyarrow as pa
import pytest

from helpers import bq
from helpers.clients import make_clients
from helpers.config import SourceTables, load_settings
from helpers.export import INTERVALS_TABLE, LAST_DOWNLOAD_TABLE, build_required_objects
from helpers.schemas import source_arrow_schema, source_schema
from tests.conftest import write_params

pytestmark = pytest.mark.emulator

DAY = dt.date(2026, 11, 10)


def at(hour: int, minute: int = 0, second: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=dt.UTC)


# (timestamp, country, project, filename, url)
ROWS = [
    # The day before: the previous download of alpha's first download of DAY.
    (at(23, 59, day=DAY - dt.timedelta(days=1)), "US", "alpha", "alpha-1.0.tar.gz", "/u0"),
    # Two days before: too far back to be anyone's previous download.
    (at(12, day=DAY - dt.timedelta(days=2)), "FR", "beta", "beta-2.0.tgz", "/u7"),
    # Two alpha downloads at the very same second: ordered by filename ('-' sorts before '.').
    (at(10), "US", "alpha", "alpha-1.0.tar.gz", "/u1"),
    (at(10), "US", "alpha", "alpha-1.0-py3-none-any.whl", "/u2"),
    (at(10, 0, 30), None, "alpha", "alpha-1.0.zip", "/u3"),
    (at(11), "FR", "beta", "beta-2.0.tgz", "/u4"),
    (at(12), "FR", "gamma", "GAMMA-3.0.TAR.GZ", "/u5"),
    (at(12, 5), "FR", "gamma", "gamma-3.0-cp312-cp312-manylinux_2_28_x86_64.whl", "/u6"),
]


def downloads_table(rows) -> pa.Table:
    records = [
        {
            "timestamp": ts,
            "country_code": country,
            "url": url,
            "project": project,
            "file": {"filename": name, "project": project, "version": "1", "type": "sdist"},
            "details": None,
            "tls_protocol": None,
            "tls_cipher": None,
        }
        for ts, country, project, name, url in rows
    ]
    return pa.Table.from_pylist(records, schema=source_arrow_schema("file_downloads"))


@pytest.fixture(scope="module")
def edge_tables(local_bigquery, tmp_path_factory):
    folder = tmp_path_factory.mktemp("edge")
    base = load_settings(write_params(folder))
    settings = dataclasses.replace(
        base,
        source=SourceTables("edge-cases", "pypi", "file_downloads", "distribution_metadata"),
        mart_dataset="edge_mart",
    )
    clients = make_clients(settings)
    bq.ensure_dataset(clients, "edge-cases.pypi", settings.location)
    bq.ensure_dataset(clients, f"{settings.project}.edge_mart", settings.location)
    bq.ensure_table(
        clients,
        settings.source.downloads,
        source_schema("file_downloads"),
        partition_field="timestamp",
    )
    bq.load_arrow(clients, settings, downloads_table(ROWS), settings.source.downloads)
    build_required_objects(clients, settings, DAY, DAY)

    def read(name, sort):
        table_id = settings.table(settings.mart_dataset, name)
        rows = bq.read_table(clients, table_id).to_pylist()
        return sorted(rows, key=sort)

    return read


def test_download_intervals_edge_cases(edge_tables):
    rows = edge_tables(INTERVALS_TABLE, lambda r: (r["project"], r["timestamp"], r["filename"]))
    got = [(r["filename"], r["seconds_since_previous"], r["is_gzipped"]) for r in rows]

    assert got == [
        ("alpha-1.0-py3-none-any.whl", 36060, False),  # 10:01 after 23:59 the day before
        ("alpha-1.0.tar.gz", 0, True),  # same second as the previous one
        ("alpha-1.0.zip", 30, False),
        ("beta-2.0.tgz", None, True),  # nothing since the start of the day before
        ("GAMMA-3.0.TAR.GZ", None, True),  # a project's first download; upper case gzip
        ("gamma-3.0-cp312-cp312-manylinux_2_28_x86_64.whl", 300, False),
    ]


def test_last_download_per_country_project_day_edge_cases(edge_tables):
    rows = edge_tables(
        LAST_DOWNLOAD_TABLE, lambda r: (r["project"], r["country_code"] or "", r["day"])
    )
    got = [(r["day"], r["country_code"], r["project"], r["filename"]) for r in rows]

    assert got == [
        (DAY, None, "alpha", "alpha-1.0.zip"),  # NULL country is its own group
        (DAY, "US", "alpha", "alpha-1.0.tar.gz"),  # tie on time: the greater filename wins
        (DAY, "FR", "beta", "beta-2.0.tgz"),
        (DAY, "FR", "gamma", "gamma-3.0-cp312-cp312-manylinux_2_28_x86_64.whl"),
    ]
