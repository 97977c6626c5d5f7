"""Re-running a date is idempotent; bad input fails with one message and leaves nothing."""

from __future__ import annotations

import datetime as dt

import pytest

import main
from helpers import bq, extract
from helpers.export import FACTS_TABLE, LAST_DOWNLOAD_TABLE, daily_file_path

pytestmark = pytest.mark.emulator


def snapshot(folder) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def mart_rows(run, table: str = FACTS_TABLE) -> list[tuple]:
    table_id = run.settings.table(run.settings.mart_dataset, table)
    rows = bq.read_table(run.clients, table_id).to_pylist()
    return sorted(tuple(str(value) for value in row.values()) for row in rows)


def test_rerun_same_date_gives_identical_files_and_tables(pipeline_run):
    files_before = snapshot(pipeline_run.settings.data_dir)
    facts_before = mart_rows(pipeline_run)
    last_before = mart_rows(pipeline_run, LAST_DOWNLOAD_TABLE)
    run_file = daily_file_path(pipeline_run.settings.data_dir, pipeline_run.run_date)
    written_before = run_file.stat().st_mtime_ns

    code = main.main(
        ["run", "--date", str(pipeline_run.run_date), "--params", str(pipeline_run.params_file)]
    )

    assert code == 0
    assert run_file.stat().st_mtime_ns > written_before, "the run date's file was not rewritten"
    assert snapshot(pipeline_run.settings.data_dir) == files_before
    assert mart_rows(pipeline_run) == facts_before
    assert mart_rows(pipeline_run, LAST_DOWNLOAD_TABLE) == last_before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--date", "2026-02-30"], "is not a valid date"),
        (["--date", "2999-01-01"], "is not a complete day yet"),
        (["--date", "2026-11-20", "--window-days", "0"], "window of 0 days"),
        (["--date", "2026-11-20", "--window-days", "91"], "window of 91 days"),
        (["--start", "2026-11-20", "--end", "2026-11-10"], "is before start date"),
        (["--start", "2026-11-20"], "needs both --start and --end"),
        (["--date", "2026-10-01"], "no source data"),
    ],
)
def test_bad_input_fails_clearly_and_leaves_nothing(pipeline_run, capsys, arguments, message):
    settings = pipeline_run.settings
    before = (snapshot(settings.data_dir), sorted(settings.reports_dir.rglob("*")))
    window = [dt.date(2026, 9, 20) + dt.timedelta(days=i) for i in range(70)]
    staged_before = extract.staged_days(pipeline_run.clients, settings, window)

    code = main.main(["run", *arguments, "--params", str(pipeline_run.params_file)])

    error = capsys.readouterr().err
    assert code != 0
    assert message in error
    assert "Traceback" not in error
    assert (snapshot(settings.data_dir), sorted(settings.reports_dir.rglob("*"))) == before
    assert extract.staged_days(pipeline_run.clients, settings, window) == staged_before


def test_unreachable_endpoint_fails_clearly(tmp_path, monkeypatch, capsys):
    from google.cloud import bigquery

    from helpers.emulator import GRPC_ENV, REST_ENV, free_port
    from tests.conftest import write_params

    closed = free_port()  # nothing listens there
    monkeypatch.setenv(REST_ENV, f"http://127.0.0.1:{closed}")
    monkeypatch.setenv(GRPC_ENV, f"127.0.0.1:{closed}")
    monkeypatch.setattr(bq, "FIRST_CALL_RETRY", bigquery.DEFAULT_RETRY.with_deadline(2))
    params = write_params(tmp_path)

    code = main.main(["run", "--date", "2026-11-20", "--params", str(params)])

    error = capsys.readouterr().err
    assert code == 1
    assert "BigQuery request failed" in error
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "reports").exists()


def test_check_command_passes_on_a_processed_date(pipeline_run, capsys):
    code = main.main(
        ["check", "--date", str(pipeline_run.run_date), "--params", str(pipeline_run.params_file)]
    )

    assert code == 0
    assert f"checks passed for {pipeline_run.run_date}" in capsys.readouterr().out


def test_check_command_fails_when_the_daily_file_is_missing(pipeline_run, capsys):
    day = pipeline_run.window[0]
    path = daily_file_path(pipeline_run.settings.data_dir, day)
    saved = path.read_bytes()
    path.unlink()
    try:
        code = main.main(["check", "--date", str(day), "--params", str(pipeline_run.params_file)])
    finally:
        path.write_bytes(saved)

    assert code == 1
    assert f"daily file of {day} is missing" in capsys.readouterr().err
