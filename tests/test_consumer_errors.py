"""Bad input: each gets its error (or a close for an oversize frame), the socket survives, nothing saved."""

import json

import pytest

from wall.models import Participant, Post

pytestmark = pytest.mark.django_db(transaction=True)


async def assert_still_usable(sock) -> None:
    """The socket answers the next good frame."""
    await sock.send("history", {"before": "1"})
    assert (await sock.receive_type("messages"))["messages"] == []


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_request"),
        ("[1, 2]", "bad_request"),
        ('"text"', "bad_request"),
        ("{}", "bad_request"),
        ('{"type": 7}', "bad_request"),
        ('{"type": "message", "data": []}', "bad_request"),
        ('{"type": "shout", "data": {}}', "unknown_type"),
        ('{"type": "history", "data": {}}', "bad_request"),
        ('{"type": "history", "data": {"before": "x"}}', "bad_request"),
        ('{"type": "read", "data": {}}', "bad_request"),
        ('{"type": "join", "data": {"username": 5}}', "bad_request"),
        # Malformed in ways json's ValueError does not cover, each once answered `unavailable`:
        ("[" * 30000 + "]" * 30000, "bad_request"),  # a 60 KB frame nested 30,000 deep
        ('{"type": "ping", "data": {"a": ' + "[" * 6000 + "]" * 6000 + "}}", "bad_request"),
        ('{"a": ' * 6000 + "1" + "}" * 6000, "bad_request"),
        ("[" * 20000, "bad_request"),  # deep and unterminated
        ('{"type": "read", "data": {"message_id": "' + "9" * 5000 + '"}}', "bad_request"),
        ('{"type": "history", "data": {"before": "' + "9" * 5000 + '"}}', "bad_request"),
        ('{"type": "read", "data": {"message_id": ' + "9" * 5000 + "}}", "bad_request"),
        ('{"type": "history", "data": {"before": "1", "limit": ' + "9" * 5000 + "}}", "bad_request"),
    ],
    ids=lambda value: value if len(value) < 60 else f"{value[:30]}...({len(value)} chars)",
)
async def test_malformed_frame_gets_an_error_and_the_socket_survives(sockets, caplog, frame, code):
    sock = await sockets()
    await sock.communicator.send_to(text_data=frame)
    error = await sock.receive_type("error")
    assert error["code"] == code and error["message"]
    await assert_still_usable(sock)
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_binary_frame_gets_bad_request(sockets):
    sock = await sockets()
    await sock.communicator.send_to(bytes_data=b"\x00\x01binary")
    assert (await sock.receive_type("error"))["code"] == "bad_request"
    await assert_still_usable(sock)


async def test_posting_before_join_is_refused(sockets):
    sock = await sockets()
    await sock.send("message", {"content": "hi", "client_id": "c-early"})
    error = await sock.receive_type("error")
    assert error == {**error, "code": "not_joined", "client_id": "c-early"}
    assert await Post.objects.acount() == 0
    await assert_still_usable(sock)


@pytest.mark.parametrize("command", ["typing", "read"])
async def test_typing_and_read_before_join_are_refused(sockets, command):
    sock = await sockets()
    await sock.send(command, {"message_id": "1"})
    assert (await sock.receive_type("error"))["code"] == "not_joined"


@pytest.mark.parametrize(
    ("content", "code"),
    [("", "empty"), ("   \n\t ", "empty"), ("x" * 2001, "too_long")],
)
async def test_bad_content_is_refused_and_not_saved(sockets, content, code):
    sock = await sockets()
    await sock.join(username="Alice")
    await sock.send("message", {"content": content, "client_id": "c-bad"})
    error = await sock.receive_type("error")
    assert error["code"] == code and error["client_id"] == "c-bad"
    assert await Post.objects.acount() == 0
    assert (await sock.post("still works"))["content"] == "still works"


async def test_frame_over_64_kib_closes_the_socket_with_1009(sockets):
    sock = await sockets()
    await sock.join(username="Alice")
    big = json.dumps({"type": "message", "data": {"content": "x" * (100 * 1024)}})
    await sock.communicator.send_to(text_data=big)
    closed = await sock.communicator.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 1009, "reason": "Frame too large"}
    assert await Post.objects.acount() == 0


@pytest.mark.parametrize("username", ["x", "a" * 33, "two  spaces", "semi;colon", "zero\u200bwidth", "<b>"])
async def test_invalid_name_is_refused_and_socket_stays_unjoined(sockets, username):
    sock = await sockets()
    await sock.send("join", {"username": username})
    assert (await sock.receive_type("error"))["code"] == "invalid_username"
    await sock.send("message", {"content": "hi"})
    assert (await sock.receive_type("error"))["code"] == "not_joined"
    assert await Participant.objects.acount() == 0


async def test_taken_name_is_refused_whatever_its_case(sockets):
    alice, other = await sockets(), await sockets()
    await alice.join(username="Alice")
    await other.send("join", {"username": "aLiCe"})
    assert (await other.receive_next("error"))["code"] == "username_taken"
    await other.send("message", {"content": "hi"})
    assert (await other.receive_next("error"))["code"] == "not_joined"
    assert await Participant.objects.acount() == 1


async def test_wrong_token_is_refused(sockets):
    sock = await sockets()
    await sock.send("join", {"token": "not-a-real-token"})
    assert (await sock.receive_type("error"))["code"] == "invalid_token"
    await assert_still_usable(sock)


async def test_errors_go_only_to_the_socket_that_erred(sockets):
    bad, other = await sockets(), await sockets()
    await bad.send("shout")
    assert (await bad.receive_type("error"))["code"] == "unknown_type"
    assert await other.nothing_more()


async def test_ping_is_answered_with_pong_to_that_socket_only(sockets):
    sock, other = await sockets(), await sockets()
    await sock.send("ping")
    assert await sock.receive_type("pong") == {}
    assert await other.nothing_more()
