"""The coordinator's side of the load client: start the worker processes (bench/client.py), command them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.board import Board
from bench.processes import child_setup
from bench.servers import ROOT

BOARD_DIR = "/dev/shm"


def board_path(fallback: Path, tag: str) -> Path:
    """Where a pool's progress board lives: in memory (/dev/shm) when there is one."""
    folder = Path(BOARD_DIR) if os.path.isdir(BOARD_DIR) else fallback
    return folder / f"bench-{os.getpid()}-{tag}.board"


class WorkerFailed(RuntimeError):
    pass


@dataclass
class ClientWorker:
    name: str
    process: asyncio.subprocess.Process
    stderr_path: Path
    broken: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    async def request(self, command: dict, timeout: float) -> dict:
        """Send one command and wait (at most `timeout` s) for its answer."""
        if self.process.returncode is not None:
            raise WorkerFailed(f"client {self.name} exited ({self.process.returncode}): {self.stderr_tail()}")
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()
        while True:
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
            except TimeoutError:
                self.broken = True
                raise WorkerFailed(
                    f"client {self.name}: no answer to {command['cmd']} in {timeout:.0f} s"
                ) from None
            if not line:
                await asyncio.sleep(0.2)
                raise WorkerFailed(f"client {self.name} exited during {command['cmd']}: {self.stderr_tail()}")
            answer = json.loads(line)
            if answer.get("event") == command["cmd"]:
                if not answer.get("ok", False):
                    raise WorkerFailed(f"client {self.name} {command['cmd']}: {answer.get('error')}")
                return answer

    def stderr_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(Exception):
                self.process.stdin.write(b'{"cmd": "exit"}\n')
                await self.process.stdin.drain()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()


@dataclass
class ClientPool:
    """Receiver workers (sockets split between them) and one poster worker, for one server."""

    url: str
    kind: str
    log_dir: Path
    receiver_workers: int
    lib: str = "aiohttp"
    deflate: bool = False
    max_seconds: int = 1800
    receivers: list[ClientWorker] = field(default_factory=list)
    poster: ClientWorker | None = None
    board_path: Path | None = None

    @property
    def workers(self) -> list[ClientWorker]:
        return [*self.receivers, *([self.poster] if self.poster else [])]

    @property
    def pids(self) -> list[int]:
        return [worker.pid for worker in self.workers]

    async def _spawn(self, name: str, slot: int) -> ClientWorker:
        stderr_path = self.log_dir / f"client-{name}-{os.getpid()}.log"
        with stderr_path.open("w") as stderr:
            args = [
                "--url",
                self.url,
                "--kind",
                self.kind,
                "--lib",
                self.lib,
                "--max-seconds",
                str(self.max_seconds),
            ]
            args += [
                "--board",
                str(self.board_path),
                "--board-slots",
                str(self.receiver_workers),
                "--slot",
                str(slot),
            ]
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.client",
                *args,
                *(["--deflate"] if self.deflate else []),
                cwd=ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=child_setup,
                limit=1 << 26,
            )
        worker = ClientWorker(name, process, stderr_path)
        hello = await asyncio.wait_for(process.stdout.readline(), 30)
        if not hello:
            raise WorkerFailed(f"client {name} did not start: {worker.stderr_tail()}")
        return worker

    async def start(self, tag: str) -> None:
        self.board_path = board_path(self.log_dir, tag)
        Board.create(str(self.board_path), self.receiver_workers)
        spawned = await asyncio.gather(
            *(self._spawn(f"{tag}-r{i}", i) for i in range(self.receiver_workers)),
            self._spawn(f"{tag}-p", 0),
        )
        self.receivers, self.poster = list(spawned[:-1]), spawned[-1]

    async def all_receivers(self, command: dict, timeout: float) -> list[dict]:
        return list(await asyncio.gather(*(w.request(command, timeout) for w in self.receivers)))

    async def open_receivers(self, count: int, concurrency: int, timeout: float) -> dict:
        """Open `count` receivers split over the workers; concurrency is shared out the same way."""
        k = len(self.receivers)
        shares = [count // k + (1 if i < count % k else 0) for i in range(k)]
        per_worker = max(1, concurrency // k)
        answers = await asyncio.gather(
            *(
                w.request(
                    {
                        "cmd": "open",
                        "role": "receivers",
                        "count": n,
                        "concurrency": per_worker,
                        "deadline": timeout,
                    },
                    timeout + 60,
                )
                for w, n in zip(self.receivers, shares, strict=True)
                if n
            )
        )
        if not answers:
            return {
                "errors": [],
                "opened": 0,
                "failed": 0,
                "elapsed_s": 0.0,
                "ready_ms_p99": 0,
                "ready_ms_p50": 0,
            }
        return {
            "errors": [e for a in answers for e in a["errors"]][:5],
            "opened": sum(a["opened"] for a in answers),
            "failed": sum(a["failed"] for a in answers),
            "elapsed_s": max(a["elapsed_s"] for a in answers),
            "ready_ms_p99": max((a["ready_ms"]["p99"] or 0) for a in answers),
            "ready_ms_p50": max((a["ready_ms"]["p50"] or 0) for a in answers),
        }

    async def open_posters(self, count: int, timeout: float) -> dict:
        assert self.poster is not None
        return await self.poster.request(
            {
                "cmd": "open",
                "role": "posters",
                "count": count,
                "concurrency": count,
                "join": True,
                "deadline": timeout,
            },
            timeout + 60,
        )

    async def arm(self, tag: str, posters: int) -> None:
        await asyncio.gather(
            *(w.request({"cmd": "arm", "tag": tag, "posters": posters}, 30) for w in self.workers)
        )

    async def close(self) -> None:
        if any(w.broken for w in self.workers):
            self.kill()
            return
        with contextlib.suppress(Exception):
            await asyncio.gather(*(w.request({"cmd": "close"}, 60) for w in self.workers))
        await asyncio.gather(*(w.stop() for w in self.workers))
        self.remove_board()

    def remove_board(self) -> None:
        if self.board_path is not None:
            with contextlib.suppress(OSError):
                self.board_path.unlink()

    def kill(self) -> None:
        for worker in self.workers:
            if worker.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(worker.pid, signal.SIGKILL)
        self.remove_board()
