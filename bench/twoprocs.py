"""Two server processes on one Redis: the sockets split evenly, posts from both processes, against the
same sockets and rate on one process; lost, duplicated, server CPU per delivery and Redis per post."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from bench.context import Context, end_pool, guarded, new_pool, open_sockets, reset_state, retire, start
from bench.figures import aggregate
from bench.processes import ServerProcess
from bench.runs import Rig, measure
from bench.servers import ServerSpec


async def scenario_two(ctx: Context, spec: ServerSpec) -> None:
    """Two processes of `spec` sharing the wall's Redis keys (one group), at each socket count."""
    reset_state(ctx, spec)
    instance = f"two{ctx.tag('T')}"
    servers = []
    try:
        for _ in range(2):
            servers.append(await start(ctx, spec, instance=instance))
        for sockets in ctx.plan.two_sockets:
            await guarded(ctx, "two", spec, lambda sockets=sockets: two_point(ctx, servers, sockets))
    finally:
        for server in servers:
            retire(ctx, server, "two")


async def two_point(ctx: Context, servers: list[ServerProcess], sockets: int) -> None:
    """One process with every socket and both posters, then two with half each and a poster each."""
    spec = servers[0].spec
    point = {}
    for processes in (1, 2):
        reset_state(ctx, spec)
        point[str(processes)] = await rig_runs(ctx, servers[:processes], sockets)
    ctx.record("two", spec.name, sockets, point)


async def rig_runs(ctx: Context, servers: list[ServerProcess], sockets: int) -> dict:
    plan = ctx.plan
    posters = 2 // len(servers)
    share = sockets // len(servers)
    workers = plan.receiver_workers // len(servers) or 1
    name = servers[0].spec.name
    pools = []
    try:
        for index, server in enumerate(servers):
            pools.append(await new_pool(ctx, server, share, f"{name}-two{len(servers)}-{index}", workers))
            await open_sockets(ctx, pools[-1], server, share, posters)
        ctx.say(
            f"  {name}: {sockets} sockets on {len(servers)} process(es), {posters * len(servers)} posters"
        )
        commands_before = await asyncio.to_thread(redis_commands, ctx.infra.redis_url)
        runs = await measure(
            ctx,
            Rig(servers, pools),
            f"two-process {name} N={sockets} processes={len(servers)}",
            plan.runs,
            mode="rate",
            posters=posters,
            duration=plan.two_s,
            rate=plan.two_rate,
            warmup=False,
        )
        commands = await asyncio.to_thread(redis_commands, ctx.infra.redis_url) - commands_before
    finally:
        for pool in pools:
            await end_pool(ctx, pool)
    posts = sum(r["posts"] for r in runs)
    redis_s = sum(r["cpu"]["redis_s"] for r in runs)
    return {
        "processes": len(servers),
        "sockets": sockets,
        "rate": plan.two_rate,
        **aggregate(runs),
        "redis_us_per_post": round(redis_s * 1e6 / posts, 1) if posts else None,
        "redis_commands_per_post": round(commands / posts, 1) if posts else None,
        "runs_detail": runs,
    }


def redis_commands(url: str) -> int:
    """Commands Redis has processed since it started (every client's: other users' too)."""
    import redis

    parts = urlsplit(url)
    client = redis.Redis(host=parts.hostname or "127.0.0.1", port=parts.port or 6379)
    try:
        return int(client.info("stats")["total_commands_processed"])
    finally:
        client.close()
