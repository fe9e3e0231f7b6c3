"""What a socket is sent on connect, history then who is online, read once for all the sockets
that connect at the same moment (a page load storm, a mass reconnect after a restart)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from django.conf import settings
from redis.exceptions import RedisError

from .. import protocol, selectors
from ..db import database_sync_to_async
from .loops import per_loop
from .registry import local_sockets
from .store import shared_store

logger = logging.getLogger(__name__)

connect_reads = database_sync_to_async(selectors.connect_reads)


@dataclass(frozen=True)
class Snapshot:
    """The two opening frames, encoded once, and the ids the history holds."""

    messages_text: str
    users_text: str
    history_ids: frozenset[str]


async def _read(since_id: int | None) -> Snapshot:
    try:
        online = await shared_store().presence_online()
    except RedisError:
        logger.warning("presence unavailable on connect", exc_info=True)
        online = []
    page, readers = await connect_reads(since_id=since_id, user_ids=[user.id for user in online])
    users = [protocol.user_item(user.id, *readers.get(user.id, (user.username, None))) for user in online]
    return Snapshot(
        protocol.encode(
            protocol.messages_event(
                page.posts,
                has_more=page.has_more,
                reset=page.reset,
                edited=page.edited,
                reactions=page.reactions,
            )
        ),
        protocol.encode(protocol.users_event(users)),
        frozenset(post["id"] for post in page.posts),
    )


@dataclass
class _Batches:
    """Sockets asking for the same `since` while no read for it runs share the next read.

    A read serves only sockets that asked before it started, so each one's history is read after
    it subscribed to the bus: nothing committed in between can fall through. A fresh connect (no
    `since`) may also take the last read when this process has fanned out no event and resumed no
    socket since that read started (`Registry.changes`), for at most WALL_SNAPSHOT_REUSE seconds:
    whatever was committed after the read started has not reached this process yet, so it reaches
    the new socket live.
    """

    waiting: dict[int | None, list[asyncio.Future]] = field(default_factory=dict)
    running: dict[int | None, asyncio.Task] = field(default_factory=dict)
    # The last fresh read: (Registry.changes and loop time when it started, its snapshot).
    fresh: tuple[int, float, Snapshot] | None = None

    async def get(self, since_id: int | None) -> Snapshot:
        loop = asyncio.get_running_loop()
        if since_id is None and self.fresh is not None:
            changes, started, snapshot = self.fresh
            if changes == local_sockets().changes and loop.time() - started < settings.WALL_SNAPSHOT_REUSE:
                return snapshot
        future = loop.create_future()
        self.waiting.setdefault(since_id, []).append(future)
        if since_id not in self.running:
            self.running[since_id] = loop.create_task(self._serve(since_id))
        return await future

    async def _serve(self, since_id: int | None) -> None:
        try:
            while batch := self.waiting.pop(since_id, None):
                changes, started = local_sockets().changes, asyncio.get_running_loop().time()
                try:
                    snapshot = await _read(since_id)
                except Exception as error:  # Each waiting socket handles it (DatabaseError: 1011).
                    for future in batch:
                        if not future.done():
                            future.set_exception(error)
                else:
                    if since_id is None:
                        self.fresh = (changes, started, snapshot)
                    for future in batch:
                        if not future.done():
                            future.set_result(snapshot)
        finally:
            del self.running[since_id]


_batches = per_loop(_Batches)


async def connect_snapshot(*, since_id: int | None) -> Snapshot:
    """The opening frames for a socket that has already subscribed to the bus."""
    return await _batches().get(since_id)
