"""This process's live side as a whole: what starts with its first socket (the group member, the
presence heartbeat, the process report), what stops with its last, and closing every socket on
shutdown."""

from __future__ import annotations

import asyncio

from .. import metrics
from .heartbeat import heartbeat
from .member import group_member
from .processes import reporter
from .registry import local_sockets
from .writer import SocketWriter


def socket_opened(writer: SocketWriter, address: str | None) -> None:
    """Register a socket that was accepted; joins the group if it is the process's first."""
    local_sockets().add(writer, address)
    group_member().start()
    heartbeat().start()
    reporter().start()


def socket_closed(writer: SocketWriter) -> None:
    """Forget a socket that is gone; leaves the group with the process's last."""
    writer.stop()
    sockets = local_sockets()
    sockets.discard(writer.socket_id)
    if not sockets.writers:
        group_member().stop()
        heartbeat().stop()
        reporter().stop()


async def close_every_socket(code: int, flush_seconds: float = 0.3) -> None:
    """Close every socket of this process (graceful shutdown), leaving time for the close frames."""
    for sockets in list(local_sockets.instances.values()):
        metrics.resumed("restart", len(sockets.writers))
        sockets.close_all(code)
    await asyncio.sleep(flush_seconds)
