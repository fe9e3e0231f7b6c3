"""Fan-out on one server process: closed-loop saturation swept over socket counts, the fixed-rate runs at
their point, and overload (many posters, slow readers, dropped sockets)."""

from __future__ import annotations

from bench.context import Context, end_pool, guarded, new_pool, open_sockets, reset_state, retire, start
from bench.figures import aggregate
from bench.processes import ServerProcess
from bench.runs import measure, single
from bench.servers import ServerSpec


async def scenario_fanout(
    ctx: Context, spec: ServerSpec, *, sweep: bool = True, overload: bool = True
) -> None:
    """On one server process: the sweep of closed-loop saturation over socket counts (with the fixed-rate
    runs at their point), then the overload runs."""
    server = await start(ctx, spec)
    try:
        for sockets in ctx.plan.sweep_points if sweep else []:
            await guarded(ctx, "fanout", spec, lambda sockets=sockets: fanout_point(ctx, server, sockets))
            if not server.alive():
                return  # reported once by guarded(); the rest of this session is skipped
        if overload:
            await guarded(ctx, "overload", spec, lambda: overload_runs(ctx, server))
    finally:
        retire(ctx, server, "fanout+overload")


async def fanout_point(ctx: Context, server: ServerProcess, sockets: int) -> None:
    """Saturation at `sockets` (a sweep point; the saturation figure at the plan's N), and at the
    fixed-rate N the fixed-rate runs on the same sockets."""
    plan = ctx.plan
    spec = server.spec
    reset_state(ctx, spec)
    pool = await new_pool(ctx, server, sockets, f"{spec.name}-n{sockets}")
    try:
        opened = await open_sockets(ctx, pool, server, sockets, plan.saturation_posters)
        ctx.say(f"  {spec.name} N={sockets}: opened in {opened['elapsed_s']:.2f} s")
        rig = single(server, pool)
        duration = plan.saturation_s if sockets == plan.saturation_sockets else plan.sweep_s
        label = f"saturation {spec.name} N={sockets}"
        runs = await measure(
            ctx,
            rig,
            label,
            plan.runs,
            mode="closed",
            posters=plan.saturation_posters,
            duration=duration,
            window=plan.window,
        )
        point = {"sockets": sockets, "duration_s": duration, **aggregate(runs), "runs_detail": runs}
        ctx.record("sweep", spec.name, sockets, point)
        if sockets == plan.saturation_sockets:
            ctx.results.setdefault("saturation", {})[spec.name] = point
        if sockets != plan.fixed_sockets:
            return
        runs = await measure(
            ctx,
            rig,
            f"fixed-rate {spec.name}",
            plan.runs,
            stop_early=True,
            mode="rate",
            posters=plan.saturation_posters,
            duration=plan.fixed_s,
            rate=plan.fixed_rate,
            warmup=False,
        )
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
        runs = await measure(
            ctx,
            single(server, pool),
            f"overload {spec.name}",
            plan.runs,
            mode="rate",
            posters=plan.overload_posters,
            duration=plan.overload_s,
            rate=plan.overload_rate,
            warmup=False,
            stall=(plan.overload_stalled, plan.overload_stall_s),
            drop=plan.overload_dropped,
        )
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
