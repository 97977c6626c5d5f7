"""The report's pure parts: window cut, folding into "other", the bound, the payload, the page."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import plotly.offline
import pyarrow as pa
import pytest

from helpers import report, transform
from helpers.config import ReportLimits
from helpers.schemas import HOURLY_SCHEMA

WINDOW = transform.Window(dt.date(2026, 11, 2), dt.date(2026, 11, 4))  # Monday to Wednesday
UTC = dt.UTC


def _row(hour, country, project, version, *, installer="pip", ci=False, n=1, size=10, deps=2):
    """One hourly row; `n` downloads of a file of `size` bytes with `deps` dependencies."""
    return {
        "hour": hour,
        "country_code": country,
        "project": project,
        "version": version,
        "file_type": "bdist_wheel",
        "installer_family": installer,
        "is_ci": ci,
        "downloads": n,
        "bytes": n * size,
        "dependencies": n * deps,
        "downloads_without_metadata": 0,
    }


def _at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=UTC)


def _table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=HOURLY_SCHEMA)


@pytest.fixture
def hourly() -> pa.Table:
    """Four projects, a NULL country, mirror and CI rows, and rows outside the window."""
    return _table(
        [
            _row(_at(2, 0), "US", "alpha", "1.0", n=50),
            _row(_at(2, 0), "US", "alpha", "1.0", installer="uv", n=5),  # same cell, summed
            _row(_at(2, 1), "US", "alpha", "2.0", n=30),
            _row(_at(2, 1), "DE", "alpha", "3.0", n=3),
            _row(_at(3, 5), "DE", "beta", "0.1", n=20, ci=True),
            _row(_at(3, 5), "FR", "beta", "0.2", n=4, installer="mirror"),
            _row(_at(4, 23), None, "gamma", "9", n=6),
            _row(_at(4, 23), "JP", "delta", "1", n=1),
            _row(_at(1, 23), "US", "alpha", "1.0", n=1000),  # the day before the window
            _row(_at(5, 0), "US", "alpha", "1.0", n=1000),  # the day after
        ]
    )


def _cells(hourly: pa.Table, limits: ReportLimits) -> list[dict]:
    cube, _, _ = report.bounded_cube(hourly, WINDOW, limits)
    return report.cube_table(cube, WINDOW).to_pylist()


def test_window_rows_keep_the_window_and_name_the_null_country(hourly):
    rows = report.window_rows(hourly, WINDOW)
    assert int(rows.measures["downloads"].sum()) == 119
    assert "unknown" in rows.countries
    assert rows.hours == 72
    assert sorted(set(rows.hour.tolist())) == [0, 1, 29, 71]


def test_nothing_is_folded_under_large_limits(hourly):
    cells = _cells(hourly, ReportLimits(10, 10, 10))
    assert sum(c["downloads"] for c in cells) == 119
    assert len(cells) == 7  # the two alpha 1.0 rows of the same hour share a cell
    first = cells[0]
    assert (first["country"], first["project"], first["version"]) == ("US", "alpha", "1.0")
    assert first["downloads"] == 55 and first["bytes"] == 550
    assert {c["country"] for c in cells} == {"US", "DE", "FR", "JP", "unknown"}


def test_labels_beyond_the_limits_fold_into_other(hourly):
    cells = _cells(
        hourly, ReportLimits(top_projects=2, top_versions_per_project=1, top_countries=1)
    )
    by_key = {(c["country"], c["project"], c["version"], c["mirror"], c["ci"]): c for c in cells}
    # alpha (88) and beta (24) are kept; gamma and delta fold into project and version "other".
    assert by_key[("unknown", "other", "other", False, False)]["downloads"] == 6
    assert by_key[("other", "other", "other", False, False)]["downloads"] == 1
    # alpha keeps its top version 1.0; 2.0 and 3.0 fold into alpha/other.
    assert by_key[("US", "alpha", "1.0", False, False)]["downloads"] == 55
    assert by_key[("US", "alpha", "other", False, False)]["downloads"] == 30
    assert by_key[("other", "alpha", "other", False, False)]["downloads"] == 3
    # Only US is kept among known countries; the unknown country is always kept.
    assert {c["country"] for c in cells} == {"US", "other", "unknown"}
    assert by_key[("other", "beta", "0.1", False, True)]["downloads"] == 20
    assert by_key[("other", "beta", "other", True, False)]["downloads"] == 4
    for measure in report.MEASURES:
        assert sum(c[measure] for c in cells) == sum(
            c[measure] for c in _cells(hourly, ReportLimits(10, 10, 10))
        )


def test_folding_counts_what_it_folds(hourly):
    ranking = report.rank_labels(report.window_rows(hourly, WINDOW))
    assert ranking.projects == ["alpha", "beta", "gamma", "delta"]
    assert ranking.countries == ["US", "DE", "FR", "JP"]
    assert ranking.versions["alpha"] == ["1.0", "2.0", "3.0"]
    folding = report.choose_folding(ranking, ReportLimits(2, 1, 3))
    assert folding.countries == ["US", "DE", "FR", "unknown"]
    assert (folding.folded_countries, folding.folded_projects) == (1, 2)
    assert folding.folded_versions == {"alpha": 2, "beta": 1}


def test_ties_rank_by_label():
    rows = _table([_row(_at(2, 0), c, p, "1", n=5) for c, p in (("US", "b"), ("DE", "a"))])
    ranking = report.rank_labels(report.window_rows(rows, WINDOW))
    assert ranking.projects == ["a", "b"] and ranking.countries == ["DE", "US"]


def test_folding_a_folded_cube_again_equals_folding_the_rows(hourly):
    rows = report.window_rows(hourly, WINDOW)
    ranking = report.rank_labels(rows)
    wide = report.fold_cube(rows, report.choose_folding(ranking, ReportLimits(3, 2, 3)))
    narrow = report.choose_folding(ranking, ReportLimits(1, 1, 1))
    direct = report.cube_table(report.fold_cube(rows, narrow), WINDOW)
    again = report.cube_table(report.fold_cube(wide, narrow), WINDOW)
    assert direct.equals(again)


def test_limits_shrink_in_turns_down_to_one():
    limits, seen, step = ReportLimits(4, 2, 3), [], 0
    while (limits := report.shrink_limits(limits, step)) is not None:
        seen.append((limits.top_projects, limits.top_versions_per_project, limits.top_countries))
        step += 1
    assert seen == [(4, 1, 3), (4, 1, 2), (2, 1, 2), (2, 1, 1), (1, 1, 1)]


def _many_projects() -> pa.Table:
    """40 projects x 3 versions x 6 countries, every hour of the window, zipf-like sizes."""
    rows = []
    for hour in range(72):
        when = dt.datetime(2026, 11, 2, tzinfo=UTC) + dt.timedelta(hours=hour)
        for p in range(40):
            for v in range(3):
                for c in range(6):
                    rows.append(_row(when, f"C{c}", f"p{p:02d}", f"{v}.0", n=1 + 400 // (p + 1)))
    return _table(rows)


def test_the_cube_is_bounded_by_lowering_the_limits():
    hourly = _many_projects()
    limits = ReportLimits(30, 8, 25)
    payload = report.report_payload(hourly, WINDOW, limits, max_cells=2_000)
    bound = payload["bound"]
    assert bound["cells"] <= 2_000 and bound["reduced"]
    assert bound["configured"] == {
        "top_projects": 30,
        "top_versions_per_project": 8,
        "top_countries": 25,
    }
    effective = bound["effective"]
    assert len(payload["dims"]["project"]) == min(effective["top_projects"], 40) + 1
    total = sum(payload["rows"]["downloads"])
    assert total == sum(hourly.column("downloads").to_pylist())
    unbounded = report.report_payload(hourly, WINDOW, limits, max_cells=10**9)["bound"]
    assert not unbounded["reduced"] and unbounded["cells"] > 2_000


def _decode_cells(payload: dict) -> list[tuple]:
    """(country, project, version, flags, hour, measures...) of every row of the payload."""
    dims, leaves, rows = payload["dims"], payload["leaves"], payload["rows"]
    cells, position = [], 0
    for leaf, run in enumerate(rows["leaf_runs"]):
        hour = 0
        for _ in range(run):
            hour += rows["hour"][position]
            cells.append(
                (
                    dims["country"][leaves["country"][leaf]],
                    dims["project"][leaves["project"][leaf]],
                    dims["version"][leaves["version"][leaf]],
                    leaves["flags"][leaf],
                    hour,
                    *(rows[m][position] for m in report.MEASURES),
                )
            )
            position += 1
    return cells


def test_payload_decodes_to_the_cube(hourly):
    limits = ReportLimits(2, 1, 1)
    payload = report.report_payload(hourly, WINDOW, limits)
    cube, _, _ = report.bounded_cube(hourly, WINDOW, limits)
    expected = [
        (
            c["country"],
            c["project"],
            c["version"],
            int(c["mirror"]) + 2 * int(c["ci"]),
            int((c["hour"] - dt.datetime(2026, 11, 2, tzinfo=UTC)).total_seconds() // 3600),
            *(c[m] for m in report.MEASURES),
        )
        for c in report.cube_table(cube, WINDOW).to_pylist()
    ]
    assert sorted(_decode_cells(payload)) == sorted(expected)
    assert payload["window"] == {"start": "2026-11-02", "end": "2026-11-04", "days": 3, "hours": 72}
    assert payload["dims"]["country"] == ["US", "unknown", "other"]
    assert payload["dims"]["project"] == ["alpha", "beta", "other"]
    assert payload["folded"] == {"country": 3, "project": 2, "version": [2, 1, 0]}
    versions = payload["dims"]["version"]
    assert [[versions[i] for i in ix] for ix in payload["project_versions"]] == [
        ["1.0", "other"],
        ["0.1", "other"],
        ["other"],
    ]
    # Leaves are listed once each, rows grouped by leaf.
    columns = (payload["leaves"][k] for k in ("country", "project", "version", "flags"))
    keys = list(zip(*columns, strict=True))
    assert keys == sorted(set(keys))


def _kpis_from_payload(payload: dict, keep) -> dict:
    """The tiles for a selection, computed from the payload the way the page does."""
    sums = dict.fromkeys(report.MEASURES, 0)
    for cell in _decode_cells(payload):
        if keep(*cell[:4]):
            for index, measure in enumerate(report.MEASURES):
                sums[measure] += cell[5 + index]
    with_metadata = sums["downloads"] - sums["downloads_without_metadata"]
    return {
        "downloads_sum": sums["downloads"],
        "bytes_sum": sums["bytes"],
        "dependencies_sum": sums["dependencies"],
        "bytes_mean": sums["bytes"] / with_metadata if with_metadata else None,
    }


def test_payload_sums_equal_kpi_summary_for_kept_labels(hourly):
    payload = report.report_payload(hourly, WINDOW, ReportLimits(2, 1, 2))
    cases = [
        ({}, lambda c, p, v, f: True),
        ({"countries": "US"}, lambda c, p, v, f: c == "US"),
        ({"countries": "unknown"}, lambda c, p, v, f: c == "unknown"),
        ({"projects": "alpha", "versions": "1.0"}, lambda c, p, v, f: (p, v) == ("alpha", "1.0")),
        ({"exclude_mirrors": True}, lambda c, p, v, f: not f & 1),
        ({"exclude_ci": True}, lambda c, p, v, f: not f & 2),
    ]
    for filters, keep in cases:
        expected = transform.kpi_summary(transform.filter_hourly(hourly, **filters), WINDOW, "day")
        got = _kpis_from_payload(payload, keep)
        assert got == {key: expected[key] for key in got}, filters


def test_embedded_payload_round_trips_and_is_reproducible(hourly):
    payload = report.report_payload(hourly, WINDOW, ReportLimits())
    embedded = report.embed_payload(payload)
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", embedded)
    assert embedded == report.embed_payload(report.report_payload(hourly, WINDOW, ReportLimits()))
    page = f'<script type="application/octet-stream" id="report-data">{embedded}</script>'
    assert report.read_payload(page) == payload


def test_an_empty_table_gives_an_empty_payload():
    payload = report.report_payload(HOURLY_SCHEMA.empty_table(), WINDOW, ReportLimits())
    assert payload["bound"]["cells"] == 0
    assert payload["rows"]["leaf_runs"] == [] and payload["rows"]["downloads"] == []


def _context(**changes) -> report.ReportContext:
    values = {
        "run_date": dt.date(2026, 11, 5),
        "window": WINDOW,
        "data_freshness": dt.datetime(2026, 11, 4, 23, 58, tzinfo=UTC),
        "checks": [
            {"name": "share_null_country", "status": "pass", "detail": "3.1% <= 10%"},
            {"name": "source_lag", "status": "warn", "detail": "lag <b>31</b> h"},
        ],
        "generated_at": dt.datetime(2026, 11, 5, 6, 0, tzinfo=UTC),
        "run_id": "run-42",
    }
    return report.ReportContext(**{**values, **changes})


@pytest.fixture
def page(hourly) -> str:
    return report.build_report_html(hourly, _context(), ReportLimits())


def test_page_has_the_header_and_the_element_contract(page):
    assert "<title>PyPI downloads — 2026-11-02 to 2026-11-04</title>" in page
    for element in (
        "filter-country",
        "filter-project",
        "filter-version",
        "granularity",
        "timeseries-metric",
        "exclude-mirrors",
        "exclude-ci",
        "kpi-downloads-sum",
        "kpi-downloads-mean",
        "kpi-bytes-sum",
        "kpi-bytes-mean",
        "kpi-dependencies-sum",
        "kpi-dependencies-mean",
        "kpi-downloads-without-metadata",
        "kpi-buckets",
        "chart-timeseries",
        "chart-breakdown",
        "chart-weekday",
        "chart-hourly",
        "report-window",
        "run-date",
        "data-freshness",
        "generated-at",
        "run-id",
        "quality-status",
        "checks",
        "data-bound",
    ):
        assert len(re.findall(f'id="{element}"', page)) == 1, element
    assert 'id="run-date">2026-11-05<' in page
    assert 'id="data-freshness">2026-11-04 23:58 UTC<' in page
    assert 'data-status="warn">warnings<' in page
    assert '<li class="check" data-name="source_lag" data-status="warn">' in page
    assert "lag &lt;b&gt;31&lt;/b&gt; h" in page  # check details are escaped


def test_page_states_the_bound(page):
    note = re.search(r'<p class="bound" id="data-bound"[^>]*>([^<]*)</p>', page).group(1)
    assert "top 30 projects" in note and "top 8 versions" in note and "top 25 countries" in note
    assert "&quot;other&quot;" in note


def test_page_needs_no_network(page):
    plotly_js = plotly.offline.get_plotlyjs()
    assert plotly_js in page  # plotly.js is inline
    own = page.replace(plotly_js, "")
    assert "http" not in own.lower()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(?!data:)", page)
    assert "cdn.plot.ly" not in own


def test_quality_status_is_the_worst_check():
    assert report.overall_status([]) == "none"
    assert report.overall_status([{"status": "pass"}, {"status": "warn"}]) == "warn"
    assert report.overall_status([{"status": "fail"}, {"status": "warn"}]) == "fail"
    page = report.build_report_html(
        HOURLY_SCHEMA.empty_table(), _context(checks=[], data_freshness=None), ReportLimits()
    )
    assert 'data-status="none">no checks recorded<' in page
    assert 'id="data-freshness">unknown<' in page


def test_write_report_replaces_the_file_atomically(tmp_path: Path):
    target = tmp_path / "run" / "report.html"
    assert report.write_report("<p>one</p>", target) == target
    report.write_report("<p>two</p>", target)
    assert target.read_text(encoding="utf-8") == "<p>two</p>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]


def test_a_failed_write_leaves_the_old_report_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    report.write_report("<p>old</p>", target)

    def refuse(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        report.write_report("<p>new</p>", target)
    assert target.read_text(encoding="utf-8") == "<p>old</p>"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


@pytest.mark.parametrize("limits", [ReportLimits(2, 1, 1), ReportLimits(1, 2, 2), ReportLimits()])
def test_folding_day_by_day_gives_the_cells_of_folding_the_window(hourly, limits):
    window_rows = transform.within_window(hourly, WINDOW)
    days = [
        transform.within_window(window_rows, transform.Window(day, day)) for day in WINDOW.dates()
    ]
    totals = None
    for day_rows in days:
        totals = report.label_downloads(day_rows, totals)
    kept = report.keep_labels(totals, limits)

    folded = pa.concat_tables([report.fold_rows(day_rows, kept) for day_rows in days])

    assert sorted(_cells(folded, limits), key=str) == sorted(_cells(hourly, limits), key=str)


def test_keep_labels_ranks_by_downloads_then_label(hourly):
    totals = report.label_downloads(transform.within_window(hourly, WINDOW))

    kept = report.keep_labels(totals, ReportLimits(2, 1, 1))

    assert kept.projects == {"alpha", "beta"}  # 88 and 24 downloads; gamma 6, delta 1
    assert kept.versions == {("alpha", "1.0"), ("beta", "0.1")}
    assert kept.countries == {"US"}  # 85 downloads; NULL is never folded
