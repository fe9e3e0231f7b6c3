"""`python -m bench`: parse options, run the scenarios on every server, write and print the report."""

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

from bench import database, report, scenarios
from bench.processes import Infra
from bench.servers import ROOT, servers_here

SCENARIOS = ["connect", "fanout", "overload", "soak", "history"]
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


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="The wall's benchmark (bench/README.md)."
    )
    parser.add_argument(
        "--quick", action="store_true", help="one run each, fewer points, shorter: ~3 minutes"
    )
    parser.add_argument(
        "--servers", help="comma-separated server names (default: every row of bench/servers.py)"
    )
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of: {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--runs", type=int, help="runs per figure (default 3, quick 1)")
    parser.add_argument("--window", type=int, help="closed loop: posts in flight (default 4)")
    parser.add_argument(
        "--ack",
        choices=["all", "poster"],
        help="closed loop: a post leaves the window when every"
        " receiver has it (all, default) or when the poster gets its own copy (poster)",
    )
    parser.add_argument("--lib", choices=["aiohttp", "websockets"], help="client library (default aiohttp)")
    parser.add_argument(
        "--deflate", action="store_true", help="clients offer permessage-deflate, as browsers do"
    )
    parser.add_argument(
        "--receiver-workers", type=int, help="client processes for receiver sockets (default 2)"
    )
    parser.add_argument("--sweep", help="socket counts for the sweep, e.g. 10,100,1000")
    parser.add_argument("--saturation-seconds", type=float)
    parser.add_argument("--sweep-seconds", type=float)
    parser.add_argument("--soak-sockets", type=int)
    parser.add_argument("--soak-seconds", type=float)
    parser.add_argument("--history-sizes", help="post counts, e.g. 1000,1000000")
    parser.add_argument("--budget-minutes", type=float, help="hard time budget (default 20, quick 6)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wall_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the wall's server processes (repeatable)",
    )
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--no-docs-copy", action="store_true", help="don't copy the plot to docs/bench-fanout.png"
    )
    return parser.parse_args(argv)


def make_plan(args: argparse.Namespace) -> scenarios.Plan:
    plan = scenarios.Plan.quick() if args.quick else scenarios.Plan()
    overrides = {
        "runs": args.runs,
        "window": args.window,
        "ack": args.ack,
        "lib": args.lib,
        "receiver_workers": args.receiver_workers,
        "saturation_s": args.saturation_seconds,
        "sweep_s": args.sweep_seconds,
        "soak_sockets": args.soak_sockets,
        "soak_s": args.soak_seconds,
    }
    for key, value in overrides.items():
        if value is not None:
            setattr(plan, key, value)
    if args.deflate:
        plan.deflate = True
    if args.sweep:
        plan.sweep_points = sorted({int(n) for n in args.sweep.split(",")})
    if args.history_sizes:
        plan.history_sizes = sorted({int(n) for n in args.history_sizes.split(",")})
    if plan.saturation_sockets not in plan.sweep_points:
        plan.sweep_points = sorted({*plan.sweep_points, plan.saturation_sockets})
    return plan


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


async def run_all(ctx: scenarios.Context, chosen: list, wanted: list[str]) -> None:
    connect = "connect" in wanted and not (ctx.plan.connect_in_soak and "soak" in wanted)
    sweep, overload = "fanout" in wanted, "overload" in wanted
    for spec in chosen:
        if ctx.left() < 30:
            ctx.problem("server", spec, "skipped: time budget exhausted")
            continue
        if connect:
            say(f"connect: {spec.label}")
            await scenarios.guarded(
                ctx, "connect", spec, lambda spec=spec: scenarios.scenario_connect(ctx, spec)
            )
        if sweep or overload:
            say(f"{' + '.join(n for n in ('fanout', 'overload') if n in wanted)}: {spec.label}")
            await scenarios.guarded(
                ctx,
                "fanout",
                spec,
                lambda spec=spec: scenarios.scenario_fanout(ctx, spec, sweep=sweep, overload=overload),
            )
    if "soak" in wanted:
        say(f"soak: {ctx.plan.soak_sockets} idle sockets on each server, {ctx.plan.soak_s:.0f} s")
        await scenarios.scenario_soak(ctx, chosen)
    walls = [s for s in chosen if s.role == "wall"]
    if "history" in wanted and walls:
        say("history: connect latency with a small and a large post table")
        await scenarios.scenario_history(ctx, walls)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    plan = make_plan(args)
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(wanted) - set(SCENARIOS)
    if unknown:
        print(f"unknown scenario(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    specs, skipped = servers_here()
    if args.servers:
        names = [n.strip() for n in args.servers.split(",")]
        missing = [n for n in names if n not in {s.name for s in specs} | set(skipped)]
        if missing:
            print(f"unknown server(s): {', '.join(missing)}", file=sys.stderr)
            return 2
        specs = [s for s in specs if s.name in names]
    budget = args.budget_minutes or (6 if args.quick else 20)
    try:
        wall_env = dict(item.split("=", 1) for item in args.server_env)
    except ValueError:
        print("--server-env takes NAME=VALUE", file=sys.stderr)
        return 2
    infra = Infra(args.database_url, args.redis_url, wall_env=wall_env)
    lock = take_lock()
    if lock is None:
        holder = LOCK_PATH.read_text().strip() if LOCK_PATH.exists() else "?"
        print(f"another benchmark is running on this machine ({holder}); two at once share wall_bench,"
              " empty each other's tables and skew each other's figures", file=sys.stderr)  # fmt: skip
        return 2
    log_dir = args.results_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old_log in log_dir.glob("*.log"):  # the logs of the previous run
        old_log.unlink()
    ctx = scenarios.Context(plan, infra, log_dir, time.monotonic() + budget * 60, say)
    meta = {
        "mode": "quick" if args.quick else "full",
        "started": now_text(),
        "cores": os.cpu_count(),
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "git": git_state(),
        "versions": versions(),
        "plan": vars(plan),
        "servers": {s.name: {"label": s.label, "role": s.role, "argv": s.argv(0)} for s in specs},
        "skipped_servers": skipped,
        "argv": sys.argv[1:] if argv is None else argv,
        "wall_env": wall_env,
    }
    say(f"benchmark ({meta['mode']}), servers: {', '.join(s.name for s in specs)}; budget {budget:g} min")
    if skipped:
        say(f"not measured: {skipped}")

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    status = 0
    start = time.monotonic()
    try:
        if any(s.role == "wall" for s in specs):
            say(f"database: {infra.database_url} (create if missing, migrate)")
            database.ensure_migrated(infra.database_url)
        asyncio.run(run_all(ctx, specs, wanted))
    except KeyboardInterrupt:
        say("interrupted: stopping everything this run started")
        meta["interrupted"] = True
        status = 130
    except Exception as error:  # Report what was measured, and why it stopped.
        ctx.problem("benchmark", None, f"{type(error).__name__}: {error}")
        status = 1
    finally:
        for pool in list(ctx.pools):
            pool.kill()
        for server in list(ctx.servers):
            server.stop(grace=3)
        with contextlib.suppress(Exception):
            from bench.processes import clear_redis

            clear_redis(infra)
    meta.update(
        finished=now_text(),
        elapsed_s=round(time.monotonic() - start, 1),
        load_end=[round(x, 2) for x in os.getloadavg()],
    )
    full = {"meta": meta, "results": ctx.results, "problems": ctx.problems}
    full["targets"] = report.targets(ctx.results, specs)
    docs = None if args.no_docs_copy else ROOT / "docs" / "bench-fanout.png"
    written = report.write(full, specs, args.results_dir, docs)
    print()
    print(written["md"].read_text())
    say(f"done in {meta['elapsed_s'] / 60:.1f} min; wrote {', '.join(str(p) for p in written.values())}")
    if ctx.problems and status == 0:
        status = 1
    return status
