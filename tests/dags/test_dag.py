"""The Airflow DAG in a real Airflow 3, driven through .airflow-venv subprocesses.

Airflow pins its own versions of many libraries, so it lives in its own virtual
environment (`scripts/install_airflow.sh`, run by `make test`) and is never imported in
this process. The notebooks run on the kernel `pypi-pipeline`, which is this project's
.venv, as Composer runs them on its workers' Python.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from helpers.clients import make_clients
from helpers.config import load_settings
from helpers.emulator import GRPC_ENV, REST_ENV, LocalBigQuery, exported_environment
from helpers.export import daily_file_path
from helpers.seed import seed_replica
from tests.conftest import write_params

pytestmark = pytest.mark.airflow

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_VENV = ROOT / ".airflow-venv"
AIRFLOW_PYTHON = AIRFLOW_VENV / "bin" / "python"
AIRFLOW_CLI = AIRFLOW_VENV / "bin" / "airflow"
DAG_ID = "pypi_downloads"
KERNEL = "pypi-pipeline"
# A fixed past day, complete in the replica (which ends the day after it).
RUN_DATE = dt.date(2026, 11, 20)
REPLICA = {
    "seed": 11,
    "days": 17,
    "downloads_per_day": 3000,
    "last_day": (RUN_DATE + dt.timedelta(days=1)).isoformat(),
    "projects": 50,
}
# Airflow's own parse limit (core.dagbag_import_timeout) is 30 s; a DAG file should stay
# far below it even on a busy 2-core machine.
IMPORT_BUDGET_SECONDS = 15.0
FAILED_STATES = ("up_for_retry", "failed", "upstream_failed")
HEAVY_MODULES = ("pandas", "google.cloud.bigquery", "google.cloud.bigquery_storage")
EXPECTED_ORDER = [
    "wait_for_source_day",
    "prepare_run_dir",
    "extract",
    "transform",
    "export",
    "check_data_quality",
    "charts",
    "publish_outputs",
    "check_run_lateness",
]
DAYS = ("2026-11-18", "2026-11-19", "2026-11-20")
NOTEBOOKS = {
    "extract": "01_extract.ipynb",
    "transform": "02_transform.ipynb",
    "export": "03_export.ipynb",
    "charts": "04_charts.ipynb",
}

# Runs in the Airflow venv: loads the DAG folder and dumps what the tests check as JSON.
INSPECT_DAG = textwrap.dedent(
    """
    import json, sys
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:
        from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=sys.argv[1])
    dag = bag.dags.get(sys.argv[2])
    facts = {"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()}}
    if dag is not None:
        def seconds(value):
            return value.total_seconds() if value is not None else None

        facts["dag"] = {
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "dagrun_timeout": seconds(dag.dagrun_timeout),
            "on_failure_callback": bool(dag.on_failure_callback),
            "timetable": type(dag.timetable).__name__,
            "cron": getattr(dag.timetable, "expression", None)
            or getattr(dag.timetable, "summary", None),
            "start_date": dag.start_date.isoformat() if dag.start_date else None,
            "doc_md": dag.doc_md or "",
        }
        facts["tasks"] = {
            task.task_id: {
                "type": type(task).__name__,
                "upstream": sorted(task.upstream_task_ids),
                "retries": task.retries,
                "retry_delay": seconds(task.retry_delay),
                "retry_exponential_backoff": float(task.retry_exponential_backoff),
                "execution_timeout": seconds(task.execution_timeout),
                "on_failure_callback": bool(task.on_failure_callback),
                "mode": getattr(task, "mode", None),
                "timeout": getattr(task, "timeout", None),
                "op_kwargs": getattr(task, "op_kwargs", None),
                "input_nb": getattr(task, "input_nb", None),
                "output_nb": getattr(task, "output_nb", None),
                "parameters": getattr(task, "parameters", None),
                "kernel_name": getattr(task, "kernel_name", None),
                "bash_command": getattr(task, "bash_command", None),
            }
            for task in dag.tasks
        }
    with open(sys.argv[3], "w") as out:
        json.dump(facts, out, default=str)
    """
)

# Runs in the Airflow venv: the DAG file's own import time and the modules it left loaded.
MEASURE_IMPORT = textwrap.dedent(
    """
    import importlib.util, json, sys, time
    import airflow  # the interpreter and Airflow itself are not the DAG file's cost

    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location("pypi_dag", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seconds = time.perf_counter() - started
    with open(sys.argv[2], "w") as out:
        json.dump({"seconds": seconds, "modules": sorted(sys.modules)}, out)
    """
)

# Runs in the Airflow venv: the failure callback with no alert channel configured.
CALL_CALLBACKS = textwrap.dedent(
    """
    import importlib.util, sys

    spec = importlib.util.spec_from_file_location("pypi_dag", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.notify_failure({"ds": "2026-11-20", "reason": "task_failure"})
    module.send_alert("late", "a test alert", {"day": "2026-11-20"})
    print("callbacks returned")
    """
)

# Runs in the Airflow venv: publish_outputs with a stand-in GCSHook that records uploads.
CALL_PUBLISH = textwrap.dedent(
    """
    import importlib.util, json, sys, types

    uploads = []

    class RecordingGCSHook:
        def __init__(self, gcp_conn_id):
            self.gcp_conn_id = gcp_conn_id

        def upload(self, bucket_name, object_name, filename):
            uploads.append([self.gcp_conn_id, bucket_name, object_name, filename])

    stand_in = types.ModuleType("airflow.providers.google.cloud.hooks.gcs")
    stand_in.GCSHook = RecordingGCSHook
    sys.modules[stand_in.__name__] = stand_in
    spec = importlib.util.spec_from_file_location("pypi_dag", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    objects = module.publish_outputs(sys.argv[2], "2026-11-20")
    with open(sys.argv[3], "w") as out:
        json.dump({"objects": objects, "uploads": uploads}, out)
    """
)


def airflow_environment(home: Path, **extra: str) -> dict[str, str]:
    """The environment of an Airflow subprocess: its own home, no examples, our DAG folder."""
    environment = {k: v for k, v in os.environ.items() if k not in (REST_ENV, GRPC_ENV)}
    environment.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        PYTHONWARNINGS="ignore",
    )
    environment.update(extra)
    return environment


def log_tail(log: Path, lines: int = 80) -> str:
    """The end of a subprocess log, without the scheduler's idle-loop lines."""
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join([line for line in text if "No tasks to run" not in line][-lines:])


def run_in_airflow(
    arguments: list[str], environment: dict[str, str], log: Path, timeout: float
) -> subprocess.CompletedProcess:
    """Run a command of the Airflow venv, its output kept in `log` and shown on failure."""
    with log.open("w", encoding="utf-8") as out:
        completed = subprocess.run(
            arguments,
            env=environment,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if completed.returncode != 0:
        pytest.fail(f"{' '.join(arguments[1:4])} exited {completed.returncode}:\n{log_tail(log)}")
    return completed


def run_dag_test(arguments: list[str], environment: dict[str, str], log: Path, timeout: float):
    """`airflow dags test`, stopped at the first failed task instead of waiting its retries.

    `dags test` honours the tasks' retries and their delays (5 minutes, then 10), so a
    broken task would keep the test waiting; the first failure is reported at once.
    """
    deadline = time.monotonic() + timeout
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            arguments, env=environment, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            while process.poll() is None:
                text = log.read_text(encoding="utf-8", errors="replace")
                failed = [state for state in FAILED_STATES if f"new_state={state}" in text]
                if failed or time.monotonic() > deadline:
                    time.sleep(2)  # let the task's traceback reach the log
                    reason = f"a task went {failed[0]}" if failed else f"no end after {timeout} s"
                    pytest.fail(f"airflow dags test: {reason}:\n{log_tail(log)}")
                time.sleep(2)
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(30)
    assert process.returncode == 0, log_tail(log)


@pytest.fixture(scope="module")
def airflow_python() -> Path:
    if not AIRFLOW_PYTHON.exists():
        pytest.skip("Airflow is not installed: run `bash scripts/install_airflow.sh`")
    return AIRFLOW_PYTHON


@pytest.fixture(scope="module")
def dag_facts(airflow_python, tmp_path_factory) -> dict:
    """What DagBag loaded from dags/, read once for the structure tests."""
    folder = tmp_path_factory.mktemp("dagbag")
    output = folder / "facts.json"
    run_in_airflow(
        [str(airflow_python), "-c", INSPECT_DAG, str(ROOT / "dags"), DAG_ID, str(output)],
        airflow_environment(folder / "airflow"),
        folder / "dagbag.log",
        timeout=300,
    )
    return json.loads(output.read_text(encoding="utf-8"))


def test_dagbag_imports_dag_without_errors(dag_facts):
    assert dag_facts["import_errors"] == {}
    assert "dag" in dag_facts, f"DAG {DAG_ID} not found in dags/"


def test_dag_tasks_run_in_documented_order(dag_facts):
    tasks = dag_facts["tasks"]
    assert set(tasks) == set(EXPECTED_ORDER)
    for previous, task_id in itertools.pairwise(EXPECTED_ORDER):
        assert tasks[task_id]["upstream"] == [previous], task_id
    assert tasks[EXPECTED_ORDER[0]]["upstream"] == []


def test_dag_schedule_catchup_and_run_limits(dag_facts):
    dag = dag_facts["dag"]
    assert dag["timetable"] == "CronDataIntervalTimetable"
    assert dag["cron"] == "0 0 * * *"
    assert dag["start_date"].startswith("2026-11-01T00:00:00")
    assert dag["catchup"] is True
    assert dag["max_active_runs"] == 1
    assert dag["dagrun_timeout"] == dt.timedelta(hours=18).total_seconds()
    assert dag["on_failure_callback"] is True


def test_dag_tasks_have_retries_backoff_timeouts_and_callbacks(dag_facts):
    for task_id, task in dag_facts["tasks"].items():
        assert task["execution_timeout"], f"{task_id} has no execution_timeout"
        assert task["on_failure_callback"], f"{task_id} has no on_failure_callback"
    for task_id in NOTEBOOKS:
        task = dag_facts["tasks"][task_id]
        assert task["retries"] == 2
        assert task["retry_delay"] == 300
        assert task["retry_exponential_backoff"] > 1, "retries must back off exponentially"
    assert dag_facts["tasks"]["check_data_quality"]["retries"] == 1


def test_sensor_waits_for_the_source_day_in_reschedule_mode(dag_facts):
    sensor = dag_facts["tasks"]["wait_for_source_day"]
    assert sensor["type"] == "PythonSensor"
    assert sensor["mode"] == "reschedule"
    assert sensor["timeout"] == dt.timedelta(hours=12).total_seconds()
    assert sensor["op_kwargs"]["day"] == "{{ ds }}"


@pytest.mark.parametrize("task_id", sorted(NOTEBOOKS))
def test_papermill_tasks_pass_ds_params_file_and_run_dir(dag_facts, task_id):
    task = dag_facts["tasks"][task_id]
    run_dir = "{{ pypi_run_dir(ds, run_id) }}"
    assert task["type"] == "PapermillOperator"
    assert task["parameters"] == {
        "start_date": "{{ ds }}",
        "end_date": "{{ ds }}",
        "params_file": "{{ pypi_params_file() }}",
        "run_dir": run_dir,
    }
    assert task["input_nb"] == f"{{{{ pypi_path('notebooks/{NOTEBOOKS[task_id]}') }}}}"
    assert task["output_nb"] == f"{run_dir}/{NOTEBOOKS[task_id]}"
    assert task["kernel_name"] == "{{ pypi_kernel() }}"


def test_quality_check_runs_main_check_for_ds(dag_facts):
    command = dag_facts["tasks"]["check_data_quality"]["bash_command"]
    assert "main.py" in command
    assert "check --date {{ ds }} --params" in command


def test_dag_doc_explains_missed_days_and_recovery(dag_facts):
    doc = dag_facts["dag"]["doc_md"]
    for words in ("catchup", "max_active_runs", "backfill", "lookback_days", "Idempotent"):
        assert words in doc, words


def test_dag_import_is_fast_and_loads_nothing_heavy(airflow_python, tmp_path):
    environment = airflow_environment(tmp_path / "airflow")
    output = tmp_path / "import.json"
    measure = [str(airflow_python), "-c", MEASURE_IMPORT, str(ROOT / "dags" / "dag.py")]
    # A first import compiles the providers' bytecode; the second one is measured.
    for _ in range(2):
        run_in_airflow([*measure, str(output)], environment, tmp_path / "import.log", 300)
    measured = json.loads(output.read_text(encoding="utf-8"))
    assert measured["seconds"] < IMPORT_BUDGET_SECONDS
    loaded = set(measured["modules"])
    assert not loaded & set(HEAVY_MODULES), sorted(loaded & set(HEAVY_MODULES))


def test_alert_callbacks_do_not_raise_when_no_channel_is_configured(airflow_python, tmp_path):
    log = tmp_path / "callbacks.log"
    run_in_airflow(
        [str(airflow_python), "-c", CALL_CALLBACKS, str(ROOT / "dags" / "dag.py")],
        airflow_environment(tmp_path / "airflow"),
        log,
        timeout=300,
    )
    output = log.read_text(encoding="utf-8")
    assert "callbacks returned" in output
    for skipped in ("alert mail skipped", "chat alert skipped", "Pub/Sub alert skipped"):
        assert skipped in output


def test_publish_outputs_uploads_daily_files_and_report(airflow_python, tmp_path):
    run_dir = tmp_path / "reports" / "2026-11-20" / "run"
    run_dir.mkdir(parents=True)
    daily = {day: str(tmp_path / "data" / f"pypi_downloads_{day}.parquet") for day in DAYS}
    report = str(run_dir / "report.html")
    stages = {"export": {"files": {d: {"path": p} for d, p in daily.items()}}}
    stages["charts"] = {"report": report}
    (run_dir / "summary.json").write_text(json.dumps({"stages": stages}), encoding="utf-8")
    output = tmp_path / "published.json"
    environment = airflow_environment(
        tmp_path / "airflow",
        AIRFLOW_VAR_PYPI_OUTPUT_URI="gs://pypi-data/exports/",
        AIRFLOW_VAR_PYPI_GCP_CONN_ID="gcp_pipeline",
    )
    script = [str(airflow_python), "-c", CALL_PUBLISH, str(ROOT / "dags" / "dag.py")]
    run_in_airflow([*script, str(run_dir), str(output)], environment, tmp_path / "p.log", 300)
    published = json.loads(output.read_text(encoding="utf-8"))
    assert published["uploads"] == [
        ["gcp_pipeline", "pypi-data", f"exports/daily/pypi_downloads_{day}.parquet", path]
        for day, path in daily.items()
    ] + [["gcp_pipeline", "pypi-data", "exports/reports/2026-11-20/report.html", report]]
    assert published["objects"][-1] == "gs://pypi-data/exports/reports/2026-11-20/report.html"


def dag_run_task_states(environment: dict[str, str], folder: Path) -> dict[str, str]:
    """The states of the tasks of the DAG's only run, read with the Airflow CLI."""
    cli = str(AIRFLOW_CLI)
    run_in_airflow(
        [cli, "dags", "list-runs", DAG_ID, "--output", "json"],
        environment,
        folder / "runs.json",
        timeout=300,
    )
    (run,) = json.loads((folder / "runs.json").read_text(encoding="utf-8"))
    run_in_airflow(
        [cli, "tasks", "states-for-dag-run", DAG_ID, run["run_id"], "--output", "json"],
        environment,
        folder / "states.json",
        timeout=300,
    )
    states = json.loads((folder / "states.json").read_text(encoding="utf-8"))
    return {row["task_id"]: row["state"] for row in states}


def test_dag_runs_one_day_end_to_end_on_the_local_bigquery(airflow_python, tmp_path):
    params_file = write_params(tmp_path, replica=REPLICA)
    settings = load_settings(params_file)
    emulator = LocalBigQuery(None, tmp_path / "emulator.log", 120)
    with emulator, exported_environment(emulator.environ()):
        seed_replica(settings, make_clients(settings), settings.emulator.replica_dir)
        environment = airflow_environment(
            tmp_path / "airflow",
            **emulator.environ(),
            AIRFLOW_VAR_PYPI_PROJECT_ROOT=str(ROOT),
            AIRFLOW_VAR_PYPI_PARAMS_FILE=str(params_file),
            AIRFLOW_VAR_PYPI_REPORTS_DIR=str(settings.reports_dir),
            AIRFLOW_VAR_PYPI_PYTHON=str(ROOT / ".venv" / "bin" / "python"),
            AIRFLOW_VAR_PYPI_KERNEL_NAME=KERNEL,
        )
        cli = str(AIRFLOW_CLI)
        run_in_airflow([cli, "db", "migrate"], environment, tmp_path / "migrate.log", 600)
        run_dag_test(
            [cli, "dags", "test", DAG_ID, RUN_DATE.isoformat()],
            environment,
            tmp_path / "dags-test.log",
            timeout=1800,
        )
        states = dag_run_task_states(environment, tmp_path)

    assert states == dict.fromkeys(EXPECTED_ORDER, "success")
    assert daily_file_path(settings.data_dir, RUN_DATE).is_file()
    (run_dir,) = (settings.reports_dir / RUN_DATE.isoformat()).iterdir()
    for notebook in NOTEBOOKS.values():
        assert (run_dir / notebook).is_file(), notebook
    assert (run_dir / "report.html").is_file()
    log = (tmp_path / "dags-test.log").read_text(encoding="utf-8", errors="replace")
    assert "all " in log and f"checks passed for {RUN_DATE}" in log
