"""Size of the HTML report for a synthetic hourly table at realistic volume.

Builds an hourly table with zipf popularity (projects, versions within a project,
countries), a diurnal and weekly rhythm, mirror and CI traffic, then the report, and prints
the row counts, the embedded cells, the size of each part of the page and the timings.

    .venv/bin/python benchmarks/report_size.py                       # 1M downloads a day
    .venv/bin/python benchmarks/report_size.py --downloads-per-day 20000000 --out report-size.html
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import plotly.offline
import pyarrow as pa

from helpers.config import ReportLimits
from helpers.report import (
    DEFAULT_MAX_CELLS,
    ReportContext,
    build_report_html,
    embed_payload,
    payload_json,
    report_payload,
)
from helpers.schemas import HOURLY_SCHEMA
from helpers.transform import Window

NON_MIRROR_INSTALLERS = ("pip", "uv")


def zipf_shares(count: int, exponent: float) -> np.ndarray:
    """Shares proportional to 1 / rank**exponent, summing to 1."""
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


def diurnal_shares() -> np.ndarray:
    """Share of a day's downloads in each UTC hour: a peak in the European afternoon."""
    hours = np.arange(24)
    weights = 1.0 + 0.45 * np.cos((hours - 14) / 24 * 2 * np.pi)
    return weights / weights.sum()


def synthetic_hourly(
    *,
    days: int = 15,
    projects: int = 300,
    countries: int = 40,
    versions: int = 5,
    downloads_per_day: int = 1_000_000,
    last_day: dt.date = dt.date(2026, 11, 30),
    seed: int = 7,
) -> pa.Table:
    """A realistic hourly table (HOURLY_SCHEMA), sampled cell by cell with Poisson counts."""
    rng = np.random.default_rng(seed)
    project_share = zipf_shares(projects, 1.1)
    version_share = zipf_shares(versions, 1.5)
    country_share = np.append(zipf_shares(countries, 1.2) * 0.97, 0.03)  # last: NULL country
    flag_share = np.array([0.98 * 0.75, 0.02 * 0.75, 0.98 * 0.25, 0.02 * 0.25])  # mirror, ci bits
    sizes = rng.lognormal(13, 1.2, size=(projects, versions)).astype(np.int64) + 1_000
    dependencies = rng.poisson(3, size=(projects, versions))
    cell_share = (
        project_share[:, None, None, None]
        * version_share[None, :, None, None]
        * country_share[None, None, :, None]
        * flag_share[None, None, None, :]
    )
    country_codes = [f"C{index:02d}" for index in range(countries)] + [None]
    names = [f"project-{index:03d}" for index in range(projects)]
    batches = []
    first_day = last_day - dt.timedelta(days=days - 1)
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        volume = downloads_per_day * (0.7 if day.weekday() >= 5 else 1.0)
        for hour, hour_share in enumerate(diurnal_shares()):
            counts = rng.poisson(cell_share * volume * hour_share)
            labels = (names, country_codes, sizes, dependencies)
            batches.append(_hour_batch(rng, counts, day, hour, *labels))
    return pa.concat_tables(batches)


def _hour_batch(rng, counts, day, hour, names, country_codes, sizes, dependencies) -> pa.Table:
    """The non-empty cells of one hour as HOURLY_SCHEMA rows, pip/uv split for non-mirrors."""
    project, version, country, flags = np.nonzero(counts)
    downloads = counts[project, version, country, flags]
    mirror = (flags & 1).astype(bool)
    uv = np.where(mirror, 0, rng.binomial(downloads, 0.3))
    parts = [(downloads - uv, np.where(mirror, "mirror", "pip")), (uv, np.full(len(uv), "uv"))]
    tables = []
    for part, installer in parts:
        keep = part > 0
        count = part[keep]
        without = rng.binomial(count, 0.01)
        with_metadata = count - without
        p, v, c, f = project[keep], version[keep], country[keep], flags[keep]
        tables.append(
            pa.table(
                {
                    "hour": pa.array(
                        [dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)] * len(count),
                        pa.timestamp("us", tz="UTC"),
                    ),
                    "country_code": pa.array([country_codes[i] for i in c], pa.string()),
                    "project": pa.array([names[i] for i in p], pa.string()),
                    "version": pa.array([f"1.{i}.0" for i in v], pa.string()),
                    "file_type": pa.array(["bdist_wheel"] * len(count), pa.string()),
                    "installer_family": pa.array(installer[keep], pa.string()),
                    "is_ci": pa.array((f & 2).astype(bool)),
                    "downloads": pa.array(count, pa.int64()),
                    "bytes": pa.array(with_metadata * sizes[p, v], pa.int64()),
                    "dependencies": pa.array(with_metadata * dependencies[p, v], pa.int64()),
                    "downloads_without_metadata": pa.array(without, pa.int64()),
                },
                schema=HOURLY_SCHEMA,
            )
        )
    return pa.concat_tables(tables)


def main() -> None:
    """Build the synthetic table and the report; print sizes and timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=15)
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--countries", type=int, default=40)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--downloads-per-day", type=int, default=1_000_000)
    parser.add_argument("--max-cells", type=int, default=DEFAULT_MAX_CELLS)
    parser.add_argument("--out", type=Path, help="also write the page here")
    args = parser.parse_args()

    started = time.perf_counter()
    hourly = synthetic_hourly(
        days=args.days,
        projects=args.projects,
        countries=args.countries,
        versions=args.versions,
        downloads_per_day=args.downloads_per_day,
    )
    generated = time.perf_counter()
    window = Window.ending(dt.date(2026, 11, 30), args.days)
    limits = ReportLimits()
    payload = report_payload(hourly, window, limits, args.max_cells)
    context = ReportContext(
        run_date=dt.date(2026, 12, 1),
        window=window,
        data_freshness=dt.datetime(2026, 11, 30, 23, 59, tzinfo=dt.UTC),
        checks=[{"name": "benchmark", "status": "pass", "detail": "synthetic data"}],
        generated_at=dt.datetime.now(dt.UTC),
        run_id="benchmark",
    )
    page = build_report_html(hourly, context, limits, max_cells=args.max_cells)
    built = time.perf_counter()
    plotly_bytes = len(plotly.offline.get_plotlyjs().encode())
    json_bytes = len(payload_json(payload).encode())
    embedded_bytes = len(embed_payload(payload))
    page_bytes = len(page.encode())
    downloads = int(np.sum(hourly.column("downloads").to_numpy()))
    print(f"hourly rows            {hourly.num_rows:>14,}  ({downloads:,} downloads)")
    print(f"embedded cells         {payload['bound']['cells']:>14,}  (max {args.max_cells:,})")
    print(f"limits in force        {payload['bound']['effective']}")
    print(f"limits reduced         {payload['bound']['reduced']}")
    print(f"payload JSON           {json_bytes / 1e6:>14.2f} MB")
    print(f"embedded (gzip+base64) {embedded_bytes / 1e6:>14.2f} MB")
    print(f"plotly.js              {plotly_bytes / 1e6:>14.2f} MB")
    print(f"whole page             {page_bytes / 1e6:>14.2f} MB")
    print(f"generate / build (s)   {generated - started:>7.1f} / {built - generated:.1f}")
    if args.out:
        args.out.write_text(page, encoding="utf-8")
        print(f"written to             {args.out}")


if __name__ == "__main__":
    main()
