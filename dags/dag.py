"""
### PyPI downloads: the daily pipeline

Each run processes **one UTC day**, its logical date `ds`, from
`bigquery-public-data.pypi.file_downloads` and `distribution_metadata`:

1. `wait_for_source_day` waits (sensor in *reschedule* mode, so it holds no worker slot)
   until the public table holds downloads after the end of `ds`: the day is complete.
2. `prepare_run_dir` creates this run's folder, `<reports>/<ds>/<run id>`.
3. `extract`, `transform`, `export`, `charts` run the four notebooks of `notebooks/` with
   Papermill, passing `ds` as `start_date` and `end_date`, the params file and the run
   folder; each executed notebook is kept in the run folder.
4. `check_data_quality` runs `main.py check --date ds` (staging vs daily file vs mart
   totals, NULL shares, share without metadata, source freshness) before the report.
5. `publish_outputs` copies the daily files this run wrote and its HTML report to Cloud
   Storage (`pypi_output_uri`, e.g. `gs://<data bucket>/pypi`), where other pipelines
   and readers find them; without that Variable they stay in the project's folders.
6. `check_run_lateness` alerts when the run ends after its deadline
   (`pypi_late_after_hours` hours after the end of `ds`, UTC).

Alerts go by mail (SMTP connection), to a chat webhook (HTTP connection) and to a
Pub/Sub topic, each enabled by an Airflow Variable; a channel that is not configured is
skipped with a warning. Task failures (after their retries) and failed runs (including a
run stopped by `dagrun_timeout`) are alerted.

#### When a day is missed
- **Catch-up.** `catchup=True`: after an outage (Composer down, DAG paused, sensor timed
  out), the scheduler creates the missing days' runs, oldest first. `max_active_runs=1`
  keeps them serial, because every run rebuilds the window tables (weekday weights,
  hourly profile, the two required objects) and the newest run must finish last.
- **Backfill.** A failed day is re-run by clearing its tasks in the UI, or a range with
  `airflow backfill create --dag-id pypi_downloads --from-date 2026-11-01
  --to-date 2026-11-07` (Airflow 3; `airflow dags backfill -s ... -e ...` on Airflow 2),
  or outside Airflow with `python main.py run --start ... --end ...`.
- **Late rows.** The public table can receive rows for a day after it was processed:
  `run.lookback_days` of the params file makes each run re-acquire the previous days too.
- **Idempotent per day.** A run replaces its day's staging and mart partitions and its
  daily file, so re-running a date gives the same result and never duplicates rows.

#### Configuration (Airflow Variables, all optional)
`pypi_project_root` (folder holding `main.py`, `notebooks/`, `params/`; in Composer, under
the bucket's `data/` folder), `pypi_params_file` (relative to the project root or
absolute), `pypi_reports_dir`, `pypi_python` (interpreter for `main.py`),
`pypi_kernel_name`, `pypi_output_uri`, `pypi_late_after_hours`,
`pypi_alert_emails` (comma-separated),
`pypi_smtp_conn_id`, `pypi_chat_conn_id`, `pypi_alert_topic`
(`projects/<project>/topics/<topic>`), `pypi_gcp_conn_id`. Credentials live in Airflow
connections (backed by Secret Manager in Composer), never in Variables or params.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import logging
import os
import re
import shlex

from airflow import __version__ as AIRFLOW_VERSION

try:  # Airflow 3: the Task SDK is the DAG authoring interface.
    from airflow.sdk import DAG, Variable
except ImportError:  # Airflow 2.10+
    from airflow.models.dag import DAG
    from airflow.models.variable import Variable
try:
    from airflow.sdk import CronDataIntervalTimetable, TriggerRule
except ImportError:  # Airflow 2.10+ and 3.0
    from airflow.timetables.interval import CronDataIntervalTimetable
    from airflow.utils.trigger_rule import TriggerRule
try:
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.providers.standard.sensors.python import PythonSensor
except ImportError:  # Airflow 2.10 without the standard provider
    from airflow.operators.bash import BashOperator
    from airflow.operators.python import PythonOperator
    from airflow.sensors.python import PythonSensor

# NOTE: importing the operator imports papermill, whose I/O layer also loads gcsfs and
# pyarrow.fs when they are installed (they are in Composer). That is the provider's parse
# cost; this file adds nothing heavier (no pandas, no BigQuery client, no network).
from airflow.providers.papermill.operators.papermill import PapermillOperator

LOGGER = logging.getLogger(__name__)

DAG_ID = "pypi_downloads"
# Runs at midnight UTC for the day that just ended: with data intervals, `ds` is that day.
SCHEDULE = CronDataIntervalTimetable("0 0 * * *", timezone="UTC")
START_DATE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
MAX_ACTIVE_RUNS = 1
DAGRUN_TIMEOUT = dt.timedelta(hours=18)
TAGS = ["pypi", "bigquery", "papermill"]

NOTEBOOKS = {
    "extract": ("01_extract.ipynb", dt.timedelta(hours=1)),
    "transform": ("02_transform.ipynb", dt.timedelta(minutes=30)),
    "export": ("03_export.ipynb", dt.timedelta(hours=1)),
    "charts": ("04_charts.ipynb", dt.timedelta(minutes=30)),
}
SENSOR_POKE_INTERVAL = dt.timedelta(minutes=20)
SENSOR_TIMEOUT = dt.timedelta(hours=12)
CHECK_TIMEOUT = dt.timedelta(minutes=30)
PUBLISH_TIMEOUT = dt.timedelta(minutes=30)
RETRIES = 2
RETRY_DELAY = dt.timedelta(minutes=5)
MAX_RETRY_DELAY = dt.timedelta(hours=1)


def _major_minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(re.match(r"\d+", minor)[0])


# Airflow 3.2 turned the back-off flag into a multiplier: True there would mean x1.
RETRY_BACKOFF = 2.0 if _major_minor(AIRFLOW_VERSION) >= (3, 2) else True

VAR_PROJECT_ROOT = "pypi_project_root"
VAR_PARAMS_FILE = "pypi_params_file"
VAR_REPORTS_DIR = "pypi_reports_dir"
VAR_PYTHON = "pypi_python"
VAR_KERNEL = "pypi_kernel_name"
VAR_OUTPUT_URI = "pypi_output_uri"
VAR_LATE_AFTER_HOURS = "pypi_late_after_hours"
VAR_ALERT_EMAILS = "pypi_alert_emails"
VAR_SMTP_CONN = "pypi_smtp_conn_id"
VAR_CHAT_CONN = "pypi_chat_conn_id"
VAR_ALERT_TOPIC = "pypi_alert_topic"
VAR_GCP_CONN = "pypi_gcp_conn_id"

# Composer mounts the environment bucket's data/ folder here on every worker.
DEFAULT_PROJECT_ROOT = "/home/airflow/gcs/data/pypi-downloads"
DEFAULT_PARAMS_FILE = "params/prod.yaml"
DEFAULT_KERNEL = "python3"
DEFAULT_PYTHON = "python3"
DEFAULT_LATE_AFTER_HOURS = 8.0
DEFAULT_SMTP_CONN = "smtp_default"
DEFAULT_GCP_CONN = "google_cloud_default"
ALERT_TEXT_LIMIT = 1500
# Cell outputs in the task log: an option of recent Papermill providers only (older ones,
# still found on Airflow 2 images, refuse unknown arguments).
PAPERMILL_OPTIONS = (
    {"log_output": True}
    if "log_output" in inspect.signature(PapermillOperator.__init__).parameters
    else {}
)


def _variable(name: str, default: str) -> str:
    """An Airflow Variable read at run time (never at parse time), with a default."""
    value = Variable.get(name, default)
    return str(value).strip() if value is not None else default


def project_root() -> str:
    return _variable(VAR_PROJECT_ROOT, DEFAULT_PROJECT_ROOT)


def project_path(relative: str) -> str:
    """A path of the project folder (notebooks/, main.py) on the worker."""
    return os.path.join(project_root(), relative)


def params_file() -> str:
    """The params YAML of the environment, as an absolute path."""
    return project_path(_variable(VAR_PARAMS_FILE, DEFAULT_PARAMS_FILE))


def run_dir(ds: str, run_id: str) -> str:
    """This run's folder: executed notebooks, summary, report; shared by the four notebooks."""
    # NOTE: the notebooks hand work files to the next one through this folder, so with
    # several workers it must be shared storage (in Composer, the mounted bucket is).
    reports = _variable(VAR_REPORTS_DIR, "") or project_path("reports")
    return os.path.join(reports, ds, re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id))


def pipeline_python() -> str:
    return _variable(VAR_PYTHON, DEFAULT_PYTHON)


def kernel_name() -> str:
    """The Jupyter kernel the notebooks run on (in Composer, the workers' python3)."""
    return _variable(VAR_KERNEL, DEFAULT_KERNEL)


MACROS = {
    "pypi_path": project_path,
    "pypi_params_file": params_file,
    "pypi_run_dir": run_dir,
    "pypi_python": pipeline_python,
    "pypi_kernel": kernel_name,
}
RUN_DIR = "{{ pypi_run_dir(ds, run_id) }}"
CHECK_COMMAND = (
    "{{ pypi_python() | sh }} {{ pypi_path('main.py') | sh }} check"
    " --date {{ ds }} --params {{ pypi_params_file() | sh }}"
)


def wait_for_source_day(params_file: str, day: str) -> bool:
    """Poke: True once file_downloads holds rows after the end of `day`."""
    from helpers.config import load_settings
    from helpers.freshness import source_day_complete

    return source_day_complete(load_settings(params_file), dt.date.fromisoformat(day))


def prepare_run_dir(path: str) -> str:
    """Create the run folder: Papermill writes executed notebooks only into existing ones."""
    os.makedirs(path, exist_ok=True)
    LOGGER.info("run folder %s", path)
    return path


def publish_outputs(run_dir: str, ds: str) -> list[str]:
    """Upload the run's daily files and report to Cloud Storage; objects are replaced whole."""
    output_uri = _variable(VAR_OUTPUT_URI, "")
    if not output_uri:
        LOGGER.warning("outputs not published: Variable %s is not set", VAR_OUTPUT_URI)
        return []
    match = re.fullmatch(r"gs://([^/]+)/?(.*)", output_uri)
    if not match:
        raise ValueError(f"{VAR_OUTPUT_URI}={output_uri!r} is not a gs://bucket/prefix URI")
    from airflow.providers.google.cloud.hooks.gcs import GCSHook

    from helpers.summary import read_summary

    summary = read_summary(run_dir)["stages"]
    files = [entry["path"] for entry in summary["export"]["files"].values()]
    bucket, prefix = match[1], match[2].strip("/")
    folder = f"{prefix}/" if prefix else ""
    uploads = {path: f"{folder}daily/{os.path.basename(path)}" for path in files}
    uploads[summary["charts"]["report"]] = f"{folder}reports/{ds}/report.html"
    hook = GCSHook(gcp_conn_id=_variable(VAR_GCP_CONN, DEFAULT_GCP_CONN))
    objects = []
    for path, name in sorted(uploads.items()):
        hook.upload(bucket_name=bucket, object_name=name, filename=path)
        objects.append(f"gs://{bucket}/{name}")
    LOGGER.info("published %d objects under gs://%s/%s", len(objects), bucket, prefix)
    return objects


def _alert_text(title: str, facts: dict[str, object]) -> str:
    lines = [title, *(f"{key}: {value}" for key, value in facts.items() if value is not None)]
    return "\n".join(lines)[:ALERT_TEXT_LIMIT]


def _send_mail(subject: str, text: str) -> None:
    recipients = [a.strip() for a in _variable(VAR_ALERT_EMAILS, "").split(",") if a.strip()]
    if not recipients:
        LOGGER.warning("alert mail skipped: Variable %s is not set", VAR_ALERT_EMAILS)
        return
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    # The sender address comes from the connection's `from_email` extra.
    with SmtpHook(smtp_conn_id=_variable(VAR_SMTP_CONN, DEFAULT_SMTP_CONN)) as hook:
        hook.send_email_smtp(to=recipients, subject=subject, html_content=f"<pre>{text}</pre>")


def _send_chat(text: str) -> None:
    conn_id = _variable(VAR_CHAT_CONN, "")
    if not conn_id:
        LOGGER.warning("chat alert skipped: Variable %s is not set", VAR_CHAT_CONN)
        return
    from airflow.providers.http.hooks.http import HttpHook

    # The connection's host holds the whole webhook URL (Google Chat, Teams or Slack).
    HttpHook(method="POST", http_conn_id=conn_id).run(json={"text": text})


def _publish(kind: str, facts: dict[str, object]) -> None:
    topic = _variable(VAR_ALERT_TOPIC, "")
    if not topic:
        LOGGER.warning("Pub/Sub alert skipped: Variable %s is not set", VAR_ALERT_TOPIC)
        return
    match = re.fullmatch(r"projects/([^/]+)/topics/([^/]+)", topic)
    if not match:
        LOGGER.warning(
            "Pub/Sub alert skipped: %s=%r is not projects/P/topics/T", VAR_ALERT_TOPIC, topic
        )
        return
    from airflow.providers.google.cloud.hooks.pubsub import PubSubHook

    message = {
        "data": json.dumps({"kind": kind, **facts}, default=str).encode(),
        "attributes": {"dag_id": DAG_ID, "kind": kind},
    }
    hook = PubSubHook(gcp_conn_id=_variable(VAR_GCP_CONN, DEFAULT_GCP_CONN))
    hook.publish(project_id=match[1], topic=match[2], messages=[message])


def send_alert(kind: str, title: str, facts: dict[str, object]) -> None:
    """Send an alert on every configured channel; a failing channel never raises."""
    text = _alert_text(title, facts)
    LOGGER.warning("alert %s: %s", kind, text.replace("\n", " | "))
    channels = {
        "mail": lambda: _send_mail(f"[{DAG_ID}] {title}", text),
        "chat": lambda: _send_chat(text),
        "pubsub": lambda: _publish(kind, facts),
    }
    for name, send in channels.items():
        try:
            send()
        except Exception:
            LOGGER.warning("alert channel %s failed", name, exc_info=True)


def _run_facts(context: dict) -> dict[str, object]:
    dag_run = context.get("dag_run")
    task_instance = context.get("task_instance") or context.get("ti")
    return {
        "dag": DAG_ID,
        "day": context.get("ds"),
        "run_id": getattr(dag_run, "run_id", None),
        "task": getattr(task_instance, "task_id", None),
        "try": getattr(task_instance, "try_number", None),
        "reason": context.get("reason"),
        "error": repr(context["exception"]) if context.get("exception") else None,
        "log": getattr(task_instance, "log_url", None),
    }


def notify_failure(context: dict) -> None:
    """on_failure_callback of the tasks (after their retries) and of the DAG run."""
    facts = _run_facts(context)
    where = f"task {facts['task']}" if facts["task"] else "run"
    send_alert("failure", f"{where} failed for {facts['day']}", facts)


def check_run_lateness(**context) -> bool:
    """Alert when the run finished after its deadline; never fails the run.

    Airflow 3 has no SLAs, and its deadline alerts do not exist on Airflow 2: this task is
    the late-run alert on both. A run stuck before this task is caught by
    `dagrun_timeout` (the run fails, and the failure is alerted).
    """
    hours = float(_variable(VAR_LATE_AFTER_HOURS, str(DEFAULT_LATE_AFTER_HOURS)))
    deadline = context["data_interval_end"] + dt.timedelta(hours=hours)
    now = dt.datetime.now(dt.UTC)
    late = now > deadline
    run_type = str(getattr(context.get("dag_run"), "run_type", ""))
    if not late:
        LOGGER.info("run finished before its deadline %s", deadline.isoformat())
    elif "backfill" in run_type or now - deadline > dt.timedelta(days=1):
        # A backfill or a catch-up after an outage: every run is late, one alert per day
        # would bury the failure alerts that explained the outage.
        LOGGER.warning("run for %s is past its deadline (catch-up, not alerted)", context["ds"])
    else:
        facts = {**_run_facts(context), "deadline": deadline.isoformat(), "now": now.isoformat()}
        send_alert("late", f"run for {context['ds']} finished late", facts)
    return late


default_args = {
    "owner": "data-engineering",
    "retries": RETRIES,
    "retry_delay": RETRY_DELAY,
    "retry_exponential_backoff": RETRY_BACKOFF,
    "max_retry_delay": MAX_RETRY_DELAY,
    "on_failure_callback": notify_failure,
}

with DAG(
    dag_id=DAG_ID,
    description="Daily PyPI downloads KPIs: staging, mart tables, daily file, HTML report",
    doc_md=__doc__,
    schedule=SCHEDULE,
    start_date=START_DATE,
    catchup=True,
    max_active_runs=MAX_ACTIVE_RUNS,
    dagrun_timeout=DAGRUN_TIMEOUT,
    default_args=default_args,
    on_failure_callback=notify_failure,
    user_defined_macros=MACROS,
    user_defined_filters={"sh": shlex.quote},
    tags=TAGS,
) as dag:
    wait_for_source = PythonSensor(
        task_id="wait_for_source_day",
        python_callable=wait_for_source_day,
        op_kwargs={"params_file": "{{ pypi_params_file() }}", "day": "{{ ds }}"},
        mode="reschedule",
        poke_interval=SENSOR_POKE_INTERVAL,
        timeout=SENSOR_TIMEOUT,
        execution_timeout=dt.timedelta(minutes=10),
    )
    open_run = PythonOperator(
        task_id="prepare_run_dir",
        python_callable=prepare_run_dir,
        op_kwargs={"path": RUN_DIR},
        execution_timeout=dt.timedelta(minutes=5),
    )
    # NOTE: the operator has no `cwd`: kernels start in the worker's working directory, so
    # every path passed to the notebooks is absolute.
    notebooks = {
        stage: PapermillOperator(
            task_id=stage,
            input_nb=f"{{{{ pypi_path('notebooks/{notebook}') }}}}",
            output_nb=f"{RUN_DIR}/{notebook}",
            parameters={
                "start_date": "{{ ds }}",
                "end_date": "{{ ds }}",
                "params_file": "{{ pypi_params_file() }}",
                "run_dir": RUN_DIR,
            },
            kernel_name="{{ pypi_kernel() }}",
            **PAPERMILL_OPTIONS,
            execution_timeout=timeout,
        )
        for stage, (notebook, timeout) in NOTEBOOKS.items()
    }
    check_quality = BashOperator(
        task_id="check_data_quality",
        bash_command=CHECK_COMMAND,
        retries=1,
        execution_timeout=CHECK_TIMEOUT,
    )
    publish = PythonOperator(
        task_id="publish_outputs",
        python_callable=publish_outputs,
        op_kwargs={"run_dir": RUN_DIR, "ds": "{{ ds }}"},
        execution_timeout=PUBLISH_TIMEOUT,
    )
    check_lateness = PythonOperator(
        task_id="check_run_lateness",
        python_callable=check_run_lateness,
        trigger_rule=TriggerRule.ALL_SUCCESS,
        retries=0,
        execution_timeout=dt.timedelta(minutes=5),
    )

    (
        wait_for_source
        >> open_run
        >> notebooks["extract"]
        >> notebooks["transform"]
        >> notebooks["export"]
        >> check_quality
        >> notebooks["charts"]
        >> publish
        >> check_lateness
    )
