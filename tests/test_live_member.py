"""The process's member of the channel-layer group, on both layers: loss is noticed whatever the
transport does (sockets resume with 1012), the standard Channels API reaches every wall, and the
core layer works too."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.management import CommandError, call_command

from wall.live.member import GROUP, group_member
from wall.live.store import shared_store
from wallsite.channel_layers import channel_layers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quick_checks(settings):
    settings.WALL_GAP_WINDOW = 0.2
    settings.WALL_TAIL_CHECK = 0.2


async def test_a_position_taken_but_never_sent_makes_the_sockets_resume(sockets, quick_checks):
    reader = await sockets()
    poster = await sockets()
    await poster.join(username="Poster")
    await shared_store().position_next()  # an event lost on its way: its position was taken, it never arrives
    await poster.send("message", {"content": "after the lost one"})
    assert await reader.closed_with() == 1012


async def test_a_tail_that_never_arrived_makes_the_sockets_resume(sockets, quick_checks):
    reader = await sockets()
    await shared_store().position_next()  # the last event, lost, with nothing after it to show the jump
    assert await reader.closed_with() == 1012


async def test_a_removed_group_membership_is_noticed_and_renewed(sockets, quick_checks):
    reader = await sockets()
    await get_channel_layer().group_discard(GROUP, group_member().channel_name)
    poster = await sockets()
    poster_token = (await poster.join(username="Poster"))["token"]
    await poster.send("message", {"content": "sent while nobody listened"})
    assert await reader.closed_with() == 1012
    assert await poster.closed_with() == 1012  # every socket of the process resumes
    listener = await sockets()  # the membership is back: live events reach this process again
    again = await sockets()
    await again.join(token=poster_token)
    await again.send("message", {"content": "heard again"})
    assert (await listener.receive_next("message"))["message"]["content"] == "heard again"


async def test_a_restarted_store_makes_the_sockets_resume(sockets, quick_checks, store):
    if store != "redis":
        pytest.skip("the in-memory store cannot restart under a running process")
    reader = await sockets()
    poster = await sockets()
    await poster.join(username="Poster")
    await poster.post("before the restart")
    await shared_store().client.delete(shared_store().key("position"))  # what a Redis restart does to it
    assert await reader.closed_with() == 1012


async def test_a_notice_sent_with_the_channels_api_reaches_every_wall(sockets):
    first, second = await sockets(), await sockets()
    await get_channel_layer().group_send(GROUP, {"type": "wall.notice", "text": "  Maintenance at 18:00 "})
    for sock in (first, second):
        assert await sock.receive_type("notice") == {"text": "Maintenance at 18:00"}


@pytest.mark.parametrize("text", ["", "   ", "x" * 501, None, 42], ids=repr)
async def test_a_notice_that_is_not_a_short_text_is_dropped(sockets, text):
    sock = await sockets()
    await get_channel_layer().group_send(GROUP, {"type": "wall.notice", "text": text})
    await get_channel_layer().group_send(GROUP, {"type": "wall.notice", "text": "the next one"})
    assert await sock.receive_type("notice") == {"text": "the next one"}


async def test_the_wall_notice_command_reaches_every_wall(sockets, store):
    sock = await sockets()
    if store == "memory":
        with pytest.raises(CommandError, match="REDIS_URL"):
            await sync_to_async(call_command)("wall_notice", "Back in 5 minutes")
        return
    await sync_to_async(call_command)("wall_notice", "Back in 5 minutes")
    assert await sock.receive_type("notice") == {"text": "Back in 5 minutes"}


@pytest.mark.parametrize("text", ["", "x" * 501])
async def test_the_wall_notice_command_refuses_what_no_wall_would_show(text):
    with pytest.raises(CommandError, match="1 to 500 characters"):
        await sync_to_async(call_command)("wall_notice", text)


async def test_posts_cross_sockets_on_the_core_layer_too(sockets, store, settings, quick_checks):
    if store != "redis":
        pytest.skip("the core layer needs Redis")
    settings.CHANNEL_LAYERS = channel_layers(
        redis_url=settings.REDIS_URL, prefix=settings.WALL_REDIS_PREFIX, kind="core"
    )
    reader = await sockets()
    poster = await sockets()
    await poster.join(username="Poster")
    sent = await poster.post("over the core layer")
    assert (await reader.receive_next("message"))["message"] == sent
    await shared_store().position_next()  # and a lost event is noticed there too
    assert await reader.closed_with() == 1012


async def test_sockets_open_no_channel_of_their_own_only_the_process_member_does(sockets, store):
    """Guards WallConsumer.channel_layer_alias = None: Channels' AsyncConsumer opens a channel per
    consumer whenever get_channel_layer(alias) is not None (channels 4.3)."""
    for _ in range(3):
        await sockets()
    layer_now = get_channel_layer()
    # channels-redis 4.3 keeps one pub/sub layer per event loop; the in-memory layer is itself one.
    channels = layer_now._get_layer().channels if store == "redis" else layer_now.channels
    assert list(channels) == [group_member().channel_name]


async def test_sockets_that_went_live_before_the_process_joined_the_group_resume(sockets, settings):
    reader = await sockets()
    member = group_member()
    member.stop()  # as if the layer had failed: out of the group, the socket still live
    member.start()
    assert await reader.closed_with() == 1012


async def test_the_process_stays_in_the_group_a_while_after_its_last_socket(sockets, settings):
    settings.WALL_MEMBER_LINGER = 0.3
    first = await sockets()
    member = group_member()
    channel = member.channel_name
    await first.close()
    await asyncio.sleep(0.05)
    second = await sockets()  # no rejoin: the same channel, already in the group
    assert member.channel_name == channel and member.joined.is_set()
    await second.close()
    await asyncio.sleep(0.5)
    assert member.task is None and not member.joined.is_set()


def _commit_each(frames: list[dict]) -> None:
    """Commit one transaction per frame, each broadcasting its frame on commit (as services do)."""
    from django.db import transaction

    from wall.live.bridge import broadcast_on_commit

    for frame in frames:
        with transaction.atomic():
            broadcast_on_commit([frame])


async def test_a_database_call_hands_its_events_to_the_loop_in_commit_order(sockets):
    from wall.db import calling_loop, database_sync_to_async
    from wall.live.bridge import publisher
    from wall.protocol import notice_event

    reader = await sockets()
    assert calling_loop() is None
    assert await database_sync_to_async(calling_loop)() is asyncio.get_running_loop()
    texts = [f"notice {number}" for number in range(5)]
    await database_sync_to_async(_commit_each)([notice_event(text) for text in texts])
    # The saving thread did not wait for the group: the loop's publisher sends them, in order.
    assert publisher().task is not None
    assert [(await reader.receive_type("notice"))["text"] for _ in texts] == texts
