"""WebSocket routes: the wall at /ws/wall/ (or /ws/wall), a plain refusal anywhere else, never a 500."""

from __future__ import annotations

import logging

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from .conftest import communicator_for, open_socket
from .servers import migrate, running_servers, server_env

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_PATHS = [
    "/ws/",
    "/ws",
    "/",
    "/ws/wall/extra",
    "/ws/walls",
    "/ws/wall//",
    "/socket.io/?EIO=4&transport=websocket",
    "/cable",
    "/admin/",
]


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
async def test_a_socket_to_an_unknown_path_is_refused_without_an_error_logged(store, caplog, path):
    caplog.set_level(logging.INFO)
    communicator = communicator_for(path)
    connected, _ = await communicator.connect(timeout=5)
    assert not connected
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize("path", ["/ws/wall/", "/ws/wall", "/ws/wall/?since=1"])
async def test_the_wall_answers_with_or_without_the_trailing_slash(store, path):
    sock = await open_socket(path)
    welcome = await sock.join(username="Alice")
    assert welcome["username"] == "Alice"
    await sock.close()


@pytest.mark.multiprocess
def test_real_servers_refuse_unknown_paths_with_403_and_log_no_traceback(tmp_path, test_database_url):
    env = server_env(DATABASE_URL=test_database_url, REDIS_URL=None, DJANGO_CONN_MAX_AGE="0")
    migrate(env)
    with running_servers(2, env, tmp_path) as servers:  # one daphne, one uvicorn
        for server in servers:
            base, origin = f"ws://127.0.0.1:{server.port}", f"http://127.0.0.1:{server.port}"
            for path in UNKNOWN_PATHS:
                with pytest.raises(InvalidStatus) as refused:
                    connect(f"{base}{path}", origin=origin, open_timeout=10)
                assert refused.value.response.status_code == 403, (server.log_path.name, path)
            with connect(f"{base}/ws/wall", origin=origin, open_timeout=10) as wall:
                assert '"messages"' in wall.recv(timeout=5)
            log = server.log()
            assert "Traceback" not in log and " 500 " not in log and "ERROR" not in log, log
