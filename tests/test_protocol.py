"""The wire contract without a socket: frames parse into commands or a bad_request, and every event
built here survives a round trip through JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from wall import protocol
from wall.errors import WallError


def refused(text: str) -> WallError:
    with pytest.raises(WallError) as caught:
        protocol.parse_frame(text)
    return caught.value


@pytest.mark.parametrize(
    ("frame", "command"),
    [
        ({"type": "join", "data": {"username": "Alice"}}, protocol.Join(username="Alice", token=None)),
        ({"type": "join"}, protocol.Join(username=None, token=None)),
        (
            {"type": "message", "data": {"content": "hi", "client_id": "c-1"}},
            protocol.SendMessage(content="hi", client_id="c-1", image_id=None),
        ),
        (
            {"type": "message", "data": {"image_id": 9}},
            protocol.SendMessage(content="", client_id=None, image_id="9"),
        ),
        ({"type": "typing", "data": {}}, protocol.Typing()),
        ({"type": "read", "data": {"message_id": "12"}}, protocol.Read(message_id=12)),
        ({"type": "history", "data": {"before": "40", "limit": 10}}, protocol.History(before=40, limit=10)),
        ({"type": "ping"}, protocol.Ping()),
        ({"type": "hide", "data": {"id": "7", "reason": " spam "}}, protocol.Hide(post_id=7, reason="spam")),
        ({"type": "unhide", "data": {"id": 7}}, protocol.Unhide(post_id=7)),
        ({"type": "approve", "data": {"id": "7"}}, protocol.Approve(post_id=7)),
        (
            {"type": "report", "data": {"id": "7", "reason": "abuse", "text": " rude "}},
            protocol.Report(post_id=7, reason="abuse", text="rude"),
        ),
        ({"type": "ban", "data": {"id": "7"}}, protocol.Ban(post_id=7, reason="", duration="forever")),
        (
            {"type": "ban", "data": {"id": "7", "reason": "abuse", "duration": "1d"}},
            protocol.Ban(post_id=7, reason="abuse", duration="1d"),
        ),
    ],
    ids=lambda value: value["type"] if isinstance(value, dict) else "",
)
def test_each_client_frame_parses_into_its_command(frame, command):
    assert protocol.parse_frame(json.dumps(frame)) == command


def test_the_client_types_are_those_the_parser_knows():
    assert {
        "join",
        "message",
        "edit",
        "delete",
        "typing",
        "read",
        "history",
        "ping",
        "hide",
        "unhide",
        "ban",
        "report",
        "approve",
        "sign_out",
        "rename",
        "react",
    } == protocol.CLIENT_TYPES


def test_a_history_page_is_capped_and_defaults_to_the_setting(settings):
    capped = protocol.parse_frame('{"type":"history","data":{"before":"5","limit":100000}}')
    default = protocol.parse_frame('{"type":"history","data":{"before":"5"}}')
    assert capped.limit == settings.WALL_HISTORY_MAX_PAGE and default.limit == settings.WALL_HISTORY_LIMIT


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "bad_request"),
        ("[" * 100_000, "bad_request"),
        ('"a string"', "bad_request"),
        ('{"data": {}}', "bad_request"),
        ('{"type": "ping", "data": []}', "bad_request"),
        ('{"type": "shout"}', "unknown_type"),
        ('{"type": "read", "data": {"message_id": "²"}}', "bad_request"),
        ('{"type": "read", "data": {"message_id": true}}', "bad_request"),
        ('{"type": "read", "data": {"message_id": "9223372036854775808"}}', "bad_request"),
        ('{"type": "history", "data": {"before": "1", "limit": 0}}', "bad_request"),
        ('{"type": "message", "data": {"content": "a\\u0000b"}}', "bad_request"),
        ('{"type": "message", "data": {"content": "\\ud800"}}', "bad_request"),
        ('{"type": "message", "data": {"client_id": ""}}', "bad_request"),
        ('{"type": "message", "data": {}}', "bad_request"),
        ('{"type": "join", "data": {"username": 7}}', "bad_request"),
    ],
)
def test_a_malformed_frame_is_the_clients_mistake(text, code):
    assert refused(text).code == code


def test_a_bad_content_still_names_the_client_id_it_came_with():
    assert refused('{"type":"message","data":{"content":5,"client_id":"c-9"}}').extra == {"client_id": "c-9"}


@pytest.mark.parametrize(
    ("query", "since"),
    [(b"", None), (b"since=41", 41), (b"since=x", None), (b"since=" + b"9" * 30, None), (b"other=1", None)],
)
def test_since_is_parsed_by_the_rule_for_ids(query, since):
    assert protocol.parse_since(query) == since


POST = protocol.post_payload(
    post_id=7,
    author="Alice",
    content="hello",
    created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    client_id="c-1",
    image_url="/media/images/2026/01/a.png",
    thumbnail=protocol.thumbnail_ref("/media/images/2026/01/a-thumb.webp", 48, 32),
)


@pytest.mark.parametrize(
    "frame",
    [
        protocol.messages_event([POST], has_more=True, reset=True, before=8),
        protocol.users_event([protocol.user_item(3, "Alice", 7), protocol.user_item("4", "Bob", None)]),
        protocol.welcome_event(3, "Alice", "token"),
        protocol.message_event(POST),
        protocol.message_deleted_event(7),
        protocol.user_joined_event(3, "Alice"),
        protocol.user_left_event(3, "Alice"),
        protocol.typing_event(3, "Alice"),
        protocol.read_event(3, "Alice", 7),
        protocol.notice_event(" Maintenance "),
        protocol.pong_event(),
        protocol.error_event(WallError("rate_limited", "Slow down.", retry_after=1.5), "c-1"),
    ],
    ids=lambda frame: frame["type"],
)
def test_every_event_is_json_with_string_ids(frame):
    assert json.loads(protocol.encode(frame)) == frame
    assert set(frame) == {"type", "data"}


def test_a_post_payload_has_the_documented_shape():
    assert POST == {
        "id": "7",
        "author": "Alice",
        "content": "hello",
        "created_at": "2026-01-02T03:04:05+00:00",
        "edited_at": None,
        "image": "/media/images/2026/01/a.png",
        "thumbnail": {"url": "/media/images/2026/01/a-thumb.webp", "width": 48, "height": 32},
        "client_id": "c-1",
        "reply_to": None,
        "reactions": {"counts": {}, "by": {}, "rev": 0},
        "mentions": [],
    }


def test_a_reaction_summary_counts_each_emoji_in_the_order_of_its_first_reaction():
    rows = [("🎉", "Bob"), ("👍", "Alice"), ("🎉", "Alice")]
    assert protocol.reaction_summary(rows, 3) == {
        "counts": {"🎉": 2, "👍": 1},
        "by": {"🎉": ["Bob", "Alice"], "👍": ["Alice"]},
        "rev": 3,
    }
    assert list(protocol.reaction_summary(rows, 3)["counts"]) == ["🎉", "👍"]


def test_a_users_item_carries_the_read_pointer_as_a_string_id():
    assert protocol.user_item(3, "Alice", 7) == {"id": "3", "username": "Alice", "last_read": "7"}
    assert protocol.user_item("4", "Bob", None)["last_read"] is None


@pytest.mark.parametrize("text", ["", "   ", "x" * (protocol.NOTICE_MAX + 1), None])
def test_a_notice_refuses_what_no_wall_would_show(text):
    with pytest.raises(ValueError):
        protocol.notice_event(text)


def test_the_close_codes_are_the_rfc_6455_server_codes_the_docs_list():
    assert {1008, 1009, 1011, 1012, 1013} == protocol.CLOSE_CODES
