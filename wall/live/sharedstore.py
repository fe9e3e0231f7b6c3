"""The async Redis client for state shared between processes (presence, rate limits)."""

from __future__ import annotations

import redis.asyncio as aioredis
from django.conf import settings

from .loops import per_loop


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)


def _new_client() -> aioredis.Redis:
    return aioredis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_connect_timeout=5,
        max_connections=settings.REDIS_MAX_CONNECTIONS,
        decode_responses=True,
    )


# The client for the running loop (call only when REDIS_URL is set): redis.asyncio connections
# are bound to the loop that opened them.
get_redis = per_loop(_new_client)


def key(*parts: str) -> str:
    """A namespaced key, so tests and deployments sharing one Redis stay apart."""
    return ":".join((settings.WALL_REDIS_PREFIX, *parts))
