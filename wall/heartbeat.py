"""This process's side of presence: refresh its joined sockets, reap dead processes' users,
and announce a leave only after the grace period."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from django.conf import settings

from . import presence, protocol
from .broadcast import broadcast
from .connections import connections_refresh
from .loops import per_loop

logger = logging.getLogger(__name__)


@dataclass
class LocalSockets:
    """The sockets of this process on one event loop. Only a list of its own sockets: who is
    online is decided in the shared store (wall.presence)."""

    connected: int = 0
    joined: dict[str, tuple[str, str]] = field(default_factory=dict)  # socket id → (user id, name)
    counted: dict[str, str] = field(default_factory=dict)  # socket id → client address (wall.connections)
    task: asyncio.Task | None = None
    pending: set[asyncio.Task] = field(default_factory=set)

    def socket_opened(self) -> None:
        self.connected += 1
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._beat(), name="wall-presence-heartbeat")

    def socket_closed(self, socket_id: str) -> None:
        self.connected -= 1
        self.joined.pop(socket_id, None)
        self.counted.pop(socket_id, None)
        if self.connected <= 0 and self.task is not None:
            self.task.cancel()
            self.task = None

    def socket_joined(self, socket_id: str, user_id: str, username: str) -> None:
        self.joined[socket_id] = (user_id, username)

    def socket_counted(self, socket_id: str, address: str) -> None:
        self.counted[socket_id] = address

    def settle_later(self, user_id: str, username: str) -> None:
        """Announce the user's leave after the grace, unless a socket of theirs came back."""
        task = asyncio.get_running_loop().create_task(self._settle(user_id, username))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _settle(self, user_id: str, username: str) -> None:
        await asyncio.sleep(settings.WALL_PRESENCE_LEAVE_GRACE)
        try:
            if await presence.presence_settle(user_id=user_id):
                await broadcast(protocol.user_left_event(user_id, username))
        except Exception:  # The store is down: the reaper announces the leave once it is back.
            logger.warning("presence settle failed for user %s", user_id, exc_info=True)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(settings.WALL_PRESENCE_HEARTBEAT)
            try:
                await self.beat_once()
            except Exception:  # Keep beating: a Redis blip must not end presence for the process.
                logger.warning("presence heartbeat failed", exc_info=True)

    async def beat_once(self) -> None:
        """Refresh our sockets (presence, per-address counts), re-announce users a reaper had
        dropped, announce dead processes' users as left."""
        await connections_refresh(dict(self.counted))
        sockets = [(user_id, channel) for channel, (user_id, _) in self.joined.items()]
        names = dict(self.joined.values())
        for user_id in await presence.presence_refresh(sockets):
            await broadcast(protocol.user_joined_event(user_id, names[user_id]), skip_user=user_id)
        for user in await presence.presence_reap():
            await broadcast(protocol.user_left_event(user.id, user.username))


local_sockets = per_loop(LocalSockets)  # this process's sockets (one loop per process in production)


async def drain() -> None:
    """Wait for pending leave announcements (tests and shutdown)."""
    for registry in list(local_sockets.instances.values()):
        for task in list(registry.pending):
            with contextlib.suppress(asyncio.CancelledError):
                await task
