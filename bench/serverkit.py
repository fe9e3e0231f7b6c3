"""The one server kit of the bench and the tests: the commands that serve an ASGI app on a port, a free
port, and the health check (standard library only: the tests import it without the bench's packages)."""

from __future__ import annotations

import socket
import urllib.request

WALL_APP = "wallsite.asgi:application"
# The largest frame the wall takes (docs/protocol.md): the servers' own limits are set to it.
MAX_MESSAGE = "1048576"


def daphne_args(app: str, port: int, *, max_message: bool = False) -> list[str]:
    """The interpreter's arguments that serve `app` with daphne on 127.0.0.1:`port`."""
    limit = ["--websocket-max-message-size", MAX_MESSAGE] if max_message else []
    return ["-m", "daphne", "--bind", "127.0.0.1", "--port", str(port), *limit, app]


def uvicorn_args(
    app: str, port: int, *, ws: str = "websockets-sansio", loop: str | None = None, max_message: bool = False
) -> list[str]:
    """The interpreter's arguments that serve `app` with uvicorn's `ws` engine on 127.0.0.1:`port`."""
    args = ["-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--ws", ws]
    if loop:
        args += ["--loop", loop]
    if max_message:
        args += ["--ws-max-size", MAX_MESSAGE]
    return [*args, "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(port: int, timeout: float = 2.0) -> bool:
    """Whether the wall on `port` answers /healthz with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def listening(port: int) -> bool:
    """Whether anything accepts TCP connections on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
