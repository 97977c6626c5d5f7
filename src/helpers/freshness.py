"""Source freshness: is a day of file_downloads complete enough to be processed?"""

from __future__ import annotations

import datetime as dt
import logging

from helpers.clients import make_clients
from helpers.config import Settings
from helpers.extract import source_newest

LOGGER = logging.getLogger(__name__)


def day_end(day: dt.date) -> dt.datetime:
    """The first instant after `day`, in UTC."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def is_complete(newest: dt.datetime | None, day: dt.date) -> bool:
    """A day is complete once the source holds a download after its end."""
    return newest is not None and newest >= day_end(day)


def lag_hours(newest: dt.datetime | None, day: dt.date) -> float | None:
    """Hours between the end of `day` and the newest source row (0 when the day is over)."""
    if newest is None:
        return None
    return max(0.0, (day_end(day) - newest).total_seconds() / 3600)


def source_day_complete(settings: Settings, day: dt.date) -> bool:
    """True when file_downloads holds rows after the end of `day` (used by the DAG sensor)."""
    newest = source_newest(make_clients(settings), settings, day)
    LOGGER.info("newest source row at or after %s: %s", day, newest)
    return is_complete(newest, day)
