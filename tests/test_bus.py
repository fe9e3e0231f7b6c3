"""The bus's pieces without a server: envelopes, eager writes, and a slow socket's outbox."""

import asyncio

import pytest

from wall.bus import Envelope, start_eagerly
from wall.consumers import WallConsumer


def test_an_envelope_survives_the_round_trip_through_text():
    envelope = Envelope('{"type":"typing"}\nwith a newline', skip_user="3", post_id="17", close_code=1008)
    assert Envelope.decode(envelope.encode()) == envelope


async def test_a_write_that_does_not_wait_finishes_at_once():
    written = []

    async def write() -> None:
        written.append("done")

    assert start_eagerly(write()) is None
    assert written == ["done"]


async def test_a_write_that_waits_is_finished_by_the_returned_awaitable():
    gate = asyncio.get_running_loop().create_future()
    steps = []

    async def write() -> None:
        steps.append("started")
        steps.append(await gate)

    remaining = start_eagerly(write())
    assert remaining is not None and steps == ["started"]
    gate.set_result("finished")
    await remaining
    assert steps == ["started", "finished"]


async def test_an_error_after_the_wait_reaches_whoever_awaits():
    gate = asyncio.get_running_loop().create_future()

    async def write() -> None:
        await gate
        raise ConnectionResetError("gone")

    remaining = start_eagerly(write())
    gate.set_result(None)
    with pytest.raises(ConnectionResetError):
        await remaining


class SlowSocket(WallConsumer):
    """A consumer whose client stopped reading: every write waits until `unblock` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.outbox, self.writer, self.live, self.closing = (
            __import__("collections").deque(),
            None,
            True,
            False,
        )
        self.unblock = asyncio.Event()
        self.sent: list[str] = []
        self.closed_with: list[int] = []

    async def base_send(self, message: dict) -> None:
        await self.unblock.wait()
        self.sent.append(message.get("text"))

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        self.closed_with.append(code)


def deliver(sock: SlowSocket, text: str) -> None:
    envelope = Envelope(text)
    sock.deliver(envelope, {"type": "websocket.send", "text": text})


async def test_a_slow_socket_keeps_its_order_once_it_reads_again(settings):
    sock = SlowSocket()
    for n in range(3):
        deliver(sock, f"event {n}")
    sock.unblock.set()
    await sock.writer
    assert sock.sent == ["event 0", "event 1", "event 2"]


async def test_a_socket_that_falls_too_far_behind_is_closed_to_resume(settings):
    settings.WALL_SOCKET_BACKLOG = 3
    sock = SlowSocket()
    for n in range(5):
        deliver(sock, f"event {n}")
    await asyncio.sleep(0)
    assert sock.closing and sock.closed_with == [1013]
    assert not sock.outbox
