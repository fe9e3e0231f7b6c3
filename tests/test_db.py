"""wall/db.py: async database calls run on a pool of threads; one stuck query holds up no one else."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import DatabaseError, connection, connections

from wall import db
from wall.errors import WallError
from wall.models import Participant, Post

pytestmark = pytest.mark.django_db(transaction=True)


def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("lock and statement timeouts and the thread pool are PostgreSQL's (make test-services)")


def test_a_database_timeout_is_unavailable_to_the_client_and_a_database_error_to_the_server():
    timeout = db.DatabaseTimeout()
    assert isinstance(timeout, WallError) and isinstance(timeout, DatabaseError)
    assert timeout.code == "unavailable" and "nothing was saved" in timeout.message


async def test_two_calls_run_at_once_on_postgresql_and_one_after_the_other_on_sqlite():
    barrier = threading.Barrier(2, timeout=2)

    @db.database_sync_to_async
    def meet() -> str:
        try:
            barrier.wait()
            return "met"
        except threading.BrokenBarrierError:
            return "alone"

    results = await asyncio.gather(meet(), meet())
    expected = ["alone", "alone"] if connection.vendor == "sqlite" else ["met", "met"]
    assert sorted(results) == expected


async def test_each_database_thread_has_its_own_connection():
    postgresql_only()

    @db.database_sync_to_async
    def backend_pid(barrier: threading.Barrier) -> int:
        barrier.wait()  # both calls hold a thread at once
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    barrier = threading.Barrier(2, timeout=5)
    first, second = await asyncio.gather(backend_pid(barrier), backend_pid(barrier))
    assert first != second


class RowLock:
    """Holds SELECT ... FOR UPDATE on one participant's row from another connection (another process,
    an admin action, psql) until released."""

    def __init__(self, participant_id: int) -> None:
        settings = connection.settings_dict
        self.connection = psycopg.connect(
            dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432, autocommit=False,
        )  # fmt: skip
        self.connection.execute("SELECT id FROM wall_participant WHERE id = %s FOR UPDATE", [participant_id])

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


async def test_another_users_post_is_not_held_up_by_a_row_locked_elsewhere(sockets, monkeypatch, caplog):
    postgresql_only()
    caplog.set_level(logging.INFO)
    # Short timeouts for this test; each call opens its connection afresh (CONN_MAX_AGE=0 in this pass).
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "options", "-c lock_timeout=1500")
    alice, bob = await sockets(), await sockets()
    alice_id = int((await alice.join(username="Alice"))["id"])
    await bob.join(username="Bob")
    lock = await asyncio.to_thread(RowLock, alice_id)
    try:
        await alice.send("message", {"content": "waits on the lock", "client_id": "c-a"})
        await asyncio.sleep(0.2)
        sent = time.monotonic()
        await bob.send("message", {"content": "not held up", "client_id": "c-b"})
        post = (await bob.receive_next("message", timeout=5))["message"]
        waited = time.monotonic() - sent
        assert post["content"] == "not held up"
        assert waited < 0.8, f"Bob's post waited {waited:.2f} s behind Alice's lock"
        error = await alice.receive_next("error", timeout=5)
        assert error["code"] == "unavailable" and error["client_id"] == "c-a"
        assert time.monotonic() - sent < 3, "the lock timeout did not cut the wait short"
    finally:
        await asyncio.to_thread(lock.release)
    assert [p.content async for p in Post.objects.all()] == ["not held up"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a lock timeout is no server bug"
    assert any("database timeout" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    # The connection that timed out is usable again: Alice posts once the row is free.
    assert (await alice.post("after the lock", client_id="c-a2"))["content"] == "after the lock"
    assert await Participant.objects.filter(pk=alice_id).aexists()


def test_postgresql_connections_carry_the_lock_and_statement_timeouts(settings):
    postgresql_only()
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        lock_timeout = cursor.fetchone()[0]
        cursor.execute("SHOW statement_timeout")
        statement_timeout = cursor.fetchone()[0]
    assert (lock_timeout, statement_timeout) == ("5s", "30s")


async def test_a_busy_database_thread_pings_its_persistent_connection_at_most_every_hygiene_interval(
    monkeypatch,
):
    """With CONN_HEALTH_CHECKS Django pings (`SELECT 1`, a round trip) before the first query after
    each `close_old_connections`; Channels runs that around every call. Here a persistent connection
    that served a call without error less than db.HYGIENE_EVERY seconds ago is used without one."""
    postgresql_only()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hygiene-test")
    monkeypatch.setattr(db, "_pool", pool)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    monkeypatch.setattr(db, "HYGIENE_EVERY", 60)
    pings = []
    wrapper_class = type(connections["default"])
    usable = wrapper_class.is_usable
    monkeypatch.setattr(wrapper_class, "is_usable", lambda wrapper: pings.append(1) or usable(wrapper))

    @db.database_sync_to_async
    def count(refuse: bool = False) -> int:
        found = Post.objects.count()
        if refuse:
            raise WallError("bad_request", "refused after a query")
        return found

    async def calls(n: int) -> int:
        for _ in range(n):
            await count()
        return len(pings)

    try:
        assert await calls(10) == 0  # a fresh connection, then trusted
        with pytest.raises(WallError):
            await count(refuse=True)
        assert await calls(5) == 1  # a call that raised: hygiene, and one ping before the next query
        monkeypatch.setattr(db, "HYGIENE_EVERY", 0)
        assert await calls(5) == 6  # Channels' rule: every call
    finally:
        await db.database_sync_to_async(lambda: connection.close())()  # the test database is dropped later
        pool.shutdown()
