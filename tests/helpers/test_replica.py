"""Tests of the replica generator: schemas, determinism, validation and realistic shapes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.replica import (
    Replica,
    ReplicaSpec,
    generate_replica,
    load_ranking,
    read_replica,
    write_replica,
)
from helpers.schemas import source_arrow_schema

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "src" / "helpers" / "resources" / "schemas"
LAST_DAY = dt.date(2026, 11, 30)  # the default 21-day window holds three whole weekends
JSON_TYPES = {
    "STRING": pa.string(),
    "INTEGER": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
}
FILE_TYPES = {"bdist_wheel", "sdist", "bdist_egg", "bdist_wininst", "bdist_msi"}
EXTENSION_TYPES = {
    ".whl": {"bdist_wheel"},
    ".tar.gz": {"sdist"},
    ".zip": {"sdist"},
    ".tar.bz2": {"sdist"},
    ".tgz": {"sdist"},
    ".egg": {"bdist_egg"},
    ".exe": {"bdist_wininst"},
    ".msi": {"bdist_msi"},
}


def small_spec(**changes) -> ReplicaSpec:
    values = {"last_day": LAST_DAY, "days": 7, "downloads_per_day": 3_000, "projects": 60}
    return ReplicaSpec(**(values | changes))


@pytest.fixture(scope="module")
def default_replica() -> Replica:
    return generate_replica(ReplicaSpec(last_day=LAST_DAY))


@pytest.fixture(scope="module")
def downloads(default_replica: Replica) -> pd.DataFrame:
    return default_replica.file_downloads.flatten().flatten().flatten().to_pandas()


@pytest.fixture(scope="module")
def metadata(default_replica: Replica) -> pd.DataFrame:
    return default_replica.distribution_metadata.to_pandas()


def extension(filename: str) -> str:
    return next(ext for ext in EXTENSION_TYPES if filename.endswith(ext))


def assert_fields_match_json(fields: list[pa.Field], published: list[dict], where: str) -> None:
    assert [f.name for f in fields] == [p["name"] for p in published], where
    for field, spec in zip(fields, published, strict=True):
        path = f"{where}.{field.name}"
        assert field.nullable == (spec["mode"] == "NULLABLE"), path
        kind = field.type
        if spec["mode"] == "REPEATED":
            assert pa.types.is_list(kind), path
            assert not kind.value_field.nullable, path
            kind = kind.value_type
        if spec["type"] == "RECORD":
            assert pa.types.is_struct(kind), path
            assert_fields_match_json(list(kind), spec["fields"], path)
        else:
            assert kind == JSON_TYPES[spec["type"]], path


@pytest.mark.parametrize("table", ["file_downloads", "distribution_metadata"])
def test_generate_replica_schema_matches_published(table: str) -> None:
    replica = generate_replica(small_spec(days=1, downloads_per_day=200, projects=5))
    schema = getattr(replica, table).schema
    assert schema.equals(source_arrow_schema(table))
    published = json.loads((SCHEMA_DIR / f"{table}.schema.json").read_text(encoding="utf-8"))
    assert_fields_match_json(list(schema), published, table)


def test_generate_replica_same_spec_identical_tables_and_bytes(tmp_path: Path) -> None:
    first, second = generate_replica(small_spec()), generate_replica(small_spec())
    assert first.file_downloads.equals(second.file_downloads)
    assert first.distribution_metadata.equals(second.distribution_metadata)
    paths_a = write_replica(first, tmp_path / "a")
    paths_b = write_replica(second, tmp_path / "b")
    for name, path in paths_a.items():
        assert path.read_bytes() == paths_b[name].read_bytes(), name


def test_generate_replica_other_seed_differs() -> None:
    first, other = generate_replica(small_spec()), generate_replica(small_spec(seed=7))
    assert not first.file_downloads.equals(other.file_downloads)
    assert not first.distribution_metadata.equals(other.distribution_metadata)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 401}, "days"),
        ({"downloads_per_day": 0}, "downloads_per_day"),
        ({"downloads_per_day": 5_000_001}, "downloads_per_day"),
        ({"projects": 0}, "projects"),
        ({"projects": 1001}, "projects"),
        ({"days": 2.5}, "days"),
        ({"seed": -1}, "seed"),
        ({"last_day": "2026-11-30"}, "last_day"),
    ],
)
def test_replica_spec_rejects_invalid_field(changes: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must be"):
        small_spec(**changes)


def test_replica_spec_accepts_limits() -> None:
    spec = ReplicaSpec(last_day=LAST_DAY, days=400, downloads_per_day=5_000_000, projects=1000)
    assert spec.first_day == LAST_DAY - dt.timedelta(days=399)


def test_generate_replica_projects_heavy_tailed(downloads: pd.DataFrame) -> None:
    counts = downloads["project"].value_counts()
    ranking = [row.project for row in load_ranking()[:300]]
    assert len(counts) >= 250
    assert set(counts.index) <= set(ranking)
    top_tenth = counts.iloc[: len(ranking) // 10].sum() / counts.sum()
    assert top_tenth > 0.5
    assert counts[ranking[0]] > 3 * counts[ranking[9]]
    assert (downloads["project"] == downloads["file.project"]).all()


def test_generate_replica_latest_version_dominant(downloads: pd.DataFrame) -> None:
    latest = {row.project: row.latest_version for row in load_ranking()}
    for project in downloads["project"].value_counts().index[:10]:
        versions = downloads.loc[downloads["project"] == project, "file.version"]
        shares = versions.value_counts(normalize=True)
        assert shares.index[0] == latest[project], project
        assert 0.45 <= shares.iloc[0] <= 0.75, project
        assert 3 <= len(shares) <= 8, project


def test_generate_replica_country_mix(downloads: pd.DataFrame) -> None:
    shares = downloads["country_code"].value_counts(normalize=True, dropna=False)
    assert shares.index[0] == "US"
    assert 0.35 <= shares["US"] <= 0.45
    assert {"CN", "DE"} <= set(shares.index[1:6])
    assert 0.005 <= downloads["country_code"].isna().mean() <= 0.025
    codes = downloads["country_code"].dropna()
    assert codes.str.fullmatch(r"[A-Z]{2}").all()


def test_generate_replica_hour_of_day_cycle(downloads: pd.DataFrame) -> None:
    per_hour = downloads["timestamp"].dt.hour.value_counts()
    assert len(per_hour) == 24
    assert 2.0 <= per_hour.max() / per_hour.min() <= 3.0


def test_generate_replica_weekend_quieter(downloads: pd.DataFrame) -> None:
    per_day = downloads["timestamp"].dt.date.value_counts()
    weekend = pd.Series([day.weekday() >= 5 for day in per_day.index], index=per_day.index)
    assert weekend.sum() == 6
    ratio = per_day[weekend].mean() / per_day[~weekend].mean()
    assert 0.6 <= ratio <= 0.8
    assert 19_000 <= per_day.mean() <= 21_000


def test_generate_replica_file_types_and_wheel_share(
    downloads: pd.DataFrame, metadata: pd.DataFrame
) -> None:
    assert set(metadata["packagetype"]) == FILE_TYPES
    assert {"bdist_wheel", "sdist"} <= set(downloads["file.type"]) <= FILE_TYPES
    wheel_share = downloads["file.filename"].str.endswith(".whl").mean()
    assert 0.80 <= wheel_share <= 0.90
    extensions = metadata["filename"].map(extension)
    assert set(extensions) == set(EXTENSION_TYPES)
    for ext, packagetype in zip(extensions, metadata["packagetype"], strict=True):
        assert packagetype in EXTENSION_TYPES[ext]
    assert (extensions == ".zip").sum() < (extensions == ".tar.gz").sum() / 10


def test_generate_replica_filenames_and_urls(downloads: pd.DataFrame) -> None:
    sample = downloads.drop_duplicates("file.filename")
    for row in sample[["project", "file.version", "file.filename", "url"]].itertuples(index=False):
        project, version, filename, url = row
        assert filename.startswith(f"{project.replace('-', '_')}-{version}"), filename
        hashed = "[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{60}"
        assert re.fullmatch(f"/packages/{hashed}/{re.escape(filename)}", url), url
    assert sample["file.filename"].str.contains("-py3-none-any.whl").any()
    assert sample["file.filename"].str.contains(r"-cp312-cp312-manylinux.*\.whl").any()


def test_generate_replica_installer_mix(downloads: pd.DataFrame) -> None:
    names = downloads["details.installer.name"]
    shares = names.value_counts(normalize=True)
    assert 0.02 <= names.isna().mean() <= 0.04
    assert 0.55 <= shares["pip"] <= 0.65
    assert 0.15 <= shares["uv"] <= 0.20
    assert 0.005 <= shares["Browser"] <= 0.02
    mirrors = shares.reindex(["bandersnatch", "z3c.pypimirror", "Nexus", "Artifactory"]).sum()
    assert 0.02 <= mirrors <= 0.08
    assert {"poetry", "pdm", "requests", "setuptools"} <= set(shares.index)
    pip = downloads[names == "pip"]
    assert pip["details.python"].str.fullmatch(r"3\.\d+\.\d+").all()
    assert pip["details.system.name"].value_counts().index[0] == "Linux"
    linux = downloads[downloads["details.system.name"] == "Linux"]
    assert set(linux["details.distro.libc.lib"].dropna()) == {"glibc"}
    assert set(downloads["details.cpu"].dropna()) == {"x86_64", "aarch64", "AMD64", "arm64"}
    assert 0.0 < (downloads["details.implementation.name"] == "PyPy").mean() < 0.01
    assert set(downloads["tls_protocol"].dropna()) == {"TLSv1.3", "TLSv1.2"}


def test_generate_replica_details_null_when_unrecognised(default_replica: Replica) -> None:
    details = default_replica.file_downloads.column("details")
    flat = default_replica.file_downloads.flatten().flatten()
    assert details.null_count > 0
    # A NULL record has NULL children too, as BigQuery returns it.
    assert flat.column("details.installer.name").null_count == details.null_count


def test_generate_replica_ci_true_or_null(downloads: pd.DataFrame) -> None:
    ci = downloads["details.ci"]
    assert set(ci.dropna().unique()) == {True}
    assert 0.15 <= ci.notna().mean() <= 0.25


def test_generate_replica_metadata_sizes_range() -> None:
    # 400 projects bring the torch-like giants into the sample.
    replica = generate_replica(small_spec(days=1, downloads_per_day=100, projects=400))
    sizes = replica.distribution_metadata.column("size").to_pylist()
    assert min(sizes) < 20_000
    assert max(sizes) > 100_000_000
    assert sorted(sizes)[len(sizes) // 2] < 5_000_000


def test_generate_replica_requires_dist_lengths(metadata: pd.DataFrame) -> None:
    lengths = metadata["requires_dist"].map(len)
    assert lengths.min() == 0
    assert 30 <= lengths.max() <= 40
    assert 0.1 <= (lengths == 0).mean() <= 0.6
    entries = pd.Series([entry for row in metadata["requires_dist"] for entry in row])
    assert entries.str.contains(">=").any()
    assert entries.str.contains('; python_version < "3.11"', regex=False).any()
    assert entries.str.contains("; extra == ", regex=False).any()
    per_file = metadata.groupby("filename")["requires_dist"].agg(
        lambda rows: len({tuple(r) for r in rows})
    )
    assert (per_file == 1).all()


def test_generate_replica_metadata_fields(metadata: pd.DataFrame) -> None:
    assert {"PyYAML", "Jinja2"} <= set(metadata["name"])
    assert metadata["name"].str.contains("[A-Z]").mean() > 0.02
    assert set(metadata["python_version"]) >= {"py3", "cp312", "source"}
    assert (metadata.loc[metadata["packagetype"] == "sdist", "python_version"] == "source").all()
    for column, width in (("md5_digest", 32), ("sha256_digest", 64), ("blake2_256_digest", 64)):
        assert metadata[column].str.fullmatch(rf"[0-9a-f]{{{width}}}").all(), column
    assert (metadata["path"].str.slice(0, 2) == metadata["blake2_256_digest"].str.slice(0, 2)).all()
    assert {"2.1", "2.3", "2.4"} <= set(metadata["metadata_version"])
    assert metadata["summary"].notna().all()
    assert 0.0 < metadata["license_expression"].notna().mean() < 1.0
    assert metadata["has_signature"].any()
    assert not metadata["has_signature"].all()
    versions_per_project = metadata.groupby("name")["version"].nunique()
    assert versions_per_project.median() >= 4
    assert versions_per_project.max() <= 8


def test_generate_replica_upload_time_before_window(metadata: pd.DataFrame) -> None:
    window_start = pd.Timestamp(LAST_DAY - dt.timedelta(days=20), tz="UTC")
    assert metadata["upload_time"].max() < window_start
    assert metadata["upload_time"].min() < window_start - pd.Timedelta(days=365)


def test_generate_replica_duplicate_metadata_rows(metadata: pd.DataFrame) -> None:
    filenames = metadata["filename"]
    duplicated = filenames[filenames.duplicated()]
    assert 0.01 <= len(duplicated) / filenames.nunique() <= 0.03
    twice = metadata[filenames.isin(duplicated)].copy()
    for column in twice.columns:  # lists are not hashable: compare as text
        twice[column] = twice[column].map(repr)
    assert len(twice.drop_duplicates()) == len(set(duplicated))


def test_generate_replica_downloads_without_metadata(
    downloads: pd.DataFrame, metadata: pd.DataFrame
) -> None:
    missing = ~downloads["file.filename"].isin(set(metadata["filename"]))
    assert 0.003 <= missing.mean() <= 0.02
    assert downloads.loc[missing, "file.filename"].nunique() >= 10


def test_generate_replica_timestamps_whole_seconds_in_window(downloads: pd.DataFrame) -> None:
    timestamps = downloads["timestamp"]
    assert timestamps.is_monotonic_increasing
    assert (timestamps.dt.microsecond == 0).all()
    assert timestamps.min() >= pd.Timestamp(LAST_DAY - dt.timedelta(days=20), tz="UTC")
    assert timestamps.max() < pd.Timestamp(LAST_DAY + dt.timedelta(days=1), tz="UTC")
    assert timestamps.dt.date.nunique() == 21


def test_generate_replica_ties_at_default_scale(downloads: pd.DataFrame) -> None:
    ties = downloads.duplicated(subset=["timestamp", "project"])
    assert ties.sum() > 100


def test_write_replica_round_trip(tmp_path: Path) -> None:
    replica = generate_replica(small_spec())
    paths = write_replica(replica, tmp_path / "replica")
    assert paths == {
        "file_downloads": tmp_path / "replica" / "file_downloads.parquet",
        "distribution_metadata": tmp_path / "replica" / "distribution_metadata.parquet",
    }
    assert sorted(p.name for p in (tmp_path / "replica").iterdir()) == sorted(
        p.name for p in paths.values()
    )
    assert all(path.stat().st_mode & 0o044 == 0o044 for path in paths.values())
    loaded = read_replica(tmp_path / "replica")
    assert loaded.file_downloads.equals(replica.file_downloads)
    assert loaded.distribution_metadata.equals(replica.distribution_metadata)
    assert loaded.file_downloads.schema.equals(source_arrow_schema("file_downloads"))


def test_write_replica_replaces_existing_files(tmp_path: Path) -> None:
    write_replica(generate_replica(small_spec(seed=1)), tmp_path)
    replica = generate_replica(small_spec(seed=2))
    write_replica(replica, tmp_path)
    assert len(list(tmp_path.iterdir())) == 2
    assert read_replica(tmp_path).file_downloads.equals(replica.file_downloads)


def test_write_replica_rejects_other_schema(tmp_path: Path) -> None:
    replica = generate_replica(small_spec(days=1, downloads_per_day=100, projects=5))
    narrowed = Replica(
        file_downloads=replica.file_downloads.drop_columns(["tls_cipher"]),
        distribution_metadata=replica.distribution_metadata,
    )
    with pytest.raises(ValueError, match="file_downloads"):
        write_replica(narrowed, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_read_replica_rejects_other_schema(tmp_path: Path) -> None:
    replica = generate_replica(small_spec(days=1, downloads_per_day=100, projects=5))
    write_replica(replica, tmp_path)
    narrowed = replica.distribution_metadata.drop_columns(["license_files"])
    pq.write_table(narrowed, tmp_path / "distribution_metadata.parquet")
    with pytest.raises(ValueError, match="distribution_metadata"):
        read_replica(tmp_path)
