"""The wall's own Prometheus metrics, labelled by process; each process serves its own at /metrics.

One endpoint per process (not prometheus-client's multiprocess mode): every server process is a
separate target that Prometheus scrapes directly (deploy/prometheus.yml), and the `process` label
(host:pid) tells them apart. Django's own request, database and cache metrics come from
django-prometheus when WALL_METRICS=1 (wallsite/settings.py). Recording is cheap (a counter add, no
I/O), so it happens whether or not the endpoint is on.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

PROCESS = f"{socket.gethostname()}:{os.getpid()}"

# Latency buckets in seconds, from a fast fan-out to a lock timeout (WALL_DB_LOCK_TIMEOUT is 5 s).
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

SOCKETS_OPEN = Gauge("wall_sockets_open", "Open WebSockets in this process.", ["process"])
USERS_JOINED = Gauge("wall_users_joined", "Distinct users joined on this process's sockets.", ["process"])
EVENTS_PUBLISHED = Counter(
    "wall_events_published", "Events this process group-sent, by frame type.", ["process", "type"]
)
EVENTS_DELIVERED = Counter(
    "wall_events_delivered", "Frames handed to this process's sockets, by frame type.", ["process", "type"]
)
FANOUT_SECONDS = Histogram(
    "wall_fanout_seconds",
    "Time to hand one event to every socket of this process.",
    ["process"],
    buckets=_BUCKETS,
)
RESUMES = Counter(
    "wall_resumes",
    "Sockets closed so that their page resumes from the database, by cause: gap (an event was lost), "
    "restart (1012 on shutdown), backlog (1013: the socket fell too far behind).",
    ["process", "cause"],
)
POST_SAVE_SECONDS = Histogram(
    "wall_post_save_seconds",
    "Time to validate and save a post, database thread included.",
    ["process"],
    buckets=_BUCKETS,
)
REFUSALS = Counter("wall_refusals", "Refusals sent to clients, by error code.", ["process", "code"])
REDIS_SECONDS = Histogram(
    "wall_redis_round_trip_seconds",
    "Round trip of the tail check's read of the current position.",
    ["process"],
    buckets=_BUCKETS,
)
DATABASE_SECONDS = Histogram(
    "wall_database_call_seconds",
    "Database calls from async code, queueing for a thread included.",
    ["process", "call"],
    buckets=_BUCKETS,
)


def event_published(kind: str) -> None:
    EVENTS_PUBLISHED.labels(PROCESS, kind).inc()


def event_delivered(kind: str, sockets: int, seconds: float) -> None:
    EVENTS_DELIVERED.labels(PROCESS, kind).inc(sockets)
    FANOUT_SECONDS.labels(PROCESS).observe(seconds)


def resumed(cause: str, sockets: int = 1) -> None:
    """`cause` is gap, restart or backlog."""
    RESUMES.labels(PROCESS, cause).inc(sockets)


def refused(code: str) -> None:
    REFUSALS.labels(PROCESS, code).inc()


@contextmanager
def timed(histogram: Histogram, *labels: str) -> Iterator[None]:
    """Observe the block's duration in seconds on `histogram` (labelled by process, then `labels`)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        histogram.labels(PROCESS, *labels).observe(time.perf_counter() - started)
