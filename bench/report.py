"""Results out: targets (PASS/MISS), a Markdown report, JSON, and the fan-out plot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from bench.servers import ServerSpec

REF_A, REF_B = "reference-a", "reference-b"
# The multiplication sign and the en dash, as escapes (ruff flags them written out).
X, DASH = "\u00d7", "\u2013"


def _ref(specs: list[ServerSpec], role: str) -> str | None:
    return next((s.name for s in specs if s.role == role), None)


def _get(results: dict, *path: Any) -> Any:
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or str(key) not in node:
            return None
        node = node[str(key)]
    return node


def _median(results: dict, *path: Any) -> float | None:
    node = _get(results, *path)
    return node.get("median") if isinstance(node, dict) else node


def fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return DASH
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if digits == 0 and abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:,.{max(digits, 1) if abs(value) < 100 else digits}f}"
    return str(value)


def spread_text(node: dict | None, digits: int = 0) -> str:
    if not node or node.get("median") is None:
        return DASH
    if node.get("n", 1) <= 1 or node["min"] == node["max"]:
        return fmt(node["median"], digits)
    return f"{fmt(node['median'], digits)} ({fmt(node['min'], digits)}{DASH}{fmt(node['max'], digits)})"


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b in (None, 0):
        return None
    return a / b


def ratio_text(a: float | None, b: float | None) -> str:
    value = ratio(a, b)
    return DASH if value is None else f"{value:.2f}{X}"


# --- targets ---------------------------------------------------------------------------------------


def targets(results: dict, specs: list[ServerSpec]) -> list[dict]:
    """The issue's targets for each wall server: value, threshold, PASS or MISS (a dash when not measured)."""
    ref_a, ref_b = _ref(specs, REF_A), _ref(specs, REF_B)
    out: list[dict] = []

    def add(server: str, name: str, value: Any, wanted: str, ok: bool | None) -> None:
        out.append(
            {
                "server": server,
                "target": name,
                "value": value,
                "wanted": wanted,
                "result": DASH if ok is None else ("PASS" if ok else "MISS"),
            }
        )

    for spec in specs:
        if spec.role != "wall":
            continue
        name = spec.name
        sat = _median(results, "saturation", name, "deliveries_per_s")
        raw = _median(results, "saturation", ref_b, "deliveries_per_s") if ref_b else None
        tut = _median(results, "saturation", ref_a, "deliveries_per_s") if ref_a else None
        if spec.saturation_target_vs_raw is not None:
            r = ratio(sat, raw)
            add(
                name,
                "saturation N=1000 vs raw (b)",
                None if r is None else f"{r:.2f}{X}",
                f"≥ {spec.saturation_target_vs_raw}{X}",
                None if r is None else r >= spec.saturation_target_vs_raw,
            )
        r = ratio(sat, tut)
        add(
            name,
            "saturation N=1000 vs tutorial (a)",
            None if r is None else f"{r:.1f}{X}",
            f"≥ 20{X}",
            None if r is None else r >= 20,
        )

        fixed = _get(results, "fixed", name)
        if fixed:
            lost = fixed["lost_silently"] + fixed["lost_on_closed"]
            add(
                name,
                f"1000{X}10/s lost / duplicated",
                f"{lost} / {fixed['duplicates']}",
                "0 / 0",
                lost == 0 and fixed["duplicates"] == 0 and fixed["expected"] > 0,
            )
            p99 = _median(results, "fixed", name, "p99_ms")
            raw_p99 = _median(results, "fixed", ref_b, "p99_ms") if ref_b else None
            r = ratio(p99, raw_p99)
            add(
                name,
                f"1000{X}10/s p99 vs raw's p99",
                None if r is None else f"{p99:.1f} ms = {r:.2f}{X}",
                f"≤ 3{X}",
                None if r is None else r <= 3,
            )
        else:
            add(name, f"1000{X}10/s lost / duplicated", None, "0 / 0", None)

        over = _get(results, "overload", name)
        if over:
            add(
                name,
                "overload: lost silently",
                over["lost_silently"],
                "0",
                over["lost_silently"] == 0 and over["expected"] > 0,
            )
            add(
                name,
                "overload: missing after resume",
                over["lost_on_closed"],
                "0",
                over["lost_on_closed"] == 0,
            )
        else:
            add(name, "overload: lost silently", None, "0", None)

        soak = _get(results, "soak", name)
        if soak and "dropped" in soak:
            delivered_all = soak.get("liveness_delivered") == soak.get("liveness_expected")
            add(
                name,
                f"{soak['sockets']} idle for {soak['seconds']:.0f} s: dropped",
                f"{soak['dropped']} (liveness {soak.get('liveness_delivered')}"
                f"/{soak.get('liveness_expected')})",
                "0, all deliver",
                soak["dropped"] == 0 and delivered_all and soak["failed"] == 0,
            )
        if soak and "rss_per_socket_kb" in soak:
            add(
                name,
                "RSS per idle socket",
                f"{soak['rss_per_socket_kb']} KB",
                "≤ 40 KB",
                soak["rss_per_socket_kb"] <= 40,
            )
        conn = _median(results, "connect", name, "connect_s")
        raw_conn = _median(results, "connect", ref_b, "connect_s") if ref_b else None
        r = ratio(conn, raw_conn)
        add(
            name,
            "connect 1000 vs raw",
            None if r is None else f"{conn:.2f} s = {r:.2f}{X}",
            f"≤ 2{X}",
            None if r is None else r <= 2,
        )

        hist = _get(results, "history", name)
        if hist:
            sizes = sorted(int(k) for k in hist)
            small, large = (hist[str(sizes[0])], hist[str(sizes[-1])]) if len(sizes) > 1 else (None, None)
            if large and small:
                label = f"{sizes[-1]:,}"
                add(
                    name,
                    f"open→history p99 with {label} posts",
                    f"{large['p99_ms']} ms",
                    "≤ 30 ms",
                    large["p99_ms"] is not None and large["p99_ms"] <= 30,
                )
                r = ratio(large["p99_ms"], small["p99_ms"])
                add(
                    name,
                    f"p99 {label} vs {sizes[0]:,} posts",
                    None if r is None else f"{r:.2f}{X}",
                    f"≤ 1.2{X}",
                    None if r is None else r <= 1.2,
                )
    return out


# --- Markdown --------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def markdown(report: dict, specs: list[ServerSpec]) -> str:
    results = report["results"]
    meta = report["meta"]
    labels = {s.name: s.label for s in specs}
    ref_a, ref_b = _ref(specs, REF_A), _ref(specs, REF_B)
    names = [s.name for s in specs]
    plan = meta["plan"]
    out = [f"# The wall's benchmark: {meta['mode']} run, {meta['started']} {DASH} {meta['finished']}", ""]
    out.append(
        f"Machine: {meta['cores']} cores shared by servers, client, Redis and PostgreSQL"
        " (and by anyone else on it);"
        f" load average at start {meta['load_start']}, at end {meta['load_end']}. Commit {meta['git']}."
        f" Client: {plan['lib']}, {plan['receiver_workers']} receiver process(es) + 1 poster process,"
        f" closed loop W={plan['window']} (ack: {plan['ack']}), {plan['runs']} run(s) per figure:"
        f" median (min{DASH}max)."
    )
    out.append("")
    if meta.get("skipped_servers"):
        out += [f"Not measured: {', '.join(f'{k} ({v})' for k, v in meta['skipped_servers'].items())}.", ""]

    out += ["## Targets", ""]
    out += table(
        ["server", "target", "measured", "wanted", ""],
        [
            [labels.get(t["server"], t["server"]), t["target"], fmt(t["value"]), t["wanted"], t["result"]]
            for t in report["targets"]
        ],
    )
    out.append("")

    def ratios(value: float | None, path: tuple) -> list[str]:
        a = _median(results, path[0], ref_a, *path[1:]) if ref_a else None
        b = _median(results, path[0], ref_b, *path[1:]) if ref_b else None
        return [ratio_text(value, a), ratio_text(value, b)]

    sat = results.get("saturation", {})
    out += [
        f"## Saturation: N={plan['saturation_sockets']} sockets, one poster, {plan['saturation_s']:.0f} s",
        "",
    ]
    rows = []
    for name in names:
        s = sat.get(name)
        if not s:
            continue
        dps = s["deliveries_per_s"]["median"]
        rows.append(
            [
                labels[name],
                spread_text(s["deliveries_per_s"]),
                *ratios(dps, ("saturation", "deliveries_per_s")),
                spread_text(s["p50_ms"], 1),
                spread_text(s["p99_ms"], 1),
                spread_text(s["server_us_per_delivery"], 1),
                *ratios(s["server_us_per_delivery"]["median"], ("saturation", "server_us_per_delivery")),
                spread_text(s["redis_us_per_delivery"], 1),
                spread_text(s["client_us_per_delivery"], 1),
                spread_text(s["server_busy"], 2),
                spread_text(s["client_max_busy"], 2),
                spread_text(s["machine_busy"], 2),
                spread_text(s["other_s"], 1),
                f"{s['lost_silently'] + s['lost_on_closed']} / {s['duplicates']}",
            ]
        )
    out += table(
        [
            "server",
            "deliveries/s",
            "÷(a)",
            "÷(b)",
            "p50 ms",
            "p99 ms",
            "server µs/dlv",
            "÷(a)",
            "÷(b)",
            "redis µs/dlv",
            "client µs/dlv",
            "server busy",
            "client busiest proc",
            "machine busy",
            "other CPU s",
            "lost / dup",
        ],
        rows,
    )
    out.append("")

    fixed = results.get("fixed", {})
    out += [
        f"## Fixed rate: {plan['fixed_sockets']} sockets {X} {plan['fixed_rate']:g} posts/s"
        f" for {plan['fixed_s']:.0f} s",
        "",
    ]
    rows = []
    for name in names:
        f = fixed.get(name)
        if not f:
            continue
        rows.append(
            [
                labels[name],
                f"{f['deliveries']:,}/{f['expected']:,}",
                str(f["undelivered_at_deadline"]),
                str(f["lost_silently"] + f["lost_on_closed"]),
                str(f["duplicates"]),
                spread_text(f["p50_ms"], 1),
                spread_text(f["p95_ms"], 1),
                spread_text(f["p99_ms"], 1),
                *ratios(f["p99_ms"]["median"], ("fixed", "p99_ms")),
                str(f["closed_sockets"]),
                spread_text(f["server_busy"], 2),
                spread_text(f["server_us_per_delivery"], 1),
            ]
        )
    out += table(
        [
            "server",
            "delivered/expected",
            f"not in by +{plan['drain_timeout']:.0f} s",
            f"never came (by +{plan['drain_timeout'] + plan['settle_timeout']:.0f} s)",
            "dup",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "p99 ÷(a)",
            "p99 ÷(b)",
            "sockets closed",
            "server busy",
            "server µs/dlv",
        ],
        rows,
    )
    out.append("")

    over = results.get("overload", {})
    out += [
        f"## Overload: {plan['overload_posters']} posters, {plan['overload_rate']:g} posts/s in all,"
        f" {plan['overload_sockets']} sockets, {plan['overload_s']:.0f} s",
        "",
        f"In each run {plan['overload_stalled']} sockets stop reading for {plan['overload_stall_s']:g} s"
        f" (slow readers) and {plan['overload_dropped']} are dropped by the client halfway (a network"
        " blip); every socket that closes reconnects, the wall's with `?since=<last id>`. *Lost silently*:"
        " missing on a socket that was never closed. *Missing after resume*: missing on a socket that"
        " closed and came back.",
        "",
    ]
    rows = []
    for name in names:
        o = over.get(name)
        if not o:
            continue
        errors: dict[str, int] = {}
        for per_run in o.get("poster_server_errors", []):
            for code, count in per_run.items():
                errors[code] = errors.get(code, 0) + count
        rows.append(
            [
                labels[name],
                f"{o['deliveries']:,}/{o['expected']:,}",
                str(o["lost_silently"]),
                str(o["closed_sockets"]),
                str(o.get("dropped_sockets", 0)),
                str(o["resumed"]),
                str(o["lost_on_closed"]),
                str(o["duplicates"]),
                str(o["undelivered_at_deadline"]),
                spread_text(o["p99_ms"], 1),
                ", ".join(f"{k}: {v}" for k, v in errors.items()) or "none",
            ]
        )
    out += table(
        [
            "server",
            "delivered/expected",
            "lost silently",
            "closed by server (sockets)",
            "dropped by client",
            "filled by resume",
            "missing after resume",
            "dup",
            f"not in by +{plan['drain_timeout']:.0f} s",
            "p99 ms",
            "errors to posters",
        ],
        rows,
    )
    out.append("")

    sweep = results.get("sweep", {})
    points = plan["sweep_points"]
    out += [
        f"## Sweep: deliveries/s and p99 latency by sockets (closed loop, {plan['sweep_s']:.0f} s per run)",
        "",
    ]
    rows = []
    for name in names:
        if name not in sweep:
            continue
        cells = []
        for n in points:
            p = sweep[name].get(str(n))
            cells.append(
                f"{spread_text(p['deliveries_per_s'])}; p99 {fmt(p['p99_ms']['median'], 1)} ms" if p else DASH
            )
        rows.append([labels[name], *cells])
    out += table(["server", *[f"N={n}" for n in points]], rows)
    out += ["", "![fan-out](fanout.png)", ""]

    conn = results.get("connect", {})
    soak = results.get("soak", {})
    out += ["## Connect and idle sockets", ""]
    rows = []
    for name in names:
        c = conn.get(name, {})
        k = soak.get(name, {})
        cs = c.get("connect_s", {}).get("median") if c else None
        rows.append(
            [
                labels[name],
                spread_text(c.get("connect_s"), 2) if c else DASH,
                *ratios(cs, ("connect", "connect_s")),
                spread_text(c.get("ready_p99_ms"), 0) if c else DASH,
                str(c.get("failed", DASH)),
                fmt(c.get("rss_per_socket_kb_first_run"), 1),
                f"{k.get('opened', DASH)}/{k.get('sockets', DASH)}" if k else DASH,
                fmt(k.get("connect_s"), 1) if k else DASH,
                fmt(k.get("rss_per_socket_kb"), 1) if k else DASH,
                *(ratios(k.get("rss_per_socket_kb"), ("soak", "rss_per_socket_kb")) if k else [DASH, DASH]),
                str(k.get("dropped", DASH)) if k else DASH,
                f"{k.get('liveness_delivered', DASH)}/{k.get('liveness_expected', DASH)}" if k else DASH,
                fmt(_get(k, "idle_cpu", "server_s"), 2) if k else DASH,
            ]
        )
    out += table(
        [
            "server",
            f"connect {plan['connect_sockets']} s",
            "÷(a)",
            "÷(b)",
            "ready p99 ms",
            "failed",
            f"RSS KB/socket at {plan['connect_sockets']}",
            "idle open",
            "idle connect s",
            "RSS KB/idle socket",
            "÷(a)",
            "÷(b)",
            "dropped",
            "liveness post",
            "server CPU s idle",
        ],
        rows,
    )
    out.append("")

    hist = results.get("history", {})
    out += ["## Connect + history latency (wall only): open socket → first `messages` frame, sequential", ""]
    sizes = [str(s) for s in plan["history_sizes"]]
    rows = []
    for name in names:
        h = hist.get(name)
        if not h:
            continue
        cells = [
            f"{fmt(h[s]['p50_ms'], 1)} / {fmt(h[s]['p99_ms'], 1)} ({h[s]['connects']})" if s in h else DASH
            for s in sizes
        ]
        r = (
            ratio(h.get(sizes[-1], {}).get("p99_ms"), h.get(sizes[0], {}).get("p99_ms"))
            if len(sizes) > 1
            else None
        )
        rows.append([labels[name], *cells, DASH if r is None else f"{r:.2f}{X}"])
    out += table(
        ["server", *[f"{int(s):,} posts: p50 / p99 ms (connects)" for s in sizes], "p99 ratio"], rows
    )
    out.append("")
    for size, explain in (hist.get("explain") or {}).items():
        if "queries" not in explain:
            out += [f"EXPLAIN with {int(size):,} posts failed: {explain.get('error', '')[:500]}", ""]
            continue
        out += [
            f"EXPLAIN (ANALYZE, BUFFERS) of the history read with {int(size):,} posts"
            f" (index scan: {explain['index_scan']}, seq scan on wall_post: {explain['seq_scan_on_post']}):",
            "",
            "```",
        ]
        for query in explain["queries"]:
            out += [query["sql"], *query["plan"], ""]
        out += ["```", ""]

    problems = report.get("problems", [])
    logs = results.get("server_logs", {})
    out += ["## Errors and server log lines", ""]
    if not problems:
        out += ["No scenario failed.", ""]
    for p in problems:
        out += [f"- {p['scenario']} / {p['server']}: {p['error']}"]
        if p.get("log_tail"):
            out += ["  ```", *["  " + line for line in p["log_tail"].splitlines()[-15:]], "  ```"]
    # Server log lines that look like errors or warnings, each distinct line once, with where it was seen.
    seen: dict[str, list[str]] = {}
    totals: dict[str, int] = {}
    for name, entries in logs.items():
        for entry in entries:
            totals[name] = totals.get(name, 0) + entry["log_problem_lines"]
            for line in entry["log_problems"]:
                where = f"{labels.get(name, name)} ({entry['scenario']})"
                seen.setdefault(line, [])
                if where not in seen[line]:
                    seen[line].append(where)
    if seen:
        counts = ", ".join(f"{labels.get(n, n)}: {c}" for n, c in totals.items() if c)
        out += ["", f"Error/warning lines in the server logs ({counts}; logs in `bench/results/logs/`):", ""]
        for line, where in seen.items():
            more = " ..." if len(where) > 4 else ""
            out += [f"- `{line[:240]}` ({len(where)} log(s): {', '.join(where[:4])}{more})"]
    out.append("")
    return "\n".join(out)


# --- plot ------------------------------------------------------------------------------------------


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


def write(
    report: dict, specs: list[ServerSpec], results_dir: Path, docs_copy: Path | None
) -> dict[str, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    json_path = results_dir / "latest.json"
    json_path.write_text(json.dumps(report, indent=1, default=str))
    written["json"] = json_path
    md_path = results_dir / "latest.md"
    md_path.write_text(markdown(report, specs))
    written["md"] = md_path
    png = results_dir / "fanout.png"
    if plot(report, specs, png):
        written["png"] = png
        if docs_copy is not None:
            docs_copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, docs_copy)
            written["docs_png"] = docs_copy
    return written
