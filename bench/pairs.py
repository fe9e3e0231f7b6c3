"""Saturation in interleaved pairs: the production wall and raw `websockets` (b), both up with N sockets
each, measured one run after the other, so that the ratio the target reads is taken between runs
seconds apart.

Why: this machine's speed drifts by half within minutes (bench/README.md, "Results of the last full
run": raw at N=1000 read 79,800/s and then 117,221/s in two full runs of one commit, while the wall's
figure held). The saturation section's medians come from runs minutes apart, one server after the
other, so their ratio carries the drift; a pair's ratio does not. The order alternates (wall first,
then raw first: A B, B A, ...) so neither server always runs on the warmer machine.
"""

from __future__ import annotations

from bench.context import Context, end_pool, new_pool, open_sockets, reset_state, retire, start
from bench.figures import pair_order, paired_ratios
from bench.runs import measure, single
from bench.servers import ServerSpec


async def scenario_pairs(ctx: Context, wall: ServerSpec, reference: ServerSpec) -> None:
    """`ctx.plan.pairs` pairs of one closed-loop saturation run on each server, at the plan's N; the
    figures go to results["pairs"][wall.name]."""
    plan = ctx.plan
    sockets = plan.saturation_sockets
    specs = (wall, reference)
    reset_state(ctx, wall)
    servers, pools = [], []
    try:
        for spec in specs:
            server = await start(ctx, spec)
            servers.append(server)
            pool = await new_pool(ctx, server, sockets, f"{spec.name}-pairs")
            pools.append(pool)
            opened = await open_sockets(ctx, pool, server, sockets, plan.saturation_posters)
            ctx.say(f"  {spec.name} N={sockets}: opened in {opened['elapsed_s']:.2f} s")
        rigs = [single(server, pool) for server, pool in zip(servers, pools, strict=True)]
        runs: list[list[dict]] = [[], []]
        for index in range(plan.pairs):
            for side in pair_order(index):
                label = f"pair {index + 1} {specs[side].name} N={sockets}"
                runs[side] += await measure(
                    ctx,
                    rigs[side],
                    label,
                    1,
                    mode="closed",
                    posters=plan.saturation_posters,
                    duration=plan.saturation_s,
                    window=plan.window,
                )
        rates = [[run["deliveries_per_s"] for run in side] for side in runs]
        ratios = paired_ratios(rates[0], rates[1])
        ctx.say(f"  pairs: {wall.name} ÷ {reference.name} = {ratios['ratios']}, median {ratios['median']}")
        ctx.results.setdefault("pairs", {})[wall.name] = {
            "reference": reference.name,
            "sockets": sockets,
            "duration_s": plan.saturation_s,
            **ratios,
            "wall_runs": runs[0],
            "reference_runs": runs[1],
        }
    finally:
        for pool in pools:
            await end_pool(ctx, pool)
        for server in servers:
            retire(ctx, server, "pairs")
