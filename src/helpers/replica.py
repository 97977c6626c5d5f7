"""Deterministic replica of bigquery-public-data.pypi `file_downloads` and `distribution_metadata`.

The local BigQuery emulator is seeded with these tables so the pipeline, its checks and the
dashboard see the same shapes as the public data: real project names with a heavy-tailed
popularity, several versions per project with the latest dominant, wheels and sdists (plus a
few legacy formats), a daily and weekly rhythm, the country and installer mix, NULLs where
the public table has them, duplicated metadata rows and downloads without metadata.

Everything is drawn from one `numpy.random.default_rng(seed)`: the same spec always gives
the same tables. The per-download columns are drawn with vectorised numpy calls; Python
loops only run over the catalogue of projects, versions and files (thousands, not the
hundreds of thousands of downloads).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from helpers.files import atomic_path
from helpers.schemas import SOURCE_TABLES, source_arrow_schema

RANKING_RESOURCE = ("resources", "top_pypi_projects.csv")

# Spec limits: large enough for a year of a busy sample, small enough to stay in memory.
DAYS_RANGE = (1, 400)
DOWNLOADS_PER_DAY_RANGE = (1, 5_000_000)
PROJECTS_RANGE = (1, 1000)

SECONDS_PER_DAY = 86_400
MICROS_PER_SECOND = 1_000_000

# Popularity over rank follows a Zipf law, as PyPI download counts do.
ZIPF_EXPONENT = 1.1

# Daily rhythm: a cosine over the UTC day peaking in the US morning / European afternoon;
# amplitude 0.43 makes the peak hour about 2.5x the quietest hour.
PEAK_HOUR_UTC = 15
HOUR_AMPLITUDE = 0.43
# Saturday and Sunday: CI pipelines and people both slow down.
WEEKEND_FACTOR = 0.7

MIN_VERSIONS, MAX_VERSIONS = 3, 8
LATEST_SHARE_RANGE = (0.5, 0.7)
# Each older version keeps this fraction of the next newer one's downloads.
OLDER_VERSION_DECAY = 0.55
# Which release component a step back changes: last (patch), second last, third last.
STEP_BACK_LEVEL_WEIGHTS = (0.55, 0.35, 0.10)

# Share of a version's downloads that go to its sdist, and to a legacy file when it has one;
# wheels take the rest, about 85% of all downloads.
SDIST_SHARE = 0.14
LEGACY_SHARE = 0.01
LEGACY_FILE_PROBABILITY = 0.2  # per version from the third newest on
ZIP_SDIST_PROBABILITY = 0.05  # projects whose older sdists are .zip archives
SDIST_ONLY_PROBABILITY = 0.03  # projects that never uploaded a wheel
PY2_WHEEL_PROBABILITY = 0.15  # pure projects still tagged py2.py3
BINARY_PROBABILITY = 0.05  # unknown projects that ship compiled wheels

# Projects known to ship compiled (platform specific) wheels.
BINARY_PROJECTS = frozenset({
    "aiohttp", "bcrypt", "brotli", "cffi", "charset-normalizer", "contourpy", "cryptography",
    "cython", "duckdb", "fastuuid", "frozenlist", "google-crc32c", "greenlet", "grpcio",
    "grpcio-tools", "hf-xet", "httptools", "jiter", "kiwisolver", "llvmlite", "lxml", "lz4",
    "markupsafe", "mmh3", "msgpack", "multidict", "numba", "numpy", "onnxruntime",
    "opencv-python", "opencv-python-headless", "orjson", "pandas", "pillow", "polars",
    "propcache", "psutil", "psycopg-binary", "psycopg2-binary", "pyarrow", "pydantic-core",
    "pynacl", "pyyaml", "pyzmq", "rapidfuzz", "regex", "rpds-py", "ruamel-yaml-clib", "ruff",
    "safetensors", "scikit-learn", "scipy", "setproctitle", "shapely", "tiktoken",
    "tokenizers", "torch", "triton", "ujson", "uv", "uvloop", "watchfiles", "websockets",
    "wrapt", "xxhash", "yarl", "zstandard", "tensorflow", "xgboost", "ray", "jaxlib",
})  # fmt: skip

# Median wheel size in MB of projects whose wheels are far from the typical few hundred KB.
# A key matches the name itself or any name that starts with the key and a hyphen.
WHEEL_SIZE_MB = {
    "torch": 850.0,
    "tensorflow": 600.0,
    "jaxlib": 90.0,
    "triton": 160.0,
    "xgboost": 150.0,
    "nvidia-cudnn": 650.0,
    "nvidia-cublas": 450.0,
    "nvidia-cusparse": 250.0,
    "nvidia-cusparselt": 220.0,
    "nvidia-nccl": 200.0,
    "nvidia-cufft": 190.0,
    "nvidia-cusolver": 180.0,
    "nvidia-nvshmem": 120.0,
    "nvidia-curand": 60.0,
    "nvidia-cuda-nvrtc": 60.0,
    "nvidia-nvjitlink": 40.0,
    "nvidia-cuda-cupti": 10.0,
    "nvidia-cuda-runtime": 1.0,
    "opencv-python": 60.0,
    "ray": 65.0,
    "pyarrow": 42.0,
    "llvmlite": 40.0,
    "playwright": 40.0,
    "scipy": 35.0,
    "polars": 35.0,
    "duckdb": 20.0,
    "uv": 18.0,
    "numpy": 16.0,
    "onnxruntime": 15.0,
    "botocore": 13.0,
    "pandas": 12.0,
    "scikit-learn": 12.0,
    "ruff": 11.0,
    "transformers": 10.0,
    "matplotlib": 8.0,
    "sympy": 6.0,
    "grpcio": 6.0,
    "lxml": 5.0,
    "awscli": 4.5,
    "cryptography": 4.0,
}
# Projects whose wheels are this large (torch, nvidia-*) publish no sdist.
WHEEL_ONLY_FROM_MB = 100.0
PURE_WHEEL_MEDIAN_BYTES = 60_000
BINARY_WHEEL_MEDIAN_BYTES = 1_500_000

# Display names as uploaded, for projects whose normalised name hides the real spelling.
DISPLAY_NAMES = {
    "pyyaml": "PyYAML",
    "jinja2": "Jinja2",
    "markupsafe": "MarkupSafe",
    "pygments": "Pygments",
    "pyjwt": "PyJWT",
    "werkzeug": "Werkzeug",
    "flask": "Flask",
    "sqlalchemy": "SQLAlchemy",
    "babel": "Babel",
    "markdown": "Markdown",
    "gitpython": "GitPython",
    "pynacl": "PyNaCl",
    "mako": "Mako",
    "typing-extensions": "typing_extensions",
    "pyopenssl": "pyOpenSSL",
    "pysocks": "PySocks",
    "cython": "Cython",
    "secretstorage": "SecretStorage",
    "pygithub": "PyGithub",
    "deprecated": "Deprecated",
    "xlsxwriter": "XlsxWriter",
    "authlib": "Authlib",
    "pymysql": "PyMySQL",
    "faker": "Faker",
    "sphinx": "Sphinx",
    "brotli": "Brotli",
    "ruamel-yaml": "ruamel.yaml",
    "ruamel-yaml-clib": "ruamel.yaml.clib",
    "zope-interface": "zope.interface",
    "jaraco-classes": "jaraco.classes",
    "jaraco-functools": "jaraco.functools",
    "jaraco-context": "jaraco.context",
    "email-validator": "email_validator",
    "prometheus-client": "prometheus_client",
    "importlib-metadata": "importlib_metadata",
    "pyasn1-modules": "pyasn1_modules",
    "python-json-logger": "python_json_logger",
}
CAPITALISED_NAME_PROBABILITY = 0.06  # other projects uploaded as "Name" rather than "name"

# Platform tags of compiled wheels and the share of a version's wheel downloads each gets.
BINARY_PLATFORMS = (
    ("manylinux_2_17_x86_64.manylinux2014_x86_64", 0.62),
    ("manylinux_2_17_aarch64.manylinux2014_aarch64", 0.10),
    ("musllinux_1_2_x86_64", 0.03),
    ("win_amd64", 0.09),
    ("macosx_11_0_arm64", 0.10),
    ("macosx_10_9_x86_64", 0.06),
)
# Wheels for Windows and macOS are a little smaller than the manylinux ones.
PLATFORM_SIZE_FACTOR = {"win": 0.8, "mac": 0.9}
# CPython minor versions a release ships wheels for: the latest covers 3.10 to 3.13, each
# older release one minor earlier; the weights are the share of installs per minor.
NEWEST_CPYTHON_MINORS = (10, 11, 12, 13)
OLDEST_CPYTHON_MINOR = 6
CPYTHON_MINOR_WEIGHTS = {6: 0.01, 7: 0.02, 8: 0.04, 9: 0.07, 10: 0.16, 11: 0.26, 12: 0.31, 13: 0.13}

# Legacy upload formats still present on old releases: type, filename pattern, python_version.
LEGACY_FILES = (
    ("bdist_egg", "{name}-{version}-py2.7.egg", "2.7", 0.35),
    ("bdist_wininst", "{name}-{version}.win-amd64-py2.7.exe", "2.7", 0.15),
    ("bdist_wininst", "{name}-{version}.win32.exe", "any", 0.05),
    ("bdist_msi", "{name}-{version}.win-amd64.msi", "any", 0.10),
    ("sdist", "{name}-{version}.tar.bz2", "source", 0.20),
    ("sdist", "{name}-{version}.tgz", "source", 0.15),
)

# Countries of the downloading IPs; cloud regions put the US, Ireland and Singapore high.
COUNTRY_WEIGHTS = {
    "US": 0.400,
    "CN": 0.085,
    "DE": 0.055,
    "IE": 0.045,
    "GB": 0.035,
    "IN": 0.035,
    "FR": 0.030,
    "JP": 0.030,
    "SG": 0.025,
    "NL": 0.022,
    "KR": 0.020,
    "CA": 0.020,
    "BR": 0.015,
    "AU": 0.012,
    "HK": 0.010,
    "SE": 0.008,
    "CH": 0.008,
    "PL": 0.008,
    "ES": 0.008,
    "IT": 0.008,
    "TW": 0.008,
    "RU": 0.007,
    "FI": 0.006,
    "IL": 0.006,
    "VN": 0.006,
    "ID": 0.005,
    "BE": 0.005,
    "TR": 0.004,
    "MX": 0.004,
    "ZA": 0.003,
    "AR": 0.003,
    "NO": 0.003,
    "UA": 0.003,
}
NULL_COUNTRY_SHARE = 0.015  # IPs that do not geolocate

NULL_DETAILS_SHARE = 0.03  # user agents linehaul does not recognise
# Installer mix among recognised user agents: name, share, what its user agent reports
# ("full": interpreter, platform, ci; "python": interpreter and system; "bare": installer
# only) and the share of its downloads that come from CI.
INSTALLER_MIX = (
    ("pip", 0.615, "full", 0.19),
    ("uv", 0.175, "full", 0.32),
    ("poetry", 0.045, "full", 0.25),
    ("requests", 0.045, "bare", 0.0),
    ("Artifactory", 0.015, "bare", 0.0),
    ("bandersnatch", 0.020, "python", 0.0),
    ("Nexus", 0.013, "bare", 0.0),
    ("pdm", 0.012, "full", 0.20),
    ("Browser", 0.011, "bare", 0.0),
    ("setuptools", 0.010, "full", 0.10),
    ("pex", 0.006, "full", 0.30),
    ("devpi", 0.004, "bare", 0.0),
    ("z3c.pypimirror", 0.003, "bare", 0.0),
)
# Full mirrors fetch every file, not the popular ones: their downloads spread evenly.
MIRROR_INSTALLERS = frozenset({"bandersnatch", "z3c.pypimirror"})
INSTALLER_VERSIONS = {
    "pip": (("25.3", 0.22), ("25.2", 0.18), ("25.1.1", 0.14), ("24.3.1", 0.12), ("24.0", 0.12),
            ("23.0.1", 0.08), ("22.0.2", 0.08), ("20.0.2", 0.06)),
    "uv": (("0.9.5", 0.35), ("0.8.22", 0.30), ("0.7.19", 0.20), ("0.6.14", 0.15)),
    "poetry": (("2.2.1", 0.5), ("2.1.3", 0.3), ("1.8.5", 0.2)),
    "requests": (("2.32.5", 0.5), ("2.32.3", 0.35), ("2.31.0", 0.15)),
    "Artifactory": (("7.117.7", 0.6), ("7.104.5", 0.4)),
    "bandersnatch": (("6.6.0", 0.7), ("6.5.0", 0.3)),
    "Nexus": (("3.82.0-08", 0.6), ("3.70.1-02", 0.4)),
    "pdm": (("2.25.4", 0.7), ("2.22.4", 0.3)),
    "Browser": ((None, 1.0),),
    "setuptools": (("80.9.0", 0.6), ("75.8.0", 0.4)),
    "pex": (("2.54.1", 1.0),),
    "devpi": (("6.14.0", 1.0),),
    "z3c.pypimirror": (("1.0.16", 1.0),),
}  # fmt: skip

# Interpreters: python, implementation name, implementation version, share.
PYTHON_RUNTIMES = (
    ("3.12.7", "CPython", "3.12.7", 0.12),
    ("3.12.3", "CPython", "3.12.3", 0.09),
    ("3.12.11", "CPython", "3.12.11", 0.08),
    ("3.11.9", "CPython", "3.11.9", 0.10),
    ("3.11.13", "CPython", "3.11.13", 0.09),
    ("3.10.12", "CPython", "3.10.12", 0.09),
    ("3.10.18", "CPython", "3.10.18", 0.06),
    ("3.13.7", "CPython", "3.13.7", 0.08),
    ("3.13.1", "CPython", "3.13.1", 0.04),
    ("3.9.23", "CPython", "3.9.23", 0.07),
    ("3.8.10", "CPython", "3.8.10", 0.04),
    ("3.14.0", "CPython", "3.14.0", 0.02),
    ("3.7.17", "CPython", "3.7.17", 0.015),
    ("3.6.8", "CPython", "3.6.8", 0.005),
    ("3.10.14", "PyPy", "7.3.17", 0.003),
    ("3.11.11", "PyPy", "7.3.19", 0.002),
)

# Operating systems: system, release, distro name, version, id, libc, libc version, cpu, share.
PLATFORM_MIX = (
    ("Linux", "5.15.0-1071-azure", "Ubuntu", "22.04", "jammy", "glibc", "2.35", "x86_64", 0.17),
    ("Linux", "6.8.0-1021-aws", "Ubuntu", "24.04", "noble", "glibc", "2.39", "x86_64", 0.16),
    ("Linux", "6.1.0-28-cloud-amd64", "Debian GNU/Linux", "12", "bookworm", "glibc", "2.36",
     "x86_64", 0.14),
    ("Linux", "6.1.119-129.201.amzn2023.x86_64", "Amazon Linux", "2023", None, "glibc", "2.34",
     "x86_64", 0.07),
    ("Linux", "5.4.0-1103-gcp", "Ubuntu", "20.04", "focal", "glibc", "2.31", "x86_64", 0.05),
    ("Linux", "6.8.0-1019-aws", "Ubuntu", "24.04", "noble", "glibc", "2.39", "aarch64", 0.05),
    ("Linux", "5.10.228-219.884.amzn2.x86_64", "Amazon Linux", "2", None, "glibc", "2.26",
     "x86_64", 0.04),
    ("Linux", "6.1.0-28-arm64", "Debian GNU/Linux", "12", "bookworm", "glibc", "2.36",
     "aarch64", 0.03),
    ("Linux", "5.14.0-427.el9.x86_64", "Red Hat Enterprise Linux", "9.4", "Plow", "glibc",
     "2.34", "x86_64", 0.03),
    ("Linux", "6.10.14-linuxkit", "Debian GNU/Linux", "12", "bookworm", "glibc", "2.36",
     "aarch64", 0.02),
    ("Linux", "4.18.0-553.el8_10.x86_64", "Rocky Linux", "8.10", "Green Obsidian", "glibc",
     "2.28", "x86_64", 0.02),
    # pip does not detect musl, so Alpine reports a distro without libc.
    ("Linux", "6.6.58-0-lts", "Alpine Linux", "3.20.3", None, None, None, "x86_64", 0.02),
    ("Windows", "10", None, None, None, None, None, "AMD64", 0.10),
    ("Windows", "2022Server", None, None, None, None, None, "AMD64", 0.01),
    ("Darwin", "24.1.0", "macOS", "15.1", None, None, None, "arm64", 0.06),
    ("Darwin", "23.6.0", "macOS", "14.6.1", None, None, None, "arm64", 0.03),
    ("Darwin", "22.6.0", "macOS", "13.6.9", None, None, None, "x86_64", 0.02),
)  # fmt: skip

OPENSSL_VERSIONS = (
    ("OpenSSL 3.0.13 30 Jan 2024", 0.28),
    ("OpenSSL 3.0.15 3 Sep 2024", 0.20),
    ("OpenSSL 3.3.2 3 Sep 2024", 0.10),
    ("OpenSSL 3.4.0 22 Oct 2024", 0.08),
    ("OpenSSL 3.2.2 4 Jun 2024", 0.08),
    ("OpenSSL 1.1.1w  11 Sep 2023", 0.12),
    ("OpenSSL 1.1.1f  31 Mar 2020", 0.08),
    ("OpenSSL 1.0.2k-fips  26 Jan 2017", 0.03),
    ("LibreSSL 3.3.6", 0.03),
)
SETUPTOOLS_VERSIONS = (
    ("80.9.0", 0.22), ("75.8.0", 0.18), ("69.5.1", 0.14), ("68.2.0", 0.12),
    ("65.5.0", 0.12), ("59.6.0", 0.12), ("58.1.0", 0.10),
)  # fmt: skip
RUSTC_VERSIONS = (("1.86.0", 0.3), ("1.83.0", 0.3), ("1.82.0", 0.2), ("1.75.0", 0.2))
# Share of "full" user agents that report each optional field (uv reports none of them).
OPENSSL_REPORTED_SHARE = 0.97
SETUPTOOLS_REPORTED_SHARE = 0.85
RUSTC_REPORTED_SHARE = 0.20
NO_BUILD_TOOL_INSTALLERS = frozenset({"uv"})

TLS_MIX = (
    ("TLSv1.3", "TLS_AES_128_GCM_SHA256", 0.62),
    ("TLSv1.3", "TLS_AES_256_GCM_SHA384", 0.18),
    ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256", 0.04),
    ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", 0.11),
    ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", 0.04),
    ("TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305", 0.01),
)
NULL_TLS_SHARE = 0.002

# Metadata quirks of the public table.
DUPLICATE_METADATA_SHARE = 0.02  # files whose metadata row was written twice (retries)
MISSING_METADATA_DOWNLOAD_SHARE = 0.01  # downloads of files with no metadata row at all
MISSING_METADATA_MAX_FILE_SHARE = 0.002  # only unpopular files lose their metadata

# Requires-Dist: a quarter of projects have no dependencies, most a handful, frameworks with
# many optional extras 30 to 40.
NO_DEPENDENCY_PROBABILITY = 0.25
DEPENDENCY_MEDIAN = 3.5
FRAMEWORK_PROBABILITY = 0.04
FRAMEWORK_DEPENDENCIES = (30, 40)
MAX_DEPENDENCIES = 40
EXTRAS = ("test", "dev", "docs", "all", "aws", "gcp", "azure", "postgres", "cli", "async")
# Requirement styles; from the ninth dependency on most entries are optional extras.
REQUIREMENT_STYLES = (
    "{name}>={low}",
    "{name}<{next_major},>={low}",
    "{name}",
    "{name}~={low}",
    '{name}>={low}; python_version < "3.11"',
    '{name}>={low}; extra == "{extra}"',
    '{name}; sys_platform == "win32"',
)
REQUIREMENT_STYLE_WEIGHTS = (0.40, 0.15, 0.15, 0.06, 0.06, 0.15, 0.03)
EXTRA_STYLE_FROM_INDEX = 8
EXTRA_STYLE_SHARE_AFTER = 0.7

# A release's metadata by its age in days: core metadata versions, Requires-Python choices
# and the upload tools of that era (None: not recorded), each with its weight.
RELEASE_ERAS = (
    (365,
     (("2.4", 0.5), ("2.3", 0.3), ("2.1", 0.2)),
     (">=3.10", ">=3.9"),
     (("twine/6.1.0 CPython/3.12.8", 0.4), ("uv/0.8.22", 0.25),
      ("twine/5.1.1 CPython/3.11.9", 0.2), ("poetry/2.1.3 CPython/3.12.3 Linux/6.8.0", 0.15))),
    (1500,
     (("2.1", 0.7), ("2.3", 0.2), ("2.2", 0.1)),
     (">=3.8", ">=3.9", ">=3.7"),
     (("twine/4.0.2 CPython/3.10.12", 0.4), ("twine/3.8.0 CPython/3.9.18", 0.3),
      ("twine/5.0.0 CPython/3.12.2", 0.2), ("poetry/1.8.3 CPython/3.11.9 Linux/5.15.0", 0.1))),
    (None,
     (("2.1", 0.5), ("1.2", 0.3), ("1.1", 0.2)),
     (">=3.6", ">=2.7, !=3.0.*, !=3.1.*", None),
     (("twine/1.15.0 pkginfo/1.5.0 requests/2.22.0 CPython/3.7.4", 0.5), (None, 0.5))),
)  # fmt: skip
LICENSES = (
    ("MIT", "MIT License", 0.40),
    ("Apache-2.0", "Apache Software License", 0.30),
    ("BSD-3-Clause", "BSD License", 0.20),
    ("MPL-2.0", "Mozilla Public License 2.0 (MPL 2.0)", 0.05),
    ("PSF-2.0", "Python Software Foundation License", 0.05),
)
DEVELOPMENT_STATUSES = ("5 - Production/Stable", "4 - Beta", "3 - Alpha")
SUMMARY_TEMPLATES = (
    "{display}: a fast, well-tested Python library",
    "Python client library for {words}",
    "Utilities for working with {words} in Python",
    "The {display} package",
    "Type-safe {words} for modern Python",
    "A lightweight {words} toolkit",
    "{display} core functionality",
    "Pythonic bindings for {words}",
)
SIGNED_PROBABILITY_OLD = 0.08  # GPG signatures, common on old releases only

_VERSION_PATTERN = re.compile(r"^(\d+(?:\.\d+)*)(?:(a|b|rc)\d+)?(?:\.post\d+)?$")


@dataclass(frozen=True)
class ReplicaSpec:
    last_day: dt.date
    days: int = 21
    downloads_per_day: int = 20_000  # mean over the week; weekends are quieter
    seed: int = 20261203
    projects: int = 300  # the N most popular names from the packaged ranking

    def __post_init__(self) -> None:
        """Reject a spec outside the supported ranges, naming the bad field."""
        if isinstance(self.last_day, dt.datetime) or not isinstance(self.last_day, dt.date):
            raise ValueError(f"last_day must be a datetime.date, got {self.last_day!r}")
        for name, (low, high) in (
            ("days", DAYS_RANGE),
            ("downloads_per_day", DOWNLOADS_PER_DAY_RANGE),
            ("projects", PROJECTS_RANGE),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")

    @property
    def first_day(self) -> dt.date:
        """First day of the download window."""
        return self.last_day - dt.timedelta(days=self.days - 1)


@dataclass(frozen=True)
class Replica:
    file_downloads: pa.Table
    distribution_metadata: pa.Table


class RankedProject(NamedTuple):
    rank: int
    project: str
    latest_version: str


class _Project(NamedTuple):
    name: str
    display: str
    share: float
    kind: str  # "pure", "binary" or "sdist_only"
    wheel_bytes: float
    py2_wheel: bool
    zip_sdist: bool
    dependencies: tuple[str, ...]


class _Version(NamedTuple):
    project: int
    version: str
    age: int  # 0 for the latest, 1 for the one before, ...
    share: float  # share of all downloads
    released_us: int


class _File(NamedTuple):
    version: int
    filename: str
    packagetype: str
    python_version: str
    share: float  # share of all downloads
    nominal_bytes: float  # typical size before per-file noise


@dataclass(frozen=True)
class _Catalog:
    projects: list[_Project]
    versions: list[_Version]
    files: list[_File]
    sizes: np.ndarray  # bytes per file
    uploads_us: np.ndarray  # upload time per file, microseconds since the epoch


@cache
def load_ranking() -> tuple[RankedProject, ...]:
    """The packaged ranking of the most-downloaded PyPI projects, most popular first."""
    # One part at a time: `helpers` is a namespace package, and a multi-part name would be
    # looked up only in the first folder of its path, which need not be the installed one.
    resource = resources.files("helpers")
    for part in RANKING_RESOURCE:
        resource = resource.joinpath(part)
    text = resource.read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    ranking = [RankedProject(int(r["rank"]), r["project"], r["latest_version"]) for r in rows]
    return tuple(sorted(ranking, key=lambda row: row.rank))


def _weighted(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """Indices drawn with the given (not necessarily normalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _pick(rng: np.random.Generator, weights: Sequence[float]) -> int:
    """One index drawn with the given weights (cheaper than rng.choice for a single draw)."""
    cumulative = np.cumsum(weights)
    return int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))


def _column(table: Sequence[tuple], position: int) -> list:
    """The values at one position of every row of a constant table."""
    return [row[position] for row in table]


def popularity_shares(ranks: Sequence[int]) -> np.ndarray:
    """Share of downloads per project: Zipf over the published rank."""
    weights = np.asarray(ranks, dtype=float) ** -ZIPF_EXPONENT
    return weights / weights.sum()


def display_name(project: str, rng: np.random.Generator) -> str:
    """The name as uploaded: known spellings, otherwise sometimes capitalised."""
    if project in DISPLAY_NAMES:
        return DISPLAY_NAMES[project]
    if "-" not in project and rng.random() < CAPITALISED_NAME_PROBABILITY:
        return project[:1].upper() + project[1:]
    return project


def wheel_name(project: str) -> str:
    """The distribution name as it appears in file names: separators become underscores."""
    return re.sub(r"[-.]+", "_", project)


def _size_override_mb(project: str) -> float | None:
    """Median wheel size in MB for projects known to be far from typical, else None."""
    matches = [key for key in WHEEL_SIZE_MB if project == key or project.startswith(key + "-")]
    return WHEEL_SIZE_MB[max(matches, key=len)] if matches else None


def wheel_bytes(project: str, kind: str, rng: np.random.Generator) -> float:
    """Typical wheel size of a project: heavy-tailed, with known giants much larger."""
    override = _size_override_mb(project)
    if override is not None:
        return override * 1e6 * rng.lognormal(0.0, 0.25)
    median = BINARY_WHEEL_MEDIAN_BYTES if kind == "binary" else PURE_WHEEL_MEDIAN_BYTES
    return median * rng.lognormal(0.0, 1.2)


def _dependency_count(rng: np.random.Generator) -> int:
    """Number of Requires-Dist entries of a project's latest release."""
    if rng.random() < FRAMEWORK_PROBABILITY:
        return int(rng.integers(FRAMEWORK_DEPENDENCIES[0], FRAMEWORK_DEPENDENCIES[1] + 1))
    if rng.random() < NO_DEPENDENCY_PROBABILITY:
        return 0
    return min(MAX_DEPENDENCIES, 1 + int(rng.lognormal(math.log(DEPENDENCY_MEDIAN), 0.9)))


def _release(version: str) -> tuple[int, int]:
    """Major and minor release numbers of a version string."""
    match = re.match(r"(\d+)(?:\.(\d+))?", version)
    return (int(match.group(1)), int(match.group(2) or 0)) if match else (1, 0)


def requirement(name: str, latest: str, index: int, rng: np.random.Generator) -> str:
    """One Requires-Dist entry: a dependency with a lower bound below its latest release."""
    weights = np.array(REQUIREMENT_STYLE_WEIGHTS)
    if index >= EXTRA_STYLE_FROM_INDEX:  # long lists are mostly optional extras
        extra = REQUIREMENT_STYLES.index('{name}>={low}; extra == "{extra}"')
        weights = weights * (1 - EXTRA_STYLE_SHARE_AFTER) / (1 - weights[extra])
        weights[extra] = EXTRA_STYLE_SHARE_AFTER
    major, minor = _release(latest)
    low = f"{major}.{int(rng.integers(0, minor + 1))}" if minor else f"{max(major - 1, 0)}.0"
    style = REQUIREMENT_STYLES[_pick(rng, weights)]
    extra = EXTRAS[int(rng.integers(len(EXTRAS)))]
    return style.format(name=name, low=low, next_major=major + 1, extra=extra)


def dependencies(
    project: str,
    count: int,
    ranking: Sequence[RankedProject],
    weights: np.ndarray,
    rng: np.random.Generator,
) -> tuple[str, ...]:
    """Requires-Dist of a project's latest release: popular projects are likelier picks."""
    count = min(count, len(ranking) - 1)
    if count <= 0:
        return ()
    # One spare pick, dropped if the project itself was drawn.
    picks = rng.choice(len(ranking), size=count + 1, replace=False, p=weights)
    chosen = [ranking[int(pick)] for pick in picks if ranking[int(pick)].project != project]
    entries = []
    for index, row in enumerate(chosen[:count]):
        # Requirements often keep the dependency's display spelling (PyYAML, Jinja2).
        name = DISPLAY_NAMES.get(row.project, row.project) if rng.random() < 0.5 else row.project
        entries.append(requirement(name, row.latest_version, index, rng))
    return tuple(entries)


def dependency_weights(ranking: Sequence[RankedProject]) -> np.ndarray:
    """Chance of each ranked project being picked as a dependency: popular ones likelier."""
    weights = np.array([row.rank for row in ranking], dtype=float) ** -0.8
    return weights / weights.sum()


def _step_back(parts: list[int], rng: np.random.Generator) -> list[int] | None:
    """The release components of a plausible previous release, or None at 0.0.0."""
    chosen = max(len(parts) - 1 - _pick(rng, STEP_BACK_LEVEL_WEIGHTS), 0)
    # A zero component cannot go down: try the more significant ones, then the less.
    order = [*range(chosen, -1, -1), *range(chosen + 1, len(parts))]
    level = next((i for i in order if parts[i] > 0), None)
    if level is None:
        return None
    # After a bump (1.0.0), the previous release sat on a later minor or patch (0.9.4).
    tail = [int(x) for x in rng.integers(0, 10, size=len(parts) - level - 1)]
    if tail:
        tail[0] = int(rng.integers(1, 13))
    stepped = [*parts[:level], parts[level] - 1, *tail]
    return stepped if any(stepped) else None


def older_versions(latest: str, count: int, rng: np.random.Generator) -> list[str]:
    """Up to `count` plausible earlier releases derived from the latest, newest first."""
    match = _VERSION_PATTERN.match(latest)
    if match is None:
        return []
    parts = [int(part) for part in match.group(1).split(".")]
    pre = match.group(2)
    versions: list[str] = []
    while len(versions) < count:
        stepped = _step_back(parts, rng)
        if stepped is None:
            break
        parts = stepped
        # Pre-release projects (0.66b2) keep publishing pre-releases; post releases are rare.
        suffix = f"{pre}{int(rng.integers(0, 4))}" if pre else ""
        text = ".".join(str(part) for part in parts) + suffix
        if text != latest and text not in versions:
            versions.append(text)
    return versions


def version_shares(count: int, rng: np.random.Generator) -> np.ndarray:
    """Share of a project's downloads per version, latest first: dominant, then decaying."""
    latest = rng.uniform(*LATEST_SHARE_RANGE)
    older = OLDER_VERSION_DECAY ** np.arange(1, count)
    if older.size == 0:
        return np.array([1.0])
    return np.concatenate([[latest], (1 - latest) * older / older.sum()])


def plan_projects(
    ranking: Sequence[RankedProject], count: int, rng: np.random.Generator
) -> list[_Project]:
    """Projects of the replica: names, popularity, kind of wheels, size and dependencies."""
    chosen = ranking[:count]
    shares = popularity_shares([row.rank for row in chosen])
    weights = dependency_weights(ranking)
    projects = []
    for row, share in zip(chosen, shares, strict=True):
        if row.project in BINARY_PROJECTS or _size_override_mb(row.project) is not None:
            kind = "binary" if row.project in BINARY_PROJECTS else "pure"
        elif rng.random() < SDIST_ONLY_PROBABILITY:
            kind = "sdist_only"
        else:
            kind = "binary" if rng.random() < BINARY_PROBABILITY else "pure"
        projects.append(
            _Project(
                name=row.project,
                display=display_name(row.project, rng),
                share=float(share),
                kind=kind,
                wheel_bytes=wheel_bytes(row.project, kind, rng),
                py2_wheel=bool(rng.random() < PY2_WHEEL_PROBABILITY),
                zip_sdist=bool(rng.random() < ZIP_SDIST_PROBABILITY),
                dependencies=dependencies(
                    row.project, _dependency_count(rng), ranking, weights, rng
                ),
            )
        )
    return _ensure_framework(projects, ranking, rng)


def _ensure_framework(
    projects: list[_Project], ranking: Sequence[RankedProject], rng: np.random.Generator
) -> list[_Project]:
    """Give the most dependent project a framework-sized list if no project has one."""
    longest = max(range(len(projects)), key=lambda i: len(projects[i].dependencies))
    if len(projects[longest].dependencies) >= FRAMEWORK_DEPENDENCIES[0]:
        return projects
    count = int(rng.integers(FRAMEWORK_DEPENDENCIES[0], FRAMEWORK_DEPENDENCIES[1] + 1))
    project = projects[longest]
    projects[longest] = project._replace(
        dependencies=dependencies(project.name, count, ranking, dependency_weights(ranking), rng)
    )
    return projects


def plan_versions(
    index: int, project: _Project, latest: str, window_start_us: int, rng: np.random.Generator
) -> list[_Version]:
    """Releases of one project, latest first, all published before the download window."""
    wanted = int(rng.integers(MIN_VERSIONS, MAX_VERSIONS + 1))
    names = [latest, *older_versions(latest, wanted - 1, rng)]
    shares = version_shares(len(names), rng) * project.share
    released = window_start_us - int((2 + rng.exponential(40.0)) * SECONDS_PER_DAY * 1e6)
    versions = []
    for age, (name, share) in enumerate(zip(names, shares, strict=True)):
        versions.append(_Version(index, name, age, float(share), released))
        released -= int((7 + rng.exponential(80.0)) * SECONDS_PER_DAY * 1e6)
    return versions


def _binary_wheels(project: _Project, version: _Version) -> list[tuple[str, str, float, float]]:
    """Compiled wheels of a version: (tag, python tag, share among wheels, size factor)."""
    minors = [max(m - version.age, OLDEST_CPYTHON_MINOR) for m in NEWEST_CPYTHON_MINORS]
    minors = sorted(set(minors))
    minor_weights = np.array([CPYTHON_MINOR_WEIGHTS.get(m, 0.01) for m in minors])
    minor_weights /= minor_weights.sum()
    wheels = []
    for minor, minor_weight in zip(minors, minor_weights, strict=True):
        for platform, platform_weight in BINARY_PLATFORMS:
            factor = PLATFORM_SIZE_FACTOR.get(platform[:3], 1.0)
            tag = f"cp3{minor}-cp3{minor}-{platform}"
            wheels.append((tag, f"cp3{minor}", float(minor_weight * platform_weight), factor))
    return wheels


def _wheels(project: _Project, version: _Version) -> list[tuple[str, str, float, float]]:
    """Wheels of a version: none for sdist-only projects, one pure or many compiled."""
    if project.kind == "sdist_only":
        return []
    if project.kind == "binary":
        return _binary_wheels(project, version)
    if project.py2_wheel:
        return [("py2.py3-none-any", "py2.py3", 1.0, 1.0)]
    return [("py3-none-any", "py3", 1.0, 1.0)]


def plan_files(project: _Project, index: int, version: _Version, rng) -> list[_File]:
    """Files uploaded for one version: wheels, an sdist and sometimes a legacy format."""
    name = wheel_name(project.name)
    wheels = _wheels(project, version)
    has_sdist = not wheels or (_size_override_mb(project.name) or 0.0) < WHEEL_ONLY_FROM_MB
    legacy = None
    if version.age >= 2 and rng.random() < LEGACY_FILE_PROBABILITY:
        legacy = LEGACY_FILES[_pick(rng, _column(LEGACY_FILES, 3))]
    legacy_share = LEGACY_SHARE if legacy else 0.0
    sdist_share = (SDIST_SHARE if wheels else 1.0 - legacy_share) if has_sdist else 0.0
    wheel_share = 1.0 - sdist_share - legacy_share
    base = project.wheel_bytes * 0.96**version.age  # older releases were a little smaller
    files = []
    if has_sdist:
        archive = "zip" if project.zip_sdist and version.age >= 1 else "tar.gz"
        # Pure sdists carry tests and docs; compiled projects' sdists lack the binaries.
        factor = rng.uniform(1.1, 2.5) if project.kind != "binary" else rng.uniform(0.3, 1.5)
        files.append(
            _File(
                index,
                f"{name}-{version.version}.{archive}",
                "sdist",
                "source",
                sdist_share * version.share,
                base * factor,
            )
        )
    for tag, python_tag, share, factor in wheels:
        files.append(
            _File(
                index,
                f"{name}-{version.version}-{tag}.whl",
                "bdist_wheel",
                python_tag,
                wheel_share * share * version.share,
                base * factor,
            )
        )
    if legacy:
        packagetype, pattern, python_version, _ = legacy
        filename = pattern.format(name=name, version=version.version)
        files.append(
            _File(
                index,
                filename,
                packagetype,
                python_version,
                legacy_share * version.share,
                base * rng.uniform(1.0, 1.6),
            )
        )
    return files


def build_catalog(
    ranking: Sequence[RankedProject], spec: ReplicaSpec, rng: np.random.Generator
) -> _Catalog:
    """Every project, version and uploaded file of the replica with its download share."""
    projects = plan_projects(ranking, spec.projects, rng)
    window_start_us = _epoch_seconds(spec.first_day) * MICROS_PER_SECOND
    versions: list[_Version] = []
    files: list[_File] = []
    for index, (project, row) in enumerate(zip(projects, ranking, strict=False)):
        for version in plan_versions(index, project, row.latest_version, window_start_us, rng):
            files.extend(plan_files(project, len(versions), version, rng))
            versions.append(version)
    nominal = np.array([f.nominal_bytes for f in files])
    sizes = np.maximum(1_000, nominal * rng.lognormal(0.0, 0.05, nominal.size)).astype(np.int64)
    released = np.array([versions[f.version].released_us for f in files], dtype=np.int64)
    # Release pipelines upload all files of a version within the hour.
    uploads = released + rng.integers(5 * MICROS_PER_SECOND, 3600 * MICROS_PER_SECOND, len(files))
    return _Catalog(projects, versions, files, sizes, uploads)


def _epoch_seconds(day: dt.date) -> int:
    """Seconds since the epoch at the start of a UTC day."""
    return (day - dt.date(1970, 1, 1)).days * SECONDS_PER_DAY


def daily_counts(spec: ReplicaSpec, rng: np.random.Generator) -> np.ndarray:
    """Downloads per day: weekdays busier than weekends, the weekly mean as specified."""
    weekday_mean = spec.downloads_per_day * 7 / (5 + 2 * WEEKEND_FACTOR)
    days = [spec.first_day + dt.timedelta(days=offset) for offset in range(spec.days)]
    means = np.array([weekday_mean * (WEEKEND_FACTOR if d.weekday() >= 5 else 1.0) for d in days])
    return rng.poisson(means)


def hour_weights() -> np.ndarray:
    """Relative traffic per UTC hour: a smooth daily curve peaking at PEAK_HOUR_UTC."""
    hours = np.arange(24) + 0.5
    return 1 + HOUR_AMPLITUDE * np.cos(2 * np.pi * (hours - PEAK_HOUR_UTC - 0.5) / 24)


def draw_timestamps(spec: ReplicaSpec, rng: np.random.Generator) -> np.ndarray:
    """Sorted download times in whole seconds since the epoch, within the window."""
    counts = daily_counts(spec, rng)
    total = int(counts.sum())
    day = np.repeat(np.arange(spec.days, dtype=np.int64), counts)
    hour = _weighted(rng, hour_weights(), total).astype(np.int64)
    second = rng.integers(0, 3600, size=total, dtype=np.int64)
    start = _epoch_seconds(spec.first_day)
    return np.sort(start + day * SECONDS_PER_DAY + hour * 3600 + second)


def _take(values: Sequence, index: np.ndarray, valid: np.ndarray | None = None, kind=None):
    """Arrow array of values[index] per row; rows not valid become NULL."""
    dictionary = pa.array(list(values), type=kind or pa.string())
    mask = None if valid is None else ~valid
    return dictionary.take(pa.array(index.astype(np.int64), mask=mask))


def _struct(kind: pa.StructType, children: dict[str, pa.Array], valid: np.ndarray | None):
    """Struct array of the given type; rows not valid become NULL."""
    mask = None if valid is None else pa.array(~valid)
    return pa.StructArray.from_arrays(
        [children[field.name] for field in kind], fields=list(kind), mask=mask
    )


def draw_installers(total: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Installer per download (-1 for unrecognised user agents) and its version index."""
    installer = _weighted(rng, [entry[1] for entry in INSTALLER_MIX], total)
    installer[rng.random(total) < NULL_DETAILS_SHARE] = -1
    version = np.zeros(total, dtype=np.int64)
    for position, (name, *_rest) in enumerate(INSTALLER_MIX):
        rows = installer == position
        weights = [weight for _, weight in INSTALLER_VERSIONS[name]]
        version[rows] = _weighted(rng, weights, int(rows.sum()))
    return installer, version


def _installer_arrays(kind: pa.StructType, installer: np.ndarray, version: np.ndarray):
    """The details.installer record per download; NULL for unrecognised agents."""
    names = [entry[0] for entry in INSTALLER_MIX]
    # One flat (installer, version) list so one take resolves each row's version string.
    offsets = np.cumsum([0] + [len(INSTALLER_VERSIONS[n]) for n in names])[:-1]
    flat = [v for n in names for v, _ in INSTALLER_VERSIONS[n]]
    known = installer >= 0
    safe = np.where(known, installer, 0)
    children = {
        "name": _take(names, safe, known),
        "version": _take(flat, offsets[safe] + version, known),
    }
    return _struct(kind, children, known)


def build_details(kind: pa.StructType, installer: np.ndarray, version: np.ndarray, rng):
    """The parsed user agent: NULL when unrecognised, fields by what the installer reports."""
    total = installer.size
    known = installer >= 0
    safe = np.where(known, installer, 0)
    profile = np.array([entry[2] for entry in INSTALLER_MIX])[safe]
    full = known & (profile == "full")
    interpreter = full | (known & (profile == "python"))
    no_build = np.isin(
        safe, [i for i, e in enumerate(INSTALLER_MIX) if e[0] in NO_BUILD_TOOL_INSTALLERS]
    )
    ci_share = np.array([entry[3] for entry in INSTALLER_MIX])[safe]

    runtime = _weighted(rng, _column(PYTHON_RUNTIMES, 3), total)
    platform = _weighted(rng, _column(PLATFORM_MIX, 8), total)
    has_distro = np.array([row[2] is not None for row in PLATFORM_MIX])[platform] & full
    has_libc = np.array([row[5] is not None for row in PLATFORM_MIX])[platform] & has_distro
    reports_build = full & ~no_build
    openssl = reports_build & (rng.random(total) < OPENSSL_REPORTED_SHARE)
    setuptools = reports_build & (rng.random(total) < SETUPTOOLS_REPORTED_SHARE)
    rustc = reports_build & (rng.random(total) < RUSTC_REPORTED_SHARE)
    ci = full & (rng.random(total) < ci_share)

    fields = {field.name: field.type for field in kind}
    implementation = _struct(
        fields["implementation"],
        {
            "name": _take(_column(PYTHON_RUNTIMES, 1), runtime, interpreter),
            "version": _take(_column(PYTHON_RUNTIMES, 2), runtime, interpreter),
        },
        interpreter,
    )
    libc = _struct(
        fields["distro"].field("libc").type,
        {
            "lib": _take(_column(PLATFORM_MIX, 5), platform, has_libc),
            "version": _take(_column(PLATFORM_MIX, 6), platform, has_libc),
        },
        has_libc,
    )
    distro = _struct(
        fields["distro"],
        {
            "name": _take(_column(PLATFORM_MIX, 2), platform, has_distro),
            "version": _take(_column(PLATFORM_MIX, 3), platform, has_distro),
            "id": _take(_column(PLATFORM_MIX, 4), platform, has_distro),
            "libc": libc,
        },
        has_distro,
    )
    system = _struct(
        fields["system"],
        {
            "name": _take(_column(PLATFORM_MIX, 0), platform, interpreter),
            "release": _take(_column(PLATFORM_MIX, 1), platform, interpreter),
        },
        interpreter,
    )
    children = {
        "installer": _installer_arrays(fields["installer"], installer, version),
        "python": _take(_column(PYTHON_RUNTIMES, 0), runtime, interpreter),
        "implementation": implementation,
        "distro": distro,
        "system": system,
        "cpu": _take(_column(PLATFORM_MIX, 7), platform, interpreter),
        "openssl_version": _choice_array(OPENSSL_VERSIONS, openssl, rng),
        "setuptools_version": _choice_array(SETUPTOOLS_VERSIONS, setuptools, rng),
        "rustc_version": _choice_array(RUSTC_VERSIONS, rustc, rng),
        # The public table stores TRUE or NULL, never FALSE.
        "ci": pa.array(np.ones(total, dtype=bool), mask=~ci),
    }
    return _struct(kind, children, known)


def _choice_array(choices: Sequence[tuple[str, float]], valid: np.ndarray, rng) -> pa.Array:
    """Weighted pick per row from (value, weight) pairs; rows not valid become NULL."""
    index = _weighted(rng, [weight for _, weight in choices], valid.size)
    return _take([value for value, _ in choices], index, valid)


def draw_countries(total: int, rng: np.random.Generator) -> pa.Array:
    """Country code per download, a few percent NULL."""
    codes = list(COUNTRY_WEIGHTS)
    index = _weighted(rng, list(COUNTRY_WEIGHTS.values()), total)
    return _take(codes, index, rng.random(total) >= NULL_COUNTRY_SHARE)


def draw_tls(total: int, rng: np.random.Generator) -> tuple[pa.Array, pa.Array]:
    """TLS protocol and cipher per download, rarely NULL."""
    index = _weighted(rng, _column(TLS_MIX, 2), total)
    valid = rng.random(total) >= NULL_TLS_SHARE
    return _take(_column(TLS_MIX, 0), index, valid), _take(_column(TLS_MIX, 1), index, valid)


def draw_files(shares: np.ndarray, installer: np.ndarray, rng) -> np.ndarray:
    """File downloaded per row: by popularity, evenly for full mirrors."""
    file = _weighted(rng, shares, installer.size)
    mirror_ids = [i for i, entry in enumerate(INSTALLER_MIX) if entry[0] in MIRROR_INSTALLERS]
    mirror = np.isin(installer, mirror_ids)
    file[mirror] = rng.integers(0, shares.size, size=int(mirror.sum()))
    return file


def file_digests(count: int, rng: np.random.Generator) -> tuple[list[str], list[str], list[str]]:
    """Deterministic md5, sha256 and blake2b-256 hex digests per file."""
    raw = rng.integers(0, 256, size=(count, 80), dtype=np.uint8)
    text = raw.tobytes().hex()
    rows = [text[i * 160 : (i + 1) * 160] for i in range(count)]
    return [r[:32] for r in rows], [r[32:96] for r in rows], [r[96:] for r in rows]


def storage_path(blake2: str, filename: str) -> str:
    """Path of a file under files.pythonhosted.org/packages, keyed by its blake2 digest."""
    return f"{blake2[:2]}/{blake2[2:4]}/{blake2[4:]}/{filename}"


def files_without_metadata(shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unpopular files whose metadata row is missing, about 1% of downloads in total."""
    order = rng.permutation(shares.size)
    candidates = order[shares[order] < MISSING_METADATA_MAX_FILE_SHARE]
    reached = np.cumsum(shares[candidates])
    count = int(np.searchsorted(reached, MISSING_METADATA_DOWNLOAD_SHARE)) + 1
    missing = np.zeros(shares.size, dtype=bool)
    missing[candidates[:count]] = True
    return missing


def file_downloads_table(
    spec: ReplicaSpec, catalog: _Catalog, paths: list[str], rng: np.random.Generator
) -> pa.Table:
    """One row per download, sorted by timestamp, in the published schema."""
    schema = source_arrow_schema("file_downloads")
    seconds = draw_timestamps(spec, rng)
    total = seconds.size
    installer, installer_version = draw_installers(total, rng)
    shares = np.array([f.share for f in catalog.files])
    file = draw_files(shares, installer, rng)
    version_of_file = np.array([f.version for f in catalog.files], dtype=np.int64)
    project_of_version = np.array([v.project for v in catalog.versions], dtype=np.int64)
    version = version_of_file[file]
    project = _take([p.name for p in catalog.projects], project_of_version[version])
    protocol, cipher = draw_tls(total, rng)
    file_struct = _struct(
        schema.field("file").type,
        {
            "filename": _take([f.filename for f in catalog.files], file),
            "project": project,
            "version": _take([v.version for v in catalog.versions], version),
            "type": _take([f.packagetype for f in catalog.files], file),
        },
        None,
    )
    columns = {
        "timestamp": pa.array(seconds * MICROS_PER_SECOND, type=schema.field("timestamp").type),
        "country_code": draw_countries(total, rng),
        "url": _take(["/packages/" + path for path in paths], file),
        "project": project,
        "file": file_struct,
        "details": build_details(schema.field("details").type, installer, installer_version, rng),
        "tls_protocol": protocol,
        "tls_cipher": cipher,
    }
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)


def project_metadata(projects: Sequence[_Project], licenses: np.ndarray, rng) -> dict[str, list]:
    """Per-project metadata columns: display name, summary, people, keywords, classifiers."""
    columns: dict[str, list] = {
        name: []
        for name in (
            "name", "summary", "description", "description_content_type", "author",
            "author_email", "maintainer", "maintainer_email", "keywords", "classifiers",
            "home_page",
        )
    }  # fmt: skip
    for project, license_index in zip(projects, licenses, strict=True):
        org, words = project.name.split("-")[0], project.name.replace("-", " ")
        template = SUMMARY_TEMPLATES[int(rng.integers(len(SUMMARY_TEMPLATES)))]
        summary = template.format(display=project.display, words=words)
        has_description = rng.random() >= 0.25
        values = {
            "name": project.display,
            "summary": summary,
            "description": (
                f"# {project.display}\n\n{summary}.\n\n```\npip install {project.name}\n```\n"
                if has_description
                else None
            ),
            "description_content_type": (
                ("text/markdown", "text/x-rst", "text/plain")[_pick(rng, (7, 2, 1))]
                if has_description
                else None
            ),
            "author": _maybe(rng, 0.7, f"The {project.display} developers"),
            "author_email": _maybe(rng, 0.6, f"{org}-dev@{org}.org"),
            "maintainer": _maybe(rng, 0.15, f"{project.display} maintainers"),
            "maintainer_email": _maybe(rng, 0.1, f"security@{org}.org"),
            "keywords": _maybe(rng, 0.4, ",".join([*project.name.split("-"), "python"])),
            "classifiers": classifiers(int(license_index), rng),
            "home_page": _maybe(rng, 0.6, f"https://github.com/{org}/{project.name}"),
        }
        for name, value in values.items():
            columns[name].append(value)
    return columns


def _maybe(rng: np.random.Generator, probability: float, value):
    """The value with the given probability, otherwise NULL."""
    return value if rng.random() < probability else None


def classifiers(license_index: int, rng: np.random.Generator) -> list[str]:
    """Trove classifiers of a project; about one in seven declares none."""
    if rng.random() < 0.15:
        return []
    status = DEVELOPMENT_STATUSES[_pick(rng, (0.7, 0.2, 0.1))]
    minors = range(int(rng.integers(8, 11)), 14)
    entries = [
        f"Development Status :: {status}",
        "Intended Audience :: Developers",
        f"License :: OSI Approved :: {LICENSES[license_index][1]}",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        *(f"Programming Language :: Python :: 3.{minor}" for minor in minors),
        "Topic :: Software Development :: Libraries :: Python Modules",
    ]
    keep = rng.random(len(entries)) < 0.85
    return [entry for entry, kept in zip(entries, keep, strict=True) if kept]


def release_era(age_days: float) -> int:
    """Index into RELEASE_ERAS of a release published `age_days` before the window."""
    for index, (limit, *_rest) in enumerate(RELEASE_ERAS):
        if limit is None or age_days <= limit:
            return index
    raise AssertionError("the last era has no age limit")


def version_metadata(
    catalog: _Catalog, licenses: np.ndarray, window_start_us: int, rng: np.random.Generator
) -> dict[str, list]:
    """Per-version metadata: core metadata version, Requires-Dist, licence fields, URLs."""
    columns: dict[str, list] = {}
    for version in catalog.versions:
        project = catalog.projects[version.project]
        age_days = (window_start_us - version.released_us) / (SECONDS_PER_DAY * 1e6)
        era = release_era(age_days)
        _, metadata_versions, requires_python, uploaders = RELEASE_ERAS[era]
        metadata_version = metadata_versions[_pick(rng, _column(metadata_versions, 1))][0]
        spdx, classifier = LICENSES[int(licenses[version.project])][:2]
        modern = metadata_version == "2.4"  # License-Expression replaces License in 2.4
        license_text = None if modern else _maybe(rng, 0.8, (spdx, classifier)[rng.integers(2)])
        license_files = []
        if modern:
            license_files = ["LICENSE", "NOTICE"] if spdx == "Apache-2.0" else ["LICENSE"]
        org = project.name.split("-")[0]
        urls = [
            f"Homepage, https://github.com/{org}/{project.name}",
            f"Documentation, https://{project.name}.readthedocs.io",
            f"Changelog, https://github.com/{org}/{project.name}/releases",
        ]
        values = {
            "metadata_version": metadata_version,
            "version": version.version,
            "requires_python": requires_python[int(rng.integers(len(requires_python)))],
            # Older releases declared fewer dependencies.
            "requires_dist": list(
                project.dependencies[: max(0, len(project.dependencies) - version.age // 2)]
            ),
            "project_urls": urls[: int(rng.integers(0, len(urls) + 1))] if era < 2 else [],
            "uploaded_via": uploaders[_pick(rng, _column(uploaders, 1))][0],
            "license": license_text,
            "license_expression": spdx if modern else None,
            "license_files": license_files,
            "download_url": _maybe(
                rng,
                0.04,
                f"https://github.com/{org}/{project.name}/archive/{version.version}.tar.gz",
            ),
            "platform": ["UNKNOWN"] if metadata_version.startswith("1.") else [],
            # Deprecated PEP 314 fields and rarely used ones stay empty, as in the public table.
            "requires": [],
            "provides": [],
            "obsoletes": [],
            "provides_dist": [],
            "obsoletes_dist": [],
            "requires_external": [],
        }
        for name, value in values.items():
            columns.setdefault(name, []).append(value)
    return columns


def file_metadata(
    catalog: _Catalog, digests: tuple[list[str], list[str], list[str]], paths: list[str], rng
) -> dict[str, object]:
    """Per-file metadata: name, size, digests, storage path, upload time, signature."""
    count = len(catalog.files)
    ages = np.array([catalog.versions[f.version].age for f in catalog.files])
    signed = (ages >= 3) & (rng.random(count) < SIGNED_PROBABILITY_OLD)
    comment = rng.random(count) < 0.05
    md5, sha256, blake2 = digests
    return {
        "upload_time": catalog.uploads_us,
        "filename": [f.filename for f in catalog.files],
        "size": catalog.sizes,
        "path": paths,
        "python_version": [f.python_version for f in catalog.files],
        "packagetype": [f.packagetype for f in catalog.files],
        "comment_text": ["" if c else None for c in comment],
        "has_signature": signed,
        "md5_digest": md5,
        "sha256_digest": sha256,
        "blake2_256_digest": blake2,
    }


def metadata_rows(catalog: _Catalog, missing: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """File index per metadata row: files with metadata, a few twice, in upload order."""
    kept = np.flatnonzero(~missing)
    duplicated = kept[rng.random(kept.size) < DUPLICATE_METADATA_SHARE]
    rows = np.concatenate([kept, duplicated])
    return rows[np.lexsort((rows, catalog.uploads_us[rows]))]


def distribution_metadata_table(
    spec: ReplicaSpec,
    catalog: _Catalog,
    digests: tuple[list[str], list[str], list[str]],
    paths: list[str],
    missing: np.ndarray,
    rng: np.random.Generator,
) -> pa.Table:
    """One row per uploaded file (some twice, a few missing), in the published schema."""
    schema = source_arrow_schema("distribution_metadata")
    licenses = _weighted(rng, _column(LICENSES, 2), len(catalog.projects))
    window_start_us = _epoch_seconds(spec.first_day) * MICROS_PER_SECOND
    rows = metadata_rows(catalog, missing, rng)
    version_of_file = np.array([f.version for f in catalog.files], dtype=np.int64)
    project_of_version = np.array([v.project for v in catalog.versions], dtype=np.int64)
    levels = (
        (
            project_metadata(catalog.projects, licenses, rng),
            project_of_version[version_of_file[rows]],
        ),
        (version_metadata(catalog, licenses, window_start_us, rng), version_of_file[rows]),
        (file_metadata(catalog, digests, paths, rng), rows),
    )
    columns = {}
    for values_by_name, index in levels:
        for name, values in values_by_name.items():
            values_array = pa.array(values, type=schema.field(name).type)
            columns[name] = values_array.take(pa.array(index))
    if set(columns) != set(schema.names):
        raise AssertionError(
            f"metadata columns differ from the schema: {set(columns) ^ set(schema.names)}"
        )
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)


def generate_replica(spec: ReplicaSpec) -> Replica:
    """Both source tables for the spec; the same spec always gives identical tables."""
    # Independent streams: the catalogue does not change with the download volume.
    catalog_rng, download_rng, metadata_rng = np.random.default_rng(spec.seed).spawn(3)
    catalog = build_catalog(load_ranking(), spec, catalog_rng)
    digests = file_digests(len(catalog.files), catalog_rng)
    paths = [storage_path(b, f.filename) for b, f in zip(digests[2], catalog.files, strict=True)]
    shares = np.array([f.share for f in catalog.files])
    missing = files_without_metadata(shares, catalog_rng)
    return Replica(
        file_downloads=file_downloads_table(spec, catalog, paths, download_rng),
        distribution_metadata=distribution_metadata_table(
            spec, catalog, digests, paths, missing, metadata_rng
        ),
    )


def write_replica(replica: Replica, directory: Path) -> dict[str, Path]:
    """Write both tables as Parquet, each atomically: a temporary file, then a rename."""
    for name in SOURCE_TABLES:
        if not getattr(replica, name).schema.equals(source_arrow_schema(name)):
            raise ValueError(f"{name} does not have the published {name} schema")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in SOURCE_TABLES:
        target = directory / f"{name}.parquet"
        with atomic_path(target) as temporary:
            pq.write_table(getattr(replica, name), temporary)
        written[name] = target
    return written


def read_replica(directory: Path) -> Replica:
    """Read tables written by write_replica, checking they still have the published schema."""
    tables = {}
    for name in SOURCE_TABLES:
        table = pq.read_table(Path(directory) / f"{name}.parquet").replace_schema_metadata(None)
        expected = source_arrow_schema(name)
        if not table.schema.equals(expected):
            raise ValueError(f"{name}.parquet does not have the published {name} schema")
        tables[name] = table
    return Replica(**tables)
