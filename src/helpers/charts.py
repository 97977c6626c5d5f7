"""Plotly figure builders shared by the HTML report and the charts notebook.

Every builder is a pure function: an Arrow table (the output of a `helpers.transform`
function) in, a plotly figure or plain dicts out. The HTML report builds the same figures
from empty tables and embeds them as templates that its JavaScript fills, so the notebook
and the report draw identical charts.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
import pyarrow as pa

METRICS = ("downloads", "bytes", "dependencies")
GRANULARITIES = ("hour", "day", "week")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

METRIC_LABELS = {"downloads": "Downloads", "bytes": "Bytes", "dependencies": "Dependencies"}
METRIC_COLORS = {"downloads": "#2563eb", "bytes": "#059669", "dependencies": "#d97706"}
GRANULARITY_LABELS = {"hour": "Hour", "day": "Day", "week": "ISO week"}
BUCKET_NOUNS = {"hour": "hour", "day": "day", "week": "ISO week"}

FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}

_X_TITLES = {
    "hour": "Hour (UTC)",
    "day": "Day (UTC)",
    "week": "ISO week (from Monday; the first and last may be partial)",
}
_X_HOVER = {
    "hour": "%{x|%a %Y-%m-%d %H:00} UTC",
    "day": "%{x|%a %Y-%m-%d}",
    "week": "week of %{x|%Y-%m-%d}",
}
_BYTE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def format_count(value: float | None) -> str:
    """An integer with thousands separators, or an em dash when missing."""
    return "—" if value is None else f"{round(value):,}"


def format_decimal(value: float | None, digits: int = 1) -> str:
    """A decimal number with thousands separators, or an em dash when missing."""
    return "—" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def format_bytes(value: float | None) -> str:
    """A byte count in decimal units (kB = 1,000 B), one decimal above 1 kB."""
    if value is None or math.isnan(value):
        return "—"
    if abs(value) < 1000:
        return f"{value:,.0f} B"
    exponent = min(int(math.log10(abs(value)) // 3), len(_BYTE_UNITS) - 1)
    scaled = value / 1000**exponent
    if abs(round(scaled, 1)) >= 1000 and exponent < len(_BYTE_UNITS) - 1:
        exponent, scaled = exponent + 1, scaled / 1000
    return f"{scaled:,.1f} {_BYTE_UNITS[exponent]}"


def _display(metric: str, stat: str, value: float | None) -> str:
    if metric == "bytes":
        return format_bytes(value)
    if stat == "sum":
        return format_count(value)
    return format_decimal(value, 1 if metric == "downloads" else 2)


def mean_label(granularity: str) -> str:
    """Label of the downloads mean tile for a granularity."""
    return f"Mean per {BUCKET_NOUNS[granularity]}"


def kpi_definitions(granularity: str, buckets: int) -> dict[str, str]:
    """One-line definition of each KPI tile, keyed by tile id."""
    noun = BUCKET_NOUNS[granularity]
    plural = noun if buckets == 1 else f"{noun}s"
    return {
        "kpi-downloads-sum": "Files downloaded over the window.",
        "kpi-downloads-mean": (
            f"Downloads per {noun}: sum / {buckets:,} {plural}; {plural} without "
            "downloads count as zero."
        ),
        "kpi-bytes-sum": "Total size of the downloaded files (downloads with metadata).",
        "kpi-bytes-mean": "Bytes per download with metadata (downloads minus those without).",
        "kpi-dependencies-sum": "Requires-Dist entries summed over downloads with metadata.",
        "kpi-dependencies-mean": "Dependencies per download with metadata.",
    }


def kpi_tiles(summary: Mapping[str, Any], granularity: str) -> list[dict[str, Any]]:
    """Tile data (id, label, raw value, display text, definition) from a `kpi_summary` dict."""
    buckets = int(summary.get("buckets") or 0)
    definitions = kpi_definitions(granularity, buckets)
    tiles = []
    for metric in METRICS:
        for stat in ("sum", "mean"):
            value = summary.get(f"{metric}_{stat}")
            per = mean_label(granularity) if metric == "downloads" else "Mean per download"
            tiles.append(
                {
                    "id": f"kpi-{metric}-{stat}",
                    "metric": metric,
                    "stat": stat,
                    "label": f"{METRIC_LABELS[metric]} · {'Total' if stat == 'sum' else per}",
                    "value": value,
                    "display": _display(metric, stat, value),
                    "definition": definitions[f"kpi-{metric}-{stat}"],
                }
            )
    return tiles


def base_layout(title: str, height: int = 400) -> dict[str, Any]:
    """Layout shared by every chart: white template, readable fonts, thousands separators."""
    return {
        "template": "plotly_white",
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        "font": {"family": FONT_FAMILY, "size": 13, "color": "#1f2937"},
        "separators": ".,",
        "height": height,
        "margin": {"l": 70, "r": 20, "t": 56, "b": 56},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "showlegend": False,
    }


def _period_label(value: Any, granularity: str) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M" if granularity == "hour" else "%Y-%m-%d")
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _value_axis(metric: str) -> dict[str, Any]:
    axis: dict[str, Any] = {"title": {"text": METRIC_LABELS[metric]}, "rangemode": "tozero"}
    if metric == "bytes":
        axis.update(tickformat="~s", ticksuffix="B")
    else:
        axis.update(tickformat=",~r")
    return axis


def _value_hover(metric: str) -> str:
    return "%{y:,.4~s}B" if metric == "bytes" else "%{y:,}"


def timeseries_figure(rolled: pa.Table, granularity: str, metric: str = "downloads") -> go.Figure:
    """Line chart of one metric per period from a `roll_up` table (period_start + measures)."""
    if granularity not in GRANULARITIES or metric not in METRICS:
        raise ValueError(f"unknown granularity {granularity!r} or metric {metric!r}")
    x = [_period_label(v, granularity) for v in rolled.column("period_start").to_pylist()]
    y = rolled.column(metric).to_pylist()
    color = METRIC_COLORS[metric]
    hover = f"{_X_HOVER[granularity]}<br>{_value_hover(metric)}<extra></extra>"
    if granularity == "hour":
        trace = go.Scatter(
            x=x,
            y=y,
            name=METRIC_LABELS[metric],
            mode="lines",
            line={"color": color, "width": 1.5},
            fill="tozeroy",
            fillcolor=_translucent(color),
            hovertemplate=hover,
        )
    else:
        trace = go.Bar(
            x=x,
            y=y,
            name=METRIC_LABELS[metric],
            marker={"color": color},
            xperiod=86_400_000 * (7 if granularity == "week" else 1),
            xperiodalignment="middle",
            hovertemplate=hover,
        )
    layout = base_layout(f"{METRIC_LABELS[metric]} per {BUCKET_NOUNS[granularity]}")
    layout["xaxis"] = {"title": {"text": _X_TITLES[granularity]}, "type": "date"}
    if granularity == "day":
        layout["xaxis"]["ticklabelmode"] = "period"
    if granularity == "week":
        # One tick per ISO week, on its Monday (2000-01-03 was a Monday).
        layout["xaxis"].update(dtick=7 * 86_400_000, tick0="2000-01-03", tickformat="W%V · %b %d")
    layout["yaxis"] = _value_axis(metric)
    return go.Figure(data=[trace], layout=layout)


def _translucent(color: str, alpha: float = 0.12) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def weekday_figure(weights: pa.Table) -> go.Figure:
    """Grouped bars: the relative weight of each weekday, one colour per metric."""
    rows = weights.to_pylist()
    traces = []
    for metric in METRICS:
        by_day = {row["weekday"]: row for row in rows if row["metric"] == metric}
        days = sorted(by_day)
        traces.append(
            go.Bar(
                x=[WEEKDAY_NAMES[day - 1] for day in days],
                y=[by_day[day]["weight"] for day in days],
                customdata=[
                    [by_day[day]["occurrences"], by_day[day]["mean_per_occurrence"]] for day in days
                ],
                name=METRIC_LABELS[metric],
                marker={"color": METRIC_COLORS[metric]},
                hovertemplate=(
                    f"{METRIC_LABELS[metric]} · %{{x}}: %{{y:.1%}}<br>"
                    "mean per occurrence %{customdata[1]:,.1f} (%{customdata[0]} in the window)"
                    "<extra></extra>"
                ),
            )
        )
    layout = base_layout("Relative weight of each weekday")
    layout.update(
        barmode="group",
        showlegend=True,
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
        xaxis={
            "title": {"text": "Weekday (UTC)"},
            "categoryorder": "array",
            "categoryarray": list(WEEKDAY_NAMES),
        },
        yaxis={"title": {"text": "Share of the week"}, "tickformat": ".0%", "rangemode": "tozero"},
        shapes=[
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": 1 / 7,
                "y1": 1 / 7,
                "line": {"color": "#6b7280", "width": 1, "dash": "dot"},
            }
        ],
        annotations=[
            {
                "xref": "paper",
                "x": 1,
                "xanchor": "right",
                "y": 1 / 7,
                "yanchor": "bottom",
                "text": "even spread 1/7",
                "showarrow": False,
                "font": {"size": 11, "color": "#6b7280"},
            }
        ],
    )
    return go.Figure(data=traces, layout=layout)


def hourly_figure(profile: pa.Table) -> go.Figure:
    """24 bars: mean downloads at each UTC hour of day from an `hourly_profile` table."""
    trace = go.Bar(
        x=profile.column("hour_of_day").to_pylist(),
        y=profile.column("mean_downloads").to_pylist(),
        customdata=profile.column("downloads").to_pylist(),
        name="Mean downloads",
        marker={"color": METRIC_COLORS["downloads"]},
        hovertemplate=(
            "%{x}:00 to %{x}:59 UTC<br>mean %{y:,.1f} downloads per day"
            "<br>%{customdata:,} over the window<extra></extra>"
        ),
    )
    layout = base_layout("Mean downloads per hour of day")
    layout["xaxis"] = {
        "title": {"text": "Hour of day (UTC)"},
        "tickmode": "array",
        "tickvals": list(range(0, 24, 2)),
        "ticktext": [f"{h:02d}" for h in range(0, 24, 2)],
        "range": [-0.5, 23.5],
    }
    layout["yaxis"] = {
        "title": {"text": "Mean downloads"},
        "tickformat": ",~r",
        "rangemode": "tozero",
    }
    return go.Figure(data=[trace], layout=layout)


BREAKDOWN_MIN_SLOTS = 8


def breakdown_axis(bars: int) -> dict[str, Any]:
    """Category axis, largest on top, with at least BREAKDOWN_MIN_SLOTS slots so bars stay thin."""
    slots = max(bars, BREAKDOWN_MIN_SLOTS)
    return {"type": "category", "automargin": True, "range": [slots - 0.5, -0.5]}


def breakdown_figure(labels: Sequence[str], downloads: Sequence[int], title: str) -> go.Figure:
    """Horizontal bars of downloads per label (projects or versions), largest on top."""
    trace = go.Bar(
        x=list(downloads),
        y=list(labels),
        orientation="h",
        name="Downloads",
        marker={"color": METRIC_COLORS["downloads"]},
        hovertemplate="%{y}: %{x:,} downloads<extra></extra>",
    )
    layout = base_layout(title, height=max(400, 112 + 18 * len(labels)))
    layout["xaxis"] = {"title": {"text": "Downloads"}, "tickformat": ",~r", "rangemode": "tozero"}
    layout["yaxis"] = breakdown_axis(len(labels))
    return go.Figure(data=[trace], layout=layout)


def kpi_figure(summary: Mapping[str, Any], granularity: str) -> go.Figure:
    """The six KPI tiles as plotly indicators, for the notebook."""
    tiles = kpi_tiles(summary, granularity)
    figure = go.Figure()
    for index, tile in enumerate(tiles):
        column, row = divmod(index, 2)
        value = tile["value"]
        number: dict[str, Any] = {"valueformat": ",.0f" if tile["stat"] == "sum" else ",.2f"}
        if tile["metric"] == "bytes":
            number = {"valueformat": ".3~s", "suffix": "B"}
        figure.add_trace(
            go.Indicator(
                mode="number",
                value=None if value is None else float(value),
                number=number,
                title={
                    "text": f"{tile['label']}<br><span style='font-size:11px;color:#6b7280'>"
                    f"{tile['definition']}</span>",
                    "font": {"size": 14},
                },
                domain={"row": row, "column": column},
            )
        )
    layout = base_layout("Key figures", height=340)
    layout["grid"] = {"rows": 2, "columns": 3, "pattern": "independent"}
    return go.Figure(data=figure.data, layout=layout)


def figure_spec(figure: go.Figure) -> dict[str, Any]:
    """A figure as plain JSON-ready dicts ({"data": [...], "layout": {...}})."""
    return json.loads(figure.to_json())
