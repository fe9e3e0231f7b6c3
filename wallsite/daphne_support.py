"""What the wall needs from daphne beyond ASGI: RFC 6455 server close codes and a graceful stop.

Autobahn, daphne's WebSocket engine, accepts only 1000 and 3000-4999 from an application, so a
consumer's close(1009) ("frame too big") became a crash and a 1011. The frame is sent through
autobahn's own close path instead, as it does for the limits it enforces itself.

On SIGTERM daphne stopped the reactor and dropped every socket (1006, after the browser's own
timeout). Before shutdown, every socket is now closed with 1012 (service restart), so pages
reconnect to another process at once and resume.
"""

from __future__ import annotations

import asyncio
import sys

from wall import protocol

# The wall's own close codes, and 1001 ("going away").
SERVER_CLOSE_CODES = frozenset({1001, *protocol.CLOSE_CODES})


def apply_when_running_under_daphne() -> None:
    if "daphne.ws_protocol" not in sys.modules:
        return
    _allow_server_close_codes()
    _close_sockets_before_shutdown()


def _allow_server_close_codes() -> None:
    from daphne.ws_protocol import WebSocketProtocol

    original = WebSocketProtocol.serverClose
    if getattr(original, "wall_close_codes", False):
        return

    def server_close(self: WebSocketProtocol, code: int | None = None) -> None:
        if code in SERVER_CLOSE_CODES and self.state == WebSocketProtocol.STATE_OPEN:
            self.sendCloseFrame(code=code, isReply=False)
        else:
            original(self, code)

    server_close.wall_close_codes = True
    WebSocketProtocol.serverClose = server_close


def _close_sockets_before_shutdown() -> None:
    from twisted.internet import defer, reactor

    from wall.live.process import close_every_socket

    def before_shutdown() -> defer.Deferred:
        return defer.Deferred.fromFuture(asyncio.ensure_future(close_every_socket(protocol.CLOSE_RESUME)))

    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
