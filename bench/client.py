"""Load client: one worker process holding receiver and poster sockets, driven by JSON lines on stdin.

The coordinator (bench/clientpool.py) starts one or more of these; each answers every command with one
JSON line on stdout. Posts carry a marker with the run tag, the poster, a sequence number and the send
time (time.perf_counter_ns: CLOCK_MONOTONIC, one clock for every process on this machine), so each
receiver counts lost and duplicated deliveries and measures post→delivery latency itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import mmap
import os
import random
import resource
import signal
import socket
import struct
import sys
import time
from array import array
from collections.abc import Awaitable, Callable
from typing import Any

from bench import histogram

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is in bench/requirements.txt
    uvloop = None

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


# --- transports ------------------------------------------------------------------------------------


class Closed(Exception):
    """The socket closed; `code` is the close code received, if any."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class AiohttpTransport:
    name = "aiohttp"

    def __init__(self, deflate: bool) -> None:
        import aiohttp

        self.aiohttp = aiohttp
        self.deflate = deflate
        self.session: Any = None

    async def start(self) -> None:
        aiohttp = self.aiohttp
        connector = aiohttp.TCPConnector(limit=0, force_close=False, enable_cleanup_closed=False)
        self.session = aiohttp.ClientSession(connector=connector)

    async def connect(self, url: str, origin: str, timeout: float) -> Any:
        aiohttp = self.aiohttp
        return await self.session.ws_connect(
            url,
            origin=origin,
            autoping=True,
            heartbeat=None,
            compress=15 if self.deflate else 0,
            max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
            proxy=None,
        )

    async def reader(self, ws: Any, on_text: Callable[[str], None], flowing: asyncio.Event) -> None:
        """Feed text frames to on_text until the socket closes; raise Closed. Pauses while not `flowing`."""
        text_type = self.aiohttp.WSMsgType.TEXT
        receive = ws.receive
        while True:
            if not flowing.is_set():
                await flowing.wait()
            msg = await receive()
            if msg.type is text_type:
                on_text(msg.data)
            elif msg.type in _AIOHTTP_END:
                raise Closed(ws.close_code, str(msg.extra or ""))

    async def send(self, ws: Any, text: str) -> None:
        await ws.send_str(text)

    async def close(self, ws: Any) -> None:
        await ws.close()

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()


_AIOHTTP_END: frozenset = frozenset()


class WebsocketsTransport:
    name = "websockets"

    def __init__(self, deflate: bool) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        self._connect = connect
        self.ConnectionClosed = ConnectionClosed
        self.deflate = deflate

    async def start(self) -> None:
        pass

    async def connect(self, url: str, origin: str, timeout: float) -> Any:
        return await self._connect(
            url,
            origin=origin,
            compression="deflate" if self.deflate else None,
            max_size=None,
            ping_interval=None,
            open_timeout=timeout,
            close_timeout=5,
        )

    async def reader(self, ws: Any, on_text: Callable[[str], None], flowing: asyncio.Event) -> None:
        try:
            async for message in ws:
                if not flowing.is_set():
                    await flowing.wait()
                if isinstance(message, str):
                    on_text(message)
        except self.ConnectionClosed:
            pass
        raise Closed(ws.close_code, ws.close_reason or "")

    async def send(self, ws: Any, text: str) -> None:
        await ws.send(text)

    async def close(self, ws: Any) -> None:
        await ws.close()

    async def stop(self) -> None:
        pass


def make_transport(name: str, deflate: bool) -> AiohttpTransport | WebsocketsTransport:
    global _AIOHTTP_END
    if name == "aiohttp":
        import aiohttp

        _AIOHTTP_END = frozenset(
            {
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            }
        )
        return AiohttpTransport(deflate)
    if name == "websockets":
        return WebsocketsTransport(deflate)
    raise ValueError(f"unknown client library {name!r}")


# --- the progress board ------------------------------------------------------------------------------

MAX_POSTERS = 16


class Board:
    """A small file in /dev/shm where each receiver worker publishes, per poster, how many posts all of
    its sockets hold; the poster worker reads it to keep at most W posts not yet delivered everywhere."""

    def __init__(self, path: str, slots: int) -> None:
        self.slots = slots
        with open(path, "r+b") as file:
            self.map = mmap.mmap(file.fileno(), slots * MAX_POSTERS * 8)
        # Publishing also pokes the poster through a datagram, so it need not poll the board.
        self.wake_address = "\0" + path
        self.wake_out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.wake_out.setblocking(False)
        self.woken: asyncio.Event | None = None

    def listen(self) -> None:
        """In the poster worker: receive the pokes and set `woken`."""
        loop = asyncio.get_running_loop()
        self.woken = asyncio.Event()
        inbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        inbox.bind(self.wake_address)
        inbox.setblocking(False)
        woken = self.woken

        def on_readable() -> None:
            with contextlib.suppress(BlockingIOError):
                while True:
                    inbox.recv(64)
            woken.set()

        loop.add_reader(inbox.fileno(), on_readable)
        self.inbox = inbox

    @staticmethod
    def create(path: str, slots: int) -> None:
        with open(path, "wb") as file:
            file.write(bytes(max(1, slots) * MAX_POSTERS * 8))

    def publish(self, slot: int, poster: int, complete: int) -> None:
        struct.pack_into("<Q", self.map, (slot * MAX_POSTERS + poster) * 8, complete)
        with contextlib.suppress(OSError):  # no poster listening yet, or its inbox is full: it polls too
            self.wake_out.sendto(b"!", self.wake_address)

    def lowest(self, poster: int) -> int:
        return min(
            struct.unpack_from("<Q", self.map, (slot * MAX_POSTERS + poster) * 8)[0]
            for slot in range(self.slots)
        )


# --- per-run statistics ----------------------------------------------------------------------------


class RunStats:
    """Counters for one measured run, shared by the sockets of one role in this worker."""

    def __init__(self, tag: str, posters: int) -> None:
        self.tag = tag
        self.prefix = "~" + tag
        self.posters = posters
        self.hist = histogram.new()
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
        stats.hist[histogram.bucket((recv_ns - sent_ns) // 1000)] += 1
        if not stats.first_recv_ns:
            stats.first_recv_ns = recv_ns
        stats.last_recv_ns = recv_ns

    def on_page(self, text: str) -> None:
        """A wall `messages` page: history on connect, or what was missed on a resume."""
        data = json.loads(text).get("data", {})
        if self.ready is not None and not self.ready.done():
            self.ready.set_result(now_ns())
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


# --- the worker ------------------------------------------------------------------------------------


class Worker:
    def __init__(
        self, url: str, kind: str, transport: Any, origin: str, board: Board | None = None, slot: int = 0
    ) -> None:
        self.board = board
        self.slot = slot
        self.url = url
        self.kind = kind
        self.transport = transport
        self.origin = origin
        self.receivers: list[Sock] = []
        self.posters: list[Sock] = []
        self.errors: list[str] = []
        self.error_count = 0
        self.server_errors: dict[str, int] = {}
        self.connect_failures = 0
        self.connect_retries = 0
        self.reconnects = 0
        self.reconnect_failures = 0
        self.stats: dict[str, RunStats] = {}
        self.frames = 0  # every text frame received, any run
        self.refused: set[tuple[int, int]] = set()  # posts of this run the server answered with `error`
        self.watchers: dict[Sock, Callable[[str], None]] = {}
        self.rejoins: set[asyncio.Task] = set()

    def note_error(self, text: str) -> None:
        self.error_count += 1
        if len(self.errors) < 10:
            self.errors.append(text[:300])

    # --- opening sockets ---------------------------------------------------------------------------

    async def _open(self, sock: Sock, since: int | None = None, timeout: float = 30.0) -> None:
        url = self.url if since is None else f"{self.url}?since={since}"
        loop = asyncio.get_running_loop()
        sock.ready = loop.create_future() if self.kind == "wall" else None
        if sock.ready is not None:
            sock.ready.add_done_callback(_consume)
        ws = await asyncio.wait_for(self.transport.connect(url, self.origin, timeout), timeout)
        sock.ws = ws
        sock.task = loop.create_task(self._run(sock))
        if sock.ready is not None:
            await asyncio.wait_for(asyncio.shield(sock.ready), timeout)

    async def open_many(
        self,
        role: str,
        count: int,
        concurrency: int,
        join: bool,
        timeout: float,
        retries: int,
        deadline: float,
    ) -> dict:
        """Open `count` sockets, at most `concurrency` handshakes at a time; wall posters also join.

        Gives up (the rest count as failed) after `deadline` seconds, or as soon as more than
        max(10, 5%) of the sockets have failed: a server that refuses is reported, not waited for.
        """
        group = self.receivers if role == "receivers" else self.posters
        gate = asyncio.Semaphore(concurrency)
        latencies: list[int] = []
        failed = 0
        give_up_after = max(10, count // 20)
        start = now_ns()
        end = time.perf_counter() + deadline

        async def one(index: int) -> None:
            nonlocal failed
            for attempt in range(retries + 1):
                if failed > give_up_after or time.perf_counter() > end:
                    break
                sock = Sock(self, role, index)
                async with gate:
                    begin = now_ns()
                    try:
                        await self._open(sock, timeout=timeout)
                        if join and self.kind == "wall":
                            await self._join(sock, timeout)
                        sock.usable.set()
                        latencies.append(now_ns() - begin)
                        group.append(sock)
                        return
                    except Exception as error:
                        self.note_error(f"connect {role}[{index}] try {attempt}: {error!r}")
                        await self._discard(sock)
                if attempt < retries:
                    self.connect_retries += 1
                    await asyncio.sleep(0.5 * (attempt + 1))
            failed += 1

        first = len(group)
        await asyncio.gather(*(one(first + i) for i in range(count)))
        self.connect_failures += failed
        elapsed = (now_ns() - start) / 1e9
        latencies.sort()

        def pick(q: float) -> float | None:
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1e6 if latencies else None

        return {
            "opened": count - failed,
            "failed": failed,
            "elapsed_s": elapsed,
            "ready_ms": {
                "p50": pick(0.5),
                "p99": pick(0.99),
                "max": latencies[-1] / 1e6 if latencies else None,
            },
            "errors": self.errors[:5],
        }

    async def probe(self, count: int, timeout: float) -> dict:
        """Open, wait for history (wall) or the handshake, close: `count` times in a row."""
        latencies: list[float] = []
        failed = 0
        for index in range(count):
            sock = Sock(self, "probe", index)
            begin = now_ns()
            try:
                await self._open(sock, timeout=timeout)
                latencies.append((now_ns() - begin) / 1e6)
            except Exception as error:
                failed += 1
                self.note_error(f"probe {index}: {error!r}")
            await self._discard(sock)
        return {"latencies_ms": [round(v, 3) for v in latencies], "failed": failed, "errors": self.errors}

    async def _join(self, sock: Sock, timeout: float) -> None:
        name = f"b{os.getpid() % 100000}x{sock.index}x{random.randrange(10**6)}"
        joined = asyncio.get_running_loop().create_future()

        def watch(text: str) -> None:
            if text.startswith('{"type":"welcome"') and not joined.done():
                sock.token = json.loads(text)["data"]["token"]
                joined.set_result(True)
            elif text.startswith('{"type":"error"') and not joined.done():
                joined.set_exception(RuntimeError(f"join refused: {text[:200]}"))

        self.watchers[sock] = watch
        data = {"token": sock.token} if sock.token else {"username": name}
        try:
            await self.transport.send(sock.ws, json.dumps({"type": "join", "data": data}))
            await asyncio.wait_for(joined, timeout)
        finally:
            self.watchers.pop(sock, None)
        sock.usable.set()

    async def _rejoin(self, sock: Sock) -> None:
        """A poster that reconnected takes its name back (with its token) before posting again."""
        try:
            if self.kind == "wall":
                await self._join(sock, 10)
            else:
                sock.usable.set()
        except Exception as error:
            self.note_error(f"poster {sock.index} rejoin: {error!r}")

    async def _discard(self, sock: Sock) -> None:
        sock.stopping = True
        if sock.task is not None:
            sock.task.cancel()
        if sock.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.transport.close(sock.ws), 2)

    async def _run(self, sock: Sock) -> None:
        """Receive until the socket closes; a socket the server closed reconnects (wall: with ?since=)."""
        while True:
            handler = self._poster_handler(sock) if sock.role == "posters" else sock.on_text
            try:
                await self.transport.reader(sock.ws, handler, sock.flowing)
                code, reason = None, "eof"
            except Closed as closed:
                code, reason = closed.code, closed.reason
            except asyncio.CancelledError:
                raise
            except Exception as error:
                code, reason = None, repr(error)
            if sock.stopping:
                return
            if sock.dropped:
                code, reason, sock.dropped = "drop", "dropped by the bench", False
            sock.closes.append([code, reason[:100], round(time.monotonic(), 3)])
            sock.usable.clear()
            if sock.ready is not None and not sock.ready.done():
                sock.ready.set_exception(RuntimeError(f"closed before history: {code} {reason}"))
                return
            if not await self._reconnect(sock):
                sock.dead = True
                return
            if sock.role == "posters":
                self.rejoins.add(asyncio.get_running_loop().create_task(self._rejoin(sock)))

    def _poster_handler(self, sock: Sock) -> Callable[[str], None]:
        on_text = sock.on_text

        def handler(text: str) -> None:
            watcher = self.watchers.get(sock)
            if watcher is not None:
                watcher(text)
            if text.startswith('{"type":"error"'):
                try:
                    data = json.loads(text)["data"]
                    code, client_id = data["code"], data.get("client_id") or ""
                except (ValueError, KeyError, TypeError):
                    code, client_id = "?", ""
                self.server_errors[code] = self.server_errors.get(code, 0) + 1
                self.note_error(f"server error to poster {sock.index}: {text[:200]}")
                stats = sock.stats
                if stats is not None and client_id.startswith(stats.tag + "-"):
                    _, poster, seq = client_id.split("-")
                    self.refused.add((int(poster), int(seq)))
            on_text(text)

        return handler

    async def _reconnect(self, sock: Sock) -> bool:
        for attempt in range(5):
            await asyncio.sleep(0.2 * (attempt + 1))
            if sock.stopping:
                return False
            try:
                since = sock.last_id if self.kind == "wall" and sock.last_id else None
                url = self.url if since is None else f"{self.url}?since={since}"
                sock.ready = None
                sock.ws = await asyncio.wait_for(self.transport.connect(url, self.origin, 10), 10)
                self.reconnects += 1
                return True
            except Exception as error:
                self.note_error(f"reconnect {sock.role}[{sock.index}]: {error!r}")
        self.reconnect_failures += 1
        return False

    # --- runs --------------------------------------------------------------------------------------

    def arm(self, tag: str, posters: int) -> None:
        for role, socks in (("receivers", self.receivers), ("posters", self.posters)):
            stats = RunStats(tag, posters)
            stats.members = len(socks)
            if role == "receivers" and socks and self.board is not None:
                stats.board, stats.slot = self.board, self.slot
                for poster in range(posters):
                    self.board.publish(self.slot, poster, 0)
            self.stats[role] = stats
            for sock in socks:
                sock.arm(stats)
                sock.closes = []
                sock.resets = 0
        self.reconnects = 0
        self.reconnect_failures = 0
        self.refused = set()
        self.error_count = 0
        self.errors = []
        self.server_errors = {}

    async def post(
        self,
        mode: str,
        tag: str,
        duration: float,
        window: int,
        rate: float,
        ack_timeout: float,
        ack: str,
        confirm_timeout: float = 5.0,
    ) -> dict:
        posters = self.posters
        sent = [0] * len(posters)
        lags: list[float] = []
        stalls = [0]
        first_send = [0]
        kind = self.kind
        start = time.perf_counter()
        end = start + duration
        send_text = self.transport.send

        async def send(sock: Sock, p: int, seq: int) -> int:
            """Send post `seq` and return its send time; a closed socket is waited for (10 s at most)."""
            for _ in range(3):
                if not sock.usable.is_set():
                    await asyncio.wait_for(sock.usable.wait(), 10)
                sent_ns = now_ns()
                try:
                    await send_text(sock.ws, post_frame(kind, tag, p, seq, sent_ns))
                    return sent_ns
                except Exception as error:
                    self.note_error(f"poster {p} send: {error!r}")
                    sock.usable.clear()
            raise RuntimeError(f"poster {p} could not send")

        async def closed_loop_all(p: int, sock: Sock) -> None:
            """At most `window` posts not yet held by every receiver (read from the board)."""
            board = self.board
            assert board is not None, "ack=all needs the progress board"
            if board.woken is None:
                board.listen()
            woken = board.woken
            forgiven = 0
            seq = 0
            while True:
                left = end - time.perf_counter()
                if left <= 0:
                    break
                blocked_since = None
                while seq - board.lowest(p) - forgiven - len(self.refused) >= window:
                    now = time.perf_counter()
                    if now >= end:
                        break
                    if blocked_since is None:
                        blocked_since = now
                    elif now - blocked_since > ack_timeout:
                        stalls[0] += 1  # a post some receiver never got: stop waiting for it
                        forgiven += 1
                        blocked_since = None
                        continue
                    woken.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(woken.wait(), 0.005)
                if time.perf_counter() >= end:
                    break
                sent_ns = await send(sock, p, seq)
                if not first_send[0]:
                    first_send[0] = sent_ns
                seq += 1
                sent[p] = seq

        async def closed_loop(p: int, sock: Sock) -> None:
            gate = asyncio.Semaphore(window)
            inflight: dict[int, int] = {}

            def ack(poster: int, seq: int) -> None:
                if poster == p and inflight.pop(seq, None) is not None:
                    gate.release()

            sock.acks = ack
            try:
                seq = 0
                while True:
                    left = end - time.perf_counter()
                    if left <= 0:
                        break
                    try:
                        await asyncio.wait_for(gate.acquire(), min(ack_timeout, left))
                    except TimeoutError:
                        if left <= ack_timeout:
                            break  # the run ended while waiting
                        stalls[0] += 1  # the oldest post in flight never came back: stop waiting for it
                        if inflight:
                            inflight.pop(min(inflight))
                    inflight[seq] = now_ns()
                    sent_ns = await send(sock, p, seq)
                    if not first_send[0]:
                        first_send[0] = sent_ns
                    seq += 1
                    sent[p] = seq
            finally:
                sock.acks = None

        async def open_loop(p: int, sock: Sock) -> None:
            per_poster = rate / len(posters)
            offset = p / rate
            seq = 0
            while True:
                due = start + offset + seq / per_poster
                if due >= end:
                    break
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                else:
                    lags.append(-wait)
                sent_ns = await send(sock, p, seq)
                if not first_send[0]:
                    first_send[0] = sent_ns
                seq += 1
                sent[p] = seq

        runners = {"closed": closed_loop_all if ack == "all" else closed_loop, "rate": open_loop}
        runner = runners[mode]
        results = await asyncio.gather(
            *(runner(p, sock) for p, sock in enumerate(posters)), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                self.note_error(f"poster: {result!r}")
        elapsed = time.perf_counter() - start
        # Each post is either confirmed (the poster's own copy came back) or refused (an `error` named it);
        # wait a little for the last answers, so receivers are not made to wait for refused posts.
        confirm_end = time.perf_counter() + confirm_timeout
        while True:
            unconfirmed = sum(
                sock.missing([0] * p + [sent[p]], frozenset(r for r in self.refused if r[0] == p))
                for p, sock in enumerate(posters)
            )
            if not unconfirmed or time.perf_counter() > confirm_end:
                break
            await asyncio.sleep(0.02)
        return {
            "refused": sorted(self.refused),
            "unconfirmed": unconfirmed,
            "sent": sent,
            "first_send_ns": first_send[0],
            "last_send_ns": now_ns(),
            "elapsed_s": elapsed,
            "stalls": stalls[0],
            "max_lag_ms": round(max(lags) * 1000, 3) if lags else 0.0,
        }

    async def drain(self, sent: list[int], refused: frozenset, timeout: float) -> dict:
        """Wait until every receiver has every post sent and not refused (or the timeout); report the run."""
        expected = (sum(sent) - len(refused)) * len(self.receivers)
        stats = self.stats.get("receivers")
        deadline = time.perf_counter() + timeout
        waited_start = time.perf_counter()
        complete = stats is None
        while stats is not None and time.perf_counter() < deadline:
            # Sockets that could not reconnect will never catch up, nor will a reference's socket that
            # reconnected (no resume there): do not wait for them.
            unreachable = sum(
                sock.missing(sent, refused)
                for sock in self.receivers
                if sock.dead or (sock.closes and self.kind != "wall")
            )
            if stats.unique >= expected - unreachable:
                complete = True
                break
            await asyncio.sleep(0.02)
        waited = time.perf_counter() - waited_start
        return {**self.report(sent, refused, waited), "complete": complete}

    async def settle(self, sent: list[int], refused: frozenset, quiet: float, timeout: float) -> dict:
        """After a drain that timed out: wait until no frame has come for `quiet` s (at most `timeout` s),
        so the next run does not start on this one's backlog; report again."""
        start = time.perf_counter()
        seen, since = self.frames, time.perf_counter()
        while time.perf_counter() - start < timeout:
            await asyncio.sleep(0.1)
            if self.frames != seen:
                seen, since = self.frames, time.perf_counter()
            elif time.perf_counter() - since >= quiet:
                break
        return {**self.report(sent, refused), "settle_s": round(time.perf_counter() - start, 2)}

    def report(self, sent: list[int], refused: frozenset = frozenset(), waited: float = 0.0) -> dict:
        stats = self.stats.get("receivers")
        lost_open = lost_closed = 0
        closed_socks = dropped_socks = 0
        close_codes: dict[str, int] = {}
        resets = 0
        for sock in self.receivers:
            missing = sock.missing(sent, refused) if stats is not None else 0
            if sock.closes:
                if any(code != "drop" for code, _reason, _when in sock.closes):
                    closed_socks += 1
                else:
                    dropped_socks += 1
                lost_closed += missing
                for code, _reason, _when in sock.closes:
                    close_codes[str(code)] = close_codes.get(str(code), 0) + 1
            else:
                lost_open += missing
            resets += sock.resets
        poster_closes = sum(len(sock.closes) for sock in self.posters)
        return {
            "receivers": len(self.receivers),
            "posters": len(self.posters),
            "deliveries": stats.deliveries if stats else 0,
            "unique": stats.unique if stats else 0,
            "duplicates": stats.duplicates if stats else 0,
            "resumed": stats.resumed if stats else 0,
            "lost_silently": lost_open,
            "lost_on_closed": lost_closed,
            "closed_sockets": closed_socks,
            "dropped_sockets": dropped_socks,
            "close_codes": close_codes,
            "resets": resets,
            "reconnects": self.reconnects,
            "reconnect_failures": self.reconnect_failures,
            "poster_closes": poster_closes,
            "first_recv_ns": stats.first_recv_ns if stats else 0,
            "last_recv_ns": stats.last_recv_ns if stats else 0,
            "hist": histogram.sparse(stats.hist) if stats else [],
            "drain_wait_s": round(waited, 3),
            "errors": self.errors,
            "error_count": self.error_count,
            "server_errors": self.server_errors,
            "open_now": sum(1 for sock in self.receivers if not sock.closes),
        }

    async def close_all(self) -> dict:
        socks = self.receivers + self.posters
        for sock in socks:
            sock.stopping = True
        start = time.perf_counter()
        gate = asyncio.Semaphore(200)

        async def one(sock: Sock) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.transport.close(sock.ws), 5)
                if sock.task is not None:
                    sock.task.cancel()

        await asyncio.gather(*(one(sock) for sock in socks))
        self.receivers, self.posters = [], []
        return {"closed": len(socks), "elapsed_s": time.perf_counter() - start}


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 200_000
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
        return want
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


async def serve_commands(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await worker.transport.start()

    def reply(obj: dict) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    handlers: dict[str, Callable[[dict], Awaitable[dict]]] = {}

    async def on_open(c: dict) -> dict:
        return await worker.open_many(
            c["role"],
            c["count"],
            c.get("concurrency", 50),
            c.get("join", False),
            c.get("timeout", 20.0),
            c.get("retries", 1),
            c.get("deadline", 120.0),
        )

    async def on_arm(c: dict) -> dict:
        worker.arm(c["tag"], c["posters"])
        return {"armed": c["tag"]}

    async def on_post(c: dict) -> dict:
        return await worker.post(
            c["mode"],
            c["tag"],
            c["duration"],
            c.get("window", 8),
            c.get("rate", 0.0),
            c.get("ack_timeout", 5.0),
            c.get("ack", "all"),
        )

    def refused(c: dict) -> frozenset:
        return frozenset((p, seq) for p, seq in c.get("refused", []))

    async def on_drain(c: dict) -> dict:
        return await worker.drain(c["sent"], refused(c), c["timeout"])

    async def on_settle(c: dict) -> dict:
        return await worker.settle(c["sent"], refused(c), c.get("quiet", 1.0), c.get("timeout", 30.0))

    async def on_status(c: dict) -> dict:
        return worker.report(c.get("sent", []), refused(c))

    async def on_probe(c: dict) -> dict:
        return await worker.probe(c["count"], c.get("timeout", 30.0))

    async def on_stall(c: dict) -> dict:
        """The first `count` receivers stop reading for `seconds` (slow readers), starting now."""
        loop = asyncio.get_running_loop()
        stalled = worker.receivers[: c["count"]]
        for sock in stalled:
            sock.flowing.clear()
            loop.call_later(c["seconds"], sock.flowing.set)
        return {"stalled": len(stalled)}

    async def on_drop(c: dict) -> dict:
        """Close the last `count` receivers as a network drop would: they reconnect (wall: ?since=)."""
        dropped = worker.receivers[-c["count"] :] if c["count"] else []
        for sock in dropped:
            sock.dropped = True
        await asyncio.gather(*(worker.transport.close(sock.ws) for sock in dropped), return_exceptions=True)
        return {"dropped": len(dropped)}

    async def on_close(c: dict) -> dict:
        return await worker.close_all()

    handlers.update(
        open=on_open,
        probe=on_probe,
        arm=on_arm,
        post=on_post,
        drain=on_drain,
        settle=on_settle,
        status=on_status,
        stall=on_stall,
        drop=on_drop,
        close=on_close,
    )
    reply({"event": "hello", "pid": os.getpid(), "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0]})
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        name = command.get("cmd")
        if name == "exit":
            break
        try:
            result = await handlers[name](command)
            reply({"event": name, "ok": True, **result})
        except Exception as error:
            reply({"event": name, "ok": False, "error": repr(error)})
    with contextlib.suppress(Exception):
        await worker.close_all()
    await worker.transport.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--kind", choices=["wall", "plain"], required=True)
    parser.add_argument("--lib", choices=["aiohttp", "websockets"], default="aiohttp")
    parser.add_argument("--deflate", action="store_true")
    parser.add_argument("--max-seconds", type=int, default=3600, help="hard stop for this process")
    parser.add_argument("--board", help="progress board file (see Board)")
    parser.add_argument("--board-slots", type=int, default=0, help="receiver workers on the board")
    parser.add_argument("--slot", type=int, default=0, help="this receiver worker's slot on the board")
    args = parser.parse_args(argv)
    signal.alarm(args.max_seconds)  # failsafe: the default action of SIGALRM ends the process
    raise_nofile()
    host = args.url.split("//", 1)[1].split("/", 1)[0]
    board = Board(args.board, args.board_slots) if args.board and args.board_slots else None
    worker = Worker(
        args.url, args.kind, make_transport(args.lib, args.deflate), f"http://{host}", board, args.slot
    )
    if uvloop is not None:
        uvloop.run(serve_commands(worker))
    else:
        asyncio.run(serve_commands(worker))


if __name__ == "__main__":
    main()
