"""One socket's write side without a server: eager writes, a slow socket's backlog, who gets what."""

import asyncio

import pytest

from wall.live.writer import Envelope, SocketWriter, start_eagerly


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


def test_an_envelope_survives_the_round_trip_through_a_layer_message():
    envelope = Envelope('{"type":"typing"}', "typing", skip_user="3", close_code=1008)
    message = {"type": "wall.event", "epoch": "e", "seq": 7, **envelope.fields()}
    assert Envelope.from_message(message) == envelope


class Socket:
    """The server side of one socket: records writes and closes; writes wait while `blocked`."""

    def __init__(self, blocked: bool = False) -> None:
        self.unblock = asyncio.Event()
        if not blocked:
            self.unblock.set()
        self.sent: list[str] = []
        self.closed_with: list[int] = []
        self.writer = SocketWriter("socket-1", self.send, self.close)

    async def send(self, message: dict) -> None:
        await self.unblock.wait()
        self.sent.append(message["text"])

    async def close(self, code: int) -> None:
        self.closed_with.append(code)

    def deliver(self, text: str, kind: str = "typing", **fields) -> None:
        self.writer.deliver(Envelope(text, kind, **fields), {"type": "websocket.send", "text": text})


async def test_a_slow_socket_keeps_its_order_once_it_reads_again():
    sock = Socket(blocked=True)
    sock.writer.go_live(frozenset())
    for n in range(3):
        sock.deliver(f"event {n}")
    sock.unblock.set()
    await sock.writer.task
    assert sock.sent == ["event 0", "event 1", "event 2"]


async def test_a_socket_that_falls_too_far_behind_is_closed_to_resume(settings):
    settings.WALL_SOCKET_BACKLOG = 3
    sock = Socket(blocked=True)
    sock.writer.go_live(frozenset())
    for n in range(5):
        sock.deliver(f"event {n}")
    await asyncio.sleep(0)
    assert sock.writer.closing and sock.closed_with == [1013]
    assert not sock.writer.backlog


async def test_events_before_the_history_page_wait_and_then_go_out_in_order():
    sock = Socket()
    sock.deliver("early")
    assert sock.sent == []
    sock.writer.go_live(frozenset())
    await sock.writer.task
    assert sock.sent == ["early"]


@pytest.mark.parametrize(
    "user_id, fields, wanted",
    [
        ("7", {"skip_user": "7"}, False),
        ("8", {"skip_user": "7"}, True),
        (None, {"skip_user": "7"}, True),
        ("7", {"only_user": "7"}, True),
        ("8", {"only_user": "7"}, False),
        (None, {"only_user": "7"}, False),
    ],
)
async def test_events_for_or_not_for_a_user_reach_only_their_sockets(user_id, fields, wanted):
    sock = Socket()
    sock.writer.user_id = user_id
    sock.writer.go_live(frozenset())
    sock.deliver("event", **fields)
    assert sock.sent == (["event"] if wanted else [])


async def test_the_live_copy_of_a_post_in_the_history_page_is_dropped_once():
    sock = Socket()
    sock.writer.go_live(frozenset({"5"}))
    sock.deliver("message 5", "message", post_id="5")
    sock.deliver("message 6", "message", post_id="6")
    sock.deliver("message 5 again", "message", post_id="5")  # shown again later: an unhide
    assert sock.sent == ["message 6", "message 5 again"]


async def test_a_post_of_the_history_page_hidden_then_unhidden_comes_back():
    sock = Socket()
    sock.writer.go_live(frozenset({"5"}))
    sock.deliver("deleted 5", "message_deleted", post_id="5")
    sock.deliver("message 5", "message", post_id="5")
    assert sock.sent == ["deleted 5", "message 5"]


async def test_a_close_code_closes_the_socket_after_the_event():
    sock = Socket()
    sock.writer.go_live(frozenset())
    sock.deliver("banned", "error", close_code=1008)
    await asyncio.sleep(0)
    assert sock.sent == ["banned"] and sock.closed_with == [1008]


async def test_resume_closes_with_1012_and_drops_what_was_queued():
    sock = Socket(blocked=True)
    sock.writer.go_live(frozenset())
    sock.deliver("a")
    sock.deliver("b")
    sock.writer.resume()
    await asyncio.sleep(0)
    assert sock.closed_with == [1012] and not sock.writer.backlog
