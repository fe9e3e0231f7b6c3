"""The issues' targets for each wall server: value, threshold, PASS or MISS (a dash when not measured)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.servers import REF_A, REF_B, REF_C, ServerSpec
from bench.tables import DASH, X, get, median, ratio, ref_name

Target = dict[str, Any]


def target(name: str, value: Any, wanted: str, ok: bool | None) -> Target:
    return {
        "target": name,
        "value": value,
        "wanted": wanted,
        "result": DASH if ok is None else ("PASS" if ok else "MISS"),
    }


def vs_reference(results: dict, section: str, key: str, name: str, ref: str | None) -> float | None:
    """A wall figure divided by the same figure of a reference."""
    return ratio(median(results, section, name, key), median(results, section, ref, key) if ref else None)


def saturation(results: dict, spec: ServerSpec, specs: list[ServerSpec]) -> list[Target]:
    """Against raw (b): the median of the interleaved pairs' ratios when they ran (bench/pairs.py),
    else the saturation medians' ratio; the other is shown beside it."""
    out = []
    raw = vs_reference(results, "saturation", "deliveries_per_s", spec.name, ref_name(specs, REF_B))
    paired = get(results, "pairs", spec.name) or {}
    if spec.saturation_target_vs_raw is not None:
        want = spec.saturation_target_vs_raw
        judged = paired.get("median") if paired else raw
        if judged is None:
            shown = None
        elif paired:
            count = sum(r is not None for r in paired["ratios"])
            spread = f"{paired['min']:.2f}{DASH}{paired['max']:.2f}"
            shown = f"{judged:.2f}{X} (median of {count} interleaved pairs, {spread})"
        else:
            shown = f"{judged:.2f}{X}"
        out.append(
            target(
                "saturation N=1000 vs raw (b)",
                shown,
                f"≥ {want}{X}",
                None if judged is None else judged >= want,
            )
        )
        if paired and raw is not None:
            out.append(
                target("saturation N=1000 vs raw (b), section medians", f"{raw:.2f}{X}", "(shown)", None)
            )
    tut = vs_reference(results, "saturation", "deliveries_per_s", spec.name, ref_name(specs, REF_A))
    shown = None if tut is None else f"{tut:.1f}{X}"
    out.append(
        target("saturation N=1000 vs tutorial (a)", shown, f"≥ 20{X}", None if tut is None else tut >= 20)
    )
    per = vs_reference(results, "saturation", "deliveries_per_s", spec.name, ref_name(specs, REF_C))
    if per is not None:
        out.append(target("saturation N=1000 vs member per consumer (c)", f"{per:.1f}{X}", "(shown)", None))
    return out


def fixed(results: dict, spec: ServerSpec, specs: list[ServerSpec]) -> list[Target]:
    entry = get(results, "fixed", spec.name)
    if not entry:
        return [target(f"1000{X}10/s lost / duplicated", None, "0 / 0", None)]
    lost = entry["lost_silently"] + entry["lost_on_closed"]
    ok = lost == 0 and entry["duplicates"] == 0 and entry["expected"] > 0
    out = [target(f"1000{X}10/s lost / duplicated", f"{lost} / {entry['duplicates']}", "0 / 0", ok)]
    r = vs_reference(results, "fixed", "p99_ms", spec.name, ref_name(specs, REF_B))
    shown = None if r is None else f"{median(entry, 'p99_ms'):.1f} ms = {r:.2f}{X}"
    return [*out, target(f"1000{X}10/s p99 vs raw's p99", shown, f"≤ 3{X}", None if r is None else r <= 3)]


def overload(results: dict, spec: ServerSpec, specs: list[ServerSpec]) -> list[Target]:
    over = get(results, "overload", spec.name)
    if not over:
        return [target("overload: lost silently", None, "0", None)]
    ok = over["lost_silently"] == 0 and over["expected"] > 0
    return [
        target("overload: lost silently", over["lost_silently"], "0", ok),
        target("overload: missing after resume", over["lost_on_closed"], "0", over["lost_on_closed"] == 0),
    ]


def soak(results: dict, spec: ServerSpec, specs: list[ServerSpec]) -> list[Target]:
    entry = get(results, "soak", spec.name)
    out = []
    if entry and "dropped" in entry:
        delivered_all = entry.get("liveness_delivered") == entry.get("liveness_expected")
        liveness = f"{entry.get('liveness_delivered')}/{entry.get('liveness_expected')}"
        shown = f"{entry['dropped']} (liveness {liveness})"
        ok = entry["dropped"] == 0 and delivered_all and entry["failed"] == 0
        out.append(
            target(
                f"{entry['sockets']} idle for {entry['seconds']:.0f} s: dropped", shown, "0, all deliver", ok
            )
        )
    if entry and "rss_per_socket_kb" in entry:
        kb = entry["rss_per_socket_kb"]
        out.append(target("RSS per idle socket", f"{kb} KB", "≤ 40 KB", kb <= 40))
    return out


def connect(results: dict, spec: ServerSpec, specs: list[ServerSpec]) -> list[Target]:
    r = vs_reference(results, "connect", "connect_s", spec.name, ref_name(specs, REF_B))
    shown = None if r is None else f"{median(results, 'connect', spec.name, 'connect_s'):.2f} s = {r:.2f}{X}"
    return [target("connect 1000 vs raw", shown, f"≤ 2{X}", None if r is None else r <= 2)]


def history(results: dict, spec: ServerSpec, specs: list[ServerSpec]) -> list[Target]:
    hist = get(results, "history", spec.name)
    sizes = sorted(int(k) for k in hist) if hist else []
    if len(sizes) < 2:
        return []
    small, large = hist[str(sizes[0])], hist[str(sizes[-1])]
    label = f"{sizes[-1]:,}"
    p99 = large["p99_ms"]
    r = ratio(p99, small["p99_ms"])
    return [
        target(f"open→history p99 with {label} posts", f"{p99} ms", "≤ 30 ms", p99 is not None and p99 <= 30),
        target(
            f"p99 {label} vs {sizes[0]:,} posts",
            None if r is None else f"{r:.2f}{X}",
            f"≤ 1.2{X}",
            None if r is None else r <= 1.2,
        ),
    ]


def two(results: dict, spec: ServerSpec, specs: list[ServerSpec]) -> list[Target]:
    out = []
    for sockets, point in sorted((get(results, "two", spec.name) or {}).items(), key=lambda kv: int(kv[0])):
        one, both = point.get("1"), point.get("2")
        if not one or not both:
            continue
        lost = both["lost_silently"] + both["lost_on_closed"]
        out.append(
            target(
                f"two processes N={sockets}: lost / dup",
                f"{lost} / {both['duplicates']}",
                "0 / 0",
                lost + both["duplicates"] == 0,
            )
        )
        r = ratio(median(both, "server_us_per_delivery"), median(one, "server_us_per_delivery"))
        shown = None if r is None else f"{r:.2f}{X}"
        out.append(
            target(
                f"two processes N={sockets}: server µs/dlv vs one",
                shown,
                f"≤ 1.2{X}",
                None if r is None else r <= 1.2,
            )
        )
    return out


def storm(results: dict, spec: ServerSpec, specs: list[ServerSpec]) -> list[Target]:
    entry = get(results, "storm", spec.name)
    if not entry:
        return []
    served = entry["served_after_close"] == entry["sockets"] and entry["reconnect_failures"] == 0
    shown = f"{entry['served_after_close']}/{entry['sockets']} served, {entry['lost']} lost"
    shown += f", last in {entry['last_messages_s']} s"
    return [target("reconnect storm: all served, 0 lost", shown, "all, 0", served and entry["lost"] == 0)]


def lock(results: dict, spec: ServerSpec, specs: list[ServerSpec]) -> list[Target]:
    entry = get(results, "lock", spec.name)
    if not entry or "locked" not in entry:
        return []
    locked, unlocked = entry["locked"]["others_ms"]["p99"], entry["unlocked"]["others_ms"]["p99"]
    r = ratio(locked, unlocked)
    ok = None if locked is None else locked < 1000  # "about normal", not seconds behind the lock
    shown = f"{locked} ms (unlocked {unlocked} ms{'' if r is None else f', {r:.2f}{X}'})"
    return [target("row locked 10 s: others' p99", shown, "≈ unlocked, < 1 s", ok)]


CHECKS: list[Callable[[dict, ServerSpec, list[ServerSpec]], list[Target]]] = [
    saturation,
    fixed,
    overload,
    soak,
    connect,
    history,
    two,
    storm,
    lock,
]


def targets(results: dict, specs: list[ServerSpec]) -> list[Target]:
    return [
        {"server": spec.name, **row}
        for spec in specs
        if spec.role == "wall"
        for check in CHECKS
        for row in check(results, spec, specs)
    ]
