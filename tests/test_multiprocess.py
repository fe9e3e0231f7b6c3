"""Several server processes on one Redis and one PostgreSQL: the normal deployment."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosed

from .conftest import shared_redis_env
from .servers import running_servers
from .wsclient import WallClient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shared_env(test_database_url) -> dict[str, str]:
    """Environment for server processes sharing this test's database and a fresh Redis prefix."""
    return shared_redis_env(test_database_url)


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
    assert reader.users == [{"id": welcome["id"], "username": "Alice", "last_read": None}]


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


@pytest.fixture
def fast_presence_servers(shared_env, tmp_path):
    """Two processes with short presence timings, so a dead process is noticed in seconds."""
    env = {
        **shared_env,
        "WALL_PRESENCE_TTL": "3",
        "WALL_PRESENCE_HEARTBEAT": "1",
        "WALL_PRESENCE_LEAVE_GRACE": "0.5",
    }
    with running_servers(2, env, tmp_path) as servers:
        yield servers


def test_presence_and_typing_cross_processes(fast_presence_servers):
    first, second = fast_presence_servers
    watcher = WallClient(second.ws_url)
    alice = WallClient(first.ws_url)
    welcome = alice.join(username="Alice")
    assert watcher.receive_next("user_joined") == {"id": welcome["id"], "username": "Alice"}
    alice.send("typing")
    assert watcher.receive_next("typing") == {"id": welcome["id"], "username": "Alice"}
    alice.close()
    assert watcher.receive_next("user_left") == {"id": welcome["id"], "username": "Alice"}


def test_two_tabs_on_two_processes_are_one_user(fast_presence_servers):
    first, second = fast_presence_servers
    watcher = WallClient(first.ws_url)
    tab1 = WallClient(first.ws_url)
    welcome = tab1.join(username="Alice")
    watcher.receive_next("user_joined")
    tab2 = WallClient(second.ws_url)
    tab2.join(token=welcome["token"])
    tab1.close()
    with pytest.raises(TimeoutError):
        watcher.receive_next("user_left", timeout=2)
    tab2.close()
    assert watcher.receive_next("user_left")["username"] == "Alice"


def test_users_of_a_killed_process_leave_within_the_documented_bound(fast_presence_servers):
    """SIGKILL runs no disconnect handler: the survivor reaps within TTL + HEARTBEAT (3 + 1 s here)."""
    doomed, survivor = fast_presence_servers
    watcher = WallClient(survivor.ws_url)
    alice = WallClient(doomed.ws_url)
    welcome = alice.join(username="Alice")
    watcher.receive_next("user_joined")
    killed_at = time.monotonic()
    doomed.kill()
    left = watcher.receive_next("user_left", timeout=10)
    waited = time.monotonic() - killed_at
    assert left == {"id": welcome["id"], "username": "Alice"}
    assert waited <= 3 + 1 + 1, f"user_left after {waited:.1f} s"
    assert WallClient(survivor.ws_url).users == []


def test_a_frame_over_64_kib_is_closed_with_1009_by_each_real_server(two_servers):
    for server in two_servers:  # daphne, then uvicorn
        client = WallClient(server.ws_url)
        client.send("message", {"content": "x" * (100 * 1024)})
        with pytest.raises(ConnectionClosed) as closed:
            client.receive(timeout=5)
        assert closed.value.rcvd.code == 1009, server.log_path
