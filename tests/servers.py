"""Real server processes for tests: daphne on a free port, with its own environment, stopped after."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.serverkit import WALL_APP, daphne_args, free_port, healthy, uvicorn_args

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ServerProcess:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/wall/"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill(signal.SIGTERM)
        if self.process.poll() is None:
            self.kill(signal.SIGKILL)


def server_env(**overrides: str | None) -> dict[str, str]:
    """The test process's environment with overrides; None removes a variable."""
    env = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "wallsite.settings"}
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


# How each supported ASGI server is started on a port: daphne (make run, runserver) and uvicorn
# with websockets-sansio (the production default, docker-compose.yml).
COMMANDS: dict[str, Callable[[int], list[str]]] = {
    "daphne": lambda port: daphne_args(WALL_APP, port, max_message=True),
    "uvicorn": lambda port: uvicorn_args(WALL_APP, port, max_message=True),
}


def start_server(
    kind: str,
    env: dict[str, str],
    log_dir: Path,
    name: str | None = None,
    port: int | None = None,
    command: Callable[[int], list[str]] | None = None,
) -> ServerProcess:
    """Start the wall under `kind` (on a free port unless given) and wait for /healthz.
    `command` gives the interpreter's arguments for a port instead of COMMANDS[kind]."""
    port = port or free_port()
    name = name or kind
    log_path = log_dir / f"{name}-{port}.log"
    process = subprocess.Popen(
        [sys.executable, *(command or COMMANDS[kind])(port)],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    server = ServerProcess(process, port, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{server.log()}")
        if healthy(port):
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer /healthz in 30 s:\n{server.log()}")


def start_daphne(
    env: dict[str, str], log_dir: Path, name: str = "daphne", port: int | None = None
) -> ServerProcess:
    return start_server("daphne", env, log_dir, name, port)


@contextlib.contextmanager
def running_servers(count: int, env: dict[str, str], log_dir: Path) -> Iterator[list[ServerProcess]]:
    """`count` processes on one environment, alternating daphne and uvicorn: every cross-process
    test runs across both supported servers."""
    servers: list[ServerProcess] = []
    kinds = ["daphne", "uvicorn"]
    try:
        for index in range(count):
            kind = kinds[index % 2]
            servers.append(start_server(kind, env, log_dir, name=f"{kind}{index}"))
        yield servers
    finally:
        for server in servers:
            server.stop()
