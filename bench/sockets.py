"""One receiving or posting socket of a client worker, and the counts of one measured run: what each
socket holds, duplicates, latency per poster, what a resume page filled in."""

from __future__ import annotations

import asyncio
import json
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench import histogram
from bench.board import Board
from bench.wire import NS_LEN, POSTER_LEN, SEQ_LEN, TAG_LEN, WALL_MESSAGE_PREFIX, WALL_MESSAGES_PREFIX, now_ns

if TYPE_CHECKING:
    from bench.worker import Worker


class RunStats:
    """Counters for one measured run, shared by the sockets of one role in this worker."""

    def __init__(self, tag: str, posters: int) -> None:
        self.tag = tag
        self.prefix = "~" + tag
        self.posters = posters
        self.hists = [histogram.new() for _ in range(posters)]  # latency, per poster
        self.deliveries = 0  # live frames carrying this run's marker, duplicates included
        self.unique = 0  # distinct (socket, post) pairs received, live or by resume
        self.duplicates = 0
        self.resumed = 0  # distinct posts first received in a resume page (?since=)
        self.first_recv_ns = 0
        self.last_recv_ns = 0
        # Per poster: how many of this worker's sockets hold each post, and how many posts all of them hold.
        self.members = 0
        self.done = [array("I") for _ in range(posters)]
        self.complete = [0] * posters
        self.board: Board | None = None
        self.slot = 0

    def got(self, poster: int, seq: int) -> None:
        """A socket holds a post for the first time (live or by resume)."""
        done = self.done[poster]
        if seq >= len(done):
            done.extend(array("I", bytes(4 * (seq + 1024 - len(done)))))
        done[seq] += 1
        if done[seq] == self.members:
            self.complete[poster] += 1
            if self.board is not None:
                self.board.publish(self.slot, poster, self.complete[poster])


class Sock:
    """One WebSocket: its receive loop, its per-post counts and its reconnects."""

    __slots__ = (
        "acks",
        "closes",
        "counts",
        "dead",
        "dropped",
        "flowing",
        "index",
        "kind",
        "last_id",
        "page_ns",
        "pages",
        "pool",
        "ready",
        "resets",
        "role",
        "stats",
        "stopping",
        "task",
        "token",
        "usable",
        "ws",
    )

    def __init__(self, pool: Worker, role: str, index: int) -> None:
        self.pool = pool
        self.role = role
        self.index = index
        self.kind = pool.kind
        self.ws: Any = None
        self.task: asyncio.Task | None = None
        self.ready: asyncio.Future | None = None
        self.last_id = 0
        self.pages = 0  # `messages` pages since the socket last opened (history, or a resume)
        self.page_ns = 0  # when the last one came
        self.closes: list[Any] = []
        self.resets = 0
        self.stopping = False
        self.dead = False
        self.dropped = False  # closed by the bench itself (the `drop` command), not by the server
        self.stats: RunStats | None = None
        self.counts: list[bytearray] = []
        self.acks: Callable[[int, int], None] | None = None
        self.token: str | None = None  # a wall poster's token, to rejoin after a reconnect
        self.usable = asyncio.Event()  # open (and joined, for a wall poster): posts may be sent
        self.flowing = asyncio.Event()  # cleared: this socket stops reading (a slow reader)
        self.flowing.set()

    def arm(self, stats: RunStats) -> None:
        self.stats = stats
        self.counts = [bytearray() for _ in range(stats.posters)]

    # The hot path: one call per text frame.
    def on_text(self, text: str) -> None:
        self.pool.frames += 1
        if self.kind == "wall":
            if text.startswith(WALL_MESSAGE_PREFIX):
                start = len(WALL_MESSAGE_PREFIX)
                post_id = int(text[start : text.index('"', start)])
                if post_id > self.last_id:
                    self.last_id = post_id
            elif text.startswith(WALL_MESSAGES_PREFIX):
                self.on_page(text)
                return
            else:
                return
        stats = self.stats
        if stats is None:
            return
        i = text.find(stats.prefix)
        if i < 0:
            return
        recv_ns = now_ns()
        i += 1 + TAG_LEN
        poster = int(text[i : i + POSTER_LEN])
        i += POSTER_LEN
        seq = int(text[i : i + SEQ_LEN])
        i += SEQ_LEN
        sent_ns = int(text[i : i + NS_LEN])
        if self.acks is not None:
            self.acks(poster, seq)
        counts = self.counts[poster]
        if seq >= len(counts):
            counts.extend(bytes(seq + 1024 - len(counts)))
        seen = counts[seq]
        if seen < 255:
            counts[seq] = seen + 1
        stats.deliveries += 1
        if seen:
            stats.duplicates += 1
        else:
            stats.unique += 1
            stats.got(poster, seq)
        stats.hists[poster][histogram.bucket((recv_ns - sent_ns) // 1000)] += 1
        if not stats.first_recv_ns:
            stats.first_recv_ns = recv_ns
        stats.last_recv_ns = recv_ns

    def on_page(self, text: str) -> None:
        """A wall `messages` page: history on connect, or what was missed on a resume."""
        data = json.loads(text).get("data", {})
        self.pages += 1
        self.page_ns = self.pool.last_page_ns = now_ns()
        if self.ready is not None and not self.ready.done():
            self.ready.set_result(self.page_ns)
        if data.get("reset"):
            self.resets += 1
        stats = self.stats
        for post in data.get("messages", []):
            post_id = int(post["id"])
            if post_id > self.last_id:
                self.last_id = post_id
            if stats is None or "before" in data:
                continue
            body = post.get("content", "")
            if not body.startswith(stats.prefix):
                continue
            i = 1 + TAG_LEN
            poster = int(body[i : i + POSTER_LEN])
            seq = int(body[i + POSTER_LEN : i + POSTER_LEN + SEQ_LEN])
            counts = self.counts[poster]
            if seq >= len(counts):
                counts.extend(bytes(seq + 1024 - len(counts)))
            if not counts[seq]:
                counts[seq] = 1
                stats.unique += 1
                stats.resumed += 1
                stats.got(poster, seq)

    def missing(self, sent: list[int], refused: frozenset = frozenset()) -> int:
        """Posts sent (and not refused by the server) that this socket has not received."""
        total = 0
        for poster, count in enumerate(sent):
            counts = self.counts[poster] if poster < len(self.counts) else b""
            have = counts[:count]
            total += count - (len(have) - have.count(0))
        for poster, seq in refused:
            counts = self.counts[poster] if poster < len(self.counts) else b""
            if seq >= len(counts) or not counts[seq]:
                total -= 1
        return total


def _consume(future: asyncio.Future) -> None:
    """Mark a future's exception as seen (a socket that closed before history is already counted)."""
    if not future.cancelled():
        future.exception()
