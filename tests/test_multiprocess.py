"""Several server processes on one Redis and one PostgreSQL: the normal deployment."""

from __future__ import annotations

import os
import time

import pytest
from django.db import connection

from .conftest import TEST_REDIS_URL, require_service
from .servers import migrate, running_servers, server_env
from .wsclient import WallClient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shared_env(tmp_path) -> dict[str, str]:
    """Environment for daphne processes sharing this test's database and a fresh Redis prefix."""
    if connection.vendor != "postgresql":
        pytest.skip("multi-process tests run in the PostgreSQL pass (make test-services)")
    require_service(TEST_REDIS_URL, 6379, "Redis")
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    env = server_env(
        DATABASE_URL=database_url,
        REDIS_URL=TEST_REDIS_URL,
        WALL_REDIS_PREFIX=f"wallmp-{os.getpid()}-{tmp_path.name}",
        DJANGO_CONN_MAX_AGE="0",
    )
    migrate(env)
    return env


@pytest.fixture
def two_servers(shared_env, tmp_path):
    with running_servers(2, shared_env, tmp_path) as servers:
        yield servers


def test_post_sent_to_one_process_reaches_a_client_of_the_other(two_servers):
    first, second = two_servers
    poster, reader = WallClient(first.ws_url), WallClient(second.ws_url)
    poster.join(username="Alice")
    poster.send("message", {"content": "across processes", "client_id": "c-x"})
    post = reader.receive_next("message")["message"]
    assert post["content"] == "across processes" and post["author"] == "Alice"
    assert poster.receive_next("message")["message"] == post


def test_users_lists_who_is_online_on_every_process(two_servers):
    first, second = two_servers
    welcome = WallClient(first.ws_url).join(username="Alice")
    reader = WallClient(second.ws_url)
    assert reader.users == [{"id": welcome["id"], "username": "Alice"}]


def test_a_name_claimed_on_one_process_is_taken_on_the_other(two_servers):
    first, second = two_servers
    WallClient(first.ws_url).join(username="Alice")
    other = WallClient(second.ws_url)
    other.send("join", {"username": "alice"})
    assert other.receive_next("error")["code"] == "username_taken"


def test_idle_socket_on_the_redis_layer_still_receives_after_a_quiet_minute(two_servers):
    """redis-py 8's 5 s socket timeout once closed idle sockets; 65 s of silence must be harmless."""
    first, second = two_servers
    idle_here, idle_there = WallClient(first.ws_url), WallClient(second.ws_url)
    time.sleep(65)
    poster = WallClient(first.ws_url)
    poster.join(username="Late")
    poster.send("message", {"content": "still there?"})
    assert idle_here.receive_next("message")["message"]["content"] == "still there?"
    assert idle_there.receive_next("message")["message"]["content"] == "still there?"
