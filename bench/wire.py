"""The post marker: what a poster sends and how a receiver recognises it (run tag, poster, sequence
number, send time from time.perf_counter_ns: CLOCK_MONOTONIC, one clock for every process here)."""

from __future__ import annotations

import time

# Content: "~" tag(4) poster(2) seq(8) send_ns(19) "~" and padding to 100 characters.
TAG_LEN, POSTER_LEN, SEQ_LEN, NS_LEN = 4, 2, 8, 19
CONTENT_LEN = 100
_PAD = ("bench-" * 20)[: CONTENT_LEN - (2 + TAG_LEN + POSTER_LEN + SEQ_LEN + NS_LEN)]
WALL_MESSAGE_PREFIX = '{"type":"message","data":{"message":{"id":"'
WALL_MESSAGES_PREFIX = '{"type":"messages"'
now_ns = time.perf_counter_ns


def content(tag: str, poster: int, seq: int, sent_ns: int) -> str:
    return f"~{tag}{poster:02d}{seq:08d}{sent_ns:019d}~{_PAD}"


def post_frame(kind: str, tag: str, poster: int, seq: int, sent_ns: int) -> str:
    """The text a poster sends: the wall's `message` frame (also sent as is to the references)."""
    text = content(tag, poster, seq, sent_ns)
    return f'{{"type":"message","data":{{"content":"{text}","client_id":"{tag}-{poster}-{seq}"}}}}'
