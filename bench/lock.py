"""One author's row locked for a while (issue 11, item 8): a separate connection holds
`SELECT ... FOR UPDATE` on one participant while every poster posts on the same wall process. The other
posters' latency must stay as without the lock; the locked author's posts wait WALL_DB_LOCK_TIMEOUT and
are refused as `unavailable` (nothing saved), or go through once the lock is gone."""

from __future__ import annotations

import asyncio
import re

import psycopg

from bench import histogram
from bench.context import Context, open_sockets, serving
from bench.runs import Rig, one_run, single
from bench.servers import ServerSpec

# A wall poster's name holds its index (bench/worker.py, `_join`): b<pid>x<index>x<random>.
POSTER_INDEX = re.compile(r"^b\d+x(\d+)x\d+$")


async def scenario_lock(ctx: Context, spec: ServerSpec) -> None:
    plan = ctx.plan
    async with serving(ctx, spec, plan.lock_sockets, "lock") as (server, pool):
        await open_sockets(ctx, pool, server, plan.lock_sockets, plan.lock_posters)
        locked = plan.lock_posters - 1  # posts last in each round, so the lock is held before its first
        author = await asyncio.to_thread(participant_of, ctx.infra.database_url, locked)
        rig = single(server, pool)
        run = {"mode": "rate", "posters": plan.lock_posters, "duration": plan.lock_s, "rate": plan.lock_rate}
        entry = {"sockets": plan.lock_sockets, "posters": plan.lock_posters, "rate": plan.lock_rate}
        for phase, during in (("unlocked", None), ("locked", lambda: hold_lock(ctx, author))):
            result = await one_run(ctx, rig, **run, warmup=phase == "unlocked", during=during)
            entry[phase] = await split_by_author(rig, result, locked)
            ctx.say(f"  lock {spec.name} {phase}: {entry[phase]['summary']}")
        ctx.results.setdefault("lock", {})[spec.name] = entry


def participant_of(url: str, index: int) -> int:
    """The participant id of wall poster `index` (the tables were emptied before the posters joined)."""
    with psycopg.connect(url, connect_timeout=10) as conn:
        rows = conn.execute("SELECT id, username FROM wall_participant").fetchall()
    for participant_id, username in rows:
        match = POSTER_INDEX.match(username)
        if match and int(match.group(1)) == index:
            return participant_id
    raise RuntimeError(f"no participant for poster {index} among {len(rows)}")


async def hold_lock(ctx: Context, participant_id: int) -> dict:
    """Hold FOR UPDATE on the participant's row for the plan's lock_s, from a connection of our own."""

    def hold() -> dict:
        with psycopg.connect(ctx.infra.database_url, connect_timeout=10) as conn:
            conn.execute("SELECT id FROM wall_participant WHERE id = %s FOR UPDATE", [participant_id])
            conn.execute("SELECT pg_sleep(%s)", [ctx.plan.lock_s])
            conn.rollback()
        return {"participant": participant_id, "held_s": ctx.plan.lock_s}

    return await asyncio.to_thread(hold)


async def split_by_author(rig: Rig, run: dict, locked: int) -> dict:
    """The run's latency for the other posters and for the locked author, and what the author got."""
    command = {"cmd": "status", "sent": [], "refused": []}
    reports = await rig.receivers_do(command, 60)
    others = histogram.merge(
        r["poster_hists"][p] for r in reports for p in range(len(r["poster_hists"])) if p != locked
    )
    author = histogram.merge(r["poster_hists"][locked] for r in reports if locked < len(r["poster_hists"]))
    times = sorted(run["refused_ms"])
    out = {
        "others_ms": histogram.percentiles(others),
        "author_delivered_ms": histogram.percentiles(author),
        "refused_by_poster": run["refused_by_poster"],
        "refused_after_ms": {"min": times[0], "median": times[len(times) // 2], "max": times[-1]}
        if times
        else None,
        "poster_errors": run["poster_server_errors"],
        "lost": run["lost_silently"] + run["lost_on_closed"],
        "posts": run["posts"],
    }
    others_ms = out["others_ms"]
    out["summary"] = (
        f"others p50 {others_ms['p50']} p99 {others_ms['p99']} max {others_ms['max']} ms;"
        f" refused by poster {out['refused_by_poster']} ({out['poster_errors']})"
        f" after {out['refused_after_ms']} ms; locked author's delivered p99"
        f" {out['author_delivered_ms']['p99']} ms; lost {out['lost']} of {out['posts']} posts"
    )
    return out
