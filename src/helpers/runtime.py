"""What every notebook does first: settings, dates, logging and clients from its parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from helpers.clients import BigQueryClients, make_clients
from helpers.config import Settings, load_settings
from helpers.dates import RunDates, parse_date, validate_run_dates
from helpers.logs import configure_logging
from helpers.summary import read_summary


@dataclass(frozen=True)
class RunContext:
    settings: Settings
    dates: RunDates
    run_dir: Path
    run_id: str
    clients: BigQueryClients

    @property
    def run_date(self) -> dt.date:
        return self.dates.end

    @property
    def work_dir(self) -> Path:
        """Intermediate Arrow files passed from one notebook to the next."""
        return self.run_dir / "work"

    def day_file(self, day: dt.date) -> Path:
        """The work file holding one day's hourly rows, read back from staging."""
        return self.work_dir / f"hourly_{day.isoformat()}.parquet"

    def acquired_days(self) -> list[dt.date]:
        """The days the extract stage of this run acquired, from the run summary."""
        extracted = read_summary(self.run_dir)["stages"]["extract"]["days"]
        return [dt.date.fromisoformat(day["day"]) for day in extracted]


def start_stage(
    start_date: str, end_date: str, window_days: int, params_file: str, run_dir: str, run_id: str
) -> RunContext:
    """Validate a notebook's parameters and open the clients."""
    settings = load_settings(params_file)
    configure_logging(settings.environment)
    dates = validate_run_dates(
        parse_date(start_date, "start_date"),
        parse_date(end_date, "end_date"),
        int(window_days) or settings.window_days,  # 0: the window of the params file
    )
    folder = Path(run_dir or settings.reports_dir / dates.end.isoformat() / "adhoc")
    return RunContext(settings, dates, folder, run_id or folder.name, make_clients(settings))
