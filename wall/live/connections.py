"""Open sockets per client address, counted across processes, so one address can't hold thousands.

Each open socket is an entry under its address that expires WALL_PRESENCE_TTL seconds after its
last refresh; a process refreshes its own entries every WALL_PRESENCE_HEARTBEAT seconds, so the
sockets of a process that died stop counting on their own. Addresses are stored as keyed hashes,
never in clear. Without REDIS_URL (one process) the count lives in this process.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import logging

from django.conf import settings
from redis.exceptions import RedisError

from ..errors import WallError
from .store import shared_store

logger = logging.getLogger(__name__)

# Seconds a refused page is told to wait; it reconnects with its own backoff anyway.
RETRY_AFTER = 10.0


@functools.lru_cache(maxsize=4096)
def _is_loopback(address: str) -> bool:
    """Parsing an address is a fair part of a connect's own work; clients come back (a reload)."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # Not an IP (a unix socket path): still one client.
        return False


def client_address(scope: dict) -> str | None:
    """The client's IP address that per-address limits apply to, or None (unknown, or loopback).

    Behind --proxy-headers (uvicorn's or daphne's) the server puts the forwarded address here.
    Loopback is exempt: a proxy on the same host that forwards no address would otherwise put every
    visitor under one limit.
    """
    client = scope.get("client")
    if not client or not client[0]:
        return None
    address = str(client[0])
    if _is_loopback(address):
        return None
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


async def connection_open(*, address: str | None, socket_id: str) -> bool:
    """Count a new socket of `address`; False (and not counted) when the address is at its limit.

    A counted socket must be refreshed by its process (wall.live.heartbeat) and closed with
    connection_close.
    """
    limit = settings.WALL_SOCKETS_PER_IP
    if address is None or limit <= 0:
        return True
    try:
        return await shared_store().sockets_open(address_id(address), socket_id, limit=limit)
    except RedisError:  # Admit, uncounted: an outage must not lock everyone out.
        logger.warning("socket not counted for its address: Redis is unreachable", exc_info=True)
        return True


async def connection_close(*, address: str | None, socket_id: str) -> None:
    """Stop counting a socket (a no-op for one that was never counted)."""
    if address is None:
        return
    try:
        await shared_store().sockets_close(address_id(address), socket_id)
    except RedisError:  # Its entry expires on its own, no longer refreshed.
        logger.warning("socket count not released: Redis is unreachable", exc_info=True)


async def connections_refresh(sockets: dict[str, str]) -> None:
    """Keep this process's counted sockets (socket id → address) alive in the shared store."""
    await shared_store().sockets_refresh({socket: address_id(address) for socket, address in sockets.items()})
