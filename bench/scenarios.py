"""The scenarios: each starts what it measures, runs the client against it, and records figures per run."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import database, histogram
from bench.clientpool import ClientPool, WorkerFailed
from bench.processes import Infra, ServerFailed, ServerProcess, clear_redis, start_server
from bench.servers import ServerSpec
from bench.usage import Meter, redis_pids, tree_rss


@dataclass
class Plan:
    """Every knob of a benchmark run; `quick()` is the development variant."""

    runs: int = 3
    window: int = 4
    ack: str = "all"
    warmup_s: float = 0.5
    saturation_sockets: int = 1000
    saturation_s: float = 5.0
    sweep_points: list[int] = field(default_factory=lambda: [10, 100, 500, 1000, 2000])
    sweep_s: float = 2.0
    fixed_sockets: int = 1000
    fixed_rate: float = 10.0
    fixed_s: float = 10.0
    overload_sockets: int = 100
    overload_posters: int = 10
    overload_rate: float = 40.0
    overload_s: float = 4.0
    # Of the overload sockets, this many stop reading for overload_stall_s at the start of each run.
    overload_stalled: int = 10
    overload_stall_s: float = 2.5
    # ... and this many are dropped (closed by the client) halfway: they reconnect, the wall's with ?since=.
    overload_dropped: int = 5
    connect_sockets: int = 1000
    # Quick mode takes the connect figures from the idle soak (same N) instead of separate runs.
    connect_in_soak: bool = False
    soak_sockets: int = 5000
    soak_s: float = 60.0
    history_sizes: list[int] = field(default_factory=lambda: [1000, 1_000_000])
    history_connects: int = 200
    drain_timeout: float = 10.0
    settle_timeout: float = 15.0
    receiver_workers: int = 2
    connect_concurrency: int = 50
    lib: str = "aiohttp"
    deflate: bool = False

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            runs=1,
            saturation_s=3.0,
            sweep_points=[100, 1000],
            sweep_s=2.0,
            fixed_s=5.0,
            overload_s=3.0,
            overload_stall_s=2.0,
            connect_in_soak=True,
            soak_sockets=1000,
            soak_s=10.0,
            history_connects=100,
            drain_timeout=8.0,
            settle_timeout=10.0,
        )


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


# --- helpers ---------------------------------------------------------------------------------------


def spread(values: list[float | None]) -> dict[str, float | None]:
    """Median with min and max, of the runs that produced a value."""
    present = [v for v in values if v is not None]
    if not present:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(present), "min": min(present), "max": max(present), "n": len(present)}


async def start(ctx: Context, spec: ServerSpec) -> ServerProcess:
    server = await start_server(spec, ctx.infra, ctx.log_dir)
    ctx.servers.append(server)
    return server


def stop(ctx: Context, server: ServerProcess, scenario: str) -> dict:
    """Stop a server; its log's errors and warnings become part of the results."""
    alive = server.alive()
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


async def new_pool(ctx: Context, server: ServerProcess, receivers: int, name: str) -> ClientPool:
    workers = max(1, min(ctx.plan.receiver_workers, receivers))
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


def meter_for(ctx: Context, server: ServerProcess, pool: ClientPool) -> Meter:
    return Meter([server.pid], pool.pids, redis_pids(_redis_port(ctx.infra.redis_url)))


def _redis_port(url: str) -> int:
    from urllib.parse import urlsplit

    return urlsplit(url).port or 6379


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


async def one_run(
    ctx: Context,
    server: ServerProcess,
    pool: ClientPool,
    *,
    mode: str,
    posters: int,
    duration: float,
    window: int = 0,
    rate: float = 0.0,
    warmup: bool = True,
    stall: tuple[int, float] | None = None,
    drop: int = 0,
) -> dict:
    """Warm up, then one measured run: post, wait for stragglers, count, and meter the CPU."""
    plan = ctx.plan
    if ctx.left() < duration + plan.drain_timeout:
        raise OutOfTime("time budget exhausted")
    if warmup and plan.warmup_s > 0:
        tag = ctx.tag("W")
        await pool.arm(tag, posters)
        post = await pool.poster.request(
            {
                "cmd": "post",
                "mode": mode,
                "tag": tag,
                "duration": plan.warmup_s,
                "window": window,
                "rate": rate,
                "ack": plan.ack,
            },
            plan.warmup_s + 60,
        )
        await pool.all_receivers(
            {"cmd": "drain", "sent": post["sent"], "refused": post["refused"], "timeout": plan.drain_timeout},
            plan.drain_timeout + 60,
        )
    tag = ctx.tag("M")
    await pool.arm(tag, posters)
    meter = meter_for(ctx, server, pool)
    before = meter.snapshot()
    if stall:
        count, seconds = stall
        k = len(pool.receivers)
        await asyncio.gather(
            *(
                w.request({"cmd": "stall", "count": count // k + (i < count % k), "seconds": seconds}, 30)
                for i, w in enumerate(pool.receivers)
            )
        )
    dropper = None
    if drop:

        async def drop_halfway() -> None:
            await asyncio.sleep(duration / 2)
            await pool.receivers[0].request({"cmd": "drop", "count": drop}, 30)

        dropper = asyncio.create_task(drop_halfway())
    post = await pool.poster.request(
        {
            "cmd": "post",
            "mode": mode,
            "tag": tag,
            "duration": duration,
            "window": window,
            "rate": rate,
            "ack": plan.ack,
        },
        duration + 60,
    )
    if dropper is not None:
        await dropper
    reports = await pool.all_receivers(
        {"cmd": "drain", "sent": post["sent"], "refused": post["refused"], "timeout": plan.drain_timeout},
        plan.drain_timeout + 60,
    )
    at_deadline = sum(r["unique"] for r in reports)
    late, settle_s = 0, 0.0
    if not all(r["complete"] for r in reports):
        # Stragglers past the bounded wait: let the backlog run out before the next run, and count them
        # (they stay in the figures: deliveries, latency and CPU cover everything that arrived).
        reports = await pool.all_receivers(
            {
                "cmd": "settle",
                "sent": post["sent"],
                "refused": post["refused"],
                "quiet": 1.0,
                "timeout": plan.settle_timeout,
            },
            plan.settle_timeout + 60,
        )
        late = sum(r["unique"] for r in reports) - at_deadline
        settle_s = max(r["settle_s"] for r in reports)
    after = meter.snapshot()
    poster = await pool.poster.request(
        {"cmd": "status", "sent": post["sent"], "refused": post["refused"]}, 30
    )
    check_alive(server)
    summary = summarize(post, reports, poster, Meter.delta(before, after))
    return {
        **summary,
        "late": late,
        "settle_s": settle_s,
        "undelivered_at_deadline": summary["expected"] - at_deadline,
    }


def summarize(post: dict, reports: list[dict], poster: dict, cpu: dict) -> dict:
    sent = sum(post["sent"])
    receivers = sum(r["receivers"] for r in reports)
    unique = sum(r["unique"] for r in reports)
    last_recv = max((r["last_recv_ns"] for r in reports), default=0)
    span = (last_recv - post["first_send_ns"]) / 1e9 if last_recv and post["first_send_ns"] else None
    merged = histogram.merge(r["hist"] for r in reports)
    close_codes: dict[str, int] = {}
    for report in reports:
        for code, count in report["close_codes"].items():
            close_codes[code] = close_codes.get(code, 0) + count
    errors = [e for r in reports for e in r["errors"]][:5] + poster["errors"][:5]
    per = (lambda s: round(s * 1e6 / unique, 2)) if unique else (lambda s: None)
    refused = len(post["refused"])
    return {
        "posts": sent,
        "refused": refused,
        "unconfirmed": post["unconfirmed"],
        "receivers": receivers,
        "expected": (sent - refused) * receivers,
        "deliveries": unique,
        "live_deliveries": sum(r["deliveries"] for r in reports),
        "duplicates": sum(r["duplicates"] for r in reports),
        "lost_silently": sum(r["lost_silently"] for r in reports),
        "lost_on_closed": sum(r["lost_on_closed"] for r in reports),
        "resumed": sum(r["resumed"] for r in reports),
        "closed_sockets": sum(r["closed_sockets"] for r in reports),
        "dropped_sockets": sum(r["dropped_sockets"] for r in reports),
        "close_codes": close_codes,
        "resets": sum(r["resets"] for r in reports),
        "reconnects": sum(r["reconnects"] for r in reports),
        "reconnect_failures": sum(r["reconnect_failures"] for r in reports),
        "poster_closes": poster["poster_closes"],
        "poster_server_errors": poster["server_errors"],
        "stalls": post["stalls"],
        "poster_max_lag_ms": post["max_lag_ms"],
        "post_s": round(post["elapsed_s"], 3),
        "span_s": round(span, 3) if span else None,
        "drain_wait_s": max(r["drain_wait_s"] for r in reports),
        "deliveries_per_s": round(unique / span, 1) if span else None,
        "latency_ms": histogram.percentiles(merged),
        "cpu": cpu,
        "server_us_per_delivery": per(cpu["server_s"]),
        "redis_us_per_delivery": per(cpu["redis_s"]),
        "client_us_per_delivery": per(cpu["client_s"]),
        "client_errors": errors,
        "client_error_count": sum(r["error_count"] for r in reports) + poster["error_count"],
    }


def aggregate(runs: list[dict]) -> dict:
    """The figures of several runs as median, min and max."""

    def values(get: Callable[[dict], Any]) -> list:
        out = []
        for run in runs:
            try:
                out.append(get(run))
            except (KeyError, TypeError):
                out.append(None)
        return out

    return {
        "runs": len(runs),
        "deliveries_per_s": spread(values(lambda r: r["deliveries_per_s"])),
        "p50_ms": spread(values(lambda r: r["latency_ms"]["p50"])),
        "p95_ms": spread(values(lambda r: r["latency_ms"]["p95"])),
        "p99_ms": spread(values(lambda r: r["latency_ms"]["p99"])),
        "server_us_per_delivery": spread(values(lambda r: r["server_us_per_delivery"])),
        "redis_us_per_delivery": spread(values(lambda r: r["redis_us_per_delivery"])),
        "client_us_per_delivery": spread(values(lambda r: r["client_us_per_delivery"])),
        "server_busy": spread(values(lambda r: r["cpu"]["server_busy"])),
        "client_max_busy": spread(values(lambda r: r["cpu"]["client_max_busy"])),
        "machine_busy": spread(values(lambda r: r["cpu"]["machine_busy"])),
        "other_s": spread(values(lambda r: r["cpu"]["other_s"])),
        "lost_silently": sum(r["lost_silently"] for r in runs),
        "lost_on_closed": sum(r["lost_on_closed"] for r in runs),
        "duplicates": sum(r["duplicates"] for r in runs),
        "closed_sockets": sum(r["closed_sockets"] for r in runs),
        "dropped_sockets": sum(r["dropped_sockets"] for r in runs),
        "resumed": sum(r["resumed"] for r in runs),
        "expected": sum(r["expected"] for r in runs),
        "deliveries": sum(r["deliveries"] for r in runs),
        "posts": sum(r["posts"] for r in runs),
        "refused": sum(r["refused"] for r in runs),
        "unconfirmed": sum(r["unconfirmed"] for r in runs),
        "stalls": sum(r["stalls"] for r in runs),
        "late": sum(r.get("late", 0) for r in runs),
        "undelivered_at_deadline": sum(r.get("undelivered_at_deadline", 0) for r in runs),
        "client_error_count": sum(r["client_error_count"] for r in runs),
    }


def brief(run: dict) -> str:
    lat = run["latency_ms"]
    cpu = run["cpu"]
    return (
        f"{run['deliveries_per_s'] or 0:,.0f} deliveries/s, {run['posts']} posts ({run['refused']} refused),"
        f" p50 {lat['p50']} p99 {lat['p99']} ms, lost {run['lost_silently']}+{run['lost_on_closed']}"
        f" dup {run['duplicates']} closed {run['closed_sockets']};"
        f" cpu server {cpu['server_s']} s ({run['server_us_per_delivery']} µs/dlv) client {cpu['client_s']} s"
        f" redis {cpu['redis_s']} s pg {cpu['postgres_s']} s other {cpu['other_s']} s / {cpu['wall_s']} s"
    )


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


# --- scenarios -------------------------------------------------------------------------------------


def reset_state(ctx: Context, spec: ServerSpec) -> None:
    """Between scenarios: the wall's tables emptied (ids restart at 1), migrated if the code changed."""
    if spec.role == "wall":
        database.ensure_migrated(ctx.infra.database_url)
        database.truncate(ctx.infra.database_url)


async def scenario_connect(ctx: Context, spec: ServerSpec) -> None:
    """Time to open N sockets and receive history (wall) or the handshake (references); RSS after."""
    plan = ctx.plan
    reset_state(ctx, spec)
    server = await start(ctx, spec)
    pool = None
    try:
        pool = await new_pool(ctx, server, plan.connect_sockets, f"{spec.name}-connect")
        await pool.receivers[0].request({"cmd": "probe", "count": 5, "timeout": 30}, 120)
        baseline = tree_rss([server.pid])
        runs = []
        for index in range(plan.runs):
            if ctx.left() < 60:
                raise OutOfTime("time budget exhausted")
            meter = meter_for(ctx, server, pool)
            before = meter.snapshot()
            opened = await open_sockets(ctx, pool, server, plan.connect_sockets, 0)
            cpu = Meter.delta(before, meter.snapshot())
            rss = tree_rss([server.pid])
            run = {
                **opened,
                "rss_mb": round(rss / 2**20, 1),
                "rss_per_socket_kb": round((rss - baseline) / 1024 / max(1, opened["opened"]), 1),
                "cpu": cpu,
            }
            runs.append(run)
            ctx.say(
                f"  connect {spec.name} run {index + 1}: {opened['opened']} open"
                f" in {opened['elapsed_s']:.2f} s"
                f" (failed {opened['failed']}, ready p50 {opened['ready_ms_p50']:.0f}"
                f" p99 {opened['ready_ms_p99']:.0f} ms),"
                f" server RSS +{run['rss_per_socket_kb']} KB/socket, server cpu {cpu['server_s']} s"
            )
            await asyncio.gather(*(w.request({"cmd": "close"}, 120) for w in pool.receivers))
            await asyncio.sleep(0.5)
        ctx.results.setdefault("connect", {})[spec.name] = {
            "sockets": plan.connect_sockets,
            "connect_s": spread([r["elapsed_s"] for r in runs]),
            "ready_p99_ms": spread([r["ready_ms_p99"] for r in runs]),
            "failed": sum(r["failed"] for r in runs),
            "rss_per_socket_kb_first_run": runs[0]["rss_per_socket_kb"] if runs else None,
            "baseline_rss_mb": round(baseline / 2**20, 1),
            "runs_detail": runs,
        }
    finally:
        if pool is not None:
            await end_pool(ctx, pool)
        ctx.results.setdefault("server_logs", {}).setdefault(spec.name, []).append(
            {"scenario": "connect", **stop(ctx, server, "connect")}
        )


async def scenario_fanout(
    ctx: Context, spec: ServerSpec, *, sweep: bool = True, overload: bool = True
) -> None:
    """On one server process: the sweep of closed-loop saturation over socket counts (with the fixed-rate
    runs at their point), then the overload runs."""
    plan = ctx.plan
    server = await start(ctx, spec)
    try:
        for sockets in plan.sweep_points if sweep else []:
            await guarded(ctx, "fanout", spec, lambda sockets=sockets: fanout_point(ctx, server, sockets))
            if not server.alive():
                return  # reported once by guarded(); the rest of this session is skipped
        if overload:
            await guarded(ctx, "overload", spec, lambda: overload_runs(ctx, server))
    finally:
        ctx.results.setdefault("server_logs", {}).setdefault(spec.name, []).append(
            {"scenario": "fanout+overload", **stop(ctx, server, "fanout")}
        )


async def fanout_point(ctx: Context, server: ServerProcess, sockets: int) -> None:
    plan = ctx.plan
    spec = server.spec
    reset_state(ctx, spec)
    pool = await new_pool(ctx, server, sockets, f"{spec.name}-n{sockets}")
    try:
        opened = await open_sockets(ctx, pool, server, sockets, 1)
        ctx.say(f"  {spec.name} N={sockets}: opened in {opened['elapsed_s']:.2f} s")
        duration = plan.saturation_s if sockets == plan.saturation_sockets else plan.sweep_s
        runs = []
        for index in range(plan.runs):
            run = await one_run(
                ctx,
                server,
                pool,
                mode="closed",
                posters=1,
                duration=duration,
                window=plan.window,
                warmup=index == 0,
            )
            runs.append(run)
            ctx.say(f"  saturation {spec.name} N={sockets} run {index + 1}: {brief(run)}")
        point = {"sockets": sockets, "duration_s": duration, **aggregate(runs), "runs_detail": runs}
        ctx.record("sweep", spec.name, sockets, point)
        if sockets == plan.saturation_sockets:
            ctx.results.setdefault("saturation", {})[spec.name] = point
        if sockets != plan.fixed_sockets:
            return
        runs = []
        for index in range(plan.runs):
            run = await one_run(
                ctx,
                server,
                pool,
                mode="rate",
                posters=1,
                duration=plan.fixed_s,
                rate=plan.fixed_rate,
                warmup=False,
            )
            runs.append(run)
            ctx.say(f"  fixed-rate {spec.name} run {index + 1}: {brief(run)}")
            if run["undelivered_at_deadline"] and index + 1 < plan.runs:
                ctx.say(f"  fixed-rate {spec.name}: does not keep up with the offered rate; no further runs")
                break
        ctx.results.setdefault("fixed", {})[spec.name] = {
            "sockets": sockets,
            "rate": plan.fixed_rate,
            "duration_s": plan.fixed_s,
            **aggregate(runs),
            "runs_detail": runs,
        }
    finally:
        await end_pool(ctx, pool)


async def overload_runs(ctx: Context, server: ServerProcess) -> None:
    """Many posters over a few sockets: is anything lost without the socket being closed?"""
    plan = ctx.plan
    spec = server.spec
    reset_state(ctx, spec)
    pool = await new_pool(ctx, server, plan.overload_sockets, f"{spec.name}-overload")
    try:
        await open_sockets(ctx, pool, server, plan.overload_sockets, plan.overload_posters)
        runs = []
        for index in range(plan.runs):
            run = await one_run(
                ctx,
                server,
                pool,
                mode="rate",
                posters=plan.overload_posters,
                duration=plan.overload_s,
                rate=plan.overload_rate,
                warmup=False,
                stall=(plan.overload_stalled, plan.overload_stall_s),
                drop=plan.overload_dropped,
            )
            runs.append(run)
            ctx.say(f"  overload {spec.name} run {index + 1}: {brief(run)}, resumed {run['resumed']}")
        ctx.results.setdefault("overload", {})[spec.name] = {
            "sockets": plan.overload_sockets,
            "posters": plan.overload_posters,
            "rate": plan.overload_rate,
            "duration_s": plan.overload_s,
            "stalled": plan.overload_stalled,
            "stall_s": plan.overload_stall_s,
            "dropped": plan.overload_dropped,
            **aggregate(runs),
            "poster_server_errors": [r["poster_server_errors"] for r in runs],
            "runs_detail": runs,
        }
    finally:
        await end_pool(ctx, pool)


async def scenario_soak(ctx: Context, specs: list[ServerSpec]) -> None:
    """Idle sockets on every server at once: RSS per idle socket, then a quiet spell, then a liveness post."""
    plan = ctx.plan
    walls = [s for s in specs if s.role == "wall"]
    if walls:
        reset_state(ctx, walls[0])
    held: list[tuple[ServerSpec, ServerProcess, ClientPool, dict]] = []
    try:
        for spec in specs:
            if ctx.left() < plan.soak_s + 120:
                ctx.problem("soak", spec, "skipped: time budget exhausted")
                continue

            async def hold_one(spec: ServerSpec = spec) -> None:
                server = await start(ctx, spec)
                pool = await new_pool(ctx, server, plan.soak_sockets, f"{spec.name}-soak")
                entry: dict = {}
                held.append((spec, server, pool, entry))
                await pool.receivers[0].request({"cmd": "probe", "count": 5, "timeout": 30}, 120)
                baseline = tree_rss([server.pid])
                opened = await open_sockets(ctx, pool, server, plan.soak_sockets, 1)
                rss = tree_rss([server.pid])
                entry.update(
                    sockets=plan.soak_sockets,
                    opened=opened["opened"],
                    failed=opened["failed"],
                    connect_s=round(opened["elapsed_s"], 2),
                    baseline_rss_mb=round(baseline / 2**20, 1),
                    rss_mb=round(rss / 2**20, 1),
                    rss_per_socket_kb=round((rss - baseline) / 1024 / max(1, opened["opened"]), 1),
                )
                if plan.connect_in_soak and plan.soak_sockets == plan.connect_sockets:
                    ctx.results.setdefault("connect", {})[spec.name] = {
                        "sockets": plan.soak_sockets,
                        "connect_s": spread([opened["elapsed_s"]]),
                        "ready_p99_ms": spread([opened["ready_ms_p99"]]),
                        "failed": opened["failed"],
                        "rss_per_socket_kb_first_run": entry["rss_per_socket_kb"],
                        "baseline_rss_mb": entry["baseline_rss_mb"],
                        "from": "soak",
                    }
                ctx.say(
                    f"  soak {spec.name}: {opened['opened']} idle sockets open"
                    f" in {opened['elapsed_s']:.1f} s,"
                    f" server RSS {entry['baseline_rss_mb']} → {entry['rss_mb']} MB"
                    f" ({entry['rss_per_socket_kb']} KB/socket)"
                )

            await guarded(ctx, "soak", spec, hold_one)
        if not held:
            return
        meters = [(meter_for(ctx, server, pool), server) for _, server, pool, _ in held]
        befores = [meter.snapshot() for meter, _ in meters]
        ctx.say(f"  soak: holding {len(held)} server(s) quiet for {plan.soak_s:.0f} s")
        await asyncio.sleep(plan.soak_s)
        for (spec, server, pool, entry), (meter, _), before in zip(held, meters, befores, strict=True):
            entry["idle_cpu"] = Meter.delta(before, meter.snapshot())

            async def check_one(
                spec: ServerSpec = spec,
                server: ServerProcess = server,
                pool: ClientPool = pool,
                entry: dict = entry,
            ) -> None:
                check_alive(server)
                status = await pool.all_receivers({"cmd": "status", "sent": []}, 60)
                entry["dropped"] = sum(r["closed_sockets"] for r in status)
                entry["close_codes"] = [r["close_codes"] for r in status]
                # One post after the quiet spell: every idle socket must still deliver.
                run = await one_run(
                    ctx, server, pool, mode="rate", posters=1, duration=1.0, rate=1.0, warmup=False
                )
                entry["liveness_expected"] = run["expected"]
                entry["liveness_delivered"] = run["deliveries"]
                entry["dropped"] += run["closed_sockets"]
                ctx.say(
                    f"  soak {spec.name}: {entry['dropped']} dropped during {plan.soak_s:.0f} s;"
                    f" liveness post reached {run['deliveries']}/{run['expected']};"
                    f" idle server cpu {entry['idle_cpu']['server_s']} s"
                )

            await guarded(ctx, "soak", spec, check_one)
            entry["seconds"] = plan.soak_s
            ctx.results.setdefault("soak", {})[spec.name] = entry
    finally:
        for spec, server, pool, _ in held:
            await end_pool(ctx, pool)
            ctx.results.setdefault("server_logs", {}).setdefault(spec.name, []).append(
                {"scenario": "soak", **stop(ctx, server, "soak")}
            )


async def scenario_history(ctx: Context, specs: list[ServerSpec]) -> None:
    """Open → `messages` latency over sequential connects, with a small then a large post table (wall only).

    Each server is started once and stays idle while the table grows between the two measurements.
    """
    plan = ctx.plan
    url = ctx.infra.database_url
    reset_state(ctx, specs[0])
    out = ctx.results.setdefault("history", {"explain": {}, "fill_s": {}})
    running: list[tuple[ServerSpec, ServerProcess, ClientPool]] = []
    try:
        for spec in specs:

            async def launch(spec: ServerSpec = spec) -> None:
                server = await start(ctx, spec)
                pool = await new_pool(ctx, server, 1, f"{spec.name}-history")
                running.append((spec, server, pool))

            await guarded(ctx, "history", spec, launch)
        for size in plan.history_sizes:
            if ctx.left() < 60:
                ctx.problem("history", None, f"skipped {size:,} posts: time budget exhausted")
                break
            fill_s = await asyncio.to_thread(database.fill_history, url, size)
            out["fill_s"][str(size)] = round(fill_s, 2)
            ctx.say(f"  history: {size:,} posts in the table (filled in {fill_s:.1f} s)")
            out["explain"][str(size)] = await asyncio.to_thread(database.explain_history, url)
            for spec, server, pool in running:
                await guarded(
                    ctx,
                    "history",
                    spec,
                    lambda server=server, pool=pool, size=size: history_probe(ctx, server, pool, size),
                )
    finally:
        for spec, server, pool in running:
            await end_pool(ctx, pool)
            ctx.results.setdefault("server_logs", {}).setdefault(spec.name, []).append(
                {"scenario": "history", **stop(ctx, server, "history")}
            )
        database.truncate(url)


async def history_probe(ctx: Context, server: ServerProcess, pool: ClientPool, size: int) -> None:
    plan = ctx.plan
    spec = server.spec
    check_alive(server)
    worker = pool.receivers[0]
    await worker.request({"cmd": "probe", "count": 5, "timeout": 30}, 120)  # warm-up
    answer = await worker.request(
        {"cmd": "probe", "count": plan.history_connects, "timeout": 30}, 60 + plan.history_connects
    )
    latencies = sorted(answer["latencies_ms"])

    def pick(q: float) -> float | None:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else None

    entry = {
        "connects": len(latencies),
        "failed": answer["failed"],
        "p50_ms": pick(0.5),
        "p99_ms": pick(0.99),
        "max_ms": latencies[-1] if latencies else None,
    }
    ctx.record("history", spec.name, size, entry)
    ctx.say(
        f"  history {spec.name} with {size:,} posts: open→messages p50 {entry['p50_ms']} ms,"
        f" p99 {entry['p99_ms']} ms over {entry['connects']} connects (failed {entry['failed']})"
    )


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
