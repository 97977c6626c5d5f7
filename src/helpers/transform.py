"""Hourly download facts turned into roll-ups, KPIs, weekday weights and hour-of-day profiles.

Every function takes a pyarrow Table with the columns of ``helpers.schemas.HOURLY_SCHEMA``
(one row per UTC hour and dimension combination) and works column-wise with
``pyarrow.compute``; nothing here reads or writes files. Everything is in UTC.

KPI definitions (``KPI_DEFINITIONS`` holds the same text for the report and the notebook):

downloads
    sum: number of downloads.
    mean: mean downloads per time bucket of the chosen granularity = sum / number of buckets of
    that granularity in the window, buckets without any download counting as zero
    (hour: days x 24; day: days; week: number of ISO weeks, Monday start, the window touches).
bytes
    sum: bytes downloaded (file size per download, known for downloads whose file has metadata).
    mean: bytes per download with metadata = bytes / (downloads - downloads_without_metadata);
    None when that denominator is 0.
dependencies
    sum: over downloads, the file's requires_dist count, summed.
    mean: dependencies per download with metadata, same denominator as bytes; None when it is 0.

A ``Window`` is an inclusive range of UTC days; ``kpi_summary``, ``weekday_weights`` and
``hourly_profile`` ignore the rows whose hour falls outside it.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from helpers.schemas import HOURLY_SCHEMA

GRANULARITIES = ("hour", "day", "week")
METRICS = ("downloads", "bytes", "dependencies")
MEASURES = ("downloads", "bytes", "dependencies", "downloads_without_metadata")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Columns a roll-up may be broken down by: every hourly column but the hour and the measures.
DIMENSIONS = ("country_code", "project", "version", "file_type", "installer_family", "is_ci")
# The value of `countries` that selects the rows whose country is NULL.
UNKNOWN_COUNTRY = "unknown"
MIRROR_FAMILY = "mirror"
_NOT_MIRROR = pc.field("installer_family") != MIRROR_FAMILY
_NOT_CI = ~pc.field("is_ci")

KPI_DEFINITIONS = {
    "downloads": {
        "sum": "number of downloads",
        "mean": "downloads per time bucket of the granularity, buckets without downloads as zero",
    },
    "bytes": {
        "sum": "bytes downloaded (file size per download)",
        "mean": "bytes per download with metadata; None when no download has metadata",
    },
    "dependencies": {
        "sum": "requires_dist count of the downloaded file, summed over downloads",
        "mean": "dependencies per download with metadata; None when no download has metadata",
    },
}

TIMESTAMP_UTC = pa.timestamp("us", tz="UTC")
HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7
MICROSECONDS_PER_DAY = 86_400_000_000
ONE_DAY = dt.timedelta(days=1)

WEEKDAY_WEIGHTS_SCHEMA = pa.schema(
    [
        ("metric", pa.string()),
        ("weekday", pa.int64()),
        ("weekday_name", pa.string()),
        ("occurrences", pa.int64()),
        ("total", pa.int64()),
        ("mean_per_occurrence", pa.float64()),
        ("weight", pa.float64()),
    ]
)
HOURLY_PROFILE_SCHEMA = pa.schema(
    [
        ("hour_of_day", pa.int64()),
        ("downloads", pa.int64()),
        ("days", pa.int64()),
        ("mean_downloads", pa.float64()),
    ]
)


@dataclass(frozen=True)
class Window:
    """An inclusive range of UTC days, start <= end."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            # datetime is a subclass of date; a time of day would make the day range ambiguous.
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                kind = type(value).__name__
                raise TypeError(f"window {name} must be a datetime.date, got {kind}")
        if self.start > self.end:
            raise ValueError(f"window start {self.start} is after its end {self.end}")

    @property
    def days(self) -> int:
        """Number of days in the window, both ends included."""
        return (self.end - self.start).days + 1

    @classmethod
    def ending(cls, end: dt.date, days: int) -> Window:
        """The window of `days` days whose last day is `end`."""
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"window days must be an int, got {type(days).__name__}")
        if days < 1:
            raise ValueError(f"window days must be at least 1, got {days}")
        return cls(end - dt.timedelta(days=days - 1), end)

    def dates(self) -> list[dt.date]:
        """Every day of the window, in order."""
        return [self.start + dt.timedelta(days=offset) for offset in range(self.days)]


def _names(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """None becomes empty and a bare string one name, so "US" is not read as ("U", "S")."""
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)
    return tuple(values)


def _check_granularity(granularity: str) -> None:
    """Reject a granularity outside GRANULARITIES."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}; expected one of {GRANULARITIES}")


def _check_by(by: str | Iterable[str]) -> tuple[str, ...]:
    """The breakdown columns as a tuple, rejecting non-dimensions and repeats."""
    keys = _names(by)
    unknown = [key for key in keys if key not in DIMENSIONS]
    if unknown:
        raise ValueError(f"cannot roll up by {unknown}; expected columns among {DIMENSIONS}")
    if len(set(keys)) != len(keys):
        raise ValueError(f"by repeats a column: {keys}")
    return keys


def _check_metrics(metrics: str | Iterable[str]) -> tuple[str, ...]:
    """The chosen metrics as a tuple, rejecting unknown names and an empty choice."""
    chosen = _names(metrics)
    unknown = [metric for metric in chosen if metric not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; expected among {METRICS}")
    if not chosen:
        raise ValueError(f"no metric chosen; expected some of {METRICS}")
    return chosen


def _check_window(window: Window) -> None:
    """Reject anything but a Window, whose checks already ran."""
    if not isinstance(window, Window):
        raise TypeError(f"window must be a Window, got {type(window).__name__}")


def _require_columns(table: pa.Table, columns: Iterable[str]) -> None:
    """Reject a table lacking a column the computation reads."""
    missing = [column for column in columns if column not in table.column_names]
    if missing:
        raise ValueError(f"hourly table is missing column(s) {missing}")


def _as_table(data: pa.RecordBatch | pa.Table) -> pa.Table:
    """A record batch wrapped as a one-batch table."""
    return pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data


def _utc_midnight(day: dt.date) -> pa.Scalar:
    """The start of a UTC day as a scalar comparable with the hour column."""
    return pa.scalar(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC), type=TIMESTAMP_UTC)


def within_window(hourly: pa.Table, window: Window) -> pa.Table:
    """Only the rows whose hour falls in the window (a run may read look-back days too)."""
    _check_window(window)
    start, end = _utc_midnight(window.start), _utc_midnight(window.end + ONE_DAY)
    return hourly.filter((pc.field("hour") >= start) & (pc.field("hour") < end))


def hourly_totals(hourly: pa.Table, by: str | Iterable[str] = ("country_code",)) -> pa.Table:
    """The measures summed per hour (and `by`), under the hourly column names.

    A few thousand rows a day whatever the volume: enough for the window's KPIs, weekday
    weights, hourly profile and data-quality checks, so a run never holds the whole window.
    """
    rolled = roll_up(hourly, "hour", by)
    return rolled.rename_columns(["hour", *rolled.column_names[1:]])


def _isin(column: str, values: tuple[str, ...]) -> pc.Expression | None:
    """Keep the rows whose column is one of the values; no condition when there are none."""
    return pc.field(column).isin(list(values)) if values else None


def _country_condition(countries: tuple[str, ...]) -> pc.Expression | None:
    """Keep the chosen country codes, and the NULL country when "unknown" is among them."""
    if not countries:
        return None
    codes = tuple(code for code in countries if code != UNKNOWN_COUNTRY)
    if UNKNOWN_COUNTRY not in countries:
        return _isin("country_code", codes)
    unknown = pc.field("country_code").is_null()
    return unknown | _isin("country_code", codes) if codes else unknown


def filter_hourly(
    hourly: pa.Table,
    countries: str | Iterable[str] | None = None,
    projects: str | Iterable[str] | None = None,
    versions: str | Iterable[str] | None = None,
    *,
    exclude_mirrors: bool = False,
    exclude_ci: bool = False,
) -> pa.Table:
    """Only the rows matching every given filter; None or empty keeps all values.

    Values are matched exactly as stored (normalised project names, upper-case country codes);
    "unknown" in `countries` selects the rows whose country_code is NULL.
    """
    conditions = {
        "country_code": _country_condition(_names(countries)),
        "project": _isin("project", _names(projects)),
        "version": _isin("version", _names(versions)),
        "installer_family": _NOT_MIRROR if exclude_mirrors else None,
        "is_ci": _NOT_CI if exclude_ci else None,
    }
    kept = {column: condition for column, condition in conditions.items() if condition is not None}
    if not kept:
        return hourly
    _require_columns(hourly, kept)
    return hourly.filter(functools.reduce(operator.and_, kept.values()))


def _wall_clock(hours: pa.ChunkedArray) -> pa.ChunkedArray:
    """The UTC timestamps relabelled as zone-less, same instants (a zero-copy cast)."""
    # UTC has no offsets, so zone-less kernels give the same answer without the per-value
    # time-zone lookups that make them several times slower on tens of millions of rows.
    return hours.cast(pa.timestamp("us"))


def _period_start(hours: pa.ChunkedArray, granularity: str) -> pa.ChunkedArray:
    """Each hour moved back to the start of its hour, UTC day or ISO week (Monday 00:00)."""
    clock = _wall_clock(hours)
    if granularity == "hour":
        return pc.floor_temporal(clock, unit="hour").cast(TIMESTAMP_UTC)
    days = pc.floor_temporal(clock, unit="day")
    if granularity == "week":
        # ISO week start = day - weekday, with Monday as weekday 0.
        offsets = pc.multiply(pc.day_of_week(days), MICROSECONDS_PER_DAY)
        days = pc.subtract(days, offsets.cast(pa.duration("us")))
    return days.cast(TIMESTAMP_UTC)


def _sum_by(table: pa.Table, keys: Sequence[str], measures: Sequence[str]) -> pa.Table:
    """Rows sharing the same keys collapsed into one, their measures summed."""
    summed = table.group_by(list(keys)).aggregate([(measure, "sum") for measure in measures])
    ordered = summed.select([*keys, *(f"{measure}_sum" for measure in measures)])
    return ordered.rename_columns([*keys, *measures])


def _window_hours(hourly: pa.Table, window: Window, measures: Sequence[str]) -> pa.Table:
    """The measures summed per UTC hour, keeping only the hours inside the window."""
    _check_window(window)
    _require_columns(hourly, ["hour", *measures])
    # Summing per hour first leaves at most days x 24 rows for the window cut and the
    # calendar work, instead of every dimension combination of every hour.
    per_hour = _sum_by(hourly.select(["hour", *measures]), ["hour"], measures)
    hours = per_hour["hour"]
    inside = pc.and_(
        pc.greater_equal(hours, _utc_midnight(window.start)),
        pc.less(hours, _utc_midnight(window.end + ONE_DAY)),
    )
    return per_hour.filter(inside)


def _partial_roll_up(table: pa.Table, granularity: str, keys: tuple[str, ...]) -> pa.Table:
    """Rows collapsed to one per period and breakdown, in no particular order."""
    _require_columns(table, ["hour", *keys, *MEASURES])
    periods = _period_start(table["hour"], granularity)
    keyed = table.select([*keys, *MEASURES]).add_column(0, "period_start", periods)
    return _sum_by(keyed, ["period_start", *keys], MEASURES)


def _sorted(rolled: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    """Rows ordered by period_start then by the breakdown columns, NULLs last."""
    order = [(key, "ascending", "at_end") for key in ("period_start", *keys)]
    return rolled.sort_by(order)


def roll_up(hourly: pa.Table, granularity: str, by: str | Iterable[str] = ()) -> pa.Table:
    """Hourly rows summed per hour, UTC day or ISO week, broken down by the `by` columns.

    Columns: period_start (timestamp[us, UTC]), *by, then MEASURES; sorted by period_start, by.
    """
    _check_granularity(granularity)
    keys = _check_by(by)
    return _sorted(_partial_roll_up(hourly, granularity, keys), keys)


def aggregate_batches(
    batches: Iterable[pa.RecordBatch | pa.Table],
    granularity: str,
    by: str | Iterable[str] = (),
) -> pa.Table:
    """The roll_up of all batches together, reading one batch at a time.

    Only the running aggregate and the current batch's partial aggregate are held, which is
    how a day of production data is processed; an empty iterable gives an empty roll-up.
    """
    _check_granularity(granularity)
    keys = _check_by(by)
    total = _partial_roll_up(HOURLY_SCHEMA.empty_table(), granularity, keys)
    for batch in batches:
        partial = _partial_roll_up(_as_table(batch), granularity, keys)
        # Sums are associative: summing the partial sums gives the sum over all rows.
        merged = pa.concat_tables([total, partial], promote_options="permissive")
        total = _sum_by(merged, ["period_start", *keys], MEASURES)
    return _sorted(total, keys)


def _monday(day: dt.date) -> dt.date:
    """The Monday starting the ISO week of `day`."""
    return day - dt.timedelta(days=day.weekday())


def bucket_count(window: Window, granularity: str) -> int:
    """Number of buckets of the granularity in the window, empty ones included."""
    _check_window(window)
    _check_granularity(granularity)
    if granularity == "hour":
        return window.days * HOURS_PER_DAY
    if granularity == "day":
        return window.days
    return (_monday(window.end) - _monday(window.start)).days // DAYS_PER_WEEK + 1


def _per_download(total: int, downloads_with_metadata: int) -> float | None:
    """A sum spread over the downloads with metadata; None when there are none."""
    return total / downloads_with_metadata if downloads_with_metadata else None


def kpi_summary(hourly: pa.Table, window: Window, granularity: str) -> dict:
    """The window's rows reduced to each metric's sum and mean (see the module docstring)."""
    buckets = bucket_count(window, granularity)
    table = _window_hours(hourly, window, MEASURES)
    sums = {measure: pc.sum(table[measure], min_count=0).as_py() for measure in MEASURES}
    with_metadata = sums["downloads"] - sums["downloads_without_metadata"]
    return {
        "downloads_sum": sums["downloads"],
        "downloads_mean": sums["downloads"] / buckets,
        "bytes_sum": sums["bytes"],
        "bytes_mean": _per_download(sums["bytes"], with_metadata),
        "dependencies_sum": sums["dependencies"],
        "dependencies_mean": _per_download(sums["dependencies"], with_metadata),
        "downloads_without_metadata": sums["downloads_without_metadata"],
        "buckets": buckets,
    }


def _weekday_totals(table: pa.Table, metrics: tuple[str, ...]) -> dict[str, list[int]]:
    """Each metric summed per ISO weekday, as a list indexed 0 = Monday .. 6 = Sunday."""
    weekdays = pc.day_of_week(_wall_clock(table["hour"]), count_from_zero=False, week_start=1)
    keyed = table.select(list(metrics)).append_column("weekday", weekdays)
    totals = {metric: [0] * DAYS_PER_WEEK for metric in metrics}
    for row in _sum_by(keyed, ["weekday"], metrics).to_pylist():
        for metric in metrics:
            totals[metric][row["weekday"] - 1] = row[metric]
    return totals


def _weekday_occurrences(window: Window) -> list[int]:
    """How many times each ISO weekday occurs in the window, indexed 0 = Monday."""
    counts = Counter(day.weekday() for day in window.dates())
    return [counts[weekday] for weekday in range(DAYS_PER_WEEK)]


def _weekday_rows(metric: str, totals: list[int], occurrences: list[int]) -> list[dict]:
    """The seven weekday rows of one metric, weights normalised over the means."""
    means = [
        total / count if count else 0.0 for total, count in zip(totals, occurrences, strict=True)
    ]
    norm = sum(means)
    return [
        {
            "metric": metric,
            "weekday": index + 1,
            "weekday_name": WEEKDAY_NAMES[index],
            "occurrences": occurrences[index],
            "total": totals[index],
            "mean_per_occurrence": means[index],
            "weight": means[index] / norm if norm else 0.0,
        }
        for index in range(DAYS_PER_WEEK)
    ]


def weekday_weights(
    hourly: pa.Table, window: Window, metrics: str | Iterable[str] = METRICS
) -> pa.Table:
    """The window's rows reduced to each metric's share per ISO weekday (1 = Monday).

    One row per metric and weekday: occurrences (times the weekday occurs in the window),
    total, mean_per_occurrence = total / occurrences and weight = mean_per_occurrence / the
    sum of the 7 means, so a weekday occurring more often in the window is not favoured.
    Weights of a metric sum to 1, or are all 0 when its total is 0. A weekday absent from a
    window shorter than 7 days gets occurrences 0, mean_per_occurrence 0 and weight 0.
    """
    chosen = _check_metrics(metrics)
    totals = _weekday_totals(_window_hours(hourly, window, chosen), chosen)
    occurrences = _weekday_occurrences(window)
    rows = [row for metric in chosen for row in _weekday_rows(metric, totals[metric], occurrences)]
    return pa.Table.from_pylist(rows, schema=WEEKDAY_WEIGHTS_SCHEMA)


def hourly_profile(hourly: pa.Table, window: Window) -> pa.Table:
    """The window's downloads per UTC hour of day (0..23), and their mean per day.

    Hours without downloads are present with 0; mean_downloads = downloads / window.days.
    """
    table = _window_hours(hourly, window, ["downloads"])
    hour_of_day = pc.hour(_wall_clock(table["hour"]))
    keyed = pa.table({"hour_of_day": hour_of_day, "downloads": table["downloads"]})
    summed = _sum_by(keyed, ["hour_of_day"], ["downloads"])
    per_hour = dict(
        zip(summed["hour_of_day"].to_pylist(), summed["downloads"].to_pylist(), strict=True)
    )
    downloads = [per_hour.get(hour, 0) for hour in range(HOURS_PER_DAY)]
    columns = {
        "hour_of_day": list(range(HOURS_PER_DAY)),
        "downloads": downloads,
        "days": [window.days] * HOURS_PER_DAY,
        "mean_downloads": [count / window.days for count in downloads],
    }
    return pa.table(columns, schema=HOURLY_PROFILE_SCHEMA)


def daily_totals(hourly: pa.Table) -> pa.Table:
    """Hourly rows summed per UTC day: day (date32) and the MEASURES, sorted by day."""
    days = roll_up(hourly, "day")
    return days.set_column(0, "day", pc.cast(days["period_start"], pa.date32()))
