"""End to end on the emulator: the pipeline's numbers against the independent oracle."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers import bq
from helpers.export import FACTS_TABLE, INTERVALS_TABLE, LAST_DOWNLOAD_TABLE, daily_file_path
from tests import oracle

pytestmark = pytest.mark.emulator

MEASURES = ["downloads", "bytes", "dependencies", "downloads_without_metadata"]


@pytest.fixture(scope="module")
def raw_rows(pipeline_run) -> pd.DataFrame:
    con = oracle.connect(pipeline_run.raw_dir)
    return oracle.downloads_with_metadata(con, pipeline_run.window[0], pipeline_run.window[-1])


@pytest.fixture(scope="module")
def mart_facts(pipeline_run) -> pd.DataFrame:
    table_id = pipeline_run.settings.table(pipeline_run.settings.mart_dataset, FACTS_TABLE)
    return bq.read_table(pipeline_run.clients, table_id).to_pandas()


def _as_int_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[MEASURES].astype("int64")


def test_run_writes_one_daily_file_per_window_day(pipeline_run):
    files = sorted(pipeline_run.settings.data_dir.glob("*.parquet"))

    assert [path.name for path in files] == [
        daily_file_path(pipeline_run.settings.data_dir, day).name for day in pipeline_run.window
    ]


def test_daily_files_totals_per_day_equal_oracle(pipeline_run, raw_rows):
    expected = oracle.totals(raw_rows, ["day"])
    for day in pipeline_run.window:
        table = pq.read_table(daily_file_path(pipeline_run.settings.data_dir, day)).to_pandas()
        got = table[MEASURES].sum()

        assert got.to_dict() == _as_int_frame(expected).loc[day].to_dict(), day


@pytest.mark.parametrize("dimension", ["country_code", "project", "version"])
def test_mart_totals_per_dimension_equal_oracle(mart_facts, raw_rows, dimension):
    keys = [dimension, "project"] if dimension == "version" else [dimension]
    expected = _as_int_frame(oracle.totals(raw_rows, keys)).sort_index()
    got = _as_int_frame(mart_facts.groupby(keys, dropna=False)[MEASURES].sum()).sort_index()

    pd.testing.assert_frame_equal(got, expected, check_names=False)


def test_summary_kpis_equal_oracle(pipeline_run, raw_rows):
    summary = json.loads((pipeline_run.run_dir / "summary.json").read_text())
    total = oracle.totals(raw_rows.assign(all=1), ["all"]).iloc[0]
    with_metadata = total["downloads"] - total["downloads_without_metadata"]
    day_kpis, hour_kpis = summary["kpis"]["day"], summary["kpis"]["hour"]

    assert day_kpis["downloads_sum"] == total["downloads"]
    assert day_kpis["downloads_mean"] == pytest.approx(total["downloads"] / 15)
    assert hour_kpis["downloads_mean"] == pytest.approx(total["downloads"] / (15 * 24))
    assert day_kpis["bytes_sum"] == total["bytes"]
    assert day_kpis["bytes_mean"] == pytest.approx(total["bytes"] / with_metadata)
    assert day_kpis["dependencies_mean"] == pytest.approx(total["dependencies"] / with_metadata)


def test_weekday_weights_table_equals_oracle(pipeline_run, raw_rows):
    settings = pipeline_run.settings
    table_id = settings.table(settings.mart_dataset, "weekday_weights")
    got = bq.read_table(pipeline_run.clients, table_id).to_pandas()
    expected = oracle.weekday_weights(raw_rows, pipeline_run.window[0], pipeline_run.window[-1])
    merged = expected.merge(got, on=["metric", "weekday"], suffixes=("_oracle", ""))

    assert len(merged) == 21
    assert merged["weight"].to_numpy() == pytest.approx(merged["weight_oracle"].to_numpy())
    assert got.groupby("metric")["weight"].sum().to_numpy() == pytest.approx([1, 1, 1])


def test_hourly_profile_table_equals_oracle(pipeline_run, raw_rows):
    settings = pipeline_run.settings
    table_id = settings.table(settings.mart_dataset, "hourly_profile")
    got = bq.read_table(pipeline_run.clients, table_id).to_pandas().set_index("hour_of_day")
    expected = oracle.hourly_profile(raw_rows, 15)

    assert list(got.index.sort_values()) == list(range(24))
    assert got.loc[range(24), "mean_downloads"].to_numpy() == pytest.approx(expected.to_numpy())


def test_last_download_table_equals_oracle(pipeline_run):
    settings = pipeline_run.settings
    table_id = settings.table(settings.mart_dataset, LAST_DOWNLOAD_TABLE)
    got = bq.read_table(pipeline_run.clients, table_id).to_pandas()
    con = oracle.connect(pipeline_run.raw_dir)
    expected = oracle.last_downloads(con, pipeline_run.window[0], pipeline_run.window[-1])
    keys = ["day", "country_code", "project"]
    merged = expected.merge(got, on=keys, how="outer", suffixes=("_oracle", ""), indicator=True)

    assert (merged["_merge"] == "both").all()
    assert (merged["last_download_at"] == merged["last_download_at_oracle"]).all()
    assert (merged["filename"] == merged["filename_oracle"]).all()
    assert got["country_code"].isna().any(), "NULL country must be a group of its own"


def test_download_intervals_table_equals_oracle(pipeline_run):
    settings = pipeline_run.settings
    table_id = settings.table(settings.mart_dataset, INTERVALS_TABLE)
    columns = ["project", "timestamp", "filename", "url", "seconds_since_previous", "is_gzipped"]
    got = bq.read_table(pipeline_run.clients, table_id, columns=columns).to_pandas()
    con = oracle.connect(pipeline_run.raw_dir)
    expected = oracle.intervals(con, pipeline_run.window[0], pipeline_run.window[-1])
    keys = ["project", "timestamp", "filename", "url"]

    def canonical(frame, seconds):
        frame = frame.assign(seconds=seconds.round(6), is_gzipped=frame["is_gzipped"].astype(bool))
        columns = [*keys, "seconds", "is_gzipped"]
        return frame[columns].sort_values(columns, na_position="first").reset_index(drop=True)

    pd.testing.assert_frame_equal(
        canonical(got, got["seconds_since_previous"].astype("float64")),
        canonical(expected, expected["micros"].astype("float64") / 1e6),
        check_dtype=False,
    )


def test_run_ledger_has_one_row_per_stage(pipeline_run):
    settings = pipeline_run.settings
    table_id = settings.table(settings.ops_dataset, "run_ledger")
    ledger = bq.read_table(pipeline_run.clients, table_id).to_pandas()
    run = ledger[ledger["run_id"] == pipeline_run.run_dir.name]

    assert sorted(run["stage"]) == ["charts", "export", "extract", "transform"]
    assert (run["status"] == "success").all()
    assert run.set_index("stage").loc["extract", "rows"] > 0


def test_project_allow_list_restricts_the_acquisition(pipeline_run, raw_rows):
    import dataclasses

    from helpers import extract

    chosen = sorted(raw_rows["project"].unique())[:2]
    settings = dataclasses.replace(
        pipeline_run.settings, staging_dataset="allow_list_staging", projects=tuple(chosen)
    )
    extract.ensure_staging(pipeline_run.clients, settings)

    acquired = extract.acquire_day(pipeline_run.clients, settings, pipeline_run.run_date)

    staged = extract.read_staging(pipeline_run.clients, settings, [pipeline_run.run_date])
    day_rows = raw_rows[
        (raw_rows["day"] == pipeline_run.run_date) & raw_rows["project"].isin(chosen)
    ]
    assert sorted(set(staged["project"].to_pylist())) == chosen
    assert acquired.downloads == len(day_rows)
