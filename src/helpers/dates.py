"""Run dates: parsing and validation of the dates and windows a user asks for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAX_WINDOW_DAYS = 90
MAX_RANGE_DAYS = 90


class DateError(ValueError):
    """A run date, range or window that cannot be processed."""


def utc_today() -> dt.date:
    """Today's date in UTC, the time zone of the source table."""
    return dt.datetime.now(dt.UTC).date()


def yesterday() -> dt.date:
    """The most recent day the source can hold completely."""
    return utc_today() - dt.timedelta(days=1)


def parse_date(text: str, name: str = "date") -> dt.date:
    """A YYYY-MM-DD string as a date, with a message naming the argument."""
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise DateError(f"{name} {text!r} is not a valid date (expected YYYY-MM-DD)") from None


@dataclass(frozen=True)
class RunDates:
    """The days to acquire (start..end) and the dashboard window ending on `end`."""

    start: dt.date
    end: dt.date
    window_days: int

    @property
    def window_start(self) -> dt.date:
        return self.end - dt.timedelta(days=self.window_days - 1)

    def days(self) -> list[dt.date]:
        """Every day from start to end, inclusive."""
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def window(self) -> list[dt.date]:
        """Every day of the dashboard window, inclusive."""
        return [self.window_start + dt.timedelta(days=i) for i in range(self.window_days)]


def validate_run_dates(
    start: dt.date, end: dt.date, window_days: int, today: dt.date | None = None
) -> RunDates:
    """Check a run's dates: complete days only, start <= end, bounded range and window."""
    today = today or utc_today()
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise DateError(f"window of {window_days} days: it must be between 1 and {MAX_WINDOW_DAYS}")
    if end < start:
        raise DateError(f"end date {end} is before start date {start}")
    if end >= today:
        raise DateError(
            f"date {end} is not a complete day yet (today is {today} UTC): the source holds "
            f"complete days up to {today - dt.timedelta(days=1)}"
        )
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise DateError(
            f"range {start}..{end} spans {(end - start).days + 1} days: run at most "
            f"{MAX_RANGE_DAYS} days at a time"
        )
    return RunDates(start, end, window_days)
