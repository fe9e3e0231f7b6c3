"""The report's sections beyond fan-out: connect and idle sockets, history, two processes, the reconnect
storm, the locked row, and the errors seen."""

from __future__ import annotations

from bench.markdown import sp
from bench.servers import ServerSpec
from bench.tables import DASH, Column, X, counts_text, fmt, get, ratio, ratio_columns, section


def connect_idle(report: dict, specs: list[ServerSpec]) -> list[str]:
    results, plan = report["results"], report["meta"]["plan"]
    conn, soak = results.get("connect", {}), results.get("soak", {})
    rows = [(s.label, {"c": conn.get(s.name, {}), "k": soak.get(s.name, {})}) for s in specs]

    def c(key: str, digits: int) -> str:
        return lambda e: fmt(get(e, "c", key, "median"), digits) if e["c"] else DASH

    def k(key: str, digits: int = 1) -> str:
        return lambda e: fmt(get(e, "k", key), digits) if e["k"] else DASH

    by_ref = {"connect": conn, "soak": soak}
    columns = [
        Column(f"connect {plan['connect_sockets']} s", c("connect_s", 2)),
        *ratio_columns(by_ref, specs, "connect", "connect_s"),
        Column("ready p99 ms", c("ready_p99_ms", 0)),
        Column("failed", lambda e: str(e["c"].get("failed", DASH))),
        Column(
            f"RSS KB/socket at {plan['connect_sockets']}",
            lambda e: fmt(e["c"].get("rss_per_socket_kb_first_run"), 1),
        ),
        Column(
            "idle open",
            lambda e: f"{e['k'].get('opened', DASH)}/{e['k'].get('sockets', DASH)}" if e["k"] else DASH,
        ),
        Column("idle connect s", k("connect_s")),
        Column("RSS KB/idle socket", k("rss_per_socket_kb")),
        *ratio_columns(by_ref, specs, "soak", "rss_per_socket_kb"),
        Column("dropped", k("dropped", 0)),
        Column(
            "liveness post",
            lambda e: (
                f"{e['k'].get('liveness_delivered', DASH)}/{e['k'].get('liveness_expected', DASH)}"
                if e["k"]
                else DASH
            ),
        ),
        Column("server CPU s idle", lambda e: fmt(get(e, "k", "idle_cpu", "server_s"), 2)),
    ]
    # The ratio columns read the entry's figures at the top level: give them the same shape.
    shaped = [
        (
            label,
            {**e, "connect_s": e["c"].get("connect_s"), "rss_per_socket_kb": e["k"].get("rss_per_socket_kb")},
        )
        for label, e in rows
    ]
    return section("Connect and idle sockets", [], columns, shaped)


def history(report: dict, specs: list[ServerSpec]) -> list[str]:
    hist = report["results"].get("history", {})
    sizes = [str(s) for s in report["meta"]["plan"]["history_sizes"]]

    def size_column(size: str) -> Column:
        def cell(h: dict) -> str:
            return (
                f"{fmt(h[size]['p50_ms'], 1)} / {fmt(h[size]['p99_ms'], 1)} ({h[size]['connects']})"
                if size in h
                else DASH
            )

        return Column(f"{int(size):,} posts: p50 / p99 ms (connects)", cell)

    def growth(h: dict) -> str:
        r = ratio(get(h, sizes[-1], "p99_ms"), get(h, sizes[0], "p99_ms")) if len(sizes) > 1 else None
        return DASH if r is None else f"{r:.2f}{X}"

    rows = [(s.label, hist[s.name]) for s in specs if s.name in hist]
    title = "Connect + history latency (wall only): open socket → first `messages` frame, sequential"
    out = section(title, [], [*(size_column(s) for s in sizes), Column("p99 ratio", growth)], rows)
    for size, explain in (hist.get("explain") or {}).items():
        out += explain_lines(int(size), explain)
    return out


def explain_lines(size: int, explain: dict) -> list[str]:
    if "queries" not in explain:
        return [f"EXPLAIN with {size:,} posts failed: {explain.get('error', '')[:500]}", ""]
    out = [
        f"EXPLAIN (ANALYZE, BUFFERS) of the history read with {size:,} posts"
        f" (index scan: {explain['index_scan']}, seq scan on wall_post: {explain['seq_scan_on_post']}):",
        "",
        "```",
    ]
    for query in explain["queries"]:
        out += [query["sql"], *query["plan"], ""]
    return [*out, "```", ""]


def two_processes(report: dict, specs: list[ServerSpec]) -> list[str]:
    two = report["results"].get("two", {})
    plan = report["meta"]["plan"]
    rows = []
    for spec in specs:
        for sockets, point in sorted(two.get(spec.name, {}).items(), key=lambda kv: int(kv[0])):
            one = point.get("1", {})
            for processes, entry in sorted(point.items()):
                base = get(one, "server_us_per_delivery", "median")
                rows.append(
                    (f"{spec.label}, N={int(sockets):,}, {processes} process(es)", {**entry, "base": base})
                )
    columns = [
        sp("deliveries/s", "deliveries_per_s"),
        Column("lost / dup", lambda e: f"{e['lost_silently'] + e['lost_on_closed']} / {e['duplicates']}"),
        sp("p99 ms", "p99_ms", 1),
        sp("server µs/dlv", "server_us_per_delivery", 1),
        Column(
            "÷ one process",
            lambda e: fmt(ratio(get(e, "server_us_per_delivery", "median"), e["base"]), 2) + X,
        ),
        Column("redis CPU µs/post", lambda e: fmt(e.get("redis_us_per_post"), 1)),
        Column("redis commands/post", lambda e: fmt(e.get("redis_commands_per_post"), 1)),
    ]
    intro = (
        f"Sockets split evenly over two wall processes on one Redis, one poster on each, {plan['two_rate']:g}"
        f" posts/s in all for {plan['two_s']:.0f} s per run; beside it the same sockets and posters on one"
        " process. Server µs/dlv counts both processes. Redis figures are the whole Redis server's (other"
        " users of it included): compare them between socket counts."
    )
    return section("Two server processes on one Redis", [intro], columns, rows)


def storm(report: dict, specs: list[ServerSpec]) -> list[str]:
    data = report["results"].get("storm", {})
    columns = [
        Column("pages", lambda e: f"{e['sockets']:,}"),
        Column(
            "closed (codes)",
            lambda e: (
                f"{e['closed_sockets']:,} ({', '.join(f'{k}: {v}' for k, v in e['close_codes'].items())})"
            ),
        ),
        Column("served again", lambda e: f"{e['served_after_close']:,}"),
        Column("lost / dup", lambda e: f"{e['lost']} / {e['duplicates']}"),
        Column("posts (filled by resume)", lambda e: f"{e['posts']} ({e['resumed']:,})"),
        Column("process gone after s", lambda e: fmt(e.get("stop_s"), 2)),
        Column("`messages` p50 / p99 / last, s after SIGTERM", storm_times),
        Column("database busy backend-s (sampled)", lambda e: fmt(get(e, "database", "busy_backend_s"), 2)),
        Column(
            "active_time s / commits",
            lambda e: (
                f"{fmt(get(e, 'database', 'active_time_s'), 2)} / {fmt(get(e, 'database', 'xact_commit'))}"
            ),
        ),
    ]
    intro = (
        "Every page on one wall process; a poster on a second process posts throughout. A quarter in, the"
        " first process gets SIGTERM (its pages get 1012) and every page reconnects at once, with"
        " `?since=<highest id it holds>`, to the second. *Database busy*: pg_stat_activity sampled every"
        " 10 ms on the wall's database (active backends times the interval) from SIGTERM to the run's end;"
        " pg_stat_database's active_time and commits over the same span (pg_stat_statements is not loaded)."
    )
    return section(
        "Reconnect storm", [intro], columns, [(s.label, data[s.name]) for s in specs if s.name in data]
    )


def storm_times(e: dict) -> str:
    after = e.get("messages_after_s") or {}
    return f"{fmt(after.get('p50'), 2)} / {fmt(after.get('p99'), 2)} / {fmt(e.get('last_messages_s'), 2)}"


def lock(report: dict, specs: list[ServerSpec]) -> list[str]:
    data = report["results"].get("lock", {})
    plan = report["meta"]["plan"]
    rows = [
        (f"{s.label}, {phase}", data[s.name][phase])
        for s in specs
        if s.name in data
        for phase in ("unlocked", "locked")
    ]
    columns = [
        Column(
            "others p50 / p99 / max ms",
            lambda e: " / ".join(fmt(e["others_ms"][k], 1) for k in ("p50", "p99", "max")),
        ),
        Column(
            "refused (by poster)",
            lambda e: counts_text(e["refused_by_poster"]),
        ),
        Column(
            "errors to posters",
            lambda e: counts_text(e["poster_errors"]),
        ),
        Column("refused after ms", lambda e: fmt(get(e, "refused_after_ms", "median"), 0)),
        Column("locked author's delivered p99 ms", lambda e: fmt(e["author_delivered_ms"]["p99"], 1)),
        Column("lost / posts", lambda e: f"{e['lost']} / {e['posts']}"),
    ]
    intro = (
        f"{plan['lock_posters']} posters on one wall process, {plan['lock_rate']:g} posts/s in all for"
        f" {plan['lock_s']:g} s, {plan['lock_sockets']} receivers; in the locked run a separate connection"
        " holds `SELECT ... FOR UPDATE` on the last poster's participant row for as long. *Others*: the"
        " latency of every other poster's posts. WALL_DB_LOCK_TIMEOUT is 5 s unless --server-env says"
        " otherwise."
    )
    return section("One author's row locked while others post", [intro], columns, rows)


def errors(report: dict, specs: list[ServerSpec]) -> list[str]:
    labels = {s.name: s.label for s in specs}
    out = ["## Errors and server log lines", ""]
    problems = report.get("problems", [])
    if not problems:
        out += ["No scenario failed.", ""]
    for p in problems:
        out += [f"- {p['scenario']} / {p['server']}: {p['error']}"]
        if p.get("log_tail"):
            out += ["  ```", *["  " + line for line in p["log_tail"].splitlines()[-15:]], "  ```"]
    # Server log lines that look like errors or warnings, each distinct line once, with where it was seen.
    seen: dict[str, list[str]] = {}
    totals: dict[str, int] = {}
    for name, entries in report["results"].get("server_logs", {}).items():
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
    return [*out, ""]
