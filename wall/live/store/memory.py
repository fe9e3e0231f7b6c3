"""The shared store in this process: for one process without REDIS_URL (the embedded default), and
the Redis store's stand-in for rate limits while Redis is unreachable. The same model as the Redis
store's scripts, on this process's clock."""

from __future__ import annotations

import math
import secrets
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field

from django.conf import settings

from .base import OnlineUser, Position, SharedStore, by_name


@dataclass
class _Presence:
    sockets: dict[str, dict[str, float]] = field(default_factory=dict)  # user id → socket id → expiry
    names: dict[str, str] = field(default_factory=dict)
    announced: set[str] = field(default_factory=set)
    # user id → the latest expiry of any of its sockets, as the Redis "users" zset.
    expires: dict[str, float] = field(default_factory=dict)

    def touch(self, user_id: str, socket_id: str) -> None:
        expiry = time.monotonic() + settings.WALL_PRESENCE_TTL
        self.live(user_id)[socket_id] = expiry
        self.expires[user_id] = max(expiry, self.expires.get(user_id, 0))

    def live(self, user_id: str) -> dict[str, float]:
        now = time.monotonic()
        live = {socket: expiry for socket, expiry in self.sockets.get(user_id, {}).items() if expiry > now}
        self.sockets[user_id] = live
        return live

    def users(self, user_ids: list[str]) -> list[OnlineUser]:
        return [OnlineUser(user_id, self.names[user_id]) for user_id in user_ids]


class MemoryStore(SharedStore):
    """Everything in this process's memory. `sweep_at`: how many rate-limit windows may be held
    before those whose hits all expired are dropped (one per socket would pile up otherwise)."""

    def __init__(self, *, sweep_at: int = 1000) -> None:
        self.presence = _Presence()
        self.windows: defaultdict[str, deque[tuple[float, str]]] = defaultdict(deque)
        self._window_expiry: dict[str, float] = {}  # when each window's newest hit leaves it
        self._sweep_floor = self._sweep_at = sweep_at
        self.counted: defaultdict[str, set[str]] = defaultdict(set)  # address → socket ids
        self._epoch = uuid.uuid4().hex
        self._seq = 0
        self._reports: dict[str, tuple[float, str]] = {}  # process → (expiry, report)

    async def presence_join(self, *, user_id: str, username: str, socket_id: str) -> bool:
        self.presence.touch(user_id, socket_id)
        self.presence.names[user_id] = username
        first = user_id not in self.presence.announced
        self.presence.announced.add(user_id)
        return first

    async def presence_leave(self, *, user_id: str, socket_id: str) -> bool:
        self.presence.sockets.get(user_id, {}).pop(socket_id, None)
        return not self.presence.live(user_id)

    async def presence_settle(self, *, user_id: str) -> bool:
        if self.presence.live(user_id) or user_id not in self.presence.announced:
            return False
        self.presence.expires.pop(user_id, None)
        self.presence.announced.discard(user_id)
        return True

    async def presence_refresh(self, sockets: list[tuple[str, str]]) -> list[str]:
        rejoined = []
        for user_id, socket_id in sockets:
            self.presence.touch(user_id, socket_id)
            if user_id not in self.presence.announced:
                self.presence.announced.add(user_id)
                rejoined.append(user_id)
        return rejoined

    async def presence_reap(self) -> list[OnlineUser]:
        now = time.monotonic()
        gone = [user_id for user_id, expiry in self.presence.expires.items() if expiry <= now]
        for user_id in gone:
            del self.presence.expires[user_id]
        left = [user_id for user_id in gone if user_id in self.presence.announced]
        self.presence.announced.difference_update(left)
        return self.presence.users(left)

    async def presence_online(self) -> list[OnlineUser]:
        return by_name(self.presence.users(list(self.presence.announced)))

    async def window_hit(self, name: str, *, limit: int, seconds: float) -> tuple[str, float | None]:
        member = f"{time.time_ns()}-{secrets.token_hex(4)}"
        now = time.monotonic()
        self._sweep(now)
        hits = self.windows[name]
        while hits and hits[0][0] <= now - seconds:
            hits.popleft()
        if len(hits) >= limit:
            return member, max(0.1, math.ceil((hits[0][0] + seconds - now) * 10) / 10)
        hits.append((now, member))
        self._window_expiry[name] = now + seconds
        return member, None

    def _sweep(self, now: float) -> None:
        if len(self._window_expiry) < self._sweep_at:
            return
        for stale in [name for name, expiry in self._window_expiry.items() if expiry <= now]:
            del self._window_expiry[stale]
            self.windows.pop(stale, None)
        self._sweep_at = max(self._sweep_floor, 2 * len(self._window_expiry))

    async def window_give_back(self, name: str, member: str) -> None:
        hits = self.windows.get(name, deque())
        for hit in hits:  # Not found: it already left the window.
            if hit[1] == member:
                hits.remove(hit)
                return

    async def sockets_open(self, address: str, socket_id: str, *, limit: int) -> bool:
        sockets = self.counted[address]
        if len(sockets) >= limit:
            return False
        sockets.add(socket_id)
        return True

    async def sockets_close(self, address: str, socket_id: str) -> None:
        self.counted[address].discard(socket_id)
        if not self.counted[address]:
            del self.counted[address]

    async def sockets_refresh(self, sockets: dict[str, str]) -> None:
        """Nothing to do: this process's entries die with it."""

    async def position_next(self) -> Position:
        self._seq += 1
        return Position(self._epoch, self._seq)

    async def position_current(self) -> Position | None:
        return Position(self._epoch, self._seq) if self._seq else None

    async def process_report_save(self, process: str, report: str) -> None:
        self._reports[process] = (time.monotonic() + settings.WALL_PRESENCE_TTL, report)

    async def process_reports(self) -> list[str]:
        now = time.monotonic()
        return [report for expiry, report in self._reports.values() if expiry > now]

    async def ping(self) -> bool:
        return True
