"""Reference (b), the Python ceiling: a plain `websockets` server relaying each text frame to every socket."""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is in bench/requirements.txt
    uvloop = None

CONNECTED: set[ServerConnection] = set()


async def relay(websocket: ServerConnection) -> None:
    CONNECTED.add(websocket)
    try:
        async for message in websocket:
            if isinstance(message, str):
                broadcast(CONNECTED, message)
    finally:
        CONNECTED.discard(websocket)


async def serve_until_stopped(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    # Same keepalive as daphne's default (20 s ping); frames up to 1 MiB like the wall's outer guard.
    async with serve(relay, host, port, ping_interval=20, ping_timeout=30, max_size=1 << 20, backlog=2048):
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    runner = uvloop.run if uvloop is not None else asyncio.run
    runner(serve_until_stopped(args.host, args.port))


if __name__ == "__main__":
    main()
