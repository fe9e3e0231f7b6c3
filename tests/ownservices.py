"""Redis and PostgreSQL servers owned by one test, so it can stop and restart them for real
without disturbing the machine's shared instances."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .servers import free_port


def _wait_for_port(port: int, up: bool, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} did not go {'up' if up else 'down'} in {seconds} s")


class OwnRedis:
    """A redis-server on a free port that keeps nothing on disk, like the deployed one."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.workdir)]
        log = (self.workdir / f"redis-{self.port}.log").open("a")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, up=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        _wait_for_port(self.port, up=False)


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise FileNotFoundError(f"PostgreSQL's {name} is not installed (Debian package postgresql)")
    return found[-1]


class OwnPostgres:
    """A throwaway PostgreSQL cluster (trust auth) on a free port, run as the postgres user."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.datadir = workdir / "pgdata"
        self.logfile = workdir / "postgres.log"

    def database_url(self, name: str = "wall") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)

    def init(self) -> None:
        self.datadir.mkdir(parents=True)
        for path in (self.datadir, self.datadir.parent):
            shutil.chown(path, "postgres", "postgres")
        os.chmod(self.datadir.parent, 0o755)
        self._as_postgres(_postgres_bin("initdb"), "-D", str(self.datadir), "-A", "trust", "-U", "postgres")
        self.start()
        subprocess.run(
            [_postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "wall"],
            check=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            _postgres_bin("pg_ctl"),
            "-D",
            str(self.datadir),
            "-l",
            str(self.logfile),
            "-o",
            options,
            "-w",
            "start",
        )
        _wait_for_port(self.port, up=True)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._as_postgres(
                _postgres_bin("pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"
            )
        _wait_for_port(self.port, up=False)
