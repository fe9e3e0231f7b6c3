"""Sockets opening and staying idle: the time to connect N sockets (and RSS after), and the soak (idle
sockets on every server at once, a quiet spell, then a post that must reach them all)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bench.clientpool import ClientPool
from bench.context import (
    Context,
    OutOfTime,
    check_alive,
    end_pool,
    guarded,
    new_pool,
    open_sockets,
    reset_state,
    retire,
    serving,
    start,
)
from bench.figures import spread
from bench.processes import ServerProcess
from bench.runs import one_run, single
from bench.servers import ServerSpec
from bench.usage import tree_rss


async def scenario_connect(ctx: Context, spec: ServerSpec) -> None:
    """Time to open N sockets and receive history (wall) or the handshake (references); RSS after."""
    plan = ctx.plan
    async with serving(ctx, spec, plan.connect_sockets, "connect") as (server, pool):
        await pool.receivers[0].request({"cmd": "probe", "count": 5, "timeout": 30}, 120)
        baseline = tree_rss([server.pid])
        runs = []
        for index in range(plan.runs):
            if ctx.left() < 60:
                raise OutOfTime("time budget exhausted")
            runs.append(await connect_once(ctx, server, pool, baseline, index))
        ctx.results.setdefault("connect", {})[spec.name] = {
            "sockets": plan.connect_sockets,
            "connect_s": spread([r["elapsed_s"] for r in runs]),
            "ready_p99_ms": spread([r["ready_ms_p99"] for r in runs]),
            "failed": sum(r["failed"] for r in runs),
            "rss_per_socket_kb_first_run": runs[0]["rss_per_socket_kb"] if runs else None,
            "baseline_rss_mb": round(baseline / 2**20, 1),
            "runs_detail": runs,
        }


async def connect_once(
    ctx: Context, server: ServerProcess, pool: ClientPool, baseline: int, index: int
) -> dict:
    """Open the plan's N sockets, measure, close them all."""
    meter = single(server, pool).meter(ctx)
    before = meter.snapshot()
    opened = await open_sockets(ctx, pool, server, ctx.plan.connect_sockets, 0)
    cpu = meter.delta(before, meter.snapshot())
    rss = tree_rss([server.pid])
    run = {
        **opened,
        "rss_mb": round(rss / 2**20, 1),
        "rss_per_socket_kb": round((rss - baseline) / 1024 / max(1, opened["opened"]), 1),
        "cpu": cpu,
    }
    ctx.say(
        f"  connect {server.spec.name} run {index + 1}: {opened['opened']} open"
        f" in {opened['elapsed_s']:.2f} s"
        f" (failed {opened['failed']}, ready p50 {opened['ready_ms_p50']:.0f}"
        f" p99 {opened['ready_ms_p99']:.0f} ms),"
        f" server RSS +{run['rss_per_socket_kb']} KB/socket, server cpu {cpu['server_s']} s"
    )
    await asyncio.gather(*(w.request({"cmd": "close"}, 120) for w in pool.receivers))
    await asyncio.sleep(0.5)
    return run


@dataclass
class Held:
    """One server of the soak, its idle sockets, and what was found."""

    spec: ServerSpec
    server: ServerProcess
    pool: ClientPool
    entry: dict = field(default_factory=dict)


async def scenario_soak(ctx: Context, specs: list[ServerSpec]) -> None:
    """Idle sockets on every server at once: RSS per idle socket, then a quiet spell, then a liveness post."""
    plan = ctx.plan
    walls = [s for s in specs if s.role == "wall"]
    if walls:
        reset_state(ctx, walls[0])
    held: list[Held] = []
    try:
        for spec in specs:
            if ctx.left() < plan.soak_s + 120:
                ctx.problem("soak", spec, "skipped: time budget exhausted")
                continue
            await guarded(ctx, "soak", spec, lambda spec=spec: hold_idle(ctx, spec, held))
        if not held:
            return
        meters = [single(h.server, h.pool).meter(ctx) for h in held]
        befores = [meter.snapshot() for meter in meters]
        ctx.say(f"  soak: holding {len(held)} server(s) quiet for {plan.soak_s:.0f} s")
        await asyncio.sleep(plan.soak_s)
        for one, meter, before in zip(held, meters, befores, strict=True):
            one.entry["idle_cpu"] = meter.delta(before, meter.snapshot())
            await guarded(ctx, "soak", one.spec, lambda one=one: check_liveness(ctx, one))
            one.entry["seconds"] = plan.soak_s
            ctx.results.setdefault("soak", {})[one.spec.name] = one.entry
    finally:
        for one in held:
            await end_pool(ctx, one.pool)
            retire(ctx, one.server, "soak")


async def hold_idle(ctx: Context, spec: ServerSpec, held: list[Held]) -> None:
    """Start `spec`, open the soak's sockets on it and keep them (in `held`)."""
    plan = ctx.plan
    server = await start(ctx, spec)
    one = Held(spec, server, await new_pool(ctx, server, plan.soak_sockets, f"{spec.name}-soak"))
    held.append(one)
    await one.pool.receivers[0].request({"cmd": "probe", "count": 5, "timeout": 30}, 120)
    baseline = tree_rss([server.pid])
    opened = await open_sockets(ctx, one.pool, server, plan.soak_sockets, 1)
    rss = tree_rss([server.pid])
    entry = one.entry
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
        f"  soak {spec.name}: {opened['opened']} idle sockets open in {opened['elapsed_s']:.1f} s,"
        f" server RSS {entry['baseline_rss_mb']} → {entry['rss_mb']} MB"
        f" ({entry['rss_per_socket_kb']} KB/socket)"
    )


async def check_liveness(ctx: Context, one: Held) -> None:
    """After the quiet spell: sockets closed meanwhile, then one post that every idle socket must get."""
    check_alive(one.server)
    entry = one.entry
    status = await one.pool.all_receivers({"cmd": "status", "sent": []}, 60)
    entry["dropped"] = sum(r["closed_sockets"] for r in status)
    entry["close_codes"] = [r["close_codes"] for r in status]
    rig = single(one.server, one.pool)
    run = await one_run(ctx, rig, mode="rate", posters=1, duration=1.0, rate=1.0, warmup=False)
    entry["liveness_expected"] = run["expected"]
    entry["liveness_delivered"] = run["deliveries"]
    entry["dropped"] += run["closed_sockets"]
    ctx.say(
        f"  soak {one.spec.name}: {entry['dropped']} dropped during {ctx.plan.soak_s:.0f} s;"
        f" liveness post reached {run['deliveries']}/{run['expected']};"
        f" idle server cpu {entry['idle_cpu']['server_s']} s"
    )
