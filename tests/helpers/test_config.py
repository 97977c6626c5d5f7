"""Tests of the params loader: the shipped files, path resolution and every rejection."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from helpers.config import ConfigError, Settings, load_settings, settings_from_dict

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "params"


def local_raw() -> dict:
    """A fresh parsed copy of params/local.yaml, for tests that change one value."""
    return yaml.safe_load((PARAMS / "local.yaml").read_text(encoding="utf-8"))


def write_yaml(folder: Path, raw) -> Path:
    """Write `raw` to `folder/params/test.yaml`, so the project root is `folder`."""
    path = folder / "params" / "test.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "environment", "is_local"), [("local", "local", True), ("prod", "prod", False)]
)
def test_load_settings_shipped_params(name, environment, is_local):
    # Act
    settings = load_settings(PARAMS / f"{name}.yaml")

    # Assert
    assert isinstance(settings, Settings)
    assert settings.environment == environment
    assert settings.is_local is is_local
    assert settings.source.downloads == "bigquery-public-data.pypi.file_downloads"
    assert settings.source.metadata == "bigquery-public-data.pypi.distribution_metadata"
    assert settings.checks.on_failure in ("fail", "warn")
    assert 0 <= settings.lookback_days <= 7
    assert settings.maximum_bytes_billed >= settings.dry_run_cap_bytes > 0


def test_load_settings_prod_values():
    settings = load_settings(PARAMS / "prod.yaml")

    assert settings.project == "my-gcp-project"
    assert settings.lookback_days == 2
    assert settings.maximum_bytes_billed == 1_500_000_000_000
    assert settings.dry_run_cap_bytes == 1_200_000_000_000
    assert settings.checks.max_source_lag_hours == 30
    assert settings.emulator.data_dir is None  # no emulator section in production
    assert settings.table("pypi_mart", "t") == "my-gcp-project.pypi_mart.t"


def test_load_settings_paths_resolve_against_project_root():
    settings = load_settings(PARAMS / "local.yaml")

    assert settings.data_dir == ROOT / "data"
    assert settings.reports_dir == ROOT / "reports"
    assert settings.emulator.data_dir == ROOT / ".bqemulator" / "db"
    assert settings.emulator.replica_dir == ROOT / ".bqemulator" / "replica"
    assert settings.emulator.log_file == ROOT / ".bqemulator" / "emulator.log"


def test_load_settings_paths_independent_of_working_directory(tmp_path, monkeypatch):
    # Arrange: relative paths in a params file of another root, read from elsewhere
    raw = local_raw()
    raw["paths"] = {"data_dir": "out/data", "reports_dir": "out/reports"}
    path = write_yaml(tmp_path / "project", raw)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    # Act: a path relative to the working directory
    settings = load_settings(Path(os.path.relpath(path, elsewhere)))

    # Assert
    assert settings.data_dir == tmp_path / "project" / "out" / "data"
    assert settings.reports_dir == tmp_path / "project" / "out" / "reports"
    assert settings.emulator.replica_dir == tmp_path / "project" / ".bqemulator" / "replica"


def test_load_settings_absolute_paths_kept(tmp_path):
    raw = local_raw()
    raw["paths"] = {"data_dir": str(tmp_path / "abs-data")}
    raw["emulator"] = {"data_dir": None}

    settings = load_settings(write_yaml(tmp_path, raw))

    assert settings.data_dir == tmp_path / "abs-data"
    assert settings.reports_dir == tmp_path / "reports"  # default, relative to the root
    assert settings.emulator.data_dir is None  # null: in memory


def test_load_settings_missing_file(tmp_path):
    missing = tmp_path / "params" / "nope.yaml"

    with pytest.raises(ConfigError, match=r"params file not found: .*nope\.yaml"):
        load_settings(missing)


def test_load_settings_directory_is_not_a_file(tmp_path):
    with pytest.raises(ConfigError, match="params file not found"):
        load_settings(tmp_path)


def test_load_settings_invalid_yaml(tmp_path):
    path = tmp_path / "params" / "broken.yaml"
    path.parent.mkdir()
    path.write_text("environment: local\ngcp: [unclosed\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"broken\.yaml is not valid YAML"):
        load_settings(path)


@pytest.mark.parametrize("content", ["- local\n- prod\n", "just some text\n", "42\n"])
def test_load_settings_top_level_not_a_mapping(tmp_path, content):
    path = tmp_path / "params" / "odd.yaml"
    path.parent.mkdir()
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigError, match=r"odd\.yaml must hold a mapping"):
        load_settings(path)


def test_load_settings_empty_file(tmp_path):
    path = tmp_path / "params" / "empty.yaml"
    path.parent.mkdir()
    path.write_text("", encoding="utf-8")

    with pytest.raises(ConfigError, match="'environment' must be one of"):
        load_settings(path)


@pytest.mark.parametrize("environment", ["production", "LOCAL", "", None, 1])
def test_settings_from_dict_wrong_environment(environment):
    raw = local_raw()
    raw["environment"] = environment

    with pytest.raises(ConfigError, match=r"'environment' must be one of \('local', 'prod'\)"):
        settings_from_dict(raw)


def test_settings_from_dict_missing_environment():
    raw = local_raw()
    del raw["environment"]

    with pytest.raises(ConfigError, match="got None"):
        settings_from_dict(raw)


@pytest.mark.parametrize("on_failure", ["warn", "fail"])
def test_settings_from_dict_on_failure_valid(on_failure):
    raw = local_raw()
    raw["checks"]["on_failure"] = on_failure

    assert settings_from_dict(raw).checks.on_failure == on_failure


@pytest.mark.parametrize("on_failure", ["stop", "FAIL", "", "ignore"])
def test_settings_from_dict_bad_on_failure(on_failure):
    raw = local_raw()
    raw["checks"]["on_failure"] = on_failure

    with pytest.raises(ConfigError, match=r"'checks\.on_failure' must be 'fail' or 'warn'"):
        settings_from_dict(raw)


@pytest.mark.parametrize("lookback", [0, 1, 7])
def test_settings_from_dict_lookback_in_range(lookback):
    raw = local_raw()
    raw["run"]["lookback_days"] = lookback

    assert settings_from_dict(raw).lookback_days == lookback


@pytest.mark.parametrize("lookback", [-1, 8, 30])
def test_settings_from_dict_lookback_out_of_range(lookback):
    raw = local_raw()
    raw["run"]["lookback_days"] = lookback

    with pytest.raises(ConfigError, match=r"'run\.lookback_days' must be between 0 and 7"):
        settings_from_dict(raw)


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("gcp", "project"),
        ("datasets", "staging"),
        ("datasets", "mart"),
        ("datasets", "ops"),
        ("cost", "maximum_bytes_billed"),
        ("cost", "dry_run_cap_bytes"),
    ],
)
def test_settings_from_dict_missing_required_key(section, key):
    raw = local_raw()
    del raw[section][key]

    with pytest.raises(ConfigError, match=f"invalid params: '{key}'"):
        settings_from_dict(raw)


def test_settings_from_dict_missing_source_table():
    raw = local_raw()
    del raw["source"]["downloads_table"]

    with pytest.raises(ConfigError, match=r"invalid params: .*downloads_table"):
        settings_from_dict(raw)


@pytest.mark.parametrize("section", ["checks", "report", "replica", "source"])
def test_settings_from_dict_unknown_key(section):
    raw = local_raw()
    raw[section]["surprise"] = 1

    with pytest.raises(ConfigError, match=r"invalid params: .*'surprise'"):
        settings_from_dict(raw)


@pytest.mark.parametrize("section", ["gcp", "run", "checks"])
def test_settings_from_dict_section_not_a_mapping(section):
    raw = local_raw()
    raw[section] = ["not", "a", "mapping"]

    with pytest.raises(ConfigError, match=f"section '{section}' must be a mapping, got list"):
        settings_from_dict(raw)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("run", "window_days", "fifteen"),
        ("cost", "maximum_bytes_billed", "a lot"),
        ("emulator", "startup_timeout_seconds", "soon"),
    ],
)
def test_settings_from_dict_not_a_number(section, key, value):
    raw = local_raw()
    raw[section][key] = value

    with pytest.raises(ConfigError, match=f"invalid params: .*{value}"):
        settings_from_dict(raw)


def test_settings_from_dict_defaults_for_optional_sections():
    # Arrange: only what has no default
    raw = {
        "environment": "prod",
        "gcp": {"project": "p"},
        "source": local_raw()["source"],
        "datasets": {"staging": "s", "mart": "m", "ops": "o"},
        "cost": {"maximum_bytes_billed": 10, "dry_run_cap_bytes": 5},
    }

    # Act
    settings = settings_from_dict(raw, base_dir=Path("/base"))

    # Assert
    assert settings.location == "US"
    assert settings.window_days == 15
    assert settings.lookback_days == 0
    assert settings.projects == ()
    assert settings.data_dir == Path("/base/data")
    assert settings.checks.on_failure == "fail"


def test_settings_from_dict_projects_become_strings():
    raw = local_raw()
    raw["run"]["projects"] = ["pandas", 2048]

    assert settings_from_dict(raw).projects == ("pandas", "2048")
