"""Logging for operators: the process on every record, JSON lines on request, and the last
warnings and errors kept for the admin dashboard. Never an IP address or a token (tests/test_logs.py)."""

from __future__ import annotations

import logging
import time
from collections import deque

from . import metrics

RECENT_MAX = 20


class ProcessFilter(logging.Filter):
    """Adds `wall_process` (host:pid, the `process` label of the metrics) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.wall_process = metrics.PROCESS
        return True


class RecentProblems(logging.Handler):
    """Keeps this process's last RECENT_MAX warnings and errors, newest first, for the dashboard."""

    records: deque[dict] = deque(maxlen=RECENT_MAX)

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # A bad format string must not break logging.
            message = str(record.msg)
        self.records.appendleft(
            {
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                "level": record.levelname,
                "logger": record.name,
                "message": message[:300],
                "process": metrics.PROCESS,
            }
        )


def recent_problems() -> list[dict]:
    """This process's last warnings and errors: [{at (ISO-8601 UTC), level, logger, message, process}]."""
    return list(RecentProblems.records)
