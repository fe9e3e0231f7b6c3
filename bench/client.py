"""Load client: one worker process holding receiver and poster sockets, driven by JSON lines on stdin.

The coordinator (bench/clientpool.py) starts one or more of these; each answers every command with one
JSON line on stdout. Posts carry a marker (bench/wire.py), so each receiver counts lost and duplicated
deliveries and measures post→delivery latency itself. The parts: bench/transports.py (the WebSocket
libraries), bench/board.py (progress between processes), bench/sockets.py (a socket and a run's counts),
bench/worker.py (opening, reconnecting), bench/posting.py (the post loops), bench/tally.py (the account).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import sys

from bench import tally
from bench.board import Board
from bench.posting import PostRun
from bench.transports import make_transport
from bench.worker import Worker

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is in bench/requirements.txt
    uvloop = None


def _refused(c: dict) -> frozenset:
    return frozenset((p, seq) for p, seq in c.get("refused", []))


class Commands:
    """The coordinator's commands, one method each (`cmd` names the method)."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    async def open(self, c: dict) -> dict:
        return await self.worker.open_many(
            c["role"],
            c["count"],
            c.get("concurrency", 50),
            c.get("join", False),
            c.get("timeout", 20.0),
            c.get("retries", 1),
            c.get("deadline", 120.0),
        )

    async def probe(self, c: dict) -> dict:
        return await self.worker.probe(c["count"], c.get("timeout", 30.0))

    async def arm(self, c: dict) -> dict:
        self.worker.arm(c["tag"], c["posters"])
        return {"armed": c["tag"]}

    async def post(self, c: dict) -> dict:
        run = PostRun(
            self.worker,
            tag=c["tag"],
            duration=c["duration"],
            window=c.get("window", 8),
            rate=c.get("rate", 0.0),
            ack_timeout=c.get("ack_timeout", 5.0),
            first=c.get("first", 0),
        )
        return await run.run(c["mode"], c.get("ack", "all"))

    async def drain(self, c: dict) -> dict:
        return await tally.drain(self.worker, c["sent"], _refused(c), c["timeout"])

    async def settle(self, c: dict) -> dict:
        return await tally.settle(
            self.worker, c["sent"], _refused(c), c.get("quiet", 1.0), c.get("timeout", 30.0)
        )

    async def status(self, c: dict) -> dict:
        return tally.report(self.worker, c.get("sent", []), _refused(c))

    async def stall(self, c: dict) -> dict:
        """The first `count` receivers stop reading for `seconds` (slow readers), starting now."""
        loop = asyncio.get_running_loop()
        stalled = self.worker.receivers[: c["count"]]
        for sock in stalled:
            sock.flowing.clear()
            loop.call_later(c["seconds"], sock.flowing.set)
        return {"stalled": len(stalled)}

    async def drop(self, c: dict) -> dict:
        """Close the last `count` receivers as a network drop would: they reconnect (wall: ?since=)."""
        worker = self.worker
        dropped = worker.receivers[-c["count"] :] if c["count"] else []
        for sock in dropped:
            sock.dropped = True
        await asyncio.gather(*(worker.transport.close(sock.ws) for sock in dropped), return_exceptions=True)
        return {"dropped": len(dropped)}

    async def retarget(self, c: dict) -> dict:
        """Sockets that reconnect from now on go to `url` (another server process)."""
        self.worker.url = c["url"]
        return {"url": c["url"]}

    async def close(self, c: dict) -> dict:
        return await self.worker.close_all()


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
    commands = Commands(worker)

    def reply(obj: dict) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    reply({"event": "hello", "pid": os.getpid(), "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0]})
    while line := await reader.readline():
        command = json.loads(line)
        name = command.get("cmd")
        if name == "exit":
            break
        try:
            result = await getattr(commands, name)(command)
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
