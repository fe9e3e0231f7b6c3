"""Prepared frames: a live event's WebSocket frame built once per process and written as is to every
socket the production server lets us write to directly.

A server's frames are not masked (RFC 6455 §5.1), so without an extension the bytes of a text frame
are the same on every socket. Through ASGI each socket builds its own: uvicorn's `send` encodes the
text, websockets frames it and uvicorn writes it, about a third of the fan-out's server CPU per socket
at N=1000 (bench/README.md, "Prepared frames"). Under uvicorn's websockets-sansio protocol (the
production server), `direct_target` finds the protocol behind the ASGI `send`, and `write_direct`
writes the prepared frame to its transport exactly when uvicorn's own `send` would write at once;
otherwise (daphne, a socket whose writes wait, closing) the event goes the ASGI way. With
permessage-deflate negotiated, the prepared frame goes uncompressed (RFC 7692 §6 allows it): one
compression per socket and event cost more than the rest of the fan-out together (bench/README.md).
This relies on uvicorn's and websockets' internals: docs/decisions.md lists it, and
tests/test_prepared_frames.py holds the two ways byte-equal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode
from websockets.protocol import State

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # uvicorn without its websockets-sansio engine: every write goes through ASGI
    WebSocketsSansIOProtocol = None


def prepared_frame(text: str) -> bytes:
    """The unmasked, uncompressed, final WebSocket text frame carrying `text` (RFC 6455 §5.2)."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])


def direct_target(send: Callable[..., Any]) -> Any | None:
    """The uvicorn websockets-sansio protocol whose bound `send` this ASGI send callable is, else None."""
    target = getattr(send, "__self__", None)
    if WebSocketsSansIOProtocol is None or not isinstance(target, WebSocketsSansIOProtocol):
        return None
    return target


def write_direct(target: Any, frame: bytes) -> bool:
    """Write `frame` to `target`'s transport if uvicorn's `send` of a text message would write at once
    and send the same bytes: the handshake done, no close sent or received, writes not paused, the
    connection OPEN, no message half sent and nothing else waiting to be written. False otherwise, and
    nothing is written: the caller sends through ASGI.

    With permessage-deflate negotiated (browsers offer it) the frame goes uncompressed, its RSV1 bit
    unset: RFC 7692 §6 lets an endpoint choose not to compress a message, and neither side's
    compression context sees it. Any other extension: through ASGI."""
    conn = target.conn
    if (
        target.disconnected
        or target.close_sent
        or not target.handshake_complete
        or target.initial_response is not None
        or not target.writable.is_set()
        or conn.state is not State.OPEN
        or any(not isinstance(extension, PerMessageDeflate) for extension in conn.extensions)
        or conn.expect_continuation_frame
        or conn.writes
    ):
        return False
    target.transport.write(frame)
    return True
