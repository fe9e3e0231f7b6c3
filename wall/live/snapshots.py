"""What a socket is sent on connect, history then who is online, read once for all the sockets
that connect at the same moment (a page load storm, a mass reconnect after a restart)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from .. import protocol, selectors
from ..db import database_sync_to_async
from .loops import per_loop
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
    page, pointers = await connect_reads(since_id=since_id, user_ids=[user.id for user in online])
    users = [protocol.user_item(user.id, user.username, pointers.get(user.id)) for user in online]
    return Snapshot(
        protocol.encode(
            protocol.messages_event(
                page.posts, has_more=page.has_more, reset=page.reset, reactions=page.reactions
            )
        ),
        protocol.encode(protocol.users_event(users)),
        frozenset(post["id"] for post in page.posts),
    )


@dataclass
class _Batches:
    """Sockets asking for the same `since` while no read for it runs share the next read.

    A read serves only sockets that asked before it started, so each one's history is read after
    it subscribed to the bus: nothing committed in between can fall through.
    """

    waiting: dict[int | None, list[asyncio.Future]] = field(default_factory=dict)
    running: dict[int | None, asyncio.Task] = field(default_factory=dict)

    async def get(self, since_id: int | None) -> Snapshot:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.waiting.setdefault(since_id, []).append(future)
        if since_id not in self.running:
            self.running[since_id] = loop.create_task(self._serve(since_id))
        return await future

    async def _serve(self, since_id: int | None) -> None:
        try:
            while batch := self.waiting.pop(since_id, None):
                try:
                    snapshot = await _read(since_id)
                except Exception as error:  # Each waiting socket handles it (DatabaseError: 1011).
                    for future in batch:
                        if not future.done():
                            future.set_exception(error)
                else:
                    for future in batch:
                        if not future.done():
                            future.set_result(snapshot)
        finally:
            del self.running[since_id]


_batches = per_loop(_Batches)


async def connect_snapshot(*, since_id: int | None) -> Snapshot:
    """The opening frames for a socket that has already subscribed to the bus."""
    return await _batches().get(since_id)
