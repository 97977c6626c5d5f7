"""Settings read from a `params/<environment>.yaml` file into frozen dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ENVIRONMENTS = ("local", "prod")


class ConfigError(ValueError):
    """A params file that is missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class SourceTables:
    project: str
    dataset: str
    downloads_table: str
    metadata_table: str

    @property
    def downloads(self) -> str:
        return f"{self.project}.{self.dataset}.{self.downloads_table}"

    @property
    def metadata(self) -> str:
        return f"{self.project}.{self.dataset}.{self.metadata_table}"


@dataclass(frozen=True)
class Checks:
    on_failure: str = "fail"
    max_share_without_metadata: float = 0.05
    max_share_null_country: float = 0.10
    max_source_lag_hours: float = 48.0


@dataclass(frozen=True)
class ReportLimits:
    top_projects: int = 30
    top_versions_per_project: int = 8
    top_countries: int = 25


@dataclass(frozen=True)
class EmulatorSettings:
    data_dir: Path | None = None  # None: in memory, gone when the emulator stops
    replica_dir: Path = Path(".bqemulator/replica")  # raw Parquet of the replica (oracle input)
    log_file: Path = Path(".bqemulator/emulator.log")
    startup_timeout_seconds: float = 90.0


@dataclass(frozen=True)
class ReplicaSettings:
    seed: int = 20261203
    days: int = 21
    downloads_per_day: int = 20_000
    last_day: dt.date | None = None
    projects: int = 300


@dataclass(frozen=True)
class Settings:
    environment: str
    project: str
    location: str
    source: SourceTables
    staging_dataset: str
    mart_dataset: str
    ops_dataset: str
    window_days: int = 15
    lookback_days: int = 0
    projects: tuple[str, ...] = ()
    intervals_retention_days: int | None = None
    maximum_bytes_billed: int = 50_000_000_000
    dry_run_cap_bytes: int = 50_000_000_000
    checks: Checks = field(default_factory=Checks)
    data_dir: Path = Path("data")
    reports_dir: Path = Path("reports")
    report: ReportLimits = field(default_factory=ReportLimits)
    emulator: EmulatorSettings = field(default_factory=EmulatorSettings)
    replica: ReplicaSettings = field(default_factory=ReplicaSettings)

    @property
    def is_local(self) -> bool:
        return self.environment == "local"

    def table(self, dataset: str, name: str) -> str:
        """Fully qualified id of a table of this project: `project.dataset.name`."""
        return f"{self.project}.{dataset}.{name}"


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"section '{name}' must be a mapping, got {type(value).__name__}")
    return value


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _replica_settings(raw: dict[str, Any]) -> ReplicaSettings:
    """Replica options; `last_day` may be a YAML date or a YYYY-MM-DD string."""
    last_day = raw.get("last_day")
    if isinstance(last_day, str):
        try:
            last_day = dt.date.fromisoformat(last_day)
        except ValueError:
            raise ConfigError(f"'replica.last_day' {last_day!r} is not a YYYY-MM-DD date") from None
    return ReplicaSettings(**{**raw, "last_day": last_day})


def _emulator_settings(raw: dict[str, Any], base_dir: Path) -> EmulatorSettings:
    """Emulator options with their paths resolved against the project root."""
    defaults = EmulatorSettings()
    data_dir = raw.get("data_dir")
    return EmulatorSettings(
        data_dir=(base_dir / data_dir).resolve() if data_dir else None,
        replica_dir=(base_dir / raw.get("replica_dir", defaults.replica_dir)).resolve(),
        log_file=(base_dir / raw.get("log_file", defaults.log_file)).resolve(),
        startup_timeout_seconds=float(
            raw.get("startup_timeout_seconds", defaults.startup_timeout_seconds)
        ),
    )


def settings_from_dict(raw: dict[str, Any], base_dir: Path | None = None) -> Settings:
    """Build Settings from the parsed YAML; relative paths resolve against `base_dir`."""
    base_dir = base_dir or Path.cwd()
    environment = raw.get("environment")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"'environment' must be one of {ENVIRONMENTS}, got {environment!r}")
    gcp, run, cost = _section(raw, "gcp"), _section(raw, "run"), _section(raw, "cost")
    datasets, paths = _section(raw, "datasets"), _section(raw, "paths")
    emulator = _section(raw, "emulator")
    try:
        settings = Settings(
            environment=environment,
            project=str(gcp["project"]),
            location=str(gcp.get("location", "US")),
            source=SourceTables(**_section(raw, "source")),
            staging_dataset=str(datasets["staging"]),
            mart_dataset=str(datasets["mart"]),
            ops_dataset=str(datasets["ops"]),
            window_days=int(run.get("window_days", 15)),
            lookback_days=int(run.get("lookback_days", 0)),
            projects=tuple(str(p) for p in run.get("projects") or ()),
            intervals_retention_days=_optional_int(run.get("intervals_retention_days")),
            maximum_bytes_billed=int(cost["maximum_bytes_billed"]),
            dry_run_cap_bytes=int(cost["dry_run_cap_bytes"]),
            checks=Checks(**_section(raw, "checks")),
            data_dir=(base_dir / paths.get("data_dir", "data")).resolve(),
            reports_dir=(base_dir / paths.get("reports_dir", "reports")).resolve(),
            report=ReportLimits(**_section(raw, "report")),
            emulator=_emulator_settings(emulator, base_dir),
            replica=_replica_settings(_section(raw, "replica")),
        )
    except ConfigError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"invalid params: {error}") from error
    if settings.checks.on_failure not in ("fail", "warn"):
        raise ConfigError("'checks.on_failure' must be 'fail' or 'warn'")
    if not 0 <= settings.lookback_days <= 7:
        raise ConfigError("'run.lookback_days' must be between 0 and 7")
    return settings


def load_settings(path: str | Path) -> Settings:
    """Read a params YAML file; paths in it are relative to the project root (its parent)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"params file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"params file {path} is not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"params file {path} must hold a mapping, got {type(raw).__name__}")
    return settings_from_dict(raw, base_dir=path.resolve().parent.parent)
