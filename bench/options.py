"""The command line of `python -m bench`: its options, and the Plan they make."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bench.plan import Plan
from bench.servers import ROOT

SCENARIOS = ["connect", "fanout", "pairs", "overload", "soak", "history", "two", "storm", "lock"]


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
    parser.add_argument("--window", type=int, help="closed loop: posts in flight per poster (default 4)")
    parser.add_argument("--posters", type=int, help="closed loop: posting sockets (default 1)")
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
    parser.add_argument(
        "--pairs", type=int, help="interleaved saturation pairs, wall and raw (default 5, quick 2)"
    )
    parser.add_argument("--sweep", help="socket counts for the sweep, e.g. 10,100,1000")
    parser.add_argument("--saturation-seconds", type=float)
    parser.add_argument("--sweep-seconds", type=float)
    parser.add_argument("--soak-sockets", type=int)
    parser.add_argument("--soak-seconds", type=float)
    parser.add_argument("--storm-sockets", type=int, help="reconnect storm: pages (default 2000)")
    parser.add_argument("--history-sizes", help="post counts, e.g. 1000,1000000")
    parser.add_argument("--budget-minutes", type=float, help="hard time budget (default 35, quick 6)")
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


def make_plan(args: argparse.Namespace) -> Plan:
    plan = Plan.quick() if args.quick else Plan()
    overrides = {
        "runs": args.runs,
        "window": args.window,
        "saturation_posters": args.posters,
        "ack": args.ack,
        "lib": args.lib,
        "receiver_workers": args.receiver_workers,
        "saturation_s": args.saturation_seconds,
        "sweep_s": args.sweep_seconds,
        "soak_sockets": args.soak_sockets,
        "soak_s": args.soak_seconds,
        "storm_sockets": args.storm_sockets,
        "pairs": args.pairs,
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
