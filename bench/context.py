"""What a scenario works with: the run's context (plan, results, what is running), and the helpers that
start and stop servers and client pools, open sockets and record a failure without stopping the run."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import database
from bench.clientpool import ClientPool, WorkerFailed
from bench.plan import Plan
from bench.processes import Infra, ServerFailed, ServerProcess, clear_redis, start_server
from bench.servers import ServerSpec


@dataclass
class Context:
    plan: Plan
    infra: Infra
    log_dir: Path
    deadline: float
    say: Callable[[str], None]
    results: dict[str, Any] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    servers: list[ServerProcess] = field(default_factory=list)
    pools: list[ClientPool] = field(default_factory=list)
    tags: int = 0

    def tag(self, letter: str) -> str:
        self.tags += 1
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"
        n, text = self.tags, ""
        for _ in range(3):
            n, r = divmod(n, 36)
            text = digits[r] + text
        return letter + text

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def record(self, scenario: str, server: str, key: Any, value: Any) -> None:
        self.results.setdefault(scenario, {}).setdefault(server, {})[str(key)] = value

    def problem(
        self, scenario: str, spec: ServerSpec | None, error: BaseException | str, log_tail: str = ""
    ) -> None:
        entry = {
            "scenario": scenario,
            "server": spec.name if spec else None,
            "error": str(error),
            "log_tail": log_tail,
        }
        self.problems.append(entry)
        self.say(f"  !! {scenario} {entry['server']}: {error}")
        if log_tail:
            self.say(
                "     server log tail:\n" + "\n".join("     | " + line for line in log_tail.splitlines())
            )


class OutOfTime(RuntimeError):
    pass


async def start(ctx: Context, spec: ServerSpec, **where: str | int | None) -> ServerProcess:
    server = await start_server(spec, ctx.infra, ctx.log_dir, **where)
    ctx.servers.append(server)
    return server


def stop(ctx: Context, server: ServerProcess, scenario: str, stopped: bool = False) -> dict:
    """Stop a server; its log's errors and warnings become part of the results. `stopped`: the
    scenario stopped it on purpose (not a failure)."""
    alive = server.alive() or stopped
    server.stop()
    with contextlib.suppress(ValueError):
        ctx.servers.remove(server)
    count, lines = server.log_problems()
    already = any("died" in str(p["error"]) and p["server"] == server.spec.name for p in ctx.problems)
    if not alive and not already:
        ctx.problem(
            scenario,
            server.spec,
            f"server exited by itself (code {server.process.returncode})",
            server.log_tail(),
        )
    return {"log": str(server.log_path), "log_problem_lines": count, "log_problems": lines}


def retire(ctx: Context, server: ServerProcess, scenario: str, stopped: bool = False) -> None:
    """Stop a server and keep its log's account under `server_logs`."""
    entry = {"scenario": scenario, **stop(ctx, server, scenario, stopped)}
    ctx.results.setdefault("server_logs", {}).setdefault(server.spec.name, []).append(entry)


async def new_pool(
    ctx: Context, server: ServerProcess, receivers: int, name: str, workers: int | None = None
) -> ClientPool:
    """Client processes for `server`: receiver workers (the plan's number unless given) and a poster."""
    workers = workers or max(1, min(ctx.plan.receiver_workers, receivers))
    pool = ClientPool(
        server.ws_url,
        server.spec.client_kind,
        ctx.log_dir,
        workers,
        lib=ctx.plan.lib,
        deflate=ctx.plan.deflate,
        max_seconds=int(max(60, ctx.left() + 120)),
    )
    ctx.pools.append(pool)
    await pool.start(name)
    return pool


async def end_pool(ctx: Context, pool: ClientPool) -> None:
    try:
        await pool.close()
    finally:
        pool.kill()
        with contextlib.suppress(ValueError):
            ctx.pools.remove(pool)


def check_alive(server: ServerProcess) -> None:
    if not server.alive():
        raise ServerFailed(f"{server.spec.name} died (code {server.process.returncode})", server.log_tail())


async def open_sockets(
    ctx: Context, pool: ClientPool, server: ServerProcess, receivers: int, posters: int
) -> dict:
    timeout = 60 + receivers / 20
    opened = await pool.open_receivers(receivers, ctx.plan.connect_concurrency, timeout)
    check_alive(server)
    if opened["failed"] > max(10, receivers // 20):
        raise ServerFailed(
            f"{opened['failed']} of {receivers} sockets failed to open, e.g. {opened['errors'][:2]}",
            server.log_tail(),
        )
    if opened["failed"]:
        ctx.say(f"  {server.spec.name}: {opened['failed']} of {receivers} sockets failed to open")
    if posters:
        poster = await pool.open_posters(posters, 60)
        if poster["failed"]:
            raise ServerFailed(
                f"could not open {poster['failed']} poster socket(s): {poster['errors'][:2]}",
                server.log_tail(),
            )
    return opened


async def guarded(
    ctx: Context, scenario: str, spec: ServerSpec | None, body: Callable[[], Awaitable[None]]
) -> None:
    """Run a scenario body; record (not raise) a failure, with the server's log tail."""
    try:
        await body()
    except OutOfTime as error:
        ctx.problem(scenario, spec, f"skipped: {error}")
    except ServerFailed as error:
        ctx.problem(scenario, spec, error, error.log_tail)
    except (WorkerFailed, TimeoutError, OSError) as error:
        tail = next((s.log_tail() for s in ctx.servers if spec and s.spec.name == spec.name), "")
        ctx.problem(scenario, spec, f"{type(error).__name__}: {error}", tail)


def reset_state(ctx: Context, spec: ServerSpec) -> None:
    """Between scenarios: the wall's tables emptied (ids restart at 1), migrated if the code changed."""
    if spec.role == "wall":
        database.ensure_migrated(ctx.infra.database_url)
        database.truncate(ctx.infra.database_url)


async def cleanup(ctx: Context) -> None:
    """Stop every client and server this run started (also after an error or Ctrl+C)."""
    for pool in list(ctx.pools):
        pool.kill()
    for server in list(ctx.servers):
        server.stop(grace=3)
    ctx.pools.clear()
    ctx.servers.clear()
    with contextlib.suppress(Exception):
        clear_redis(ctx.infra)


@contextlib.asynccontextmanager
async def serving(ctx: Context, spec: ServerSpec, receivers: int, scenario: str) -> AsyncIterator[tuple]:
    """A fresh server of `spec` (tables emptied) and a client pool for it; both stopped after."""
    reset_state(ctx, spec)
    server = await start(ctx, spec)
    pool = None
    try:
        pool = await new_pool(ctx, server, receivers, f"{spec.name}-{scenario}")
        yield server, pool
    finally:
        if pool is not None:
            await end_pool(ctx, pool)
        retire(ctx, server, scenario)
