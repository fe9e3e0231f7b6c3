"""Sockets per client address: capped across processes, freed on close, expiring with a dead process."""

import asyncio

import pytest

from wall.live import connections
from wall.live.store import shared_store

from .conftest import communicator_for

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "203.0.113.7"


@pytest.fixture
def limit_of_two(settings) -> None:
    settings.WALL_SOCKETS_PER_IP = 2


async def assert_refused(client: str | None) -> None:
    """A socket from `client` is accepted, told rate_limited, and closed with 1013."""
    communicator = communicator_for(client=client)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    error = await communicator.receive_json_from(timeout=3)
    assert error["type"] == "error" and error["data"]["code"] == "rate_limited"
    assert error["data"]["retry_after"] > 0
    assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 1013}
    await communicator.disconnect()


async def test_a_socket_over_the_limit_of_its_address_is_refused_with_1013(sockets, limit_of_two):
    await sockets(client=ADDRESS)
    await sockets(client=ADDRESS)
    await assert_refused(ADDRESS)


async def test_closing_a_socket_frees_its_place(sockets, limit_of_two):
    first = await sockets(client=ADDRESS)
    await sockets(client=ADDRESS)
    await first.close()
    await sockets(client=ADDRESS)


async def test_a_refused_socket_takes_no_place(sockets, limit_of_two):
    first = await sockets(client=ADDRESS)
    await sockets(client=ADDRESS)
    await assert_refused(ADDRESS)
    await first.close()
    await sockets(client=ADDRESS)


async def test_other_addresses_keep_their_own_count(sockets, limit_of_two):
    await sockets(client=ADDRESS)
    await sockets(client=ADDRESS)
    await sockets(client="198.51.100.1")


@pytest.mark.parametrize("client", [None, "127.0.0.1", "::1"])
async def test_loopback_and_unknown_addresses_are_not_limited(sockets, settings, client):
    settings.WALL_SOCKETS_PER_IP = 1
    await sockets(client=client)
    await sockets(client=client)


async def test_zero_turns_the_limit_off(sockets, settings):
    settings.WALL_SOCKETS_PER_IP = 0
    for _ in range(3):
        await sockets(client=ADDRESS)


# A process's memory dies with it: only the shared store's entries need to expire or stay hidden.
redis_only = pytest.mark.parametrize("store", ["redis"], indirect=True)


@redis_only
async def test_the_place_of_a_socket_whose_process_died_expires(store, settings):
    settings.WALL_SOCKETS_PER_IP = 1
    settings.WALL_PRESENCE_TTL = 1
    # Counted, then never refreshed nor closed: its process died.
    assert await connections.connection_open(address=ADDRESS, socket_id="dead-process-socket")
    assert not await connections.connection_open(address=ADDRESS, socket_id="newcomer")
    await asyncio.sleep(1.2)
    assert await connections.connection_open(address=ADDRESS, socket_id="newcomer")
    await connections.connection_close(address=ADDRESS, socket_id="newcomer")


@redis_only
async def test_a_living_process_keeps_its_sockets_counted(sockets, store, settings):
    settings.WALL_SOCKETS_PER_IP = 1
    settings.WALL_PRESENCE_TTL = 1
    settings.WALL_PRESENCE_HEARTBEAT = 0.3
    long_lived = await sockets(client=ADDRESS)
    await asyncio.sleep(1.5)  # past the TTL: only the heartbeat keeps its place
    await assert_refused(ADDRESS)
    await long_lived.close()
    await sockets(client=ADDRESS)


@redis_only
async def test_the_shared_store_never_holds_the_address_in_clear(sockets, store):
    await sockets(client=ADDRESS)
    redis = shared_store()
    keys = [name async for name in redis.client.scan_iter(match=redis.key("*"))]
    assert keys and not [name for name in keys if ADDRESS in name]


async def test_while_redis_is_unreachable_sockets_are_admitted_uncounted(settings):
    from .servers import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.WALL_SOCKETS_PER_IP = 1
    for socket_id in ("one", "two"):
        assert await connections.connection_open(address=ADDRESS, socket_id=socket_id)
        await connections.connection_close(address=ADDRESS, socket_id=socket_id)
