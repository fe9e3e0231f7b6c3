"""Prepared frames (wall.live.frames) against a real uvicorn websockets-sansio protocol: written
directly they reach a websockets client as the same text uvicorn's own `send` delivers, byte for
byte without compression, uncompressed (RSV1 unset) beside compressed ones with permessage-deflate;
and wherever uvicorn's `send` would not write at once, the direct write declines. These guard the
uvicorn and websockets internals docs/decisions.md lists."""

from __future__ import annotations

import asyncio

import pytest
from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from wall.live.frames import direct_target, prepared_frame, write_direct
from wall.live.writer import Envelope, SocketWriter

TEXT = '{"type":"message","data":{"message":{"id":"7","content":"h\\u00e9llo wall"}}}'


class Transport(asyncio.Transport):
    """What uvicorn's protocol writes, kept in order."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Server:
    """One uvicorn websockets-sansio connection, accepted by a bare ASGI app, and its client."""

    def __init__(self, deflate: bool) -> None:
        self.sends: list = []
        self.release = asyncio.Event()

        async def app(scope, receive, send) -> None:
            self.sends.append(send)
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            await self.release.wait()

        config = Config(app=app, ws="websockets-sansio", lifespan="off", log_level="warning")
        config.load()
        self.protocol = WebSocketsSansIOProtocol(config=config, server_state=ServerState(), app_state={})
        self.transport = Transport()
        extensions = [ClientPerMessageDeflateFactory()] if deflate else None
        self.client = ClientProtocol(parse_uri("ws://127.0.0.1:8000/ws/wall/"), extensions=extensions)

    async def open(self) -> None:
        self.protocol.connection_made(self.transport)
        self.client.send_request(self.client.connect())
        self.protocol.data_received(b"".join(self.client.data_to_send()))
        for _ in range(50):
            await asyncio.sleep(0)
            if self.protocol.handshake_complete:
                break
        assert self.protocol.handshake_complete
        self.client.receive_data(self.take())
        assert self.client.handshake_exc is None

    def take(self) -> bytes:
        data, self.transport.written = b"".join(self.transport.written), []
        return data

    def texts(self, data: bytes) -> list[str]:
        """The text messages in `data` as the client reads them (decompressed where they came so)."""
        self.client.receive_data(data)
        return [e.data.decode() for e in self.client.events_received() if isinstance(e, Frame)]

    def finish(self) -> None:
        self.release.set()
        self.protocol.connection_lost(None)


@pytest.fixture
async def server(request):
    server = Server(deflate=request.param)
    await server.open()
    yield server
    server.finish()


@pytest.mark.parametrize("server", [False], indirect=True, ids=["plain"])
async def test_a_prepared_frame_is_byte_for_byte_what_uvicorn_sends(server):
    send = server.sends[0]
    await send({"type": "websocket.send", "text": TEXT})
    through_asgi = server.take()
    assert direct_target(send) is server.protocol
    assert write_direct(server.protocol, prepared_frame(TEXT))
    assert server.take() == through_asgi
    assert server.texts(through_asgi) == [TEXT]


@pytest.mark.parametrize("server", [True], indirect=True, ids=["permessage-deflate"])
async def test_with_compression_the_prepared_frame_goes_uncompressed_between_compressed_ones(server):
    """RFC 7692 §6: a message may go uncompressed (RSV1 unset); the contexts on both sides skip it."""
    send = server.sends[0]
    assert server.protocol.conn.extensions  # negotiated
    frames = []
    await send({"type": "websocket.send", "text": TEXT})
    frames.append(server.take())
    assert write_direct(server.protocol, prepared_frame(TEXT + " 2"))
    frames.append(server.take())
    await send({"type": "websocket.send", "text": TEXT + " 3"})
    frames.append(server.take())
    rsv1 = [bool(frame[0] & 0x40) for frame in frames]  # RFC 6455 §5.2: the first byte's second bit
    assert rsv1 == [True, False, True]
    assert frames[1] == prepared_frame(TEXT + " 2")
    assert server.texts(b"".join(frames)) == [TEXT, TEXT + " 2", TEXT + " 3"]


@pytest.mark.parametrize("server", [False], indirect=True, ids=["plain"])
@pytest.mark.parametrize(
    "state",
    ["writes paused", "close sent", "disconnected", "message half sent", "bytes waiting"],
)
async def test_the_direct_write_declines_where_uvicorn_would_not_write_at_once(server, state):
    protocol = server.protocol
    if state == "writes paused":
        protocol.pause_writing()
    elif state == "close sent":
        protocol.close_sent = True
    elif state == "disconnected":
        protocol.disconnected = True
    elif state == "message half sent":
        protocol.conn.send_text(b"part", fin=False)
        server.take()
        protocol.conn.data_to_send()
    elif state == "bytes waiting":
        protocol.conn.send_frame(Frame(Opcode.PING, b""))
    assert not write_direct(protocol, prepared_frame(TEXT))
    assert server.transport.written == []


@pytest.mark.parametrize("server", [False], indirect=True, ids=["plain"])
async def test_a_writer_on_uvicorn_writes_the_prepared_frame_and_elsewhere_goes_through_asgi(server):
    send = server.sends[0]
    sent: list[dict] = []

    async def other_server_send(message: dict) -> None:  # daphne's, say: a plain coroutine function
        sent.append(message)

    envelope = Envelope(TEXT, "message")
    message = {"type": "websocket.send", "text": TEXT}
    for target in (send, other_server_send):
        writer = SocketWriter("s", target, close=lambda code: asyncio.sleep(0))
        writer.go_live(frozenset())
        writer.deliver(envelope, message, prepared_frame(TEXT))
    assert server.texts(server.take()) == [TEXT]
    assert sent == [message]
