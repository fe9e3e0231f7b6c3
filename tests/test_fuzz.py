"""Property-based fuzzing of client frames: the consumer answers only with contract events and never dies."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from .conftest import communicator_for
from .test_docs import documented_error_codes, server_event_types

pytestmark = pytest.mark.django_db(transaction=True)

SENTINEL_BEFORE = "7777777777771"
CLIENT_TYPES = ["join", "message", "edit", "delete", "typing", "read", "history"]
FIELDS = [
    "content",
    "client_id",
    "image_id",
    "username",
    "token",
    "message_id",
    "before",
    "limit",
    "id",
    "reply_to",
]
TRICKY_TEXT = ["", " ", "\x00", "\ud800", "x\udfffy", "²", "٣", "-1", "1.5", "9" * 30, "Alice", "a" * 201]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**64)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(TRICKY_TEXT)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
field_values = st.sampled_from(TRICKY_TEXT) | st.from_regex(r"\A[0-9]{1,20}\Z") | json_scalars | json_values
data_objects = st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=4)


def envelope(kind: object, data: object, with_data: bool) -> str:
    frame = {"type": kind, "data": data} if with_data else {"type": kind}
    return json.dumps(frame)


def nested(opening: str, closing: str, depth: int, inner: str = "1", terminated: bool = True) -> str:
    return opening * depth + inner + (closing * depth if terminated else "")


# Frames malformed past what json's ValueError covers: nesting deeper than its decoder recurses
# (arrays, objects, inside a valid envelope, unterminated), and numbers past int()'s digit limit.
depths = st.integers(min_value=900, max_value=6000)
malformed_frames = st.one_of(
    st.builds(nested, st.just("["), st.just("]"), depths, st.just(""), st.booleans()),
    st.builds(nested, st.just('{"a": '), st.just("}"), depths, st.just("1"), st.booleans()),
    st.builds(
        lambda kind, depth: f'{{"type": "{kind}", "data": {{"a": {nested("[", "]", depth)}}}}}',
        st.sampled_from([*CLIENT_TYPES, "ping"]),
        depths,
    ),
    st.builds(
        lambda kind, field, digits, quoted: (
            f'{{"type": "{kind}", "data": {{"{field}": {json.dumps(digits) if quoted else digits}}}}}'
        ),
        st.sampled_from(CLIENT_TYPES),
        st.sampled_from(FIELDS),
        st.integers(min_value=4000, max_value=9000).map(lambda n: "9" * n),
        st.booleans(),
    ),
)

frames = st.one_of(
    malformed_frames,
    st.text(max_size=120),
    st.builds(json.dumps, json_values),
    st.builds(
        envelope,
        st.sampled_from(CLIENT_TYPES) | json_scalars,
        data_objects | json_values,
        st.booleans(),
    ),
    st.builds(envelope, st.sampled_from(CLIENT_TYPES), data_objects, st.just(True)),
)


@pytest.fixture
def in_memory(settings) -> None:
    """The in-process store and channel layer: the fuzz is about the consumer, not the transport.
    Setting REDIS_URL makes wall.live.store choose a fresh in-process store."""
    settings.REDIS_URL = None
    settings.WALL_REDIS_PREFIX = f"walltest-{uuid.uuid4().hex[:10]}"


KNOWN_TYPES = set(server_event_types())
KNOWN_CODES = documented_error_codes()


async def replies_until_sentinel(communicator) -> list[dict]:
    """Every frame the socket gets up to the answer to our closing `history` frame."""
    await communicator.send_json_to({"type": "history", "data": {"before": SENTINEL_BEFORE, "limit": 1}})
    replies = []
    while True:
        output = await communicator.receive_output(timeout=5)
        assert output["type"] == "websocket.send", output  # never closed on us (no frame is over 64 KiB)
        frame = json.loads(output["text"])
        replies.append(frame)
        if frame["type"] == "messages" and frame["data"].get("before") == SENTINEL_BEFORE:
            return replies


@hypothesis_settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(join_first=st.booleans(), sent=st.lists(frames, min_size=1, max_size=4))
# Frames that once killed the consumer or broke the database, kept as regressions.
@example(join_first=False, sent=['{"type": "read", "data": {"message_id": "\\u00b2"}}'])
@example(join_first=True, sent=['{"type": "message", "data": {"content": "a\\u0000b"}}'])
@example(join_first=True, sent=['{"type": "message", "data": {"content": "\\ud800", "client_id": "c"}}'])
@example(join_first=True, sent=['{"type": "message", "data": {"content": "hi", "client_id": "\\udfff"}}'])
@example(join_first=False, sent=['{"type": "join", "data": {"token": "\\ud800"}}'])
@example(join_first=False, sent=["[" * 30000 + "]" * 30000])
@example(join_first=True, sent=['{"type": "ping", "data": {"a": ' + "[" * 6000 + "]" * 6000 + "}}"])
@example(join_first=True, sent=['{"type": "read", "data": {"message_id": "' + "9" * 5000 + '"}}'])
async def test_any_client_frame_gets_contract_events_and_the_consumer_survives(
    in_memory, caplog, join_first, sent
):
    caplog.set_level(logging.ERROR, logger="wall")
    caplog.clear()
    communicator = communicator_for()
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    try:
        if join_first:
            await communicator.send_json_to({"type": "join", "data": {}})
        for text in sent:
            await communicator.send_input({"type": "websocket.receive", "text": text})
        for frame in await replies_until_sentinel(communicator):
            assert isinstance(frame, dict) and frame.get("type") in KNOWN_TYPES, frame
            assert isinstance(frame.get("data"), dict), frame
            if frame["type"] == "error":
                assert frame["data"]["code"] in KNOWN_CODES - {"unavailable"}, frame
                assert isinstance(frame["data"]["message"], str) and "client_id" in frame["data"]
        assert not communicator.future.done(), "the consumer stopped"
        assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    finally:
        await communicator.disconnect()
