"""CPU and memory of the processes a run involves: server, client workers, Redis, PostgreSQL, the machine."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import psutil

REDIS_NAMES = {"redis-server"}
POSTGRES_NAMES = {"postgres", "postmaster"}


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return []
    procs = [root]
    with contextlib.suppress(psutil.Error):
        procs.extend(root.children(recursive=True))
    return procs


def tree_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and their children (alive now)."""
    total = 0.0
    for pid in pids:
        for proc in _tree(pid):
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
    return total


def tree_rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for proc in _tree(pid):
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
    return total


def _named_cpu(names: set[str]) -> dict[int, float]:
    out: dict[int, float] = {}
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] in names:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                out[proc.pid] = times.user + times.system
    return out


def redis_pids(port: int) -> list[int]:
    """The Redis server listening on `port` (any redis-server if that can't be told)."""
    found = []
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] not in REDIS_NAMES:
            continue
        with contextlib.suppress(psutil.Error):
            for conn in proc.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port:
                    found.append(proc.pid)
                    break
    return found


@dataclass
class Snapshot:
    at: float
    server: float
    clients: dict[int, float]
    redis: float
    postgres: dict[int, float]
    machine_busy: float
    machine_total: float


@dataclass
class Meter:
    """Takes snapshots before and after a measured phase; `delta` says who used the CPU."""

    server_pids: list[int]
    client_pids: list[int]
    redis: list[int] = field(default_factory=list)

    def snapshot(self) -> Snapshot:
        cpu = psutil.cpu_times()
        idle = cpu.idle + getattr(cpu, "iowait", 0.0)
        total = sum(cpu)
        return Snapshot(
            at=time.perf_counter(),
            server=tree_cpu(self.server_pids),
            clients={pid: tree_cpu([pid]) for pid in self.client_pids},
            redis=tree_cpu(self.redis),
            postgres=_named_cpu(POSTGRES_NAMES),
            machine_busy=total - idle,
            machine_total=total,
        )

    @staticmethod
    def delta(before: Snapshot, after: Snapshot) -> dict:
        """CPU seconds used between two snapshots, and the wall-clock seconds between them.

        `other` is the machine's busy time that none of the measured processes account for:
        other engineers' work, the coordinator, the kernel.
        """
        wall = after.at - before.at
        clients = {pid: after.clients.get(pid, 0.0) - before.clients.get(pid, 0.0) for pid in after.clients}
        postgres = sum(cpu - before.postgres.get(pid, 0.0) for pid, cpu in after.postgres.items())
        server = after.server - before.server
        redis = after.redis - before.redis
        busy = after.machine_busy - before.machine_busy
        client_total = sum(clients.values())
        cores = psutil.cpu_count() or 1
        return {
            "wall_s": round(wall, 3),
            "server_s": round(server, 3),
            "client_s": round(client_total, 3),
            "client_max_busy": round(max(clients.values()) / wall, 3) if clients and wall > 0 else None,
            "redis_s": round(redis, 3),
            "postgres_s": round(postgres, 3),
            "machine_busy_s": round(busy, 3),
            "other_s": round(max(0.0, busy - server - client_total - redis - postgres), 3),
            "server_busy": round(server / wall, 3) if wall > 0 else None,
            "machine_busy": round(busy / (wall * cores), 3) if wall > 0 else None,
        }
