"""Nothing lost whatever the channel layer's transport does, across two real server processes (one
daphne, one uvicorn) on a test-owned Redis: connections cut by Redis, the network to one process
dropped, a group membership removed. Each test ends with every post on every page exactly once."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from websockets.exceptions import ConnectionClosed

from wall.models import Post

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


class Burst:
    """Posts on one server every `interval` seconds from its own thread until stopped, reconnecting
    and resending (same client_id) when the server asks its socket to resume."""

    def __init__(self, server, token: str, label: str, interval: float = 0.02) -> None:
        self.server, self.token, self.label, self.interval = server, token, label, interval
        self.stopping = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        client = None
        while not self.stopping.is_set():
            try:
                if client is None:
                    client = WallClient(self.server.ws_url)
                    client.join(token=self.token)
                text = f"{self.label} {self.sent}"
                client.send("message", {"content": text, "client_id": text})
                self.sent += 1
                time.sleep(self.interval)
            except ConnectionClosed:
                client = None  # resent under the same client_id next round if it was lost

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(10)


def saved_posts() -> list[dict]:
    return [{"id": str(pk)} for pk in Post.objects.filter(is_hidden=False).values_list("pk", flat=True)]


@pytest.mark.parametrize("kind", ["pubsub", "normal"])
def test_every_post_survives_redis_cutting_every_connection_of_a_kind_while_both_processes_post(
    own_redis, test_database_url, workdir, kind
):
    env = env_for(test_database_url, own_redis.url, **FAST_PRESENCE)
    admin = redis.Redis.from_url(own_redis.url)
    with running_servers(2, env, workdir) as (first, second):
        readers = readers_for(first, second)
        token = WallClient(first.ws_url).join(username="Poster")["token"]
        bursts = [Burst(first, token, "first"), Burst(second, token, "second")]
        for _ in range(3):
            time.sleep(0.4)
            admin.client_kill_filter(_type=kind, skipme=True)
        time.sleep(0.4)
        for burst in bursts:
            burst.stop()
        assert all(burst.sent > 10 for burst in bursts)
        pump_all(readers, 6)
        saved = saved_posts()
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
