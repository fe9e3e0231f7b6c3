"""The admin dashboard's live feed: one `dashboard` frame every WALL_DASHBOARD_INTERVAL seconds to
each staff socket of this process, built once per tick for all of them (docs/protocol.md, "Admin
dashboard socket")."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from redis.exceptions import RedisError

from . import selectors
from .db import database_sync_to_async
from .live.loops import per_loop
from .live.processes import process_reports
from .live.store import shared_store
from .live.writer import Envelope, SocketWriter

logger = logging.getLogger(__name__)

post_counts_per_minute = database_sync_to_async(selectors.post_counts_per_minute)
open_report_count = database_sync_to_async(selectors.open_report_count)
held_count = database_sync_to_async(selectors.held_count)
PROBLEMS_SHOWN = 10


async def dashboard_frame() -> dict:
    """{"type": "dashboard", "data": {at, online, processes: [{process, sockets, users}],
    posts_per_minute: [60 counts, oldest first], posts_last_hour, reports_open (posts with reports
    no moderator settled), held (posts waiting for approval), problems: [{at, level, logger,
    message, process}] newest first}}. The shared store being down leaves its parts empty."""
    try:
        online, reports = len(await shared_store().presence_online()), await process_reports()
    except RedisError:
        logger.warning("dashboard: the shared store is unavailable", exc_info=True)
        online, reports = None, []
    per_minute = await post_counts_per_minute(minutes=60)
    reports_open, held = await open_report_count(), await held_count()
    problems = sorted(
        (p for report in reports for p in report["problems"]), key=lambda p: p["at"], reverse=True
    )
    return {
        "type": "dashboard",
        "data": {
            "at": datetime.now(UTC).isoformat(),
            "online": online,
            "processes": [{k: report[k] for k in ("process", "sockets", "users")} for report in reports],
            "posts_per_minute": per_minute,
            "posts_last_hour": sum(per_minute),
            "reports_open": reports_open,
            "held": held,
            "problems": problems[:PROBLEMS_SHOWN],
        },
    }


@dataclass
class Watchers:
    """This process's dashboard sockets, and the task that feeds them while there are any."""

    writers: set[SocketWriter] = field(default_factory=set)
    task: asyncio.Task | None = None

    def add(self, writer: SocketWriter) -> None:
        self.writers.add(writer)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._feed(), name="wall-dashboard")

    def discard(self, writer: SocketWriter) -> None:
        self.writers.discard(writer)
        if not self.writers and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _feed(self) -> None:
        while True:
            try:
                frame = await dashboard_frame()
            except Exception:  # The database is down: try again next tick; the page keeps its last view.
                logger.warning("dashboard frame failed", exc_info=True)
            else:
                text = json.dumps(frame, separators=(",", ":"))
                envelope, message = Envelope(text, "dashboard"), {"type": "websocket.send", "text": text}
                for writer in list(self.writers):
                    writer.deliver(envelope, message)
            await asyncio.sleep(settings.WALL_DASHBOARD_INTERVAL)


watchers = per_loop(Watchers)


class DashboardConsumer(AsyncWebsocketConsumer):
    """The admin dashboard's socket: staff only (the Django session, never the client's word), fed
    by the feed above; anything it sends is ignored."""

    channel_layer_alias = None  # as WallConsumer: no channel of its own
    writer: SocketWriter | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not (user.is_active and user.is_staff):
            await self.close()  # before accept: the handshake is refused with 403
            return
        await self.accept()
        self.writer = SocketWriter(uuid.uuid4().hex, self.base_send, self._close_with)
        self.writer.go_live(frozenset())
        watchers().add(self.writer)

    async def disconnect(self, code: int) -> None:
        if self.writer is not None:
            self.writer.stop()
            watchers().discard(self.writer)

    async def _close_with(self, code: int) -> None:
        await self.close(code=code)
