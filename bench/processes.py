"""Server processes of a run: their environment, starting, waiting for, stopping, and the Redis keys they
leave behind."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import resource
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.serverkit import free_port, healthy, listening
from bench.servers import REF_A, REF_C, ROOT, ServerSpec

# What a server process may need open: its sockets, the wall's Redis pool (WALL_REDIS_MAX_CONNECTIONS,
# 2000 by default), database connections and its own files. Raised for every process started here.
NOFILE = 65536


@dataclass(frozen=True)
class Infra:
    """Where the wall's PostgreSQL and Redis are, and this run's key prefix."""

    database_url: str
    redis_url: str
    prefix: str = field(default_factory=lambda: f"bench-{os.getpid()}")
    # Extra environment for the wall's processes (--server-env), e.g. WALL_SOCKET_BACKLOG=10.
    wall_env: dict[str, str] = field(default_factory=dict)


def server_env(spec: ServerSpec, infra: Infra, instance: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DJANGO_LOG_LEVEL": "WARNING"}
    prefix = f"{infra.prefix}-{instance}"
    if spec.role == "wall":
        env.update(
            DJANGO_SETTINGS_MODULE="wallsite.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=f"bench-{secrets.token_urlsafe(32)}",
            DATABASE_URL=infra.database_url,
            REDIS_URL=infra.redis_url,
            WALL_REDIS_PREFIX=prefix,
            WALL_POST_RATE="off",
        )
        env.update(infra.wall_env)
    elif spec.role in (REF_A, REF_C):
        env.update(
            DJANGO_SETTINGS_MODULE="bench.reference_channels_settings",
            REDIS_URL=infra.redis_url,
            BENCH_REDIS_PREFIX=prefix,
        )
    env.update(spec.env)
    return env


def child_setup() -> None:
    """In each child: more file descriptors, and die with the benchmark (PR_SET_PDEATHSIG)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, NOFILE), max(hard, NOFILE)))
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


ERROR_LINE = re.compile(r"Traceback|ERROR|CRITICAL|Exception|Error:|WARNING", re.IGNORECASE)


@dataclass
class ServerProcess:
    spec: ServerSpec
    process: subprocess.Popen
    port: int
    log_path: Path
    instance: str
    started_at: float

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.spec.path}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_problems(self, limit: int = 20) -> tuple[int, list[str]]:
        """How many log lines look like errors or warnings, and the first `limit` distinct ones."""
        found = [line for line in self.log_text().splitlines() if ERROR_LINE.search(line)]
        distinct: list[str] = []
        for line in found:
            short = line[:300]
            if short not in distinct:
                distinct.append(short)
            if len(distinct) >= limit:
                break
        return len(found), distinct

    def stop(self, grace: float = 8.0) -> None:
        """SIGTERM to the process group, then SIGKILL after `grace` seconds."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


class ServerFailed(RuntimeError):
    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


_instances = 0


def spawn_server(
    spec: ServerSpec, infra: Infra, log_dir: Path, instance: str | None = None, port: int | None = None
) -> ServerProcess:
    """Start a server process in its own process group, its output to a log file. Processes given the
    same `instance` share their Redis keys (the wall's group, positions, presence)."""
    global _instances
    _instances += 1
    instance = instance or f"{_instances}"
    port = port or free_port()
    log_path = log_dir / f"{spec.name}-{_instances}.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            spec.argv(port),
            cwd=ROOT,
            env=server_env(spec, infra, instance),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=child_setup,
        )
    return ServerProcess(spec, process, port, log_path, instance, time.time())


async def start_server(
    spec: ServerSpec, infra: Infra, log_dir: Path, timeout: float = 45.0, **where: str | int | None
) -> ServerProcess:
    """Start a server and wait until it answers (the wall: /healthz); `where`: instance, port."""
    server = spawn_server(spec, infra, log_dir, **where)
    process, port = server.process, server.port
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"{spec.name} exited early (code {process.returncode})", server.log_tail())
        if await asyncio.to_thread(_answers, spec, port):
            return server
        await asyncio.sleep(0.2)
    tail = server.log_tail()
    server.stop()
    raise ServerFailed(f"{spec.name} did not answer in {timeout:.0f} s", tail)


def _answers(spec: ServerSpec, port: int) -> bool:
    return healthy(port) if spec.role == "wall" else listening(port)


def clear_redis(infra: Infra) -> int:
    """Delete every key this benchmark run wrote (its prefix only)."""
    import redis

    client = redis.Redis.from_url(infra.redis_url)
    deleted = 0
    try:
        batch = []
        for key in client.scan_iter(match=f"{infra.prefix}-*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += client.delete(*batch)
                batch = []
        if batch:
            deleted += client.delete(*batch)
    finally:
        client.close()
    return deleted
