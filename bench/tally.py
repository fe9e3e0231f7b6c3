"""A worker's account of a run: waiting until every receiver holds every post (or a timeout), letting a
backlog run out, and the counts sent back to the coordinator."""

from __future__ import annotations

import asyncio
import time

from bench import histogram
from bench.worker import Worker


async def drain(worker: Worker, sent: list[int], refused: frozenset, timeout: float) -> dict:
    """Wait until every receiver has every post sent and not refused (or the timeout); report the run."""
    expected = (sum(sent) - len(refused)) * len(worker.receivers)
    stats = worker.stats.get("receivers")
    deadline = time.perf_counter() + timeout
    waited_start = time.perf_counter()
    complete = stats is None
    while stats is not None and time.perf_counter() < deadline:
        # Sockets that could not reconnect will never catch up, nor will a reference's socket that
        # reconnected (no resume there): do not wait for them.
        unreachable = sum(
            sock.missing(sent, refused)
            for sock in worker.receivers
            if sock.dead or (sock.closes and worker.kind != "wall")
        )
        if stats.unique >= expected - unreachable:
            complete = True
            break
        await asyncio.sleep(0.02)
    waited = time.perf_counter() - waited_start
    return {**report(worker, sent, refused, waited), "complete": complete}


async def settle(worker: Worker, sent: list[int], refused: frozenset, quiet: float, timeout: float) -> dict:
    """After a drain that timed out: wait until no frame has come for `quiet` s (at most `timeout` s),
    so the next run does not start on this one's backlog; report again."""
    start = time.perf_counter()
    seen, since = worker.frames, time.perf_counter()
    while time.perf_counter() - start < timeout:
        await asyncio.sleep(0.1)
        if worker.frames != seen:
            seen, since = worker.frames, time.perf_counter()
        elif time.perf_counter() - since >= quiet:
            break
    return {**report(worker, sent, refused), "settle_s": round(time.perf_counter() - start, 2)}


def report(worker: Worker, sent: list[int], refused: frozenset = frozenset(), waited: float = 0.0) -> dict:
    stats = worker.stats.get("receivers")
    lost_open = lost_closed = 0
    closed_socks = dropped_socks = 0
    close_codes: dict[str, int] = {}
    resets = 0
    for sock in worker.receivers:
        missing = sock.missing(sent, refused) if stats is not None else 0
        if sock.closes:
            if any(code != "drop" for code, _reason, _when in sock.closes):
                closed_socks += 1
            else:
                dropped_socks += 1
            lost_closed += missing
            for code, _reason, _when in sock.closes:
                close_codes[str(code)] = close_codes.get(str(code), 0) + 1
        else:
            lost_open += missing
        resets += sock.resets
    poster_closes = sum(len(sock.closes) for sock in worker.posters)
    merged = histogram.merge(histogram.sparse(hist) for hist in stats.hists) if stats else {}
    return {
        "receivers": len(worker.receivers),
        "posters": len(worker.posters),
        "deliveries": stats.deliveries if stats else 0,
        "unique": stats.unique if stats else 0,
        "duplicates": stats.duplicates if stats else 0,
        "resumed": stats.resumed if stats else 0,
        "lost_silently": lost_open,
        "lost_on_closed": lost_closed,
        "closed_sockets": closed_socks,
        "dropped_sockets": dropped_socks,
        "close_codes": close_codes,
        "close_reasons": sorted(
            {f"{code} {reason}" for sock in worker.receivers for code, reason, _ in sock.closes}
        )[:5],
        "resets": resets,
        "reconnects": worker.reconnects,
        "reconnect_failures": worker.reconnect_failures,
        "poster_closes": poster_closes,
        "first_recv_ns": stats.first_recv_ns if stats else 0,
        "last_recv_ns": stats.last_recv_ns if stats else 0,
        "hist": [[i, c] for i, c in sorted(merged.items())],
        "poster_hists": [histogram.sparse(hist) for hist in stats.hists] if stats else [],
        "served_after_close": sum(1 for sock in worker.receivers if sock.closes and sock.pages),
        "last_page_ns": worker.last_page_ns,
        "resume_page_ns": [sock.page_ns for sock in worker.receivers if sock.closes and sock.pages],
        "drain_wait_s": round(waited, 3),
        "errors": worker.errors,
        "error_count": worker.error_count,
        "server_errors": worker.server_errors,
        "open_now": sum(1 for sock in worker.receivers if not sock.closes),
    }
