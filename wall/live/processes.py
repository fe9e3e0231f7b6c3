"""Each server process's report in the shared store, for the admin dashboard: its sockets, joined
users and last warnings, refreshed every WALL_DASHBOARD_INTERVAL seconds while it has sockets, and
gone WALL_PRESENCE_TTL seconds after its last refresh (a process that died drops out on its own)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from django.conf import settings

from .. import metrics
from ..logs import recent_problems
from .loops import per_loop
from .registry import local_sockets
from .store import shared_store

logger = logging.getLogger(__name__)


def process_report_now() -> dict:
    """This process's report: {process, sockets, users, problems}."""
    sockets = local_sockets()
    return {
        "process": metrics.PROCESS,
        "sockets": len(sockets.writers),
        "users": len({user_id for user_id, _ in sockets.joined.values()}),
        "problems": recent_problems(),
    }


async def process_report_save(report: dict) -> None:
    await shared_store().process_report_save(report["process"], json.dumps(report))


async def process_reports() -> list[dict]:
    """Every live process's last report, this process's as it is now, by process name."""
    reports = {
        report["process"]: report for report in map(json.loads, await shared_store().process_reports())
    }
    reports[metrics.PROCESS] = process_report_now()
    return sorted(reports.values(), key=lambda report: report["process"])


@dataclass
class Reporter:
    """Saves this process's report every WALL_DASHBOARD_INTERVAL seconds while it has sockets."""

    task: asyncio.Task | None = None

    def start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run(), name="wall-process-report")

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while True:
            try:
                await process_report_save(process_report_now())
            except Exception:  # The store is down: the dashboard shows this process again once it is back.
                logger.debug("process report not saved", exc_info=True)
            await asyncio.sleep(settings.WALL_DASHBOARD_INTERVAL)


reporter = per_loop(Reporter)
