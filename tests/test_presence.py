"""Presence, typing and read receipts over sockets, on both channel layers and stores."""

import asyncio

import pytest

from wall.live.heartbeat import beat_once, drain
from wall.live.store import shared_store
from wall.models import Participant

pytestmark = pytest.mark.django_db(transaction=True)


async def test_users_on_connect_lists_joined_users_with_their_read_pointer(sockets):
    alice = await sockets()
    welcome = await alice.join(username="Alice")
    post = await alice.post("hello")
    await alice.send("read", {"message_id": post["id"]})
    await alice.receive_next("read")
    newcomer = await sockets()
    assert newcomer.users == [{"id": welcome["id"], "username": "Alice", "last_read": post["id"]}]


async def test_readers_who_never_joined_are_not_listed(sockets):
    await sockets()
    assert (await sockets()).users == []


async def test_first_socket_of_a_user_is_announced_to_others_only(sockets):
    watcher, alice = await sockets(), await sockets()
    welcome = await alice.join(username="Alice")
    assert await watcher.receive_type("user_joined") == {"id": welcome["id"], "username": "Alice"}
    assert await alice.nothing_more()


async def test_a_second_tab_of_the_same_user_announces_nothing(sockets):
    watcher, tab1, tab2 = await sockets(), await sockets(), await sockets()
    welcome = await tab1.join(username="Alice")
    await watcher.receive_type("user_joined")
    await tab2.join(token=welcome["token"])
    assert await watcher.nothing_more()


async def test_closing_one_of_two_tabs_announces_nothing(sockets, settings):
    watcher, tab1, tab2 = await sockets(), await sockets(), await sockets()
    welcome = await tab1.join(username="Alice")
    await tab2.join(token=welcome["token"])
    await watcher.receive_type("user_joined")
    await tab1.close()
    await drain()
    assert await watcher.nothing_more(timeout=settings.WALL_PRESENCE_LEAVE_GRACE + 0.2)
    assert [user.username for user in await shared_store().presence_online()] == ["Alice"]


async def test_closing_the_last_tab_announces_user_left(sockets):
    watcher, alice = await sockets(), await sockets()
    welcome = await alice.join(username="Alice")
    await watcher.receive_type("user_joined")
    await alice.close()
    assert await watcher.receive_type("user_left") == {"id": welcome["id"], "username": "Alice"}
    assert await shared_store().presence_online() == []


async def test_a_quick_reconnect_announces_neither_leave_nor_join(sockets, settings):
    settings.WALL_PRESENCE_LEAVE_GRACE = 0.5
    watcher, alice = await sockets(), await sockets()
    welcome = await alice.join(username="Alice")
    await watcher.receive_type("user_joined")
    await alice.close()
    again = await sockets()
    await again.join(token=welcome["token"])
    await drain()
    assert await watcher.nothing_more(timeout=0.3)


async def test_a_socket_that_closes_before_joining_announces_nothing(sockets):
    watcher, reader = await sockets(), await sockets()
    await reader.close()
    await drain()
    assert await watcher.nothing_more()


async def test_a_dead_process_users_are_reaped_and_announced_left(sockets, settings):
    settings.WALL_PRESENCE_TTL = 1
    watcher = await sockets()
    # A socket of another process that then died: it joined and never refreshed.
    await shared_store().presence_join(user_id="999", username="Ghost", socket_id="dead-process.1")
    assert [user.username for user in await shared_store().presence_online()] == ["Ghost"]
    await asyncio.sleep(1.2)
    await beat_once()
    assert await watcher.receive_type("user_left") == {"id": "999", "username": "Ghost"}
    assert await shared_store().presence_online() == []


async def test_the_heartbeat_keeps_live_users_online(sockets, settings):
    settings.WALL_PRESENCE_TTL = 1
    watcher, alice = await sockets(), await sockets()
    await alice.join(username="Alice")
    await watcher.receive_type("user_joined")
    for _ in range(3):
        await asyncio.sleep(0.5)
        await beat_once()
    assert await watcher.nothing_more()
    assert [user.username for user in await shared_store().presence_online()] == ["Alice"]


async def test_typing_is_relayed_to_others_not_the_sender(sockets):
    watcher, alice = await sockets(), await sockets()
    welcome = await alice.join(username="Alice")
    await alice.send("typing")
    assert await watcher.receive_next("typing") == {"id": welcome["id"], "username": "Alice"}
    assert await alice.nothing_more()


async def test_typing_is_relayed_at_most_once_per_two_seconds(sockets):
    watcher, alice = await sockets(), await sockets()
    await alice.join(username="Alice")
    for _ in range(5):
        await alice.send("typing")
    await watcher.receive_next("typing")
    assert await watcher.nothing_more(timeout=0.5)


async def test_read_moves_the_pointer_and_is_broadcast(sockets):
    watcher, alice = await sockets(), await sockets()
    welcome = await alice.join(username="Alice")
    post = await alice.post("read me")
    await alice.send("read", {"message_id": post["id"]})
    assert await watcher.receive_next("read") == {
        "id": welcome["id"],
        "username": "Alice",
        "message_id": post["id"],
    }
    assert (await Participant.objects.aget(pk=int(welcome["id"]))).last_read_id == int(post["id"])


async def test_read_pointer_never_moves_backwards(sockets):
    alice = await sockets()
    welcome = await alice.join(username="Alice")
    older = await alice.post("one")
    newer = await alice.post("two")
    await alice.send("read", {"message_id": newer["id"]})
    await alice.receive_next("read")
    await alice.send("read", {"message_id": older["id"]})
    assert await alice.nothing_more()
    assert (await Participant.objects.aget(pk=int(welcome["id"]))).last_read_id == int(newer["id"])


async def test_read_of_a_post_that_does_not_exist_is_refused(sockets):
    alice = await sockets()
    await alice.join(username="Alice")
    await alice.send("read", {"message_id": "424242"})
    assert (await alice.receive_next("error"))["code"] == "bad_request"
