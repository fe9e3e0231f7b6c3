"""Open sockets per client address, counted across processes, so one address can't hold thousands.

Each open socket is an entry under its address that expires WALL_PRESENCE_TTL seconds after its
last refresh; a process refreshes its own entries every WALL_PRESENCE_HEARTBEAT seconds, so the
sockets of a process that died stop counting on their own. Addresses are stored as keyed hashes,
never in clear. Without REDIS_URL (one process) the count lives in this process.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from collections import defaultdict

from django.conf import settings
from redis.exceptions import RedisError

from ..errors import WallError
from .sharedstore import get_redis, key, redis_enabled

logger = logging.getLogger(__name__)

# Seconds a refused page is told to wait; it reconnects with its own backoff anyway.
RETRY_AFTER = 10.0

# KEYS[1]: the address's zset of socket id → expiry. ARGV: socket id, limit, ttl. 1 if admitted.
_OPEN = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
return 1
"""

# KEYS: one address key per socket. ARGV: ttl, then the socket ids in the same order.
# XX: only entries still there, so a socket closed during the refresh is not brought back.
_REFRESH = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[1]) * 2)
end
return #KEYS
"""


def client_address(scope: dict) -> str | None:
    """The client's IP address that per-address limits apply to, or None (unknown, or loopback).

    Behind --proxy-headers daphne puts the forwarded address here. Loopback is exempt: a proxy on
    the same host that forwards no address would otherwise put every visitor under one limit.
    """
    client = scope.get("client")
    if not client or not client[0]:
        return None
    address = str(client[0])
    try:
        if ipaddress.ip_address(address).is_loopback:
            return None
    except ValueError:  # Not an IP (a unix socket path): still one client.
        pass
    return address


def too_many_sockets() -> WallError:
    limit = settings.WALL_SOCKETS_PER_IP
    return WallError(
        "rate_limited",
        f"Too many open connections from your address (at most {limit}); close some tabs.",
        retry_after=RETRY_AFTER,
    )


def address_id(address: str) -> str:
    """A keyed hash of the address: what the shared store holds instead of the address itself."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def _address_key(address: str) -> str:
    return key("sockets", address_id(address))


async def connection_open(*, address: str | None, socket_id: str) -> bool:
    """Count a new socket of `address`; False (and not counted) when the address is at its limit.

    A counted socket must be refreshed by its process (wall.live.heartbeat) and closed with
    connection_close.
    """
    limit = settings.WALL_SOCKETS_PER_IP
    if address is None or limit <= 0:
        return True
    address_key = _address_key(address)
    if not redis_enabled():
        sockets = _memory[address_key]
        if len(sockets) >= limit:
            return False
        sockets.add(socket_id)
        return True
    try:
        ttl = settings.WALL_PRESENCE_TTL
        return bool(await get_redis().eval(_OPEN, 1, address_key, socket_id, limit, ttl))
    except RedisError:  # Admit, uncounted: an outage must not lock everyone out.
        logger.warning("socket not counted for its address: Redis is unreachable", exc_info=True)
        return True


async def connection_close(*, address: str | None, socket_id: str) -> None:
    """Stop counting a socket (a no-op for one that was never counted)."""
    if address is None:
        return
    address_key = _address_key(address)
    if redis_enabled():
        try:
            await get_redis().zrem(address_key, socket_id)
        except RedisError:  # Its entry expires on its own, no longer refreshed.
            logger.warning("socket count not released: Redis is unreachable", exc_info=True)
    else:
        _memory[address_key].discard(socket_id)
        if not _memory[address_key]:
            del _memory[address_key]


async def connections_refresh(sockets: dict[str, str]) -> None:
    """Keep this process's counted sockets (socket id → address) alive in the shared store."""
    if sockets and redis_enabled():
        keys = [_address_key(address) for address in sockets.values()]
        await get_redis().eval(_REFRESH, len(keys), *keys, settings.WALL_PRESENCE_TTL, *sockets.keys())


_memory: defaultdict[str, set[str]] = defaultdict(set)
