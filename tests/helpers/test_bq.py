"""Tests of the BigQuery job layer: parameters, job configs, SQL rendering and golden SQL.

The golden tests read every SQL file shipped under helpers/sql and check what the code
passes to it; the emulator tests run a query and read a table back through Storage Read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import string
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pytest
from google.cloud import bigquery

from helpers import bq, export, extract
from helpers.clients import make_clients
from helpers.config import load_settings
from helpers.schemas import source_schema

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = load_settings(ROOT / "params" / "local.yaml")
SQL_DIR = resources.files("helpers").joinpath("sql")
SQL_NAMES = sorted(
    str(path.relative_to(Path(str(SQL_DIR)))).removesuffix(".sql")
    for path in Path(str(SQL_DIR)).rglob("*.sql")
)
# A valid value for every placeholder the SQL files use.
PLACEHOLDER_VALUES = {
    "downloads_table": "src-project.pypi.file_downloads",
    "metadata_table": "src-project.pypi.distribution_metadata",
    "target_table": "my-project.mart.target",
    "work_table": "my-project.mart.work",
    "columns": "hour, project, downloads",
    "day_column": "hour",
}
# Named parameters of each SQL file, as the README and the code agree on them.
EXPECTED_PARAMETERS = {
    "extract/hourly_downloads": {"day", "projects"},
    "extract/source_days": {"first", "last"},
    "extract/source_freshness": {"day"},
    "export/last_download_per_country_project_day": {"first_day", "last_day", "projects"},
    "export/download_intervals": {"first_day", "last_day", "projects"},
    "replace_days": set(),
}
PARAMETER = re.compile(r"@(\w+)")
DAY = dt.date(2026, 11, 20)


def sql_text(name: str) -> str:
    return SQL_DIR.joinpath(f"{name}.sql").read_text(encoding="utf-8")


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def render(name: str) -> str:
    values = {key: PLACEHOLDER_VALUES[key] for key in placeholders(sql_text(name))}
    return bq.render_sql(name, **values)


def code_lines(sql: str) -> str:
    """The SQL without its `--` comments (no SQL file holds `--` inside a string)."""
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def comments(sql: str) -> list[str]:
    return [line.split("--", 1)[1] for line in sql.splitlines() if "--" in line]


def parameters_in(sql: str) -> set[str]:
    return set(PARAMETER.findall(code_lines(sql)))


def type_of(parameter) -> str:
    if isinstance(parameter, bigquery.ArrayQueryParameter):
        return f"ARRAY<{parameter.array_type}>"
    return parameter.type_


# --- query_parameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2026, 11, 20), "DATE"),
        (dt.datetime(2026, 11, 20, 13, 5, tzinfo=dt.UTC), "TIMESTAMP"),  # a date subclass
        (42, "INT64"),
        (0, "INT64"),
        (True, "BOOL"),  # an int subclass: must not become INT64
        (False, "BOOL"),
        (0.25, "FLOAT64"),
        ("pandas", "STRING"),
        (["pandas", "numpy"], "ARRAY<STRING>"),
        (("a",), "ARRAY<STRING>"),
        ([], "ARRAY<STRING>"),
        ([dt.date(2026, 11, 20)], "ARRAY<DATE>"),
        ([1, 2], "ARRAY<INT64>"),
    ],
)
def test_query_parameters_types(value, expected):
    # Act
    (parameter,) = bq.query_parameters({"p": value})

    # Assert
    assert parameter.name == "p"
    assert type_of(parameter) == expected


def test_query_parameters_values_and_order():
    values = {"day": DAY, "projects": ("pandas",), "limit": 3}

    parameters = bq.query_parameters(values)

    assert [p.name for p in parameters] == ["day", "projects", "limit"]
    assert parameters[0].value == DAY
    assert parameters[1].values == ["pandas"]  # a tuple becomes a list
    assert parameters[2].value == 3


def test_query_parameters_empty_array_api_repr():
    (parameter,) = bq.query_parameters({"projects": []})

    assert parameter.to_api_repr()["parameterType"] == {
        "type": "ARRAY",
        "arrayType": {"type": "STRING"},
    }


@pytest.mark.parametrize("value", [None, {"a": 1}, b"bytes", object()])
def test_query_parameters_unsupported(value):
    with pytest.raises(TypeError, match="unsupported query parameter value"):
        bq.query_parameters({"p": value})


def test_query_parameters_empty_mapping():
    assert bq.query_parameters({}) == []


# --- query_config / load_config -----------------------------------------------------------


@pytest.mark.parametrize("dry_run", [False, True])
def test_query_config_cost_cap_labels_and_flags(dry_run):
    settings = dataclasses.replace(SETTINGS, maximum_bytes_billed=123_456)

    config = bq.query_config(settings, {"day": DAY}, dry_run=dry_run)

    assert config.maximum_bytes_billed == 123_456
    assert config.labels == {"app": "pypi-downloads-pipeline"}
    assert config.dry_run is dry_run
    assert config.use_query_cache is (not dry_run)
    assert [type_of(p) for p in config.query_parameters] == ["DATE"]


def test_query_config_without_parameters():
    config = bq.query_config(SETTINGS)

    assert config.query_parameters == []
    assert config.dry_run is False
    assert config.maximum_bytes_billed == SETTINGS.maximum_bytes_billed


def test_load_config_parquet_with_labels():
    schema = [bigquery.SchemaField("n", "INTEGER")]

    config = bq.load_config(SETTINGS, schema, bigquery.WriteDisposition.WRITE_TRUNCATE)

    assert config.source_format == bigquery.SourceFormat.PARQUET
    assert config.parquet_options.enable_list_inference is True
    assert config.labels == {"app": "pypi-downloads-pipeline"}
    assert config.write_disposition == bigquery.WriteDisposition.WRITE_TRUNCATE
    assert [field.name for field in config.schema] == ["n"]


# --- render_sql -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "x`; DROP TABLE y; --",
        "p.d.t`; DELETE FROM `p.d.u",
        "p.d",  # two parts: not a table id
        "p.d.t.u",
        "p.d.t --",
        "hour; DROP TABLE y",
        "hour,project",  # columns are joined by ", " exactly
        "",
    ],
)
def test_render_sql_rejects_injected_identifier(value):
    with pytest.raises(ValueError, match="is neither a table id nor a column list"):
        bq.render_sql("extract/source_freshness", downloads_table=value)


@pytest.mark.parametrize(
    "value",
    [
        "bigquery-public-data.pypi.file_downloads",
        "my_project.my_dataset.my_table",
        "p-1.d_2.t$20261120",
    ],
)
def test_render_sql_accepts_valid_ids(value):
    sql = bq.render_sql("extract/source_freshness", downloads_table=value)

    assert f"FROM `{value}`" in sql


def test_render_sql_accepts_column_list():
    sql = bq.render_sql(
        "replace_days",
        target_table="p.d.t",
        work_table="p.d.w",
        columns="hour, project",
        day_column="hour",
    )

    assert "INSERT INTO `p.d.t` (hour, project)" in sql
    assert "SELECT hour, project\nFROM `p.d.w`" in sql


def test_load_sql_unknown_name():
    with pytest.raises(FileNotFoundError, match=r"no SQL file named nope\.sql"):
        bq.load_sql("nope")


# --- golden SQL -------------------------------------------------------------------------


def test_load_sql_every_file_is_known():
    assert set(SQL_NAMES) == set(EXPECTED_PARAMETERS)


@pytest.mark.parametrize("name", SQL_NAMES)
def test_render_sql_every_file_renders(name):
    sql = render(name)

    assert "{" not in sql and "}" not in sql
    for table in ("downloads_table", "metadata_table", "target_table", "work_table"):
        if table in placeholders(sql_text(name)):
            assert f"`{PLACEHOLDER_VALUES[table]}`" in sql


@pytest.mark.parametrize("name", SQL_NAMES)
def test_render_sql_parameters_are_named(name):
    code = code_lines(render(name))

    assert parameters_in(code) == EXPECTED_PARAMETERS[name]
    assert "?" not in code  # no positional parameters


@pytest.mark.parametrize("name", SQL_NAMES)
def test_load_sql_no_at_sign_in_comments(name):
    # The emulator counts `@name` inside comments as parameters: keep comments free of `@`.
    offending = [text for text in comments(sql_text(name)) if "@" in text]

    assert offending == []


@pytest.mark.parametrize("name", SQL_NAMES)
def test_load_sql_never_selects_star(name):
    code = code_lines(sql_text(name))

    assert not re.search(r"SELECT\s+(DISTINCT\s+)?\*", code, re.IGNORECASE)
    assert not re.search(r"\w\.\*", code)


class _Recorder:
    """Stands in for bq.run_query / bq.estimate_bytes: records the SQL and the parameters."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []

    def run_query(self, clients, settings, sql, parameters=None, label="query"):
        self.calls.append((sql, dict(parameters or {})))
        row = SimpleNamespace(day=DAY, downloads=1, newest=None, n=0)
        return SimpleNamespace(result=lambda: [row])

    def estimate_bytes(self, clients, settings, sql, parameters):
        self.calls.append((sql, dict(parameters)))
        return 0


FAKE_CLIENTS = SimpleNamespace(
    bigquery=SimpleNamespace(
        get_table=lambda table_id: SimpleNamespace(
            num_rows=0, schema=[bigquery.SchemaField("day", "DATE")]
        ),
        create_table=lambda table, exists_ok: table,
        delete_table=lambda table_id, not_found_ok: None,
    )
)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("extract/hourly_downloads", lambda s: extract.guard_cost(FAKE_CLIENTS, s, DAY)),
        ("extract/source_days", lambda s: extract.source_days(FAKE_CLIENTS, s, [DAY])),
        ("extract/source_freshness", lambda s: extract.source_newest(FAKE_CLIENTS, s, DAY)),
        (
            "export/last_download_per_country_project_day",
            lambda s: export.build_required_objects(FAKE_CLIENTS, s, DAY, DAY),
        ),
        (
            "export/download_intervals",
            lambda s: export.build_required_objects(FAKE_CLIENTS, s, DAY, DAY),
        ),
        (
            "replace_days",
            lambda s: bq.replace_days(FAKE_CLIENTS, s, "p.d.target", "p.d.work", ["hour"], "hour"),
        ),
    ],
)
def test_query_parameters_match_each_sql_file(monkeypatch, name, call):
    # Arrange
    recorder = _Recorder()
    monkeypatch.setattr(bq, "run_query", recorder.run_query)
    monkeypatch.setattr(bq, "estimate_bytes", recorder.estimate_bytes)
    settings = dataclasses.replace(SETTINGS, projects=("pandas",))
    # The longest line of the file without a placeholder identifies its statement.
    body = max(
        (line for line in code_lines(sql_text(name)).splitlines() if "{" not in line), key=len
    )

    # Act
    call(settings)

    # Assert: the statement built from this SQL file got exactly the parameters it names
    matching = [(sql, params) for sql, params in recorder.calls if body in sql]
    assert matching, f"the code never ran {name}.sql"
    for sql, params in matching:
        assert set(params) == parameters_in(sql) == EXPECTED_PARAMETERS[name]


def test_acquisition_sql_filters_the_partition():
    sql = code_lines(extract.acquisition_sql(SETTINGS))

    assert f"FROM `{SETTINGS.source.downloads}`" in sql
    assert f"FROM `{SETTINGS.source.metadata}`" in sql
    assert "timestamp >= TIMESTAMP(@day)" in sql
    assert "timestamp < TIMESTAMP(DATE_ADD(@day, INTERVAL 1 DAY))" in sql
    assert "ARRAY_LENGTH(@projects) = 0 OR project IN UNNEST(@projects)" in sql


@pytest.mark.parametrize(
    "name",
    [
        "extract/source_days",
        "extract/source_freshness",
        "export/last_download_per_country_project_day",
        "export/download_intervals",
    ],
)
def test_render_sql_source_queries_filter_the_partition(name):
    code = code_lines(render(name))
    where = code[code.index("WHERE") :]

    assert re.search(r"timestamp >= TIMESTAMP\(@\w+\)", where)
    assert re.search(r"timestamp < TIMESTAMP\(DATE_ADD\(@\w+, INTERVAL \d DAY\)\)", where)


def _cte(sql: str, name: str) -> str:
    start = sql.index(f"{name} AS (")
    return sql[start : sql.index("\n)", start)]


def _columns_read(text: str, schema: list[bigquery.SchemaField]) -> set[str]:
    """Source column paths (`file.version`) referenced in `text`, table names left out."""
    without_tables = re.sub(r"`[^`]*`", "", text)
    paths = re.findall(r"(?<![\w.@])([a-z_]\w*(?:\.[a-z_]\w*)*)", without_tables)
    top_level = {field.name for field in schema}
    return {path for path in paths if path.split(".")[0] in top_level}


def test_acquisition_sql_reads_only_the_listed_download_columns():
    downloads = _cte(code_lines(extract.acquisition_sql(SETTINGS)), "downloads")

    read = _columns_read(downloads, source_schema("file_downloads"))

    assert read == set(extract.SOURCE_COLUMNS)


def test_acquisition_sql_metadata_columns_are_all_checked():
    # check_source_schema must cover every metadata column the acquisition reads.
    file_metadata = _cte(code_lines(extract.acquisition_sql(SETTINGS)), "file_metadata")

    read = _columns_read(file_metadata, source_schema("distribution_metadata"))

    assert read == {"filename", "size", "requires_dist", "upload_time"}
    assert read <= set(extract.METADATA_COLUMNS)


# --- against the emulator ---------------------------------------------------------------

SCRATCH = f"{SETTINGS.project}.bq_test_scratch"


@pytest.fixture(scope="module")
def scratch_table(local_bigquery):
    """A three-row table in a scratch dataset of the session emulator."""
    clients = make_clients(SETTINGS)
    bq.ensure_dataset(clients, SCRATCH, SETTINGS.location)
    table_id = f"{SCRATCH}.numbers"
    schema = [
        bigquery.SchemaField("n", "INTEGER", mode="REQUIRED"),
        bigquery.SchemaField("name", "STRING"),
    ]
    clients.bigquery.delete_table(table_id, not_found_ok=True)
    bq.ensure_table(clients, table_id, schema)
    bq.run_query(
        clients,
        SETTINGS,
        f"INSERT INTO `{table_id}` (n, name) VALUES (1, 'one'), (2, 'two'), (3, NULL)",
        label="test-insert",
    )
    yield clients, table_id
    clients.bigquery.delete_table(table_id, not_found_ok=True)


@pytest.mark.emulator
def test_run_query_with_parameters(scratch_table):
    clients, table_id = scratch_table

    job = bq.run_query(
        clients,
        SETTINGS,
        f"SELECT n FROM `{table_id}` WHERE n >= @low AND name IN UNNEST(@names) ORDER BY n",
        {"low": 2, "names": ["one", "two"]},
    )

    assert [row.n for row in job.result()] == [2]
    assert job.state == "DONE"


@pytest.mark.emulator
def test_read_table_round_trip(scratch_table):
    clients, table_id = scratch_table

    table = bq.read_table(clients, table_id)

    rows = sorted(table.to_pylist(), key=lambda row: row["n"])
    assert rows == [
        {"n": 1, "name": "one"},
        {"n": 2, "name": "two"},
        {"n": 3, "name": None},
    ]


@pytest.mark.emulator
def test_read_table_row_restriction(scratch_table):
    clients, table_id = scratch_table

    table = bq.read_table(clients, table_id, row_restriction="n >= 2")

    assert sorted(table.column("n").to_pylist()) == [2, 3]


@pytest.mark.emulator
def test_read_table_selected_columns(scratch_table):
    clients, table_id = scratch_table

    table = bq.read_table(clients, table_id, row_restriction="n = 1", columns=["name"])

    assert table.column_names == ["name"]
    assert table.to_pylist() == [{"name": "one"}]


@pytest.mark.emulator
def test_read_table_empty_result_keeps_schema(scratch_table):
    clients, table_id = scratch_table

    table = bq.read_table(clients, table_id, row_restriction="n > 100")

    assert table.num_rows == 0
    assert table.column_names == ["n", "name"]
    assert table.schema.field("n").type == pa.int64()
    assert table.schema.field("name").type == pa.string()


def test_ensure_table_sets_partitioning_clustering_and_expiration():
    created = []
    clients = SimpleNamespace(
        bigquery=SimpleNamespace(create_table=lambda table, exists_ok: created.append(table))
    )
    schema = [bigquery.SchemaField("day", "DATE")]

    bq.ensure_table(
        clients,
        "p.d.t",
        schema,
        partition_field="day",
        clustering=("project",),
        partition_expiration_days=35,
    )

    (table,) = created
    assert table.time_partitioning.field == "day"
    assert table.time_partitioning.expiration_ms == 35 * 24 * 3600 * 1000
    assert table.clustering_fields == ["project"]
