"""A worker's posters during one run: a closed loop (at most W posts in flight) or a fixed rate, then
the wait for each post's confirmation or refusal."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from bench.sockets import Sock
from bench.wire import now_ns, post_frame

if TYPE_CHECKING:
    from bench.worker import Worker


class PostRun:
    """One `post` command. Poster p of this worker posts as poster `first + p` of the run, so posters
    in several workers (one per server process) share a run."""

    def __init__(
        self,
        worker: Worker,
        *,
        tag: str,
        duration: float,
        window: int,
        rate: float,
        ack_timeout: float,
        first: int,
    ) -> None:
        self.worker = worker
        self.tag = tag
        self.window = window
        self.rate = rate
        self.ack_timeout = ack_timeout
        self.first = first
        self.sent = [0] * (first + len(worker.posters))
        self.lags: list[float] = []
        self.stalls = 0
        self.first_send = 0
        self.start = time.perf_counter()
        self.end = self.start + duration

    async def send(self, sock: Sock, p: int, seq: int) -> None:
        """Send post `seq` as poster `p`; a closed socket is waited for (10 s at most)."""
        worker = self.worker
        for _ in range(3):
            if not sock.usable.is_set():
                await asyncio.wait_for(sock.usable.wait(), 10)
            sent_ns = now_ns()
            worker.sent_ns[(p, seq)] = sent_ns
            try:
                await worker.transport.send(sock.ws, post_frame(worker.kind, self.tag, p, seq, sent_ns))
            except Exception as error:
                worker.note_error(f"poster {p} send: {error!r}")
                sock.usable.clear()
                continue
            if not self.first_send:
                self.first_send = sent_ns
            self.sent[p] = seq + 1
            return
        raise RuntimeError(f"poster {p} could not send")

    async def closed_loop_all(self, p: int, sock: Sock) -> None:
        """At most `window` posts not yet held by every receiver (read from the board)."""
        board = self.worker.board
        assert board is not None, "ack=all needs the progress board"
        if board.woken is None:
            board.listen()
        woken = board.woken
        forgiven = seq = 0
        while time.perf_counter() < self.end:
            blocked_since = None
            while seq - board.lowest(p) - forgiven - len(self.worker.refused) >= self.window:
                now = time.perf_counter()
                if now >= self.end:
                    break
                if blocked_since is None:
                    blocked_since = now
                elif now - blocked_since > self.ack_timeout:
                    self.stalls += 1  # a post some receiver never got: stop waiting for it
                    forgiven += 1
                    blocked_since = None
                    continue
                woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), 0.005)
            if time.perf_counter() >= self.end:
                break
            await self.send(sock, p, seq)
            seq += 1

    async def closed_loop(self, p: int, sock: Sock) -> None:
        """At most `window` posts whose copy has not come back to the poster (--ack poster)."""
        gate = asyncio.Semaphore(self.window)
        inflight: dict[int, int] = {}

        def ack(poster: int, seq: int) -> None:
            if poster == p and inflight.pop(seq, None) is not None:
                gate.release()

        sock.acks = ack
        try:
            seq = 0
            while (left := self.end - time.perf_counter()) > 0:
                try:
                    await asyncio.wait_for(gate.acquire(), min(self.ack_timeout, left))
                except TimeoutError:
                    if left <= self.ack_timeout:
                        break  # the run ended while waiting
                    self.stalls += 1  # the oldest post in flight never came back: stop waiting for it
                    if inflight:
                        inflight.pop(min(inflight))
                inflight[seq] = now_ns()
                await self.send(sock, p, seq)
                seq += 1
        finally:
            sock.acks = None

    async def open_loop(self, p: int, sock: Sock) -> None:
        """Posts at this worker's share of `rate`, on schedule; the lag behind it is recorded."""
        per_poster = self.rate / len(self.worker.posters)
        offset = (p - self.first) / self.rate
        seq = 0
        while (due := self.start + offset + seq / per_poster) < self.end:
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                self.lags.append(-wait)
            await self.send(sock, p, seq)
            seq += 1

    async def run(self, mode: str, ack: str, confirm_timeout: float = 5.0) -> dict:
        worker = self.worker
        runner = {
            "closed": self.closed_loop_all if ack == "all" else self.closed_loop,
            "rate": self.open_loop,
        }[mode]
        posters = list(enumerate(worker.posters, self.first))
        results = await asyncio.gather(*(runner(p, sock) for p, sock in posters), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                worker.note_error(f"poster: {result!r}")
        elapsed = time.perf_counter() - self.start
        # Each post is either confirmed (the poster's own copy came back) or refused (an `error` named it);
        # wait a little for the last answers, so receivers are not made to wait for refused posts.
        confirm_end = time.perf_counter() + confirm_timeout
        while True:
            unconfirmed = sum(
                sock.missing([0] * p + [self.sent[p]], frozenset(r for r in worker.refused if r[0] == p))
                for p, sock in posters
            )
            if not unconfirmed or time.perf_counter() > confirm_end:
                break
            await asyncio.sleep(0.02)
        return {
            "refused": sorted(worker.refused),
            "refused_ms": worker.refused_ms,
            "unconfirmed": unconfirmed,
            "sent": self.sent,
            "first_send_ns": self.first_send,
            "last_send_ns": now_ns(),
            "elapsed_s": elapsed,
            "stalls": self.stalls,
            "max_lag_ms": round(max(self.lags) * 1000, 3) if self.lags else 0.0,
        }
