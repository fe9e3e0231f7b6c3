"""A client worker's sockets: opening them (and joining, for wall posters), reading, reconnecting with
?since=, arming a run, closing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.board import Board
from bench.sockets import RunStats, Sock, _consume
from bench.transports import Closed
from bench.wire import now_ns


@dataclass
class Opening:
    """One `open_many` call's shared state: the handshake gate, failures so far, when to give up."""

    gate: asyncio.Semaphore
    give_up_after: int
    end: float
    failed: int = 0
    latencies: list[int] = field(default_factory=list)


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
        self.last_page_ns = 0  # when any socket last got a `messages` page
        self.sent_ns: dict[tuple[int, int], int] = {}  # (poster, seq) -> send time, this run
        self.refused_ms: list[float] = []  # send → `error` time of this run's refused posts

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
        opening = Opening(
            asyncio.Semaphore(concurrency), max(10, count // 20), time.perf_counter() + deadline
        )
        start = now_ns()
        first = len(group)
        await asyncio.gather(
            *(self._open_one(opening, group, role, first + i, join, timeout, retries) for i in range(count))
        )
        group.sort(key=lambda sock: sock.index)  # poster p of a run is the p-th poster opened
        self.connect_failures += opening.failed
        latencies = sorted(opening.latencies)

        def pick(q: float) -> float | None:
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1e6 if latencies else None

        return {
            "opened": count - opening.failed,
            "failed": opening.failed,
            "elapsed_s": (now_ns() - start) / 1e9,
            "ready_ms": {
                "p50": pick(0.5),
                "p99": pick(0.99),
                "max": latencies[-1] / 1e6 if latencies else None,
            },
            "errors": self.errors[:5],
        }

    async def _open_one(
        self,
        opening: Opening,
        group: list[Sock],
        role: str,
        index: int,
        join: bool,
        timeout: float,
        retries: int,
    ) -> None:
        for attempt in range(retries + 1):
            if opening.failed > opening.give_up_after or time.perf_counter() > opening.end:
                break
            sock = Sock(self, role, index)
            async with opening.gate:
                begin = now_ns()
                try:
                    await self._open(sock, timeout=timeout)
                    if join and self.kind == "wall":
                        await self._join(sock, timeout)
                    sock.usable.set()
                    opening.latencies.append(now_ns() - begin)
                    group.append(sock)
                    return
                except Exception as error:
                    self.note_error(f"connect {role}[{index}] try {attempt}: {error!r}")
                    await self._discard(sock)
            if attempt < retries:
                self.connect_retries += 1
                await asyncio.sleep(0.5 * (attempt + 1))
        opening.failed += 1

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
            sock.pages = 0
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
                    sent = self.sent_ns.get((int(poster), int(seq)))
                    if sent:
                        self.refused_ms.append(round((now_ns() - sent) / 1e6, 1))
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
        self.sent_ns = {}
        self.refused_ms = []
        self.error_count = 0
        self.errors = []
        self.server_errors = {}

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
