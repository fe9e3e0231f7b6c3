"""Connect + history latency (wall only): sequential connects with a small, then a large post table."""

from __future__ import annotations

import asyncio

from bench import database
from bench.clientpool import ClientPool
from bench.context import Context, check_alive, end_pool, guarded, new_pool, reset_state, retire, start
from bench.processes import ServerProcess
from bench.servers import ServerSpec


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
        for _spec, server, pool in running:
            await end_pool(ctx, pool)
            retire(ctx, server, "history")
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
