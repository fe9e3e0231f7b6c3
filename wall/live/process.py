"""This process's live side as a whole: what starts with its first socket (the group member, the
presence heartbeat, the process report), what stops with its last, a socket joining as a user and
leaving, and closing every socket on shutdown."""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings
from redis.exceptions import RedisError

from .. import metrics
from . import connections
from .heartbeat import heartbeat
from .member import group_member
from .processes import reporter
from .registry import local_sockets
from .store import shared_store
from .writer import SocketWriter

logger = logging.getLogger(__name__)


def socket_opened(writer: SocketWriter, address: str | None) -> None:
    """Register a socket that was accepted; joins the group if it is the process's first."""
    local_sockets().add(writer, address)
    group_member().start()
    heartbeat().start()
    reporter().start()


async def socket_joined(writer: SocketWriter, user_id: str, username: str) -> bool:
    """The socket joined as a user: it is online now. True when the user must be announced."""
    try:
        announce = await shared_store().presence_join(
            user_id=user_id, username=username, socket_id=writer.socket_id
        )
    except RedisError:
        # Degraded: the heartbeat records (and announces) this socket once Redis is back.
        logger.warning("presence unavailable on join", exc_info=True)
        announce = False
    local_sockets().join(writer.socket_id, user_id, username)
    return announce


async def socket_closed(writer: SocketWriter, address: str | None, user: tuple[str, str] | None) -> None:
    """Forget a socket that is gone (and its count against `address`); leaves the group
    WALL_MEMBER_LINGER seconds after the process's last. Its user, (id, name) if it had joined, is
    announced as left after the grace unless another socket of theirs is still online."""
    writer.stop()
    sockets = local_sockets()
    sockets.discard(writer.socket_id)
    if not sockets.writers:
        group_member().stop_when_idle(settings.WALL_MEMBER_LINGER)
        heartbeat().stop()
        reporter().stop()
    await connections.connection_close(address=address, socket_id=writer.socket_id)
    if user is None:
        return
    user_id, username = user
    try:
        if await shared_store().presence_leave(user_id=user_id, socket_id=writer.socket_id):
            heartbeat().settle_later(user_id, username)
    except RedisError:
        logger.warning("presence unavailable on disconnect; the entry will expire", exc_info=True)


async def close_every_socket(code: int, flush_seconds: float = 0.3) -> None:
    """Close every socket of this process (graceful shutdown), leaving time for the close frames."""
    for sockets in list(local_sockets.instances.values()):
        metrics.resumed("restart", len(sockets.writers))
        sockets.close_all(code)
    await asyncio.sleep(flush_seconds)
