"""Measured runs: post on a rig of servers and client pools, wait for every delivery, meter the CPU, and
the figures of a run and of several runs (median, min, max)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench.clientpool import ClientPool, ClientWorker
from bench.context import Context, OutOfTime, check_alive
from bench.figures import brief, summarize
from bench.processes import ServerProcess
from bench.usage import Meter, redis_pids


@dataclass
class Rig:
    """Server processes and their client pools, measured as one: each pool's posters post as posters
    `first`… of the run, so posts come from every process and every receiver expects all of them."""

    servers: list[ServerProcess]
    pools: list[ClientPool]
    # The pools whose poster worker posts (all of them unless given).
    posting: list[ClientPool] | None = None

    @property
    def posting_pools(self) -> list[ClientPool]:
        return self.posting if self.posting is not None else self.pools

    @property
    def receivers(self) -> list[ClientWorker]:
        return [worker for pool in self.pools for worker in pool.receivers]

    def meter(self, ctx: Context) -> Meter:
        clients = [pid for pool in self.pools for pid in pool.pids]
        port = urlsplit(ctx.infra.redis_url).port or 6379
        return Meter([s.pid for s in self.servers], clients, redis_pids(port))

    async def arm(self, tag: str, posters: int) -> None:
        await asyncio.gather(*(pool.arm(tag, posters) for pool in self.pools))

    async def receivers_do(self, command: dict, timeout: float) -> list[dict]:
        return list(await asyncio.gather(*(w.request(command, timeout) for w in self.receivers)))

    async def post(self, command: dict, posters: int, timeout: float) -> dict:
        """Every pool's poster posts (`posters` each, the rate shared out); their answers as one."""
        pools = self.posting_pools
        share = {**command, "rate": command.get("rate", 0.0) / len(pools)}
        answers = await asyncio.gather(
            *(pool.poster.request({**share, "first": i * posters}, timeout) for i, pool in enumerate(pools))
        )
        width = posters * len(pools)
        return {
            "sent": [sum(a["sent"][p] for a in answers if p < len(a["sent"])) for p in range(width)],
            "refused": [r for a in answers for r in a["refused"]],
            "refused_ms": [t for a in answers for t in a.get("refused_ms", [])],
            "unconfirmed": sum(a["unconfirmed"] for a in answers),
            "first_send_ns": min((a["first_send_ns"] for a in answers if a["first_send_ns"]), default=0),
            "elapsed_s": max(a["elapsed_s"] for a in answers),
            "stalls": sum(a["stalls"] for a in answers),
            "max_lag_ms": max(a["max_lag_ms"] for a in answers),
        }

    async def poster_status(self, post: dict) -> dict:
        command = {"cmd": "status", "sent": post["sent"], "refused": post["refused"]}
        answers = await asyncio.gather(*(pool.poster.request(command, 30) for pool in self.posting_pools))
        errors: dict[str, int] = {}
        for answer in answers:
            for code, count in answer["server_errors"].items():
                errors[code] = errors.get(code, 0) + count
        return {
            "poster_closes": sum(a["poster_closes"] for a in answers),
            "server_errors": errors,
            "errors": [e for a in answers for e in a["errors"]],
            "error_count": sum(a["error_count"] for a in answers),
        }

    def check_alive(self) -> None:
        for server in self.servers:
            check_alive(server)


def single(server: ServerProcess, pool: ClientPool) -> Rig:
    return Rig([server], [pool])


async def post_and_drain(ctx: Context, rig: Rig, post_command: dict, posters: int, duration: float) -> tuple:
    """Post, then wait (bounded) until every receiver holds every post: (post, reports, complete)."""
    plan = ctx.plan
    post = await rig.post(post_command, posters, duration + 60)
    drain = {"cmd": "drain", "sent": post["sent"], "refused": post["refused"], "timeout": plan.drain_timeout}
    reports = await rig.receivers_do(drain, plan.drain_timeout + 60)
    return post, reports, all(r["complete"] for r in reports)


async def settle(ctx: Context, rig: Rig, post: dict) -> list[dict]:
    """Stragglers past the bounded wait: let the backlog run out before the next run, and count them
    (they stay in the figures: deliveries, latency and CPU cover everything that arrived)."""
    timeout = ctx.plan.settle_timeout
    command = {
        "cmd": "settle",
        "sent": post["sent"],
        "refused": post["refused"],
        "quiet": 1.0,
        "timeout": timeout,
    }
    return await rig.receivers_do(command, timeout + 60)


async def disturb(
    rig: Rig, stall: tuple[int, float] | None, drop: int, duration: float
) -> asyncio.Task | None:
    """Overload's disturbances: `stall` = (sockets, seconds) stop reading now; `drop` sockets are
    closed halfway."""
    pool = rig.pools[0]
    if stall:
        count, seconds = stall
        k = len(pool.receivers)
        await asyncio.gather(
            *(
                w.request({"cmd": "stall", "count": count // k + (i < count % k), "seconds": seconds}, 30)
                for i, w in enumerate(pool.receivers)
            )
        )
    if not drop:
        return None

    async def drop_halfway() -> None:
        await asyncio.sleep(duration / 2)
        await pool.receivers[0].request({"cmd": "drop", "count": drop}, 30)

    return asyncio.create_task(drop_halfway())


async def one_run(
    ctx: Context,
    rig: Rig,
    *,
    mode: str,
    posters: int,
    duration: float,
    window: int = 0,
    rate: float = 0.0,
    warmup: bool = True,
    stall: tuple[int, float] | None = None,
    drop: int = 0,
    during: Callable[[], Any] | None = None,
) -> dict:
    """Warm up, then one measured run: post, wait for stragglers, count, and meter the CPU.
    `during`, if given, is started (a coroutine) as the posting starts and awaited before the count."""
    plan = ctx.plan
    if ctx.left() < duration + plan.drain_timeout:
        raise OutOfTime("time budget exhausted")
    command = {"cmd": "post", "mode": mode, "window": window, "rate": rate, "ack": plan.ack}
    total = posters * len(rig.posting_pools)
    if warmup and plan.warmup_s > 0:
        tag = ctx.tag("W")
        await rig.arm(tag, total)
        await post_and_drain(
            ctx, rig, {**command, "tag": tag, "duration": plan.warmup_s}, posters, plan.warmup_s
        )
    tag = ctx.tag("M")
    await rig.arm(tag, total)
    meter = rig.meter(ctx)
    before = meter.snapshot()
    dropper = await disturb(rig, stall, drop, duration)
    side = asyncio.ensure_future(during()) if during else None
    post, reports, complete = await post_and_drain(
        ctx, rig, {**command, "tag": tag, "duration": duration}, posters, duration
    )
    if dropper is not None:
        await dropper
    side_result = await side if side is not None else None
    at_deadline = sum(r["unique"] for r in reports)
    late, settle_s = 0, 0.0
    if not complete:
        reports = await settle(ctx, rig, post)
        late = sum(r["unique"] for r in reports) - at_deadline
        settle_s = max(r["settle_s"] for r in reports)
    after = meter.snapshot()
    poster = await rig.poster_status(post)
    rig.check_alive()
    summary = summarize(post, reports, poster, Meter.delta(before, after))
    extra = {"during": side_result} if side is not None else {}
    return {
        **summary,
        **extra,
        "late": late,
        "settle_s": settle_s,
        "undelivered_at_deadline": summary["expected"] - at_deadline,
    }


async def measure(
    ctx: Context, rig: Rig, label: str, runs: int, stop_early: bool = False, **run: Any
) -> list[dict]:
    """`runs` measured runs (the first warmed up unless run["warmup"] says otherwise), each told as it ends.
    `stop_early`: a run that left posts undelivered at the deadline ends the series (it only adds backlog)."""
    done: list[dict] = []
    for index in range(runs):
        result = await one_run(ctx, rig, **{"warmup": index == 0, **run})
        done.append(result)
        ctx.say(f"  {label} run {index + 1}: {brief(result)}")
        if stop_early and result["undelivered_at_deadline"] and index + 1 < runs:
            ctx.say(f"  {label}: does not keep up with the offered rate; no further runs")
            break
    return done
