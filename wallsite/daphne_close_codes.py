"""Let daphne send the close codes RFC 6455 gives servers (1001, 1008, 1009, 1011, 1012, 1013).

Autobahn, daphne's WebSocket engine, accepts only 1000 and 3000-4999 from an application, so a
consumer's close(1009) ("frame too big") became a crash and a 1011. The frame is sent through
autobahn's own close path instead, as it does for the limits it enforces itself.
"""

from __future__ import annotations

import sys

SERVER_CLOSE_CODES = frozenset({1001, 1008, 1009, 1011, 1012, 1013})


def apply_when_running_under_daphne() -> None:
    if "daphne.ws_protocol" not in sys.modules:
        return
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
