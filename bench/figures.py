"""The figures of a measured run from the workers' accounts, and of several runs as median, min and max."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from bench import histogram

# Counts each receiver worker reports that a run's figures add up.
SUMMED = (
    "duplicates",
    "lost_silently",
    "lost_on_closed",
    "resumed",
    "closed_sockets",
    "dropped_sockets",
    "resets",
    "reconnects",
    "reconnect_failures",
    "served_after_close",
)


def summarize(post: dict, reports: list[dict], poster: dict, cpu: dict) -> dict:
    """One run's figures from the posters' answer, the receiver workers' accounts and the CPU meter."""
    sent = sum(post["sent"])
    receivers = sum(r["receivers"] for r in reports)
    unique = sum(r["unique"] for r in reports)
    last_recv = max((r["last_recv_ns"] for r in reports), default=0)
    span = (last_recv - post["first_send_ns"]) / 1e9 if last_recv and post["first_send_ns"] else None
    per = (lambda s: round(s * 1e6 / unique, 2)) if unique else (lambda s: None)
    refused = len(post["refused"])
    return {
        "posts": sent,
        "refused": refused,
        "unconfirmed": post["unconfirmed"],
        "receivers": receivers,
        "expected": (sent - refused) * receivers,
        "deliveries": unique,
        "live_deliveries": sum(r["deliveries"] for r in reports),
        **{key: sum(r[key] for r in reports) for key in SUMMED},
        **closes(reports),
        "poster_closes": poster["poster_closes"],
        "poster_server_errors": poster["server_errors"],
        "stalls": post["stalls"],
        "poster_max_lag_ms": post["max_lag_ms"],
        "post_s": round(post["elapsed_s"], 3),
        "span_s": round(span, 3) if span else None,
        "drain_wait_s": max(r["drain_wait_s"] for r in reports),
        "deliveries_per_s": round(unique / span, 1) if span else None,
        **latencies(reports, len(post["sent"])),
        "refused_ms": post.get("refused_ms", []),
        "refused_by_poster": refused_by_poster(post["refused"]),
        "last_page_ns": max(r["last_page_ns"] for r in reports),
        "resume_page_ns": sorted(t for r in reports for t in r["resume_page_ns"]),
        "cpu": cpu,
        "server_us_per_delivery": per(cpu["server_s"]),
        "redis_us_per_delivery": per(cpu["redis_s"]),
        "client_us_per_delivery": per(cpu["client_s"]),
        "client_errors": [e for r in reports for e in r["errors"]][:5] + poster["errors"][:5],
        "client_error_count": sum(r["error_count"] for r in reports) + poster["error_count"],
    }


def closes(reports: list[dict]) -> dict:
    """Sockets' close codes added up, and a few distinct close reasons."""
    codes: dict[str, int] = {}
    for report in reports:
        for code, count in report["close_codes"].items():
            codes[code] = codes.get(code, 0) + count
    reasons = sorted({reason for r in reports for reason in r.get("close_reasons", [])})[:8]
    return {"close_codes": codes, "close_reasons": reasons}


def latencies(reports: list[dict], posters: int) -> dict:
    """Post→delivery percentiles over every delivery, and per poster."""
    by_poster = [
        histogram.percentiles(
            histogram.merge(r["poster_hists"][p] for r in reports if p < len(r["poster_hists"]))
        )
        for p in range(posters)
    ]
    merged = histogram.merge(r["hist"] for r in reports)
    return {"latency_ms": histogram.percentiles(merged), "latency_ms_by_poster": by_poster}


def aggregate(runs: list[dict]) -> dict:
    """The figures of several runs as median, min and max."""

    def values(get: Callable[[dict], Any]) -> list:
        out = []
        for run in runs:
            try:
                out.append(get(run))
            except (KeyError, TypeError):
                out.append(None)
        return out

    return {
        "runs": len(runs),
        "deliveries_per_s": spread(values(lambda r: r["deliveries_per_s"])),
        "p50_ms": spread(values(lambda r: r["latency_ms"]["p50"])),
        "p95_ms": spread(values(lambda r: r["latency_ms"]["p95"])),
        "p99_ms": spread(values(lambda r: r["latency_ms"]["p99"])),
        "server_us_per_delivery": spread(values(lambda r: r["server_us_per_delivery"])),
        "redis_us_per_delivery": spread(values(lambda r: r["redis_us_per_delivery"])),
        "client_us_per_delivery": spread(values(lambda r: r["client_us_per_delivery"])),
        "server_busy": spread(values(lambda r: r["cpu"]["server_busy"])),
        "client_max_busy": spread(values(lambda r: r["cpu"]["client_max_busy"])),
        "machine_busy": spread(values(lambda r: r["cpu"]["machine_busy"])),
        "other_s": spread(values(lambda r: r["cpu"]["other_s"])),
        "lost_silently": sum(r["lost_silently"] for r in runs),
        "lost_on_closed": sum(r["lost_on_closed"] for r in runs),
        "duplicates": sum(r["duplicates"] for r in runs),
        "closed_sockets": sum(r["closed_sockets"] for r in runs),
        "dropped_sockets": sum(r["dropped_sockets"] for r in runs),
        "resumed": sum(r["resumed"] for r in runs),
        "expected": sum(r["expected"] for r in runs),
        "deliveries": sum(r["deliveries"] for r in runs),
        "posts": sum(r["posts"] for r in runs),
        "refused": sum(r["refused"] for r in runs),
        "unconfirmed": sum(r["unconfirmed"] for r in runs),
        "stalls": sum(r["stalls"] for r in runs),
        "late": sum(r.get("late", 0) for r in runs),
        "undelivered_at_deadline": sum(r.get("undelivered_at_deadline", 0) for r in runs),
        "client_error_count": sum(r["client_error_count"] for r in runs),
    }


def cost_split(points: dict[str, dict]) -> dict | None:
    """A server's CPU per post as `per_post_us` + `per_delivery_us` * N: least squares over the sweep's
    points (each point's server CPU seconds over its saved posts, all runs together), so the cost a post
    pays once (parsing, the database, the channel layer) is told apart from what each socket costs.
    None with fewer than two socket counts."""
    xs, ys = [], []
    for point in points.values():
        runs = point.get("runs_detail") or []
        posts = sum(r["posts"] - r["refused"] for r in runs)
        if posts:
            xs.append(point["sockets"])
            ys.append(sum(r["cpu"]["server_s"] for r in runs) * 1e6 / posts)
    if len(set(xs)) < 2:
        return None
    slope, intercept = statistics.linear_regression(xs, ys)
    return {"per_post_us": round(intercept, 1), "per_delivery_us": round(slope, 2), "points": len(xs)}


def pair_order(index: int) -> tuple[int, int]:
    """Which of (wall, reference) runs first in pair `index` (0-based): (0, 1), then (1, 0), ..."""
    return (0, 1) if index % 2 == 0 else (1, 0)


def paired_ratios(wall: list[float | None], reference: list[float | None]) -> dict:
    """Each pair's wall ÷ reference (deliveries/s) and their median and range; pairs where either run
    delivered nothing are left out (None). Raises ValueError when the lists differ in length."""
    if len(wall) != len(reference):
        raise ValueError(f"{len(wall)} wall runs against {len(reference)} reference runs")
    ratios = [round(w / r, 4) if w and r else None for w, r in zip(wall, reference, strict=True)]
    counted = [r for r in ratios if r is not None]
    if not counted:
        return {"ratios": ratios, "median": None, "min": None, "max": None}
    return {"ratios": ratios, "median": statistics.median(counted), "min": min(counted), "max": max(counted)}


def brief(run: dict) -> str:
    lat = run["latency_ms"]
    cpu = run["cpu"]
    return (
        f"{run['deliveries_per_s'] or 0:,.0f} deliveries/s, {run['posts']} posts ({run['refused']} refused),"
        f" p50 {lat['p50']} p99 {lat['p99']} ms, lost {run['lost_silently']}+{run['lost_on_closed']}"
        f" dup {run['duplicates']} closed {run['closed_sockets']};"
        f" cpu server {cpu['server_s']} s ({run['server_us_per_delivery']} µs/dlv) client {cpu['client_s']} s"
        f" redis {cpu['redis_s']} s pg {cpu['postgres_s']} s other {cpu['other_s']} s / {cpu['wall_s']} s"
    )


def spread(values: list[float | None]) -> dict[str, float | None]:
    """Median with min and max, of the runs that produced a value."""
    present = [v for v in values if v is not None]
    if not present:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(present), "min": min(present), "max": max(present), "n": len(present)}


def refused_by_poster(refused: list) -> dict[str, int]:
    """How many posts the server refused, by poster."""
    counts: dict[str, int] = {}
    for poster, _seq in refused:
        counts[str(poster)] = counts.get(str(poster), 0) + 1
    return counts
