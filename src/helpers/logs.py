"""Logging configured in one place: readable lines locally, JSON lines in production."""

from __future__ import annotations

import json
import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = ("google", "urllib3", "papermill", "traitlets", "asyncio")


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of the record (test capture, notebooks)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object per line, the shape Cloud Logging parses into fields."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "severity": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
                "time": self.formatTime(record),
            }
        )


def configure_logging(environment: str = "local", level: int = logging.INFO) -> None:
    """Route the pipeline's logs to stderr; JSON in production, plain text locally."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if environment == "prod" else logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
