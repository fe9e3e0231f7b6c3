"""Rate limits counted in a shared store (Redis), so every server process sees the same count."""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from .sharedstore import get_redis, key, redis_enabled

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smh])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: float


def parse_rate(text: str) -> Rate | None:
    """'5/10s' → Rate(5, 10); 'off' → None (no limit)."""
    if text.strip().lower() == "off":
        return None
    match = _RATE_RE.match(text)
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

_memory_hits: dict[str, deque[float]] = defaultdict(deque)
_counter = 0


async def throttle_hit(*, scope: str, subject: str, rate: Rate | None) -> float | None:
    """Count one action; None if allowed, else the seconds to wait (the action is not counted)."""
    global _counter
    if rate is None:
        return None
    window_ms = int(rate.seconds * 1000)
    _counter += 1
    if redis_enabled():
        member = f"{time.time_ns()}-{_counter}"
        wait_ms = await get_redis().eval(
            _HIT, 1, key("throttle", scope, subject), window_ms, rate.limit, member
        )
        return math.ceil(int(wait_ms) / 100) / 10 if wait_ms else None
    hits = _memory_hits[f"{scope}:{subject}"]
    now = time.monotonic()
    while hits and hits[0] <= now - rate.seconds:
        hits.popleft()
    if len(hits) >= rate.limit:
        return max(0.1, math.ceil((hits[0] + rate.seconds - now) * 10) / 10)
    hits.append(now)
    return None
