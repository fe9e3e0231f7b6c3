"""The one road from async code to the ORM: a bounded pool of database threads (docs/decisions.md)."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import OperationalError, close_old_connections, connections

from . import metrics
from .errors import WallError

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# PostgreSQL's lock_not_available (past lock_timeout) and query_canceled (past statement_timeout).
TIMEOUT_SQLSTATES = frozenset({"55P03", "57014"})


class DatabaseTimeout(WallError, OperationalError):
    """A query that waited past WALL_DB_LOCK_TIMEOUT or WALL_DB_STATEMENT_TIMEOUT; its transaction was
    rolled back, so nothing was saved. A WallError (`unavailable`: the client is told to try again)
    and a DatabaseError (code that handles those, such as the connect path, handles it too)."""

    def __init__(self) -> None:
        WallError.__init__(self, "unavailable", "The wall's database is busy; nothing was saved. Try again.")


_calling = threading.local()


def calling_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop whose coroutine is waiting for this database thread's current call, or None
    outside such a call (a management command, a sync test). The on-commit bridge hands its events
    to that loop instead of blocking this thread until they are sent (wall.live.bridge)."""
    return getattr(_calling, "loop", None)


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.WALL_DB_THREADS, thread_name_prefix="wall-db")
        return _pool


def _one_writer() -> bool:
    """SQLite takes one writer at a time: its calls stay on Channels' one thread-sensitive thread."""
    return connections["default"].vendor == "sqlite"  # also under django-prometheus' wrapper


# How long a persistent connection that served a call without error is trusted without Django's
# connection hygiene, in seconds (docs/decisions.md, "Database connection hygiene").
HYGIENE_EVERY = 1.0


def _call(loop: asyncio.AbstractEventLoop, func: Callable[..., R], /, *args: object, **kwargs: object) -> R:
    """Run in a database thread for a coroutine on `loop`, with Channels' connection hygiene
    (`close_old_connections`: broken or expired connections of this thread are closed, and with
    CONN_HEALTH_CHECKS the next query first pings with `SELECT 1`). Channels runs it before and after
    every call; here it runs before a call when this thread's last hygiene is HYGIENE_EVERY seconds
    old, and after every call that raised or when connections do not persist (CONN_MAX_AGE = 0)."""
    _calling.loop = loop
    if time.monotonic() - getattr(_calling, "hygiene_at", -math.inf) >= HYGIENE_EVERY:
        close_old_connections()
        _calling.hygiene_at = time.monotonic()
    failed = True
    try:
        result = func(*args, **kwargs)
        failed = False
        return result
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) not in TIMEOUT_SQLSTATES:
            raise
        # Another transaction held a lock (or the query ran) too long: an outage to retry, not a bug.
        logger.warning("database timeout in %s: %s", getattr(func, "__qualname__", func), error.__cause__)
        raise DatabaseTimeout() from error
    finally:
        _calling.loop = None
        if failed or connections["default"].settings_dict["CONN_MAX_AGE"] == 0:
            close_old_connections()
            _calling.hygiene_at = -math.inf  # and again before the next call


def database_sync_to_async(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`func` (sync ORM code) as a coroutine function that runs off the event loop.

    In place of channels.db.database_sync_to_async, which runs every call of the process on one
    thread, so one query waiting on a lock holds up every other socket (django/channels#2132). Here,
    on PostgreSQL, calls run on a pool of WALL_DB_THREADS threads, each with its own connection;
    on SQLite, on that one thread. A lock or statement timeout raises DatabaseTimeout.
    """

    name = getattr(func, "__name__", "call")

    @functools.wraps(func)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        call = functools.partial(_call, asyncio.get_running_loop(), func, *args, **kwargs)
        with metrics.timed(metrics.DATABASE_SECONDS, name):
            if _one_writer():
                return await sync_to_async(call, thread_sensitive=True)()
            return await sync_to_async(call, thread_sensitive=False, executor=_executor())()

    return run
