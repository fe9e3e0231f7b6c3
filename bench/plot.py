"""The fan-out plot: deliveries/s and p99 latency against sockets, one line per server."""

from __future__ import annotations

from pathlib import Path

from bench.servers import ServerSpec
from bench.tables import DASH


def plot(report: dict, specs: list[ServerSpec], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    sweep = report["results"].get("sweep", {})
    if not sweep:
        return False
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for spec in specs:
        points = sweep.get(spec.name)
        if not points:
            continue
        ns = sorted(int(n) for n in points)
        for axis, key in ((left, "deliveries_per_s"), (right, "p99_ms")):
            med = [points[str(n)][key]["median"] for n in ns]
            lo = [points[str(n)][key]["min"] for n in ns]
            hi = [points[str(n)][key]["max"] for n in ns]
            keep = [i for i, m in enumerate(med) if m is not None]
            xs = [ns[i] for i in keep]
            ys = [med[i] for i in keep]
            err = [[ys[j] - lo[i] for j, i in enumerate(keep)], [hi[i] - ys[j] for j, i in enumerate(keep)]]
            style = "--" if spec.role != "wall" else "-"
            axis.errorbar(xs, ys, yerr=err, label=spec.label, linestyle=style, marker="o", capsize=3)
    meta = report["meta"]
    left.set(
        xscale="log",
        yscale="log",
        xlabel="sockets",
        ylabel=f"deliveries/s (median, min{DASH}max)",
        title="Fan-out throughput",
    )
    right.set(
        xscale="log",
        yscale="log",
        xlabel="sockets",
        ylabel="p99 post→delivery latency, ms",
        title=f"Latency at saturation (closed loop, W={meta['plan']['window']})",
    )
    for axis in (left, right):
        axis.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle(
        f"The wall vs references, {meta['cores']} shared cores, {meta['started']} ({meta['mode']})",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
