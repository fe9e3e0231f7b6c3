"""Nothing lost whatever the channel layer's transport does, across two real server processes (one
daphne, one uvicorn) on a test-owned Redis: connections cut by Redis, the network to one process
dropped, a group membership removed. Each test ends with every post on every page exactly once."""

from __future__ import annotations

import time

import pytest
import redis

from .servers import migrate, running_servers, server_env
from .tcpproxy import TcpProxy
from .test_resilience import FAST_PRESENCE, assert_each_delivered_once, post_via
from .wsclient import ResumingClient, WallClient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


def readers_for(first, second) -> list[ResumingClient]:
    """A page on each process, each resuming on the other if its own is gone."""
    return [ResumingClient([first.ws_url, second.ws_url]), ResumingClient([second.ws_url, first.ws_url])]


def pump_all(readers: list[ResumingClient], seconds: float) -> None:
    for reader in readers:
        reader.pump(seconds)


def env_for(database_url: str, redis_url: str, **extra: str):
    env = server_env(
        DATABASE_URL=database_url, REDIS_URL=redis_url, DJANGO_CONN_MAX_AGE="0", WALL_POST_RATE="off", **extra
    )
    migrate(env)
    return env


@pytest.mark.parametrize("kind", ["pubsub", "normal"])
def test_every_post_survives_redis_cutting_every_connection_of_a_kind(
    own_redis, test_database_url, workdir, kind
):
    env = env_for(test_database_url, own_redis.url, **FAST_PRESENCE)
    admin = redis.Redis.from_url(own_redis.url)
    with running_servers(2, env, workdir) as (first, second):
        readers = readers_for(first, second)
        token = WallClient(first.ws_url).join(username="Poster")["token"]
        saved = []
        for n in range(6):
            saved.append(post_via(first if n % 2 else second, f"post {n}", token))
            if n in (1, 3):
                admin.client_kill_filter(_type=kind, skipme=True)
            pump_all(readers, 0.3)
        pump_all(readers, 4)
        saved.append(post_via(first, "after the cuts", token))
        pump_all(readers, 3)
        for reader in readers:
            assert_each_delivered_once(reader, saved)


def test_every_post_survives_the_network_to_one_process_dropping_for_two_seconds(
    own_redis,
    test_database_url,
    workdir,
):
    proxy = TcpProxy(own_redis.port)
    proxy.start()
    try:
        behind = env_for(test_database_url, f"redis://127.0.0.1:{proxy.port}/0", **FAST_PRESENCE)
        direct = env_for(test_database_url, own_redis.url, **FAST_PRESENCE)
        with (
            running_servers(1, behind, workdir) as (cut_off,),
            running_servers(1, direct, workdir) as (healthy,),
        ):
            readers = readers_for(cut_off, healthy)
            token = WallClient(healthy.ws_url).join(username="Poster")["token"]
            saved = [post_via(healthy, "before the drop", token)]
            pump_all(readers, 0.5)
            proxy.drop(2)
            saved.append(post_via(healthy, "while the network is down, other process", token))
            saved.append(post_via(cut_off, "while the network is down, cut-off process", token))
            time.sleep(2)
            saved.append(post_via(cut_off, "after the drop", token))
            saved.append(post_via(healthy, "after the drop, other process", token))
            pump_all(readers, 5)
            for reader in readers:
                assert_each_delivered_once(reader, saved)
    finally:
        proxy.stop()


def test_every_post_survives_a_removed_group_membership_on_the_core_layer(
    own_redis, test_database_url, workdir
):
    env = env_for(test_database_url, own_redis.url, WALL_CHANNEL_LAYER="core", **FAST_PRESENCE)
    admin = redis.Redis.from_url(own_redis.url)
    with running_servers(2, env, workdir) as (first, second):
        readers = readers_for(first, second)
        token = WallClient(first.ws_url).join(username="Poster")["token"]
        saved = [post_via(first, "before", token)]
        pump_all(readers, 0.5)
        groups = admin.keys("*group*wall*")
        assert groups, "the core layer's group key was not found"
        admin.delete(*groups)  # what group_expiry does to a membership nobody renewed
        saved += [post_via(second, "nobody is in the group", token), post_via(first, "still nobody", token)]
        pump_all(readers, 5)
        saved.append(post_via(second, "after", token))
        pump_all(readers, 3)
        for reader in readers:
            assert_each_delivered_once(reader, saved)
