"""Tests of the run summary file and of the ledger rows."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pyarrow as pa
import pytest

from helpers import files
from helpers.summary import (
    LEDGER_SCHEMA,
    SUMMARY_FILE,
    ledger_row,
    read_summary,
    record_stage,
    write_summary,
)

RUN_DATE = dt.date(2026, 11, 20)


def stored(run_dir: Path) -> dict:
    return json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))


def test_read_summary_without_file(tmp_path):
    assert read_summary(tmp_path / "new-run") == {"stages": {}}


def test_record_stage_creates_the_file(tmp_path):
    run_dir = tmp_path / "reports" / "run-1"

    result = record_stage(run_dir, "extract", {"rows": 3, "day": RUN_DATE}, run_date=RUN_DATE)

    assert stored(run_dir) == {
        "stages": {"extract": {"rows": 3, "day": "2026-11-20"}},
        "run_date": "2026-11-20",
    }
    assert result["stages"]["extract"]["rows"] == 3


def test_record_stage_accumulates_stages(tmp_path):
    record_stage(tmp_path, "extract", {"rows": 3})
    record_stage(tmp_path, "transform", {"rows": 5})
    record_stage(tmp_path, "extract", {"rows": 4})  # a stage run again replaces its facts

    assert stored(tmp_path)["stages"] == {"extract": {"rows": 4}, "transform": {"rows": 5}}


def test_record_stage_appends_lists_and_replaces_scalars(tmp_path):
    # Arrange
    first = [{"name": "window_complete", "status": "pass"}]
    second = [{"name": "share_null_country", "status": "warn"}]

    # Act
    record_stage(tmp_path, "extract", {}, checks=first, status="running")
    record_stage(tmp_path, "export", {}, checks=second, status="success")

    # Assert
    data = stored(tmp_path)
    assert data["checks"] == first + second
    assert data["status"] == "success"


def test_record_stage_list_replaces_a_non_list(tmp_path):
    record_stage(tmp_path, "a", {}, checks="none yet")
    record_stage(tmp_path, "b", {}, checks=["x"])

    assert stored(tmp_path)["checks"] == ["x"]


def test_record_stage_writes_valid_json_with_paths(tmp_path):
    record_stage(tmp_path, "export", {"file": tmp_path / "data" / "x.parquet"})

    text = (tmp_path / SUMMARY_FILE).read_text(encoding="utf-8")
    assert json.loads(text)["stages"]["export"]["file"] == str(tmp_path / "data" / "x.parquet")
    assert text.endswith("}\n")


def test_record_stage_leaves_no_temporary_file(tmp_path):
    record_stage(tmp_path, "a", {"rows": 1})
    record_stage(tmp_path, "b", {"rows": 2})

    assert [path.name for path in tmp_path.iterdir()] == [SUMMARY_FILE]


def test_record_stage_unserialisable_keeps_previous_summary(tmp_path):
    record_stage(tmp_path, "extract", {"rows": 3})
    before = (tmp_path / SUMMARY_FILE).read_bytes()

    with pytest.raises(TypeError, match="cannot write object to the run summary"):
        record_stage(tmp_path, "transform", {"value": object()})

    assert (tmp_path / SUMMARY_FILE).read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == [SUMMARY_FILE]


def test_write_summary_failed_rename_keeps_previous_and_no_temp(tmp_path, monkeypatch):
    # Arrange
    write_summary(tmp_path, {"stages": {"a": {}}})
    before = (tmp_path / SUMMARY_FILE).read_bytes()

    def failing_replace(source, target):
        raise OSError("rename refused")

    monkeypatch.setattr(files.os, "replace", failing_replace)

    # Act
    with pytest.raises(OSError, match="rename refused"):
        write_summary(tmp_path, {"stages": {"b": {}}})

    # Assert
    monkeypatch.undo()
    assert (tmp_path / SUMMARY_FILE).read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [SUMMARY_FILE]


def test_ledger_row_fields():
    # Arrange
    facts = {"seconds": 1.5, "rows": 10, "downloads": 250, "bytes_processed": 4096, "day": RUN_DATE}
    before = dt.datetime.now(dt.UTC)

    # Act
    row = ledger_row("run-1", RUN_DATE, "extract", facts)

    # Assert
    after = dt.datetime.now(dt.UTC)
    assert set(row) == set(LEDGER_SCHEMA.names)
    assert row["run_id"] == "run-1"
    assert row["run_date"] == RUN_DATE
    assert row["stage"] == "extract"
    assert row["status"] == "success"
    assert before <= row["finished_at"] <= after
    assert row["finished_at"].tzinfo is not None
    assert (row["duration_seconds"], row["rows"], row["downloads"]) == (1.5, 10, 250)
    assert row["bytes_processed"] == 4096
    assert json.loads(row["details"]) == {
        "seconds": 1.5,
        "rows": 10,
        "downloads": 250,
        "bytes_processed": 4096,
        "day": "2026-11-20",
    }


def test_ledger_row_status_from_facts_and_missing_numbers():
    row = ledger_row("run-2", RUN_DATE, "checks", {"status": "failed"})

    assert row["status"] == "failed"
    assert row["rows"] is None
    assert row["duration_seconds"] is None
    assert json.loads(row["details"]) == {"status": "failed"}


def test_ledger_row_fits_the_ledger_schema():
    row = ledger_row("run-3", RUN_DATE, "export", {"rows": 1, "seconds": 0.25})

    table = pa.Table.from_pylist([row], schema=LEDGER_SCHEMA)

    assert table.num_rows == 1
    assert table.column("run_date").to_pylist() == [RUN_DATE]
