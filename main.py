"""Single entry point of the PyPI downloads pipeline.

    python main.py run [--date D | --start S --end E] [--window-days N] [--params FILE]
    python main.py check --date D [--params FILE]
    python main.py seed [--params FILE]
    python main.py query "SELECT ..." [--params FILE]

`run` executes the notebooks of notebooks/ in sequence with Papermill and keeps each
executed notebook under reports/<run date>/<run id>/. With params/local.yaml (the default)
it first starts the local BigQuery and seeds it with the replica of the public tables.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from google.api_core.exceptions import GoogleAPIError
from requests.exceptions import RequestException

from helpers import checks, extract
from helpers.clients import BigQueryClients, CredentialsError, EndpointError, make_clients
from helpers.config import ConfigError, Settings, load_settings
from helpers.dates import DateError, RunDates, parse_date, validate_run_dates, yesterday
from helpers.emulator import (
    EmulatorError,
    LocalBigQuery,
    emulator_endpoints_set,
    exported_environment,
)
from helpers.logs import configure_logging
from helpers.summary import read_summary, record_stage

LOGGER = logging.getLogger("main")

ROOT = Path(__file__).resolve().parent
DEFAULT_PARAMS = ROOT / "params" / "local.yaml"
NOTEBOOKS = ("01_extract", "02_transform", "03_export", "04_charts")
KERNEL = "python3"
USER_ERRORS = (
    ConfigError,
    DateError,
    EmulatorError,
    CredentialsError,
    EndpointError,
    extract.ExtractError,
    checks.DataQualityError,
)


class StageError(RuntimeError):
    """A notebook of the run failed."""


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the pipeline for a day or a range of days")
    run.add_argument("--date", help="run date YYYY-MM-DD (default: yesterday, UTC)")
    run.add_argument("--start", help="first day of a backfill range, YYYY-MM-DD")
    run.add_argument("--end", help="last day of a backfill range, YYYY-MM-DD")
    run.add_argument("--window-days", type=int, help="dashboard window (default from params)")
    check = commands.add_parser("check", help="data-quality checks of a processed date")
    check.add_argument("--date", required=True, help="run date YYYY-MM-DD")
    check.add_argument("--window-days", type=int, help="dashboard window (default from params)")
    commands.add_parser("seed", help="load the replica into the local BigQuery")
    query = commands.add_parser("query", help="run a SQL query on the configured BigQuery")
    query.add_argument("sql", help="GoogleSQL text")
    query.add_argument("--max-rows", type=int, default=50)
    for sub in (run, check, query, commands.choices["seed"]):
        sub.add_argument("--params", default=str(DEFAULT_PARAMS), help="params YAML file")
    return parser.parse_args(argv)


def run_dates(arguments: argparse.Namespace, settings: Settings) -> RunDates:
    """Dates from --date or --start/--end, defaulting to yesterday; validated."""
    if arguments.date and (arguments.start or arguments.end):
        raise DateError("give either --date or --start/--end, not both")
    if bool(arguments.start) != bool(arguments.end):
        raise DateError("a backfill needs both --start and --end")
    window = settings.window_days if arguments.window_days is None else arguments.window_days
    if arguments.start:
        start, end = parse_date(arguments.start, "--start"), parse_date(arguments.end, "--end")
    else:
        start = end = parse_date(arguments.date, "--date") if arguments.date else yesterday()
    return validate_run_dates(start, end, window)


@contextlib.contextmanager
def bigquery_for(settings: Settings) -> Iterator[BigQueryClients]:
    """Clients for the environment; locally, the emulator is started (or reused) and seeded."""
    if not settings.is_local:
        yield make_clients(settings)
        return
    from helpers.seed import seed_replica

    if emulator_endpoints_set():
        # An emulator started by the caller (a test, an Airflow task): use it as it is.
        clients = make_clients(settings)
        seed_replica(settings, clients, settings.emulator.replica_dir)
        yield clients
        return
    options = settings.emulator
    emulator = LocalBigQuery(options.data_dir, options.log_file, options.startup_timeout_seconds)
    with emulator, exported_environment(emulator.environ()):
        clients = make_clients(settings)
        seed_replica(settings, clients, options.replica_dir)
        yield clients


def new_run_dir(settings: Settings, dates: RunDates) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.reports_dir / dates.end.isoformat() / f"run-{stamp}"


def execute_notebooks(params_file: Path, dates: RunDates, run_dir: Path) -> None:
    """Run each notebook with Papermill; the executed copies stay in run_dir."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    parameters = {
        "start_date": dates.start.isoformat(),
        "end_date": dates.end.isoformat(),
        "window_days": dates.window_days,
        "params_file": str(params_file),
        "run_dir": str(run_dir),
        "run_id": run_dir.name,
    }
    for name in NOTEBOOKS:
        started = time.monotonic()
        output = run_dir / f"{name}.ipynb"
        try:
            papermill.execute_notebook(
                ROOT / "notebooks" / f"{name}.ipynb",
                output,
                parameters=parameters,
                kernel_name=KERNEL,
                cwd=str(ROOT),
                progress_bar=False,
            )
        except PapermillExecutionError as error:
            message = f"stage {name} failed: {error.ename}: {error.evalue.strip()}"
            # The failed notebook stays in run_dir for diagnosis; the summary says so.
            record_stage(run_dir, name, {"status": "failed", "error": message}, status="failed")
            raise StageError(f"{message} (executed notebook: {output})") from None
        LOGGER.info("stage %s done in %.1f s", name, time.monotonic() - started)


def print_run_summary(run_dir: Path, seconds: float) -> None:
    """The facts a user wants after a run: dates, rows, files, tables, report."""
    summary = read_summary(run_dir)
    stages = summary.get("stages", {})
    exported = stages.get("export", {})
    files = exported.get("files", {})
    lines = [
        f"Run {summary.get('run_id')} done in {seconds:.0f} s",
        f"  window        {summary.get('window_start')} .. {summary.get('window_end')}",
        f"  acquired      {len(stages.get('extract', {}).get('days', []))} days, "
        f"{stages.get('extract', {}).get('rows', 0):,} hourly rows in staging",
        f"  downloads     {summary.get('kpis', {}).get('day', {}).get('downloads_sum', 0):,} "
        "in the window",
        f"  daily files   {len(files)} under {Path(next(iter(files.values()))['path']).parent}"
        if files
        else "  daily files   none",
        "  tables        " + ", ".join(exported.get("tables", [])),
        "  required      " + ", ".join(exported.get("required_objects", {})),
        "  checks        "
        + ", ".join(f"{c['name']}={c['status']}" for c in summary.get("checks", [])),
        f"  report        {stages.get('charts', {}).get('report', 'none')}",
        f"  summary       {run_dir / 'summary.json'}",
    ]
    print("\n".join(lines))


def command_run(arguments: argparse.Namespace, settings: Settings) -> int:
    dates = run_dates(arguments, settings)
    params_file = Path(arguments.params).resolve()
    started = time.monotonic()
    with bigquery_for(settings) as clients:
        # Pre-flight: fail before anything is written when the source cannot serve the run.
        extract.check_source_schema(clients, settings)
        extract.require_source_days(clients, settings, dates.days())
        run_dir = new_run_dir(settings, dates)
        run_dir.mkdir(parents=True)
        LOGGER.info(
            "run %s: %s .. %s, window %s days",
            run_dir.name,
            dates.start,
            dates.end,
            dates.window_days,
        )
        execute_notebooks(params_file, dates, run_dir)
        record_stage(
            run_dir, "run", {"seconds": round(time.monotonic() - started, 1)}, status="success"
        )
    print_run_summary(run_dir, time.monotonic() - started)
    return 0


def command_check(arguments: argparse.Namespace, settings: Settings) -> int:
    from helpers.export import daily_file_path, mart_daily_downloads, read_daily_file

    day = parse_date(arguments.date, "--date")
    window = settings.window_days if arguments.window_days is None else arguments.window_days
    dates = validate_run_dates(day, day, window)
    with bigquery_for(settings) as clients:
        totals = extract.read_hour_totals(clients, settings, dates.window())
        results = checks.quality_checks(totals, dates.window(), settings.checks)
        staged = {d: n for d, n in checks.daily_downloads(totals).items() if d == day}
        if not daily_file_path(settings.data_dir, day).exists():
            raise checks.DataQualityError(f"daily file of {day} is missing: run the pipeline first")
        in_file = checks.daily_downloads(read_daily_file(settings.data_dir, day))
        results += [
            checks.check_reconciliation("staging_vs_daily_file", staged, in_file),
            checks.check_reconciliation(
                "staging_vs_mart", staged, mart_daily_downloads(clients, settings, [day])
            ),
        ]
    checks.enforce(results, "fail")
    print(f"all {len(results)} checks passed for {day}")
    return 0


def command_seed(arguments: argparse.Namespace, settings: Settings) -> int:
    if not settings.is_local:
        raise ConfigError("seed only applies to the local BigQuery (environment: local)")
    with bigquery_for(settings):
        pass
    return 0


def command_query(arguments: argparse.Namespace, settings: Settings) -> int:
    from helpers import bq

    with bigquery_for(settings) as clients:
        job = bq.run_query(clients, settings, arguments.sql, None, "cli-query")
        rows = job.result(max_results=arguments.max_rows)
        frame = rows.to_dataframe()
    with_pandas_display(frame)
    return 0


def with_pandas_display(frame) -> None:
    import pandas as pd

    with pd.option_context(
        "display.max_columns", 50, "display.width", shutil.get_terminal_size().columns
    ):
        print(frame.to_string(index=False) if len(frame) else "(no rows)")


COMMANDS = {
    "run": command_run,
    "check": command_check,
    "seed": command_seed,
    "query": command_query,
}


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    configure_logging()
    try:
        settings = load_settings(arguments.params)
        configure_logging(settings.environment)
        return COMMANDS[arguments.command](arguments, settings)
    except (*USER_ERRORS, StageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2 if isinstance(error, ConfigError | DateError) else 1
    except (GoogleAPIError, RequestException) as error:
        print(f"error: BigQuery request failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the local BigQuery was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
