"""Self-contained interactive HTML report written on every run.

The page opens offline (double click): plotly.js, the data and the code that filters it
are all inline; it makes no network request. Its JavaScript recomputes every tile and
chart from an embedded cube with the same definitions as `helpers.transform`.

Embedded data (bounded at any volume)
    Over the run window, the top `limits.top_projects` projects, the top
    `limits.top_versions_per_project` versions of each kept project and the top
    `limits.top_countries` countries by downloads are kept; the rest is folded into
    "other" (a NULL country is shown as "unknown" and always kept). The cube is summed over
    (hour, country, project, version, mirror flag, CI flag) and embedded column-wise with
    dictionary-encoded ints as compact JSON, gzip-compressed and base64-encoded (the page
    inflates it with the browser's DecompressionStream). When the cube still has more than
    `max_cells` cells, the limits are cut by a third in turns (versions, countries, projects) until
    it fits, and the page states the limits in force.
    NOTE: at production volume the hour-level cube under the configured limits has millions
    of cells (every hour of every kept combination has downloads), so the limits in force
    are lower than configured there; Looker Studio reads the full mart.
    NOTE: sums travel as JSON numbers, exact in JavaScript up to 2**53 (9 PB for bytes).

Element contract (stable, for tests and scripts)
    Filters:   #filter-country, #filter-project, #filter-version (<select>; value "" is
               All, otherwise the label shown in the page: a country code, "unknown",
               "other", a project name, a version); #exclude-mirrors, #exclude-ci
               (checkboxes: drop installer_family == "mirror" / is_ci rows);
               #granularity (<select>: hour, day, week; drives the time series and the
               downloads mean); #timeseries-metric (<select>: downloads, bytes,
               dependencies).
    Tiles:     #kpi-downloads-sum, #kpi-downloads-mean, #kpi-bytes-sum, #kpi-bytes-mean,
               #kpi-dependencies-sum, #kpi-dependencies-mean, #kpi-downloads-without-metadata
               and #kpi-buckets. Each has `data-value` with the raw number (JavaScript's
               shortest round-trip text, equal to Python's repr of the same float; "" when
               undefined, e.g. a mean with no download with metadata) and the same
               definitions as `transform.kpi_summary` for the selected filters and
               granularity. `#kpis` carries `data-granularity`.
    Charts:    #chart-timeseries, #chart-breakdown, #chart-weekday, #chart-hourly (plotly
               divs; `data-points` = number of points of the first trace).
    Header:    #report-title, #report-window (data-start, data-end), #run-date,
               #data-freshness, #generated-at, #run-id, #quality-status (data-status:
               pass | warn | fail | none) and one `li.check` per check (data-name,
               data-status) in #checks.
    Bound:     #data-bound (the note stating the bound; data-cells, data-max-cells).
    State:     `body[data-ready="true"]` once the first render is done ("error" when the
               page cannot draw, with the reason in #load-error); `data-renders` counts
               renders. `read_payload(page)` decodes `script#report-data`.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import html
import json
import re
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import plotly.offline
import pyarrow as pa
import pyarrow.compute as pc

from helpers import charts
from helpers.config import ReportLimits
from helpers.files import write_text_atomic
from helpers.schemas import HOURLY_SCHEMA
from helpers.transform import Window, bucket_count

PAYLOAD_VERSION = 1
DEFAULT_MAX_CELLS = 400_000
UNKNOWN = "unknown"
OTHER = "other"
MEASURES = ("downloads", "bytes", "dependencies", "downloads_without_metadata")
CHECK_STATUSES = ("pass", "warn", "fail")
_HOUR_US = 3_600_000_000
_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")
_EMBEDDED = re.compile(
    r'<script type="application/octet-stream" id="report-data"[^>]*>([^<]*)</script>'
)


@dataclass(frozen=True)
class ReportContext:
    """What the page header says about the run."""

    run_date: dt.date
    window: Window
    data_freshness: dt.datetime | None
    checks: list[dict[str, str]]
    generated_at: dt.datetime
    run_id: str


def window_bounds(window: Window) -> tuple[dt.datetime, dt.datetime]:
    """The window as [start, end) UTC datetimes (end is midnight after the last day)."""
    start = dt.datetime.combine(window.start, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return start, end


@dataclass(frozen=True)
class Cube:
    """Measures per (country, project, version, flags, hour) cell, as codes into label lists.

    flags: 1 = mirror, 2 = CI. Once folded, cells are unique and sorted by that key (leaf-major:
    all the hours of one (country, project, version, flags) leaf follow each other).
    """

    hours: int
    countries: list[str]
    projects: list[str]
    versions: list[str]
    country: np.ndarray
    project: np.ndarray
    version: np.ndarray
    flags: np.ndarray
    hour: np.ndarray
    measures: dict[str, np.ndarray]

    @property
    def cells(self) -> int:
        """Number of cells (rows) of the cube."""
        return len(self.hour)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    encoded = pc.dictionary_encode(column.combine_chunks())
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), [
        str(label) for label in encoded.dictionary.to_pylist()
    ]


def _numpy(column: pa.ChunkedArray, kind: type = np.int64) -> np.ndarray:
    return column.combine_chunks().to_numpy(zero_copy_only=False).astype(kind)


def window_rows(hourly: pa.Table, window: Window) -> Cube:
    """The hourly rows of the window as codes (not yet summed); NULL country is "unknown"."""
    start, end = window_bounds(window)
    hours = hourly.column("hour")
    inside = pc.and_(
        pc.greater_equal(hours, pa.scalar(start, hours.type)),
        pc.less(hours, pa.scalar(end, hours.type)),
    )
    rows = hourly.filter(inside)
    country, countries = _codes(pc.fill_null(rows.column("country_code"), UNKNOWN))
    project, projects = _codes(rows.column("project"))
    version, versions = _codes(rows.column("version"))
    micros = _numpy(pc.cast(rows.column("hour"), pa.int64()))
    mirror = _numpy(pc.equal(rows.column("installer_family"), "mirror"), np.int64)
    return Cube(
        hours=window.days * 24,
        countries=countries,
        projects=projects,
        versions=versions,
        country=country,
        project=project,
        version=version,
        flags=mirror + 2 * _numpy(rows.column("is_ci"), np.int64),
        hour=(micros - int(start.timestamp()) * 1_000_000) // _HOUR_US,
        measures={name: _numpy(rows.column(name)) for name in MEASURES},
    )


def _ranked(totals: dict[str, int]) -> list[str]:
    """Labels by downloads descending, then by label ascending."""
    return sorted(totals, key=lambda label: (-totals[label], label))


def _sums(codes: np.ndarray, downloads: np.ndarray, size: int) -> list[int]:
    totals = np.zeros(size, dtype=np.int64)
    np.add.at(totals, codes, downloads)
    return totals.tolist()


@dataclass(frozen=True)
class Ranking:
    """Labels of the window by downloads, descending (ties by label)."""

    countries: list[str]
    has_unknown: bool
    projects: list[str]
    versions: dict[str, list[str]]


def rank_labels(cube: Cube) -> Ranking:
    """Countries (without "unknown"), projects and each project's versions by downloads."""
    downloads = cube.measures["downloads"]
    countries = dict(
        zip(cube.countries, _sums(cube.country, downloads, len(cube.countries)), strict=True)
    )
    projects = dict(
        zip(cube.projects, _sums(cube.project, downloads, len(cube.projects)), strict=True)
    )
    pairs, inverse = np.unique(
        cube.project * len(cube.versions) + cube.version, return_inverse=True
    )
    per_project: dict[str, dict[str, int]] = {}
    for pair, total in zip(pairs.tolist(), _sums(inverse, downloads, len(pairs)), strict=True):
        project, version = divmod(pair, len(cube.versions))
        per_project.setdefault(cube.projects[project], {})[cube.versions[version]] = total
    # "other" may already be present (rows folded by `fold_rows`): it is the fold bucket,
    # never a label competing for a place.
    return Ranking(
        countries=_ranked({k: v for k, v in countries.items() if k not in (UNKNOWN, OTHER)}),
        has_unknown=UNKNOWN in countries,
        projects=_ranked({p: n for p, n in projects.items() if p in per_project and p != OTHER}),
        versions={
            p: _ranked({v: n for v, n in vs.items() if v != OTHER})
            for p, vs in per_project.items()
            if p != OTHER
        },
    )


@dataclass(frozen=True)
class Folding:
    """Which labels a cube keeps, in display order (by downloads), and how many it folds."""

    countries: list[str]
    projects: list[str]
    versions: dict[str, list[str]]
    folded_countries: int
    folded_projects: int
    folded_versions: dict[str, int]

    def labels(self) -> tuple[list[str], list[str], list[str]]:
        """Country, project and version labels of the folded cube, "other" last."""
        versions: list[str] = []
        seen = {OTHER}
        for kept in self.versions.values():
            versions.extend(v for v in kept if v not in seen)
            seen.update(kept)
        return [*self.countries, OTHER], [*self.projects, OTHER], [*versions, OTHER]


def choose_folding(ranking: Ranking, limits: ReportLimits) -> Folding:
    """The countries, projects and versions per project kept under `limits`."""
    countries = ranking.countries[: limits.top_countries]
    projects = ranking.projects[: limits.top_projects]
    versions = {p: ranking.versions[p][: limits.top_versions_per_project] for p in projects}
    return Folding(
        countries=[*countries, UNKNOWN] if ranking.has_unknown else countries,
        projects=projects,
        versions=versions,
        folded_countries=len(ranking.countries) - len(countries),
        folded_projects=len(ranking.projects) - len(projects),
        folded_versions={p: len(ranking.versions[p]) - len(versions[p]) for p in projects},
    )


def _remap(labels: list[str], kept: list[str]) -> np.ndarray:
    index = {label: position for position, label in enumerate(kept)}
    return np.array([index.get(label, index[OTHER]) for label in labels], dtype=np.int64)


def fold_cube(cube: Cube, folding: Folding) -> Cube:
    """The cube with labels outside `folding` replaced by "other", summed per cell."""
    countries, projects, versions = folding.labels()
    kept = {(p, v) for p, vs in folding.versions.items() for v in vs}
    version_index = {label: position for position, label in enumerate(versions)}
    pairs, inverse = np.unique(
        cube.project * len(cube.versions) + cube.version, return_inverse=True
    )
    pair_version = [
        version_index[version] if (project, version) in kept else version_index[OTHER]
        for project, version in (
            (cube.projects[pair // len(cube.versions)], cube.versions[pair % len(cube.versions)])
            for pair in pairs.tolist()
        )
    ]
    return _summed(
        replace(
            cube,
            countries=countries,
            projects=projects,
            versions=versions,
            country=_remap(cube.countries, countries)[cube.country],
            project=_remap(cube.projects, projects)[cube.project],
            version=np.array(pair_version, dtype=np.int64)[inverse.reshape(-1)],
        )
    )


def _leaf_keys(cube: Cube) -> np.ndarray:
    """One int per (country, project, version, flags) leaf, ordered like the labels."""
    return ((cube.country * len(cube.projects) + cube.project) * len(cube.versions)) * 4 + (
        cube.version * 4 + cube.flags
    )


def _summed(cube: Cube) -> Cube:
    """Rows sharing a cell summed into one, sorted leaf-major then by hour (exact int64)."""
    keys = _leaf_keys(cube) * cube.hours + cube.hour
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else keys
    unique = keys[starts]
    leaf, hour = np.divmod(unique, cube.hours)
    rest, flags = np.divmod(leaf, 4)
    rest, version = np.divmod(rest, len(cube.versions))
    country, project = np.divmod(rest, len(cube.projects))
    measures = {
        name: np.add.reduceat(values[order], starts) if len(starts) else values[:0]
        for name, values in cube.measures.items()
    }
    return replace(
        cube,
        country=country,
        project=project,
        version=version,
        flags=flags,
        hour=hour,
        measures=measures,
    )


def cube_table(cube: Cube, window: Window) -> pa.Table:
    """The cube with its labels, one row per cell (for inspection and tests)."""
    start, _ = window_bounds(window)
    micros = int(start.timestamp()) * 1_000_000 + cube.hour * _HOUR_US
    return pa.table(
        {
            "hour": pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "country": pa.array([cube.countries[i] for i in cube.country.tolist()], pa.string()),
            "project": pa.array([cube.projects[i] for i in cube.project.tolist()], pa.string()),
            "version": pa.array([cube.versions[i] for i in cube.version.tolist()], pa.string()),
            "mirror": pa.array((cube.flags & 1).astype(bool)),
            "ci": pa.array((cube.flags & 2).astype(bool)),
            **{name: pa.array(values, pa.int64()) for name, values in cube.measures.items()},
        }
    )


_SHRINK_ORDER = ("top_versions_per_project", "top_countries", "top_projects")


def shrink_limits(limits: ReportLimits, step: int) -> ReportLimits | None:
    """Limits with one cut by a third, taking turns from `step` (versions, countries, projects)."""
    for offset in range(len(_SHRINK_ORDER)):
        name = _SHRINK_ORDER[(step + offset) % len(_SHRINK_ORDER)]
        value = getattr(limits, name)
        if value > 1:
            return replace(limits, **{name: value * 2 // 3})
    return None


def bounded_cube(
    hourly: pa.Table, window: Window, limits: ReportLimits, max_cells: int = DEFAULT_MAX_CELLS
) -> tuple[Cube, Folding, ReportLimits]:
    """The folded cube, its folding and the limits in force (lowered until it fits)."""
    rows = window_rows(hourly, window)
    ranking = rank_labels(rows)
    effective, step = limits, 0
    folding = choose_folding(ranking, effective)
    cube = fold_cube(rows, folding)
    while cube.cells > max_cells:
        smaller = shrink_limits(effective, step)
        if smaller is None:
            # NOTE: a window so long that one project, one version and one country still
            # exceed max_cells is embedded as is; the page states the cell count.
            break
        effective, step = smaller, step + 1
        folding = choose_folding(ranking, effective)
        # Lower limits keep subsets of the labels kept before, so folding the folded cube
        # again gives the same cells as folding the rows, from far fewer rows.
        cube = fold_cube(cube, folding)
    return cube, folding, effective


def encode_payload(
    cube: Cube, folding: Folding, window: Window, bound: dict[str, Any]
) -> dict[str, Any]:
    """The folded cube as column-wise, dictionary-encoded JSON-ready data for the page."""
    leaves, first_row, runs = np.unique(_leaf_keys(cube), return_index=True, return_counts=True)
    leaf_of_row = np.repeat(np.arange(len(leaves)), runs)
    hour_delta = cube.hour.copy()
    same_leaf = np.flatnonzero(leaf_of_row[1:] == leaf_of_row[:-1]) + 1
    hour_delta[same_leaf] = cube.hour[same_leaf] - cube.hour[same_leaf - 1]
    folded_versions = [folding.folded_versions.get(p, 0) for p in cube.projects]
    version_index = {label: position for position, label in enumerate(cube.versions)}
    return {
        "format": PAYLOAD_VERSION,
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "days": window.days,
            "hours": cube.hours,
        },
        "dims": {"country": cube.countries, "project": cube.projects, "version": cube.versions},
        "project_versions": [
            [version_index[v] for v in folding.versions.get(p, [])]
            + ([version_index[OTHER]] if p == OTHER or folded_versions[i] else [])
            for i, p in enumerate(cube.projects)
        ],
        "folded": {
            "country": folding.folded_countries,
            "project": folding.folded_projects,
            "version": folded_versions,
        },
        "leaves": {
            "country": cube.country[first_row].tolist(),
            "project": cube.project[first_row].tolist(),
            "version": cube.version[first_row].tolist(),
            "flags": cube.flags[first_row].tolist(),
        },
        "rows": {
            "leaf_runs": runs.tolist(),
            "hour": hour_delta.tolist(),
            **{name: values.tolist() for name, values in cube.measures.items()},
        },
        "bound": bound,
    }


def report_payload(
    hourly: pa.Table, window: Window, limits: ReportLimits, max_cells: int = DEFAULT_MAX_CELLS
) -> dict[str, Any]:
    """The bounded, dictionary-encoded data the page embeds."""
    cube, folding, effective = bounded_cube(hourly, window, limits, max_cells)
    bound = {
        "configured": _limits_dict(limits),
        "effective": _limits_dict(effective),
        "reduced": effective != limits,
        "cells": cube.cells,
        "max_cells": max_cells,
    }
    return encode_payload(cube, folding, window, bound)


def _limits_dict(limits: ReportLimits) -> dict[str, int]:
    return {
        "top_projects": limits.top_projects,
        "top_versions_per_project": limits.top_versions_per_project,
        "top_countries": limits.top_countries,
    }


def payload_json(payload: dict[str, Any]) -> str:
    """Compact JSON safe to inline in a <script> element."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def embed_payload(payload: dict[str, Any]) -> str:
    """The payload's compact JSON, gzip-compressed (reproducibly) and base64-encoded."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


def read_payload(page: str) -> dict[str, Any]:
    """The payload embedded in a report page (the inverse of `embed_payload`)."""
    match = _EMBEDDED.search(page)
    if match is None:
        raise ValueError("no embedded report data in this page")
    return json.loads(gzip.decompress(base64.b64decode(match.group(1))))


def _empty(columns: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({name: pa.array([], kind) for name, kind in columns.items()})


def figure_templates(window: Window) -> dict[str, Any]:
    """Empty figures from `helpers.charts` that the page fills, plus tile texts."""
    rolled = _empty({"period_start": pa.string(), **{m: pa.int64() for m in charts.METRICS}})
    weights = _empty(
        {
            "metric": pa.string(),
            "weekday": pa.int64(),
            "weekday_name": pa.string(),
            "occurrences": pa.int64(),
            "total": pa.int64(),
            "mean_per_occurrence": pa.float64(),
            "weight": pa.float64(),
        }
    )
    profile = _empty(
        {
            "hour_of_day": pa.int64(),
            "downloads": pa.int64(),
            "days": pa.int64(),
            "mean_downloads": pa.float64(),
        }
    )
    specs = {
        f"timeseries-{granularity}-{metric}": charts.timeseries_figure(rolled, granularity, metric)
        for granularity in charts.GRANULARITIES
        for metric in charts.METRICS
    }
    specs["weekday"] = charts.weekday_figure(weights)
    specs["hourly"] = charts.hourly_figure(profile)
    specs["breakdown"] = charts.breakdown_figure([], [], "Downloads by project")
    figures = {name: charts.figure_spec(figure) for name, figure in specs.items()}
    template = None
    for spec in figures.values():
        template = spec["layout"].pop("template", template)
    return {
        "template": template,
        "figures": figures,
        "config": charts.PLOTLY_CONFIG,
        "definitions": {
            granularity: charts.kpi_definitions(granularity, bucket_count(window, granularity))
            for granularity in charts.GRANULARITIES
        },
        "mean_labels": {g: charts.mean_label(g) for g in charts.GRANULARITIES},
        "breakdown_min_slots": charts.BREAKDOWN_MIN_SLOTS,
    }


@cache
def _resource(name: str) -> str:
    return resources.files("helpers").joinpath(f"resources/report/{name}").read_text("utf-8")


def _fill(template: str, values: dict[str, str]) -> str:
    """Replace each `{{ name }}` once; substituted text is never scanned again."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _format_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return "unknown"
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def overall_status(checks: list[dict[str, str]]) -> str:
    """The worst status among the checks ("none" when there is none)."""
    statuses = {check.get("status") for check in checks}
    for status in ("fail", "warn", "pass"):
        if status in statuses:
            return status
    return "none"


def _checks_html(checks: list[dict[str, str]]) -> str:
    items = []
    for check in checks:
        status = check.get("status", "")
        status = status if status in CHECK_STATUSES else "warn"
        name, detail = (
            html.escape(str(check.get("name", ""))),
            html.escape(str(check.get("detail", ""))),
        )
        items.append(
            f'<li class="check" data-name="{name}" data-status="{status}">'
            f'<span class="badge badge-{status}">{status}</span> '
            f'<span class="check-name">{name}</span> '
            f'<span class="check-detail">{detail}</span></li>'
        )
    return "\n".join(items) or '<li class="check-none">No data-quality check was recorded.</li>'


def _bound_note(payload: dict[str, Any]) -> str:
    bound, effective = payload["bound"], payload["bound"]["effective"]
    text = (
        f"Embedded data: the top {effective['top_projects']} projects, the top "
        f"{effective['top_versions_per_project']} versions of each and the top "
        f"{effective['top_countries']} countries by downloads over the window; everything "
        'else is folded into "other" (an unknown country is shown as "unknown"). '
        f"The page holds {bound['cells']:,} non-empty cells of hour, country, project, "
        f"version, mirror flag and CI flag; the bound is {bound['max_cells']:,} cells."
    )
    if bound["reduced"]:
        configured = bound["configured"]
        text += (
            f" The configured limits ({configured['top_projects']} projects, "
            f"{configured['top_versions_per_project']} versions, "
            f"{configured['top_countries']} countries) were lowered to stay under that bound."
        )
    return html.escape(text)


def build_report_html(
    hourly: pa.Table,
    context: ReportContext,
    limits: ReportLimits,
    *,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> str:
    """The complete self-contained HTML page for one run."""
    payload = report_payload(hourly, context.window, limits, max_cells)
    window_text = f"{context.window.start.isoformat()} to {context.window.end.isoformat()}"
    status = overall_status(context.checks)
    values = {
        "title": html.escape(f"PyPI downloads — {window_text}"),
        "window_start": context.window.start.isoformat(),
        "window_end": context.window.end.isoformat(),
        "window_text": html.escape(window_text),
        "window_days": str(context.window.days),
        "run_date": context.run_date.isoformat(),
        "data_freshness": _format_datetime(context.data_freshness),
        "generated_at": _format_datetime(context.generated_at),
        "run_id": html.escape(context.run_id),
        "quality_status": status,
        "quality_text": {
            "pass": "all checks passed",
            "warn": "warnings",
            "fail": "failed checks",
            "none": "no checks recorded",
        }[status],
        "checks": _checks_html(context.checks),
        "bound_note": _bound_note(payload),
        "cells": str(payload["bound"]["cells"]),
        "max_cells": str(payload["bound"]["max_cells"]),
        "style": _resource("report.css"),
        "plotly_js": plotly.offline.get_plotlyjs(),
        "payload": embed_payload(payload),
        "figures": payload_json(figure_templates(context.window)),
        "script": _resource("report.js"),
    }
    return _fill(_resource("template.html"), values)


def write_report(html_text: str, path: Path) -> Path:
    """Write the page atomically: a temporary file in the same folder, then os.replace."""
    return write_text_atomic(Path(path), html_text)


# Bounded input for production volumes: the page only needs the top labels, so a run
# ranks labels over the window day by day (pass 1), then folds each day's rows (pass 2).
LABEL_KEYS = ["country_code", "project", "version"]
LABEL_SCHEMA = pa.schema([(name, pa.string()) for name in LABEL_KEYS] + [("downloads", pa.int64())])
FOLDED_SCHEMA = pa.schema(
    [field.with_nullable(True) for field in HOURLY_SCHEMA if field.name != "file_type"]
)


def label_downloads(rows: pa.Table, running: pa.Table | None = None) -> pa.Table:
    """Downloads per (country, project, version), added to a running total from other days."""
    day = rows.select([*LABEL_KEYS, "downloads"]).cast(LABEL_SCHEMA)
    combined = pa.concat_tables([running, day]) if running is not None else day
    summed = combined.group_by(LABEL_KEYS).aggregate([("downloads", "sum")])
    return summed.rename_columns([*LABEL_KEYS, "downloads"]).cast(LABEL_SCHEMA)


@dataclass(frozen=True)
class KeptLabels:
    countries: frozenset[str]
    projects: frozenset[str]
    versions: frozenset[tuple[str, str]]


def keep_labels(totals: pa.Table, limits: ReportLimits) -> KeptLabels:
    """The labels the page will show under `limits`, ranked as `rank_labels` ranks them."""

    def top(keys: list[str], count: int) -> list[tuple]:
        grouped = totals.group_by(keys).aggregate([("downloads", "sum")]).to_pylist()
        ranked = sorted(grouped, key=lambda r: (-r["downloads_sum"], *(str(r[k]) for k in keys)))
        return [tuple(r[k] for k in keys) for r in ranked][:count]

    ranked_countries = [c for (c,) in top(["country_code"], totals.num_rows) if c is not None]
    projects = {p for (p,) in top(["project"], limits.top_projects)}
    pairs = top(["project", "version"], totals.num_rows)
    versions: dict[str, list[str]] = {}
    for project, version in pairs:
        if project in projects:
            versions.setdefault(project, []).append(version)
    kept = {(p, v) for p, vs in versions.items() for v in vs[: limits.top_versions_per_project]}
    countries = ranked_countries[: limits.top_countries]
    return KeptLabels(frozenset(countries), frozenset(projects), frozenset(kept))


def fold_rows(rows: pa.Table, kept: KeptLabels) -> pa.Table:
    """One day's rows with labels outside `kept` as "other", summed per hour and label."""
    project = pc.if_else(
        pc.is_in(rows["project"], pa.array(sorted(kept.projects))), rows["project"], OTHER
    )
    pair = pc.binary_join_element_wise(rows["project"], rows["version"], "\x00")
    kept_pairs = pa.array(sorted(f"{p}\x00{v}" for p, v in kept.versions))
    version = pc.if_else(pc.is_in(pair, kept_pairs), rows["version"], OTHER)
    country = rows["country_code"]
    known = pc.or_kleene(pc.is_null(country), pc.is_in(country, pa.array(sorted(kept.countries))))
    folded = pa.table(
        {
            "hour": rows["hour"],
            "country_code": pc.if_else(known, country, OTHER),
            "project": project,
            "version": version,
            # The page tells mirrors from the rest only: keep that distinction, drop the others.
            "installer_family": pc.if_else(
                pc.equal(rows["installer_family"], "mirror"), "mirror", "other_tool"
            ),
            "is_ci": rows["is_ci"],
            **{name: rows[name] for name in MEASURES},
        }
    )
    keys = ["hour", "country_code", "project", "version", "installer_family", "is_ci"]
    summed = folded.group_by(keys).aggregate([(name, "sum") for name in MEASURES])
    return summed.rename_columns([*keys, *MEASURES]).cast(FOLDED_SCHEMA)
