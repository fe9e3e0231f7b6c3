"""`python -m bench`: run the chosen scenarios on every chosen server, write and print the report."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bench import database, report
from bench.connect import scenario_connect, scenario_soak
from bench.context import Context, cleanup, guarded
from bench.fanout import scenario_fanout
from bench.history import scenario_history
from bench.lock import scenario_lock
from bench.options import SCENARIOS, make_plan, parse
from bench.pairs import scenario_pairs
from bench.processes import Infra
from bench.servers import REF_B, ROOT, ServerSpec, servers_here
from bench.storm import scenario_storm
from bench.twoprocs import scenario_two

PACKAGES = [
    "django",
    "channels",
    "channels-redis",
    "daphne",
    "redis",
    "uvicorn",
    "uvloop",
    "websockets",
    "aiohttp",
    "psycopg",
]
# Scenarios run on the recommended wall server only (the production server), one after the other.
PRODUCTION_ONLY = {"two": scenario_two, "storm": scenario_storm, "lock": scenario_lock}


def git_state() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return f"{rev}{' + uncommitted changes' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    return out


# One benchmark at a time per machine: runs share the wall_bench database and the CPUs.
LOCK_PATH = Path("/tmp/wall-bench.lock")


def take_lock() -> object | None:
    """Hold an exclusive lock for this process's lifetime, or None if another run holds it."""
    import fcntl

    handle = LOCK_PATH.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.truncate(0)
    handle.write(f"pid {os.getpid()}, started {now_text()}\n")
    handle.flush()
    return handle


def now_text() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def say(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", flush=True)


async def run_all(ctx: Context, chosen: list[ServerSpec], wanted: list[str]) -> None:
    connect = "connect" in wanted and not (ctx.plan.connect_in_soak and "soak" in wanted)
    sweep, overload = "fanout" in wanted, "overload" in wanted
    for spec in chosen:
        if ctx.left() < 30:
            ctx.problem("server", spec, "skipped: time budget exhausted")
            continue
        if connect:
            say(f"connect: {spec.label}")
            await guarded(ctx, "connect", spec, lambda spec=spec: scenario_connect(ctx, spec))
        if sweep or overload:
            say(f"{' + '.join(n for n in ('fanout', 'overload') if n in wanted)}: {spec.label}")
            run = lambda spec=spec: scenario_fanout(ctx, spec, sweep=sweep, overload=overload)  # noqa: E731
            await guarded(ctx, "fanout", spec, run)
    production = next((s for s in chosen if s.role == "wall" and s.recommended), None)
    raw = next((s for s in chosen if s.role == REF_B), None)
    if "pairs" in wanted and production and raw:
        say(f"pairs: {ctx.plan.pairs} of ({production.label}, {raw.label}), interleaved")
        await guarded(ctx, "pairs", production, lambda: scenario_pairs(ctx, production, raw))
    if "soak" in wanted:
        say(f"soak: {ctx.plan.soak_sockets} idle sockets on each server, {ctx.plan.soak_s:.0f} s")
        await scenario_soak(ctx, chosen)
    walls = [s for s in chosen if s.role == "wall"]
    if "history" in wanted and walls:
        say("history: connect latency with a small and a large post table")
        await scenario_history(ctx, walls)
    for spec in [s for s in walls if s.recommended]:
        for name in [n for n in PRODUCTION_ONLY if n in wanted]:
            say(f"{name}: {spec.label}")
            await guarded(ctx, name, spec, lambda spec=spec, name=name: PRODUCTION_ONLY[name](ctx, spec))


def choose(args: argparse.Namespace) -> tuple[list[str], list[ServerSpec], dict[str, str]] | str:
    """The scenarios and servers asked for (and the table's servers that can't run here), or why not."""
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(wanted) - set(SCENARIOS)
    if unknown:
        return f"unknown scenario(s): {', '.join(sorted(unknown))}"
    specs, skipped = servers_here()
    if args.servers:
        names = [n.strip() for n in args.servers.split(",")]
        missing = [n for n in names if n not in {s.name for s in specs} | set(skipped)]
        if missing:
            return f"unknown server(s): {', '.join(missing)}"
        specs = [s for s in specs if s.name in names]
    return wanted, specs, skipped


def describe(
    args: argparse.Namespace, ctx: Context, specs: list[ServerSpec], skipped: dict, argv: list | None
) -> dict:
    """The run's metadata for the report: when, where, what code, which servers and plan."""
    return {
        "mode": "quick" if args.quick else "full",
        "started": now_text(),
        "cores": os.cpu_count(),
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "git": git_state(),
        "versions": versions(),
        "plan": vars(ctx.plan),
        "servers": {
            s.name: {"label": s.label, "role": s.role, "argv": s.argv(0), "env": dict(s.env)} for s in specs
        },
        "skipped_servers": skipped,
        "argv": sys.argv[1:] if argv is None else argv,
        "wall_env": ctx.infra.wall_env,
    }


def execute(ctx: Context, specs: list[ServerSpec], wanted: list[str], meta: dict) -> int:
    """Run everything; whatever happens, stop all this run started. The exit status."""

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    status = 0
    try:
        if any(s.role == "wall" for s in specs):
            say(f"database: {ctx.infra.database_url} (create if missing, migrate)")
            database.ensure_migrated(ctx.infra.database_url)
        asyncio.run(run_all(ctx, specs, wanted))
    except KeyboardInterrupt:
        say("interrupted: stopping everything this run started")
        meta["interrupted"] = True
        status = 130
    except Exception as error:  # Report what was measured, and why it stopped.
        ctx.problem("benchmark", None, f"{type(error).__name__}: {error}")
        status = 1
    finally:
        asyncio.run(cleanup(ctx))
    return status


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    chosen = choose(args)
    if isinstance(chosen, str):
        print(chosen, file=sys.stderr)
        return 2
    wanted, specs, skipped = chosen
    try:
        wall_env = dict(item.split("=", 1) for item in args.server_env)
    except ValueError:
        print("--server-env takes NAME=VALUE", file=sys.stderr)
        return 2
    lock = take_lock()
    if lock is None:
        holder = LOCK_PATH.read_text().strip() if LOCK_PATH.exists() else "?"
        print(f"another benchmark is running on this machine ({holder}); two at once share wall_bench,"
              " empty each other's tables and skew each other's figures", file=sys.stderr)  # fmt: skip
        return 2
    budget = args.budget_minutes or (6 if args.quick else 35)
    ctx = Context(
        make_plan(args),
        Infra(args.database_url, args.redis_url, wall_env=wall_env),
        fresh_logs(args.results_dir),
        time.monotonic() + budget * 60,
        say,
    )
    meta = describe(args, ctx, specs, skipped, argv)
    say(f"benchmark ({meta['mode']}), servers: {', '.join(s.name for s in specs)}; budget {budget:g} min")
    if skipped:
        say(f"not measured: {skipped}")
    start = time.monotonic()
    status = execute(ctx, specs, wanted, meta)
    meta.update(
        finished=now_text(),
        elapsed_s=round(time.monotonic() - start, 1),
        load_end=[round(x, 2) for x in os.getloadavg()],
    )
    full = {"meta": meta, "results": ctx.results, "problems": ctx.problems}
    full["targets"] = report.targets(ctx.results, specs)
    written = report.write(
        full, specs, args.results_dir, None if args.no_docs_copy else ROOT / "docs" / "bench-fanout.png"
    )
    print()
    print(written["md"].read_text())
    say(f"done in {meta['elapsed_s'] / 60:.1f} min; wrote {', '.join(str(p) for p in written.values())}")
    return 1 if ctx.problems and status == 0 else status


def fresh_logs(results_dir: Path) -> Path:
    """The log folder, emptied of the previous run's logs."""
    log_dir = results_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old_log in log_dir.glob("*.log"):
        old_log.unlink()
    return log_dir
