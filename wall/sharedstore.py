"""The async Redis client for state shared between processes (presence, rate limits)."""

from __future__ import annotations

import asyncio
import weakref

import redis.asyncio as aioredis
from django.conf import settings

# One client per event loop: redis.asyncio connections are bound to the loop that opened them.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = weakref.WeakKeyDictionary()


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)


def get_redis() -> aioredis.Redis:
    """The client for the running loop (call only when REDIS_URL is set)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = aioredis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
            socket_connect_timeout=5,
            max_connections=settings.REDIS_MAX_CONNECTIONS,
            decode_responses=True,
        )
        _clients[loop] = client
    return client


def key(*parts: str) -> str:
    """A namespaced key, so tests and deployments sharing one Redis stay apart."""
    return ":".join((settings.WALL_REDIS_PREFIX, *parts))
