"""Reconnect storm: the process holding every page stops (SIGTERM: its pages get 1012) while posts go on
through a second process; every page reconnects at once, with ?since=, to the second one. All must be
served and nothing lost; the time to the last `messages` page and the database's busy time are kept."""

from __future__ import annotations

import asyncio
import threading
import time

import psycopg

from bench.context import Context, end_pool, new_pool, open_sockets, reset_state, retire, start
from bench.processes import ServerProcess
from bench.runs import Rig, one_run
from bench.servers import ServerSpec
from bench.wire import now_ns

# pg_stat_activity is sampled this often during the storm (busy time: active backends times the interval).
SAMPLE_S = 0.01


async def scenario_storm(ctx: Context, spec: ServerSpec) -> None:
    plan = ctx.plan
    reset_state(ctx, spec)
    instance = f"storm{ctx.tag('S')}"
    first = await start(ctx, spec, instance=instance)
    second = await start(ctx, spec, instance=instance)
    pools = []
    try:
        pools.append(await new_pool(ctx, first, plan.storm_sockets, f"{spec.name}-storm"))
        opened = await open_sockets(ctx, pools[0], first, plan.storm_sockets, 0)
        pools.append(await new_pool(ctx, second, 1, f"{spec.name}-storm-poster", 1))
        await open_sockets(ctx, pools[1], second, 0, 1)
        await asyncio.gather(
            *(w.request({"cmd": "retarget", "url": second.ws_url}, 30) for w in pools[0].receivers)
        )
        ctx.say(f"  storm {spec.name}: {opened['opened']} pages open on the first process")
        rig = Rig([second], pools, posting=pools[1:])
        stopped: dict = {}
        run = await one_run(
            ctx,
            rig,
            mode="rate",
            posters=1,
            duration=plan.storm_s,
            rate=plan.storm_rate,
            warmup=False,
            during=lambda: restart(ctx, first, stopped),
        )
    finally:
        for pool in pools:
            await end_pool(ctx, pool)
        retire(ctx, second, "storm")
        retire(ctx, first, "storm", stopped=True)
    record(ctx, spec, run, stopped, plan.storm_sockets)


async def restart(ctx: Context, first: ServerProcess, stopped: dict) -> dict:
    """A quarter into the posting, stop the first process; sample the database until the run is over."""
    await asyncio.sleep(ctx.plan.storm_s / 4)
    stopped["at_ns"] = now_ns()
    done = threading.Event()
    sampling = asyncio.create_task(asyncio.to_thread(sample_database, ctx.infra.database_url, done))
    await asyncio.to_thread(first.stop)
    stopped["stop_s"] = round((now_ns() - stopped["at_ns"]) / 1e9, 2)
    await asyncio.sleep(ctx.plan.storm_s * 3 / 4 + 2)
    done.set()
    return await sampling


def sample_database(url: str, done: threading.Event) -> dict:
    """The database's busy time until `done`: sampled active backends (other than this one) on the
    wall's database, and pg_stat_database's own counters (active_time is flushed lazily)."""
    counters = (
        "SELECT xact_commit, active_time, blks_read + blks_hit FROM pg_stat_database"
        " WHERE datname = current_database()"
    )
    active = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()"
    )
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        before = conn.execute(counters).fetchone()
        samples = busy = peak = 0
        start = time.perf_counter()
        while not done.is_set():
            count = conn.execute(active).fetchone()[0]
            samples, busy, peak = samples + 1, busy + count, max(peak, count)
            time.sleep(SAMPLE_S)
        elapsed = time.perf_counter() - start
        conn.execute("SELECT pg_stat_force_next_flush()")
        after = conn.execute(counters).fetchone()
    return {
        "sampled_s": round(elapsed, 2),
        "samples": samples,
        "busy_backend_s": round(busy * elapsed / max(1, samples), 3),
        "peak_active": peak,
        "xact_commit": after[0] - before[0],
        "active_time_s": round((after[1] - before[1]) / 1000, 3),
        "blocks": after[2] - before[2],
    }


def record(ctx: Context, spec: ServerSpec, run: dict, stopped: dict, sockets: int) -> None:
    last_page = run["last_page_ns"]
    entry = {
        "sockets": sockets,
        "rate": ctx.plan.storm_rate,
        "posts": run["posts"],
        "closed_sockets": run["closed_sockets"],
        "close_codes": run["close_codes"],
        "served_after_close": run["served_after_close"],
        "reconnect_failures": run["reconnect_failures"],
        "lost": run["lost_silently"] + run["lost_on_closed"],
        "duplicates": run["duplicates"],
        "resumed": run["resumed"],
        "stop_s": stopped.get("stop_s"),
        "last_messages_s": seconds_after(last_page, stopped),
        "messages_after_s": {
            f"p{q * 100:g}": seconds_after(pick(run["resume_page_ns"], q), stopped) for q in (0.5, 0.99)
        },
        "database": run.get("during"),
        "run": {k: v for k, v in run.items() if k != "resume_page_ns"},
    }
    ctx.results.setdefault("storm", {})[spec.name] = entry
    ctx.say(
        f"  storm {spec.name}: {entry['served_after_close']}/{sockets} pages served again"
        f" (closed {entry['closed_sockets']}, codes {entry['close_codes']}), lost {entry['lost']},"
        f" dup {entry['duplicates']}, `messages` p50/p99/last {entry['messages_after_s']}"
        f" / {entry['last_messages_s']} s after SIGTERM;"
        f" database {entry['database']}"
    )


def pick(values: list[int], q: float) -> int:
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0


def seconds_after(ns: int, stopped: dict) -> float | None:
    """Seconds from the SIGTERM to a `now_ns()` time."""
    return round((ns - stopped["at_ns"]) / 1e9, 3) if ns and "at_ns" in stopped else None
