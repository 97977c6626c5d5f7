"""Run summary: one JSON file per run under reports/, and the same facts in a BigQuery ledger."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

from helpers import bq
from helpers.clients import BigQueryClients
from helpers.config import Settings
from helpers.files import write_text_atomic
from helpers.schemas import bq_schema_from_arrow

LOGGER = logging.getLogger(__name__)

SUMMARY_FILE = "summary.json"
LEDGER_TABLE = "run_ledger"
LEDGER_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("run_date", pa.date32(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("finished_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("duration_seconds", pa.float64(), nullable=True),
        pa.field("rows", pa.int64(), nullable=True),
        pa.field("downloads", pa.int64(), nullable=True),
        pa.field("bytes_processed", pa.int64(), nullable=True),
        pa.field("details", pa.string(), nullable=True),
    ]
)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to the run summary")


def read_summary(run_dir: Path) -> dict:
    path = Path(run_dir) / SUMMARY_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"stages": {}}


def write_summary(run_dir: Path, summary: dict) -> Path:
    """Write the summary atomically (temporary file, then rename)."""
    text = json.dumps(summary, indent=2, sort_keys=True, default=_json_default)
    return write_text_atomic(Path(run_dir) / SUMMARY_FILE, text + "\n")


def record_stage(run_dir: Path, stage: str, facts: dict, **top_level: Any) -> dict:
    """Add one stage's facts (and top-level keys such as checks or KPIs) to the summary."""
    summary = read_summary(run_dir)
    summary.setdefault("stages", {})[stage] = facts
    for key, value in top_level.items():
        if isinstance(value, list) and isinstance(summary.get(key), list):
            summary[key] = summary[key] + value
        else:
            summary[key] = value
    write_summary(run_dir, summary)
    return summary


def ledger_row(run_id: str, run_date: dt.date, stage: str, facts: dict) -> dict:
    """A ledger row from a stage's facts."""
    return {
        "run_id": run_id,
        "run_date": run_date,
        "stage": stage,
        "status": facts.get("status", "success"),
        "finished_at": dt.datetime.now(dt.UTC),
        "duration_seconds": facts.get("seconds"),
        "rows": facts.get("rows"),
        "downloads": facts.get("downloads"),
        "bytes_processed": facts.get("bytes_processed"),
        "details": json.dumps(facts, sort_keys=True, default=_json_default),
    }


def append_ledger(
    clients: BigQueryClients,
    settings: Settings,
    run_id: str,
    run_date: dt.date,
    stage: str,
    facts: dict,
) -> None:
    """Append the stage's row to pypi_ops.run_ledger (a load job: free, no streaming buffer)."""
    table_id = settings.table(settings.ops_dataset, LEDGER_TABLE)
    bq.ensure_dataset(clients, f"{settings.project}.{settings.ops_dataset}", settings.location)
    bq.ensure_table(
        clients,
        table_id,
        bq_schema_from_arrow(LEDGER_SCHEMA),
        partition_field="run_date",
        description="One row per pipeline run and stage.",
    )
    row = pa.Table.from_pylist([ledger_row(run_id, run_date, stage, facts)], schema=LEDGER_SCHEMA)
    bq.load_arrow(clients, settings, row, table_id)
