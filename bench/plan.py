"""Every knob of a benchmark run (`Plan`), and its quick development variant."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Plan:
    """Every knob of a benchmark run; `quick()` is the development variant."""

    runs: int = 3
    window: int = 4
    ack: str = "all"
    warmup_s: float = 0.5
    saturation_sockets: int = 1000
    # Posting sockets (closed loop: each keeps `window` posts in flight; fixed rate: the rate shared).
    saturation_posters: int = 1
    saturation_s: float = 5.0
    # Interleaved pairs of saturation runs, production wall and raw (b), for the target's ratio.
    pairs: int = 5
    sweep_points: list[int] = field(default_factory=lambda: [10, 100, 500, 1000, 2000])
    sweep_s: float = 2.0
    fixed_sockets: int = 1000
    fixed_rate: float = 10.0
    fixed_s: float = 10.0
    overload_sockets: int = 100
    overload_posters: int = 10
    overload_rate: float = 40.0
    overload_s: float = 4.0
    # Of the overload sockets, this many stop reading for overload_stall_s at the start of each run.
    overload_stalled: int = 10
    overload_stall_s: float = 2.5
    # ... and this many are dropped (closed by the client) halfway: they reconnect, the wall's with ?since=.
    overload_dropped: int = 5
    connect_sockets: int = 1000
    # Quick mode takes the connect figures from the idle soak (same N) instead of separate runs.
    connect_in_soak: bool = False
    soak_sockets: int = 5000
    soak_s: float = 60.0
    history_sizes: list[int] = field(default_factory=lambda: [1000, 1_000_000])
    history_connects: int = 200
    drain_timeout: float = 10.0
    settle_timeout: float = 15.0
    receiver_workers: int = 2
    connect_concurrency: int = 50
    lib: str = "aiohttp"
    deflate: bool = False
    # Two server processes on one Redis: socket counts, the total post rate, seconds per run.
    two_sockets: list[int] = field(default_factory=lambda: [200, 1000])
    two_rate: float = 20.0
    two_s: float = 6.0
    # Reconnect storm: pages on the process that restarts, the post rate meanwhile, seconds of posting.
    storm_sockets: int = 2000
    storm_rate: float = 10.0
    storm_s: float = 8.0
    # One author's row locked: the lock's length, posters (the first is the locked author), rate, sockets.
    lock_s: float = 10.0
    lock_posters: int = 10
    lock_rate: float = 20.0
    lock_sockets: int = 100

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            runs=1,
            saturation_s=3.0,
            pairs=2,
            sweep_points=[100, 1000],
            sweep_s=2.0,
            fixed_s=5.0,
            overload_s=3.0,
            overload_stall_s=2.0,
            connect_in_soak=True,
            soak_sockets=1000,
            soak_s=10.0,
            history_connects=100,
            drain_timeout=8.0,
            settle_timeout=10.0,
            two_s=4.0,
        )
