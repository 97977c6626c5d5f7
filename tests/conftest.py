"""Shared fixtures: one local BigQuery per test session, and one pipeline run on a small replica.

The pipeline run uses its own params file in a temporary folder (data/, reports/ and the
replica's raw Parquet there), a fixed past run date, and an in-memory emulator, so tests
never touch the user's data/, reports/ or persistent local BigQuery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from helpers.clients import BigQueryClients, make_clients
from helpers.config import Settings, load_settings
from helpers.emulator import LocalBigQuery, exported_environment

ROOT = Path(__file__).resolve().parent.parent
# A fixed past date: results never depend on the day the tests run.
RUN_DATE = dt.date(2026, 11, 20)
WINDOW_DAYS = 15
REPLICA = {
    "seed": 7,
    "days": 17,  # the window plus two earlier days
    "downloads_per_day": 4000,
    "last_day": (RUN_DATE + dt.timedelta(days=1)).isoformat(),  # the run day is complete
    "projects": 60,
}


def write_params(folder: Path, **overrides) -> Path:
    """A local params file whose outputs all live under `folder`."""
    raw = yaml.safe_load((ROOT / "params" / "local.yaml").read_text(encoding="utf-8"))
    raw["paths"] = {"data_dir": str(folder / "data"), "reports_dir": str(folder / "reports")}
    raw["emulator"] = {
        "data_dir": None,
        "replica_dir": str(folder / "replica"),
        "log_file": str(folder / "emulator.log"),
        "startup_timeout_seconds": 120,
    }
    raw["replica"] = dict(REPLICA)
    for key, value in overrides.items():
        raw[key] = {**raw.get(key, {}), **value}
    (folder / "params").mkdir(parents=True, exist_ok=True)
    path = folder / "params" / "test.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def local_bigquery(tmp_path_factory) -> LocalBigQuery:
    """An in-memory emulator for the whole session, its endpoints exported to the process."""
    folder = tmp_path_factory.mktemp("emulator")
    emulator = LocalBigQuery(None, folder / "emulator.log", 120)
    with emulator, exported_environment(emulator.environ()):
        yield emulator


@dataclass(frozen=True)
class PipelineRun:
    folder: Path
    params_file: Path
    settings: Settings
    clients: BigQueryClients
    run_dir: Path
    run_date: dt.date
    window_days: int

    @property
    def raw_dir(self) -> Path:
        return self.settings.emulator.replica_dir

    @property
    def window(self) -> list[dt.date]:
        return [self.run_date - dt.timedelta(days=i) for i in range(self.window_days - 1, -1, -1)]


@pytest.fixture(scope="session")
def pipeline_run(local_bigquery, tmp_path_factory) -> PipelineRun:
    """`main.py run` once for RUN_DATE on the small replica, in the session's emulator."""
    import main

    folder = tmp_path_factory.mktemp("pipeline")
    params_file = write_params(folder)
    code = main.main(["run", "--date", RUN_DATE.isoformat(), "--params", str(params_file)])
    assert code == 0, "the pipeline run failed; see the log above"
    settings = load_settings(params_file)
    (run_dir,) = (settings.reports_dir / RUN_DATE.isoformat()).iterdir()
    return PipelineRun(
        folder, params_file, settings, make_clients(settings), run_dir, RUN_DATE, WINDOW_DAYS
    )
