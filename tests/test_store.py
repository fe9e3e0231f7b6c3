"""The shared store's contract: the Redis store and the in-process one answer alike (the `store`
fixture runs each test on both), as Django runs its cache backends through one suite."""

import asyncio

import pytest

from wall.live.store import MemoryStore, OnlineUser, Position, shared_store


@pytest.fixture
def short_ttl(settings) -> None:
    settings.WALL_PRESENCE_TTL = 1


async def test_the_store_matches_the_settings(store):
    assert type(shared_store()).__name__ == {"memory": "MemoryStore", "redis": "RedisStore"}[store]
    assert shared_store() is shared_store()


async def test_the_first_socket_of_a_user_is_announced_and_a_second_is_not(store):
    assert await shared_store().presence_join(user_id="1", username="Alice", socket_id="a")
    assert not await shared_store().presence_join(user_id="1", username="Alice", socket_id="b")
    assert await shared_store().presence_online() == [OnlineUser("1", "Alice")]


async def test_online_users_are_in_name_order_without_case(store):
    for user_id, name in [("1", "carol"), ("2", "Alice"), ("3", "bob")]:
        await shared_store().presence_join(user_id=user_id, username=name, socket_id=f"s{user_id}")
    assert [user.username for user in await shared_store().presence_online()] == ["Alice", "bob", "carol"]


async def test_a_leave_is_settled_only_when_the_last_socket_is_gone(store):
    store_now = shared_store()
    await store_now.presence_join(user_id="1", username="Alice", socket_id="a")
    await store_now.presence_join(user_id="1", username="Alice", socket_id="b")
    assert not await store_now.presence_leave(user_id="1", socket_id="a")
    assert await store_now.presence_leave(user_id="1", socket_id="b")
    assert await store_now.presence_settle(user_id="1")
    assert not await store_now.presence_settle(user_id="1")  # announced as left once
    assert await store_now.presence_online() == []


async def test_a_socket_back_within_the_grace_cancels_the_leave(store):
    store_now = shared_store()
    await store_now.presence_join(user_id="1", username="Alice", socket_id="a")
    await store_now.presence_leave(user_id="1", socket_id="a")
    assert not await store_now.presence_join(user_id="1", username="Alice", socket_id="b")
    assert not await store_now.presence_settle(user_id="1")


async def test_users_whose_sockets_all_expired_are_reaped_once(store, short_ttl):
    store_now = shared_store()
    await store_now.presence_join(user_id="9", username="Ghost", socket_id="dead")
    assert await store_now.presence_reap() == []
    await asyncio.sleep(1.1)
    assert await store_now.presence_reap() == [OnlineUser("9", "Ghost")]
    assert await store_now.presence_reap() == []
    assert await store_now.presence_online() == []


async def test_a_refresh_keeps_a_user_and_re_announces_one_reaped_meanwhile(store, short_ttl):
    store_now = shared_store()
    await store_now.presence_join(user_id="1", username="Alice", socket_id="a")
    assert await store_now.presence_refresh([("1", "a")]) == []
    await asyncio.sleep(1.1)
    assert await store_now.presence_reap() == [OnlineUser("1", "Alice")]
    assert await store_now.presence_refresh([("1", "a")]) == ["1"]
    assert await store_now.presence_online() == [OnlineUser("1", "Alice")]


async def test_a_window_refuses_past_its_limit_and_says_how_long_to_wait(store):
    store_now = shared_store()
    for _ in range(2):
        assert (await store_now.window_hit("t:s", limit=2, seconds=10))[1] is None
    _, wait = await store_now.window_hit("t:s", limit=2, seconds=10)
    assert wait is not None and 0 < wait <= 10
    assert (await store_now.window_hit("t:other", limit=2, seconds=10))[1] is None


async def test_a_hit_given_back_frees_its_place(store):
    store_now = shared_store()
    member, _ = await store_now.window_hit("t:s", limit=1, seconds=10)
    await store_now.window_give_back("t:s", member)
    assert (await store_now.window_hit("t:s", limit=1, seconds=10))[1] is None
    await store_now.window_give_back("t:s", "a member never counted")


async def test_a_window_forgets_hits_older_than_its_length(store):
    store_now = shared_store()
    await store_now.window_hit("t:s", limit=1, seconds=0.2)
    await asyncio.sleep(0.3)
    assert (await store_now.window_hit("t:s", limit=1, seconds=0.2))[1] is None


async def test_sockets_of_an_address_are_counted_up_to_the_limit_and_freed_on_close(store):
    store_now = shared_store()
    assert await store_now.sockets_open("addr", "a", limit=2)
    assert await store_now.sockets_open("addr", "b", limit=2)
    assert not await store_now.sockets_open("addr", "c", limit=2)
    assert await store_now.sockets_open("other", "c", limit=2)
    await store_now.sockets_close("addr", "a")
    await store_now.sockets_close("addr", "never counted")
    await store_now.sockets_refresh({"b": "addr", "c": "other"})
    assert await store_now.sockets_open("addr", "c", limit=2)


async def test_positions_start_unset_then_count_up_within_one_epoch(store):
    store_now = shared_store()
    assert await store_now.position_current() is None
    first = await store_now.position_next()
    second = await store_now.position_next()
    assert first.seq == 1 and second == Position(first.epoch, 2)
    assert await store_now.position_current() == second


async def test_the_store_answers_the_health_check(store):
    assert await shared_store().ping() is True


async def test_a_new_redis_url_chooses_a_new_store(store, settings):
    before = shared_store()
    settings.REDIS_URL = settings.REDIS_URL
    assert shared_store() is not before


async def test_hits_of_subjects_long_gone_are_swept_from_memory():
    memory = MemoryStore(sweep_at=3)
    for subject in ("a", "b", "c"):
        await memory.window_hit(f"sweep:{subject}", limit=1, seconds=0.01)
    await asyncio.sleep(0.02)
    await memory.window_hit("sweep:d", limit=1, seconds=0.01)
    assert [name for name in memory.windows if name.startswith("sweep:")] == ["sweep:d"]
