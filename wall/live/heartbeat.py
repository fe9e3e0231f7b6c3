"""This process's side of presence: refresh its joined sockets, reap dead processes' users,
and announce a leave only after the grace period."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from django.conf import settings

from .. import protocol
from .bridge import broadcast
from .connections import connections_refresh
from .loops import per_loop
from .registry import local_sockets
from .store import shared_store

logger = logging.getLogger(__name__)


@dataclass
class Heartbeat:
    """The presence heartbeat of one event loop, and its pending leave announcements."""

    task: asyncio.Task | None = None
    pending: set[asyncio.Task] = field(default_factory=set)

    def start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._beat(), name="wall-presence-heartbeat")

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def settle_later(self, user_id: str, username: str) -> None:
        """Announce the user's leave after the grace, unless a socket of theirs came back."""
        task = asyncio.get_running_loop().create_task(self._settle(user_id, username))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _settle(self, user_id: str, username: str) -> None:
        await asyncio.sleep(settings.WALL_PRESENCE_LEAVE_GRACE)
        try:
            if await shared_store().presence_settle(user_id=user_id):
                await broadcast(protocol.user_left_event(user_id, username))
        except Exception:  # The store is down: the reaper announces the leave once it is back.
            logger.warning("presence settle failed for user %s", user_id, exc_info=True)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(settings.WALL_PRESENCE_HEARTBEAT)
            try:
                await beat_once()
            except Exception:  # Keep beating: a Redis blip must not end presence for the process.
                logger.warning("presence heartbeat failed", exc_info=True)


async def beat_once() -> None:
    """Refresh our sockets (presence, per-address counts), re-announce users a reaper had dropped,
    announce dead processes' users as left."""
    sockets = local_sockets()
    await connections_refresh(dict(sockets.counted))
    joined = [(user_id, socket_id) for socket_id, (user_id, _) in sockets.joined.items()]
    names = dict(sockets.joined.values())
    for user_id in await shared_store().presence_refresh(joined):
        await broadcast(protocol.user_joined_event(user_id, names[user_id]), skip_user=user_id)
    for user in await shared_store().presence_reap():
        await broadcast(protocol.user_left_event(user.id, user.username))


heartbeat = per_loop(Heartbeat)  # the running loop's heartbeat


async def drain() -> None:
    """Wait for pending leave announcements (tests and shutdown)."""
    for beat in list(heartbeat.instances.values()):
        for task in list(beat.pending):
            with contextlib.suppress(asyncio.CancelledError):
                await task
