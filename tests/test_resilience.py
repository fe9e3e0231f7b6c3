"""Nothing lost: Redis restarts, PostgreSQL outages, killed and stopped server processes.

Each test owns the service it breaks (tests/ownservices.py), so the machine's shared Redis and
PostgreSQL keep serving everything else.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed

from .conftest import shared_redis_env
from .servers import migrate, running_servers, server_env, start_server
from .wsclient import ResumingClient, WallClient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

FAST_PRESENCE = {"WALL_PRESENCE_TTL": "3", "WALL_PRESENCE_HEARTBEAT": "1", "WALL_PRESENCE_LEAVE_GRACE": "0.5"}


def post_via(server, text: str, token: str | None = None) -> dict:
    """Post on a fresh socket of `server`, reconnecting like the page when the server asks it to
    resume (1012); the same client_id makes a resend safe. Returns the reply data."""
    for _ in range(5):
        try:
            return _post_once(server, text, token)
        except ConnectionClosed as closed:
            if closed.rcvd is None or closed.rcvd.code != 1012:
                raise
            time.sleep(0.5)
    raise AssertionError(f"{text!r} could not be posted in 5 tries")


def _post_once(server, text: str, token: str | None) -> dict:
    client = WallClient(server.ws_url)
    try:
        client.join(**({"token": token} if token else {}))
        client.send("message", {"content": text, "client_id": f"c-{text}"})
        while True:
            frame = client.receive(timeout=10)
            if frame["type"] == "error":
                return frame["data"]
            if frame["type"] == "message" and frame["data"]["message"]["content"] == text:
                return frame["data"]["message"]
    finally:
        client.close()


def assert_each_delivered_once(reader: ResumingClient, posts: list[dict]) -> None:
    ids = [post["id"] for post in posts]
    missing = [post_id for post_id in ids if post_id not in reader.deliveries]
    doubled = {post_id: count for post_id, count in reader.deliveries.items() if count > 1}
    assert not missing, f"never delivered: {missing}"
    assert not doubled, f"delivered more than once: {doubled}"


def test_every_post_saved_around_a_redis_restart_reaches_every_client(own_redis, test_database_url, workdir):
    env = server_env(
        DATABASE_URL=test_database_url, REDIS_URL=own_redis.url, DJANGO_CONN_MAX_AGE="0", **FAST_PRESENCE
    )
    migrate(env)
    with running_servers(2, env, workdir) as (first, second):
        readers = [
            ResumingClient([first.ws_url, second.ws_url]),
            ResumingClient([second.ws_url, first.ws_url]),
        ]
        token = WallClient(first.ws_url).join(username="Poster")["token"]
        saved = [post_via(first, "before the restart", token)]
        for reader in readers:
            reader.pump(1)
        own_redis.stop()
        during = post_via(second, "while Redis is down", token)
        assert "id" in during, f"posting failed during the outage: {during}"
        saved.append(during)
        for reader in readers:
            reader.pump(1)
        own_redis.start()
        for reader in readers:
            reader.pump(5)
        saved.append(post_via(first, "after the restart", token))
        saved.append(post_via(second, "after the restart, other process", token))
        for reader in readers:
            reader.pump(3)
            assert_each_delivered_once(reader, saved)
            assert 1012 in reader.closes, f"the socket was never told to resume: {reader.closes}"


def test_clients_of_a_killed_process_resume_on_another_and_lose_nothing(test_database_url, workdir):
    env = shared_redis_env(test_database_url, WALL_POST_RATE="off", **FAST_PRESENCE)
    with running_servers(2, env, workdir) as (doomed, survivor):
        on_doomed = ResumingClient([doomed.ws_url, survivor.ws_url])
        on_survivor = ResumingClient([survivor.ws_url])
        token = WallClient(survivor.ws_url).join(username="Poster")["token"]
        saved = [post_via(survivor, f"post {n}", token) for n in range(3)]
        on_doomed.pump(0.5)
        doomed.kill(signal.SIGKILL)
        saved += [post_via(survivor, f"post {n}", token) for n in range(3, 6)]
        for reader in (on_doomed, on_survivor):
            reader.pump(3)
            assert_each_delivered_once(reader, saved)


@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
def test_sigterm_closes_every_socket_with_1012(test_database_url, workdir, kind):
    env = server_env(DATABASE_URL=test_database_url, REDIS_URL=None, DJANGO_CONN_MAX_AGE="0")
    migrate(env)
    server = start_server(kind, env, workdir)
    try:
        client = WallClient(server.ws_url)
        server.process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            client.receive(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    finally:
        server.stop()


def healthz(server) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{server.http_url}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_healthz_says_503_while_redis_is_down(own_redis, test_database_url, workdir):
    env = server_env(DATABASE_URL=test_database_url, REDIS_URL=own_redis.url, DJANGO_CONN_MAX_AGE="0")
    migrate(env)
    with running_servers(1, env, workdir) as (server,):
        assert healthz(server) == (200, {"database": "ok", "channel_layer": "ok"})
        own_redis.stop()
        assert healthz(server) == (503, {"database": "ok", "channel_layer": "down"})
        own_redis.start()
        assert healthz(server)[0] == 200


@pytest.fixture
def own_postgres(workdir):
    from .ownservices import OwnPostgres

    postgres = OwnPostgres(workdir)
    try:
        postgres.init()
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    yield postgres
    postgres.stop()


def test_a_postgresql_outage_refuses_posts_clearly_and_posting_resumes_without_restart(own_postgres, workdir):
    # CONN_MAX_AGE=60 keeps connections, so this also proves stale ones are replaced (health checks).
    env = server_env(DATABASE_URL=own_postgres.database_url(), REDIS_URL=None, DJANGO_CONN_MAX_AGE="60")
    migrate(env)
    with running_servers(1, env, workdir) as (server,):
        poster, reader = WallClient(server.ws_url), WallClient(server.ws_url)
        poster.join(username="Poster")
        poster.send("message", {"content": "before", "client_id": "c-before"})
        assert reader.receive_next("message")["message"]["content"] == "before"

        own_postgres.stop()
        poster.send("message", {"content": "during", "client_id": "c-during"})
        error = poster.receive_next("error", timeout=15)
        assert error["code"] == "unavailable" and error["client_id"] == "c-during"
        assert healthz(server) == (503, {"database": "down", "channel_layer": "ok"})
        with pytest.raises(TimeoutError):
            reader.receive_next("message", timeout=1)

        own_postgres.start()
        poster.send("message", {"content": "after", "client_id": "c-after"})
        assert reader.receive_next("message", timeout=15)["message"]["content"] == "after"
        assert healthz(server)[0] == 200
