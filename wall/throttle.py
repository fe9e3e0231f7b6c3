"""Rate limits counted in a shared store (Redis), so every server process sees the same count."""

from __future__ import annotations

import contextlib
import logging
import math
import re
import secrets
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError

from .errors import WallError
from .live.sharedstore import get_redis, key, redis_enabled

logger = logging.getLogger(__name__)

_RATE_RE = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]*)\s*([smh])\s*")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: float


def parse_rate(text: str) -> Rate | None:
    """'5/10s' → Rate(5, 10); 'off' → None (no limit)."""
    if text.strip().lower() == "off":
        return None
    match = _RATE_RE.fullmatch(text)
    if not match:
        raise ImproperlyConfigured(f"A rate looks like '5/10s' or 'off', got {text!r}")
    count, amount, unit = match.groups()
    return Rate(int(count), int(amount or 1) * _UNIT_SECONDS[unit])


# Sliding window: KEYS[1] a zset of hit times (ms). ARGV: now_ms, window_ms, limit, member.
# Returns 0 when the hit is allowed, else the milliseconds until the oldest hit leaves the window.
_HIT = """
local now = tonumber(redis.call('TIME')[1]) * 1000 + math.floor(tonumber(redis.call('TIME')[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""

_memory_hits: dict[str, deque[tuple[float, str]]] = defaultdict(deque)
# When each key's newest hit leaves its window: keys past it are swept now and then (one per socket
# would otherwise pile up in a long-running process).
_memory_expiry: dict[str, float] = {}
_sweep_at_size = 1000


async def _take(scope: str, subject: str, rate: Rate) -> tuple[str, float | None]:
    """Count one hit; returns its member (to give it back) and None, or the seconds to wait.

    While Redis is unreachable, each process counts on its own rather than refusing everything.
    """
    member = f"{time.time_ns()}-{secrets.token_hex(4)}"
    if redis_enabled():
        try:
            wait_ms = await get_redis().eval(
                _HIT, 1, key("throttle", scope, subject), int(rate.seconds * 1000), rate.limit, member
            )
            return member, (math.ceil(int(wait_ms) / 100) / 10 if wait_ms else None)
        except RedisError:
            logger.warning("rate limits counted in this process only: Redis is unreachable", exc_info=True)
    global _sweep_at_size
    now = time.monotonic()
    if len(_memory_expiry) >= _sweep_at_size:
        for stale in [name for name, expiry in _memory_expiry.items() if expiry <= now]:
            del _memory_expiry[stale]
            _memory_hits.pop(stale, None)
        _sweep_at_size = max(1000, 2 * len(_memory_expiry))
    name = f"{scope}:{subject}"
    hits = _memory_hits[name]
    while hits and hits[0][0] <= now - rate.seconds:
        hits.popleft()
    if len(hits) >= rate.limit:
        return member, max(0.1, math.ceil((hits[0][0] + rate.seconds - now) * 10) / 10)
    hits.append((now, member))
    _memory_expiry[name] = now + rate.seconds
    return member, None


async def _give_back(scope: str, subject: str, member: str) -> None:
    if redis_enabled():
        try:
            await get_redis().zrem(key("throttle", scope, subject), member)
        except RedisError:  # The hit stays counted until it leaves the window.
            logger.warning("could not give a rate-limit hit back: Redis is unreachable", exc_info=True)
    hits = _memory_hits.get(f"{scope}:{subject}", deque())
    for hit in hits:  # Not found: it already left the window.
        if hit[1] == member:
            hits.remove(hit)
            return


async def throttle_hit(*, scope: str, subject: str, rate: Rate | None) -> float | None:
    """Count one action; None if allowed, else the seconds to wait (the action is not counted)."""
    if rate is None:
        return None
    _, retry_after = await _take(scope, subject, rate)
    return retry_after


def _refusal(retry_after: float) -> WallError:
    return WallError("rate_limited", f"Slow down: try again in {retry_after:g} s.", retry_after=retry_after)


async def throttle_take(*, scope: str, subject: str, rate: Rate | None) -> None:
    """Count one action, or raise rate_limited (with retry_after) without counting it."""
    retry_after = await throttle_hit(scope=scope, subject=subject, rate=rate)
    if retry_after is not None:
        raise _refusal(retry_after)


@dataclass
class Attempt:
    """An action counted by `throttled`; set `counts = False` when it turned out not to happen."""

    counts: bool = True


@contextlib.asynccontextmanager
async def throttled(*, scope: str, subject: str, rate: Rate | None) -> AsyncIterator[Attempt]:
    """Count the action done in the block, or raise rate_limited (with retry_after) before it.

    The hit is given back when the block raises or sets `counts = False`, so refused actions
    (an invalid post, a resend) never use up the rate. Taking and giving back are each atomic
    in the shared store; in between, the hit holds its place.
    """
    attempt = Attempt()
    if rate is None:
        yield attempt
        return
    member, retry_after = await _take(scope, subject, rate)
    if retry_after is not None:
        raise _refusal(retry_after)
    try:
        yield attempt
    except BaseException:
        await _give_back(scope, subject, member)
        raise
    if not attempt.counts:
        await _give_back(scope, subject, member)
