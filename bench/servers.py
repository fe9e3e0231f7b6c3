"""The servers measured: a table (add a row to measure another), and which of its rows can run here."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.serverkit import WALL_APP, daphne_args, uvicorn_args

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# Reference roles: (a) the Channels tutorial, (c) the same with the per-consumer costs trimmed,
# (b) raw websockets. The wall's figures carry their ratio to each.
REF_A, REF_B, REF_C = "reference-a", "reference-b", "reference-c"


@dataclass(frozen=True)
class ServerSpec:
    """One server to measure. `argv(port)` is its command line, run from the repository root."""

    name: str
    label: str
    role: str  # "wall", or one of the reference roles above
    argv: Callable[[int], list[str]]
    path: str
    requires: tuple[str, ...] = ()
    # Target for saturation at N=1000 as a fraction of reference (b); None: only the ratio is shown.
    saturation_target_vs_raw: float | None = None
    recommended: bool = False
    # Extra environment of this row's processes, e.g. the wall on the core channel layer.
    env: tuple[tuple[str, str], ...] = ()

    @property
    def client_kind(self) -> str:
        return "wall" if self.role == "wall" else "plain"

    @property
    def ws_engine(self) -> str | None:
        """The uvicorn --ws engine this row needs, if it runs under uvicorn."""
        argv = self.argv(0)
        return argv[argv.index("--ws") + 1] if "--ws" in argv else None

    def available(self) -> str | None:
        """Why this server can't run here, or None."""
        for module in self.requires:
            if importlib.util.find_spec(module) is None:
                return f"needs the {module} package (bench/requirements.txt)"
        engine, choices = self.ws_engine, uvicorn_ws_choices()
        if engine is not None and engine not in choices:
            return f"the installed uvicorn has no --ws {engine} (it has: {', '.join(sorted(choices))})"
        return None


def _daphne(app: str) -> Callable[[int], list[str]]:
    return lambda port: [PY, *daphne_args(app, port)]


def _uvicorn(app: str, ws: str) -> Callable[[int], list[str]]:
    return lambda port: [PY, *uvicorn_args(app, port, ws=ws, loop="uvloop")]


def uvicorn_ws_choices() -> set[str]:
    """The --ws implementations the installed uvicorn offers."""
    try:
        from uvicorn.config import WS_PROTOCOLS
    except ImportError:
        return set()
    return set(WS_PROTOCOLS)


UVICORN = ("uvicorn", "uvloop", "websockets")

SERVERS: list[ServerSpec] = [
    ServerSpec(
        "wall-daphne", "wall · daphne", "wall", _daphne(WALL_APP), "/ws/wall/", saturation_target_vs_raw=0.15
    ),
    ServerSpec(
        "wall-uvicorn-ws",
        "wall · uvicorn websockets",
        "wall",
        _uvicorn(WALL_APP, "websockets"),
        "/ws/wall/",
        requires=UVICORN,
        saturation_target_vs_raw=0.5,
    ),
    ServerSpec(
        "wall-uvicorn-sansio",
        "wall · uvicorn websockets-sansio",
        "wall",
        _uvicorn(WALL_APP, "websockets-sansio"),
        "/ws/wall/",
        requires=UVICORN,
        saturation_target_vs_raw=0.57,
        recommended=True,
    ),
    ServerSpec(
        "wall-sansio-core",
        "wall · uvicorn websockets-sansio · core layer",
        "wall",
        _uvicorn(WALL_APP, "websockets-sansio"),
        "/ws/wall/",
        requires=UVICORN,
        env=(("WALL_CHANNEL_LAYER", "core"),),
    ),
    ServerSpec(
        "ref-channels",
        "(a) tutorial consumer · core layer · daphne",
        REF_A,
        _daphne("bench.reference_channels:application"),
        "/ws/room/",
        env=(("BENCH_CHANNEL_LAYER", "core"),),
    ),
    ServerSpec(
        "channels-per-consumer",
        "(c) member per consumer · pub/sub layer · uvicorn websockets-sansio",
        REF_C,
        _uvicorn("bench.reference_per_consumer:application", "websockets-sansio"),
        "/ws/room/",
        requires=UVICORN,
        env=(("BENCH_CHANNEL_LAYER", "pubsub"),),
    ),
    ServerSpec(
        "ref-websockets",
        "(b) raw websockets",
        REF_B,
        lambda port: [PY, "-m", "bench.reference_websockets", "--port", str(port)],
        "/",
        requires=("websockets",),
    ),
]


def servers_here() -> tuple[list[ServerSpec], dict[str, str]]:
    """The table's servers that can run here, and why the others can't."""
    usable, skipped = [], {}
    for spec in SERVERS:
        why = spec.available()
        if why is None:
            usable.append(spec)
        else:
            skipped[spec.name] = why
    return usable, skipped
