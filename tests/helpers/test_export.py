"""Tests of the pure parts of the export: daily rows, atomic and reproducible Parquet files."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import export
from helpers.export import (
    FACTS_SCHEMA,
    daily_file_path,
    days_to_export,
    rows_of_day,
    with_day,
    with_window_end,
    write_daily_file,
    write_parquet_atomic,
)
from helpers.schemas import HOURLY_SCHEMA
from tests.hourly_rows import at, hourly_table

D1, D2, D3, D4 = (dt.date(2026, 11, day) for day in (17, 18, 19, 20))


def hourly(*rows: dict) -> pa.Table:
    return hourly_table(*rows)


# Rows of D2 in their expected file order, then rows of the neighbouring days.
D2_ROWS = [
    {"hour": at(D2, 0), "project": "alpha", "version": "1.0", "country_code": "DE"},
    {"hour": at(D2, 0), "project": "alpha", "version": "1.0", "country_code": "US"},
    {"hour": at(D2, 0), "project": "alpha", "version": "2.0", "country_code": "DE"},
    {"hour": at(D2, 0), "project": "beta", "version": "0.1", "file_type": "bdist_wheel"},
    {"hour": at(D2, 0), "project": "beta", "version": "0.1", "file_type": "sdist"},
    {"hour": at(D2, 0), "project": "beta", "version": "0.1", "file_type": "sdist", "is_ci": True},
    {"hour": at(D2, 23), "project": "alpha", "version": "1.0", "installer_family": "uv"},
]
OTHER_ROWS = [
    {"hour": at(D1, 23), "project": "alpha"},  # the hour before D2
    {"hour": at(D3, 0), "project": "alpha"},  # the hour after D2
]


def test_rows_of_day_keeps_one_day_in_a_stable_order():
    # Arrange: the day's rows shuffled among other days' rows
    mixed = [D2_ROWS[4], OTHER_ROWS[1], D2_ROWS[6], D2_ROWS[0], D2_ROWS[5]]
    mixed += [OTHER_ROWS[0], D2_ROWS[3], D2_ROWS[2], D2_ROWS[1]]
    table = hourly(*mixed)

    # Act
    rows = rows_of_day(table, D2)

    # Assert
    assert rows.schema == HOURLY_SCHEMA
    assert rows.to_pylist() == hourly(*D2_ROWS).to_pylist()


def test_rows_of_day_same_result_for_any_input_order():
    forward = hourly(*D2_ROWS, *OTHER_ROWS)
    backward = hourly(*reversed(D2_ROWS), *OTHER_ROWS)

    assert rows_of_day(forward, D2).equals(rows_of_day(backward, D2))


def test_rows_of_day_without_rows_is_empty_with_schema():
    rows = rows_of_day(hourly(*OTHER_ROWS), D2)

    assert rows.num_rows == 0
    assert rows.schema == HOURLY_SCHEMA


def test_write_parquet_atomic_creates_parent_and_leaves_no_temp(tmp_path):
    path = tmp_path / "nested" / "data" / "file.parquet"
    table = hourly(*D2_ROWS)

    written = write_parquet_atomic(table, path)

    assert written == path
    assert [p.name for p in path.parent.iterdir()] == ["file.parquet"]
    assert pq.read_table(path).equals(table)


def test_write_parquet_atomic_replaces_existing_file(tmp_path):
    path = tmp_path / "day.parquet"
    write_parquet_atomic(hourly(*D2_ROWS), path)
    newer = hourly(D2_ROWS[0])

    write_parquet_atomic(newer, path)

    assert pq.read_table(path).equals(newer)
    assert [p.name for p in tmp_path.iterdir()] == ["day.parquet"]


def test_write_parquet_atomic_failure_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "day.parquet"
    old = hourly(*D2_ROWS)
    write_parquet_atomic(old, path)

    def broken(table, where, **options):
        with open(where, "wb") as out:
            out.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(export.pq, "write_table", broken)

    with pytest.raises(OSError, match="disk full"):
        write_parquet_atomic(hourly(D2_ROWS[0]), path)

    monkeypatch.undo()
    assert pq.read_table(path).equals(old)
    assert [p.name for p in tmp_path.iterdir()] == ["day.parquet"]


def test_write_parquet_atomic_byte_identical(tmp_path):
    # Arrange: the same day reached from two input orders
    first = rows_of_day(hourly(*D2_ROWS, *OTHER_ROWS), D2)
    second = rows_of_day(hourly(*OTHER_ROWS, *reversed(D2_ROWS)), D2)

    # Act
    write_parquet_atomic(first, tmp_path / "a.parquet")
    write_parquet_atomic(second, tmp_path / "b.parquet")
    write_parquet_atomic(first, tmp_path / "c.parquet")

    # Assert
    a = (tmp_path / "a.parquet").read_bytes()
    assert a == (tmp_path / "b.parquet").read_bytes()
    assert a == (tmp_path / "c.parquet").read_bytes()


def test_write_daily_file_keeps_only_its_day(tmp_path):
    table = hourly(*D2_ROWS, *OTHER_ROWS)

    written = {day: write_daily_file(table, day, tmp_path) for day in (D1, D2)}

    assert written[D2]["rows"] == len(D2_ROWS)
    assert written[D2]["downloads"] == len(D2_ROWS)
    assert written[D1]["rows"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "pypi_downloads_2026-11-17.parquet",
        "pypi_downloads_2026-11-18.parquet",
    ]


def test_daily_file_path_name(tmp_path):
    assert daily_file_path(tmp_path, D4) == tmp_path / "pypi_downloads_2026-11-20.parquet"


def test_days_to_export_acquired_plus_missing_files(tmp_path):
    # Arrange: window D2..D4 with files for D2 and D4 only
    for day in (D2, D4):
        daily_file_path(tmp_path, day).write_bytes(b"")

    # Act: D4 acquired again, D1 acquired outside the window
    days = days_to_export([D4, D1], [D2, D3, D4], tmp_path)

    # Assert
    assert days == [D1, D3, D4]


def test_days_to_export_nothing_to_do(tmp_path):
    for day in (D2, D3):
        daily_file_path(tmp_path, day).write_bytes(b"")

    assert days_to_export([], [D2, D3], tmp_path) == []


def test_days_to_export_no_duplicates(tmp_path):
    days = days_to_export([D3, D3], [D3], tmp_path)

    assert days == [D3]


def test_with_day_schema_and_values():
    table = hourly({"hour": at(D1, 23)}, {"hour": at(D2, 0)})

    facts = with_day(table)

    assert facts.schema == FACTS_SCHEMA
    assert facts.schema.names == [*HOURLY_SCHEMA.names, "day"]
    assert facts.schema.field("day").type == pa.date32()
    assert facts.schema.field("day").nullable is False
    assert facts.column("day").to_pylist() == [D1, D2]


def test_with_window_end_prefixes_a_column():
    table = pa.table({"weekday": ["Mon", "Tue"], "weight": [0.5, 0.5]})

    result = with_window_end(table, D4)

    assert result.column_names == ["window_end", "weekday", "weight"]
    assert result.schema.field("window_end").type == pa.date32()
    assert result.schema.field("window_end").nullable is False
    assert result.column("window_end").to_pylist() == [D4, D4]
    assert result.select(["weekday", "weight"]).equals(table)


def test_with_window_end_empty_table():
    result = with_window_end(pa.table({"weight": pa.array([], pa.float64())}), D4)

    assert result.num_rows == 0
    assert result.column_names == ["window_end", "weight"]
