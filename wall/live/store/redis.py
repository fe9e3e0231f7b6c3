"""The shared store in Redis, for several processes (REDIS_URL): one async client per event loop,
keys under WALL_REDIS_PREFIX, every decision one atomic script (wall.live.store.scripts)."""

from __future__ import annotations

import logging
import math
import uuid

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

from ..loops import per_loop
from . import scripts
from .base import OnlineUser, Position, SharedStore, by_name
from .memory import MemoryStore

logger = logging.getLogger(__name__)


class RedisStore(SharedStore):
    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        # redis.asyncio connections are bound to the loop that opened them.
        self._clients = per_loop(self._new_client)
        self._local = MemoryStore()  # rate limits while Redis is unreachable

    def _new_client(self) -> aioredis.Redis:
        return aioredis.Redis.from_url(
            self.url,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
            socket_connect_timeout=5,
            max_connections=settings.REDIS_MAX_CONNECTIONS,
            decode_responses=True,
        )

    @property
    def client(self) -> aioredis.Redis:
        """The running loop's client."""
        return self._clients()

    def key(self, *parts: str) -> str:
        """A namespaced key, so tests and deployments sharing one Redis stay apart."""
        return ":".join((self.prefix, *parts))

    # --- presence ------------------------------------------------------------------------------

    def _sockets_key(self, user_id: str) -> str:
        return self.key("presence", "sockets", user_id)

    async def _names(self, user_ids: list[str]) -> list[OnlineUser]:
        if not user_ids:
            return []
        names = await self.client.hmget(self.key("presence", "names"), user_ids)
        return [OnlineUser(uid, name) for uid, name in zip(user_ids, names, strict=True) if name]

    async def presence_join(self, *, user_id: str, username: str, socket_id: str) -> bool:
        keys = (self._sockets_key(user_id), *self._presence_keys("users", "names", "announced"))
        args = (user_id, socket_id, username, settings.WALL_PRESENCE_TTL)
        return bool(await self.client.eval(scripts.PRESENCE_JOIN, 4, *keys, *args))

    def _presence_keys(self, *names: str) -> list[str]:
        return [self.key("presence", name) for name in names]

    async def presence_leave(self, *, user_id: str, socket_id: str) -> bool:
        return await self.client.eval(scripts.PRESENCE_LEAVE, 1, self._sockets_key(user_id), socket_id) == 0

    async def presence_settle(self, *, user_id: str) -> bool:
        keys = (self._sockets_key(user_id), *self._presence_keys("users", "announced"))
        return bool(await self.client.eval(scripts.PRESENCE_SETTLE, 3, *keys, user_id))

    async def presence_refresh(self, sockets: list[tuple[str, str]]) -> list[str]:
        if not sockets:
            return []
        keys = [*self._presence_keys("users", "announced"), *(self._sockets_key(uid) for uid, _ in sockets)]
        args = [settings.WALL_PRESENCE_TTL, *(item for pair in sockets for item in pair)]
        return list(await self.client.eval(scripts.PRESENCE_REFRESH, len(keys), *keys, *args))

    async def presence_reap(self) -> list[OnlineUser]:
        left = await self.client.eval(scripts.PRESENCE_REAP, 2, *self._presence_keys("users", "announced"))
        return await self._names(list(left))

    async def presence_online(self) -> list[OnlineUser]:
        announced = await self.client.smembers(self.key("presence", "announced"))
        return by_name(await self._names(sorted(announced)))

    # --- rate limits ---------------------------------------------------------------------------

    async def window_hit(self, name: str, *, limit: int, seconds: float) -> tuple[str, float | None]:
        member = uuid.uuid4().hex
        try:
            wait_ms = await self.client.eval(
                scripts.WINDOW_HIT, 1, self.key("throttle", name), int(seconds * 1000), limit, member
            )
        except RedisError:
            logger.warning("rate limits counted in this process only: Redis is unreachable", exc_info=True)
            return await self._local.window_hit(name, limit=limit, seconds=seconds)
        return member, (math.ceil(int(wait_ms) / 100) / 10 if wait_ms else None)

    async def window_give_back(self, name: str, member: str) -> None:
        try:
            await self.client.zrem(self.key("throttle", name), member)
        except RedisError:  # The hit stays counted until it leaves the window.
            logger.warning("could not give a rate-limit hit back: Redis is unreachable", exc_info=True)
        await self._local.window_give_back(name, member)

    # --- sockets per address -------------------------------------------------------------------

    async def sockets_open(self, address: str, socket_id: str, *, limit: int) -> bool:
        args = (socket_id, limit, settings.WALL_PRESENCE_TTL)
        return bool(await self.client.eval(scripts.SOCKETS_OPEN, 1, self.key("sockets", address), *args))

    async def sockets_close(self, address: str, socket_id: str) -> None:
        await self.client.zrem(self.key("sockets", address), socket_id)

    async def sockets_refresh(self, sockets: dict[str, str]) -> None:
        if sockets:
            keys = [self.key("sockets", address) for address in sockets.values()]
            ttl = settings.WALL_PRESENCE_TTL
            await self.client.eval(scripts.SOCKETS_REFRESH, len(keys), *keys, ttl, *sockets.keys())

    # --- event positions -----------------------------------------------------------------------

    async def position_next(self) -> Position:
        epoch, seq = await self.client.eval(scripts.POSITION_NEXT, 1, self.key("position"), uuid.uuid4().hex)
        return Position(epoch, int(seq))

    async def position_current(self) -> Position | None:
        epoch, seq = await self.client.hmget(self.key("position"), ["epoch", "seq"])
        if epoch is None or seq is None:
            return None
        return Position(epoch, int(seq))

    async def process_report_save(self, process: str, report: str) -> None:
        await self.client.set(self.key("process", process), report, ex=settings.WALL_PRESENCE_TTL)

    async def process_reports(self) -> list[str]:
        keys = [name async for name in self.client.scan_iter(match=self.key("process", "*"), count=100)]
        return [value for value in await self.client.mget(keys) if value] if keys else []

    async def ping(self) -> bool:
        return bool(await self.client.ping())
