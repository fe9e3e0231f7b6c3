"""The Markdown report: the header, the targets, then one section per scenario (each one table)."""

from __future__ import annotations

from bench.figures import cost_split
from bench.servers import ServerSpec
from bench.tables import (
    DASH,
    Column,
    X,
    counts_text,
    fmt,
    ratio_columns,
    rows_of,
    section,
    spread_text,
    table,
)


def sp(title: str, key: str, digits: int = 0) -> Column:
    """A column showing the median (min-max) of the entry's `key`."""
    return Column(title, lambda e: spread_text(e.get(key), digits))


def lost_dup(e: dict) -> str:
    return f"{e['lost_silently'] + e['lost_on_closed']} / {e['duplicates']}"


def header(report: dict, specs: list[ServerSpec]) -> list[str]:
    meta, plan = report["meta"], report["meta"]["plan"]
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
    return out


def targets_section(report: dict, specs: list[ServerSpec]) -> list[str]:
    labels = {s.name: s.label for s in specs}
    rows = [(labels.get(t["server"], t["server"]), t) for t in report["targets"]]
    columns = [
        Column("target", lambda t: t["target"]),
        Column("measured", lambda t: fmt(t["value"])),
        Column("wanted", lambda t: t["wanted"]),
        Column("", lambda t: t["result"]),
    ]
    return ["## Targets", "", *table(columns, rows), ""]


def saturation(report: dict, specs: list[ServerSpec]) -> list[str]:
    results, plan = report["results"], report["meta"]["plan"]
    columns = [
        sp("deliveries/s", "deliveries_per_s"),
        *ratio_columns(results, specs, "saturation", "deliveries_per_s"),
        sp("p50 ms", "p50_ms", 1),
        sp("p99 ms", "p99_ms", 1),
        sp("server µs/dlv", "server_us_per_delivery", 1),
        *ratio_columns(results, specs, "saturation", "server_us_per_delivery"),
        sp("redis µs/dlv", "redis_us_per_delivery", 1),
        sp("client µs/dlv", "client_us_per_delivery", 1),
        sp("server busy", "server_busy", 2),
        sp("client busiest proc", "client_max_busy", 2),
        sp("machine busy", "machine_busy", 2),
        sp("other CPU s", "other_s", 1),
        Column("lost / dup", lost_dup),
    ]
    title = f"Saturation: N={plan['saturation_sockets']} sockets, one poster, {plan['saturation_s']:.0f} s"
    return section(title, [], columns, rows_of(results.get("saturation", {}), specs))


def fixed(report: dict, specs: list[ServerSpec]) -> list[str]:
    results, plan = report["results"], report["meta"]["plan"]
    columns = [
        Column("delivered/expected", lambda f: f"{f['deliveries']:,}/{f['expected']:,}"),
        Column(f"not in by +{plan['drain_timeout']:.0f} s", lambda f: str(f["undelivered_at_deadline"])),
        Column(
            f"never came (by +{plan['drain_timeout'] + plan['settle_timeout']:.0f} s)",
            lambda f: str(f["lost_silently"] + f["lost_on_closed"]),
        ),
        Column("dup", lambda f: str(f["duplicates"])),
        sp("p50 ms", "p50_ms", 1),
        sp("p95 ms", "p95_ms", 1),
        sp("p99 ms", "p99_ms", 1),
        *ratio_columns(results, specs, "fixed", "p99_ms", prefix="p99 "),
        Column("sockets closed", lambda f: str(f["closed_sockets"])),
        sp("server busy", "server_busy", 2),
        sp("server µs/dlv", "server_us_per_delivery", 1),
    ]
    title = f"Fixed rate: {plan['fixed_sockets']} sockets {X} {plan['fixed_rate']:g} posts/s"
    title += f" for {plan['fixed_s']:.0f} s"
    return section(title, [], columns, rows_of(results.get("fixed", {}), specs))


def poster_errors(o: dict) -> str:
    errors: dict[str, int] = {}
    for per_run in o.get("poster_server_errors", []):
        for code, count in per_run.items():
            errors[code] = errors.get(code, 0) + count
    return counts_text(errors)


def overload(report: dict, specs: list[ServerSpec]) -> list[str]:
    plan = report["meta"]["plan"]
    intro = (
        f"In each run {plan['overload_stalled']} sockets stop reading for {plan['overload_stall_s']:g} s"
        f" (slow readers) and {plan['overload_dropped']} are dropped by the client halfway (a network"
        " blip); every socket that closes reconnects, the wall's with `?since=<last id>`. *Lost silently*:"
        " missing on a socket that was never closed. *Missing after resume*: missing on a socket that"
        " closed and came back."
    )
    columns = [
        Column("delivered/expected", lambda o: f"{o['deliveries']:,}/{o['expected']:,}"),
        Column("lost silently", lambda o: str(o["lost_silently"])),
        Column("closed by server (sockets)", lambda o: str(o["closed_sockets"])),
        Column("dropped by client", lambda o: str(o.get("dropped_sockets", 0))),
        Column("filled by resume", lambda o: str(o["resumed"])),
        Column("missing after resume", lambda o: str(o["lost_on_closed"])),
        Column("dup", lambda o: str(o["duplicates"])),
        Column(f"not in by +{plan['drain_timeout']:.0f} s", lambda o: str(o["undelivered_at_deadline"])),
        sp("p99 ms", "p99_ms", 1),
        Column("errors to posters", poster_errors),
    ]
    title = (
        f"Overload: {plan['overload_posters']} posters, {plan['overload_rate']:g} posts/s in all,"
        f" {plan['overload_sockets']} sockets, {plan['overload_s']:.0f} s"
    )
    return section(title, [intro], columns, rows_of(report["results"].get("overload", {}), specs))


def pairs(report: dict, specs: list[ServerSpec]) -> list[str]:
    """The interleaved pairs (bench/pairs.py): each pair's two runs and their ratio."""
    labels = {s.name: s.label for s in specs}
    out = []
    for name, entry in report["results"].get("pairs", {}).items():
        ref = labels.get(entry["reference"], entry["reference"])
        out += [
            f"## Saturation in interleaved pairs: {labels.get(name, name)} and {ref}, N={entry['sockets']}",
            "",
            "Both servers up with their sockets open; one run on each, one after the other, the order"
            " alternating. The target reads the median of the pairs' ratios: runs seconds apart,"
            " not minutes, so the machine's drift cancels.",
            "",
            "| pair | wall deliveries/s | server µs/dlv | raw deliveries/s | server µs/dlv | ratio |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        rows = zip(entry["wall_runs"], entry["reference_runs"], entry["ratios"], strict=True)
        for index, (wall, raw, ratio) in enumerate(rows, start=1):
            cells = [
                str(index),
                fmt(wall["deliveries_per_s"]),
                fmt(wall["server_us_per_delivery"], 1),
                fmt(raw["deliveries_per_s"]),
                fmt(raw["server_us_per_delivery"], 1),
                DASH if ratio is None else f"{ratio:.2f}{X}",
            ]
            out.append("| " + " | ".join(cells) + " |")
        median = entry["median"]
        out += ["", f"Median ratio: {DASH if median is None else f'{median:.2f}{X}'}.", ""]
    return out


def sweep(report: dict, specs: list[ServerSpec]) -> list[str]:
    plan = report["meta"]["plan"]

    def point(n: int) -> Column:
        def cell(points: dict) -> str:
            p = points.get(str(n))
            return (
                f"{spread_text(p['deliveries_per_s'])}; p99 {fmt(p['p99_ms']['median'], 1)} ms" if p else DASH
            )

        return Column(f"N={n}", cell)

    title = f"Sweep: deliveries/s and p99 latency by sockets (closed loop, {plan['sweep_s']:.0f} s per run)"
    columns = [point(n) for n in plan["sweep_points"]]
    sweep_results = report["results"].get("sweep", {})
    split = [
        Column("server CPU per post, fixed", lambda e: f"{e['per_post_us'] / 1000:.2f} ms"),
        Column("per socket", lambda e: f"{e['per_delivery_us']:.1f} µs"),
        Column("sweep points", lambda e: str(e["points"])),
    ]
    splits = {name: cost_split(points) for name, points in sweep_results.items()}
    return [
        *section(title, [], columns, rows_of(sweep_results, specs)),
        "![fan-out](fanout.png)",
        "",
        *section(
            f"Where a post's server CPU goes: fixed + per socket {X} N (least squares over the sweep)",
            [],
            split,
            rows_of({name: e for name, e in splits.items() if e}, specs),
        ),
    ]
