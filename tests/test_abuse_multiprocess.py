"""Limits and moderation across two real server processes on one Redis and one PostgreSQL."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from wall import moderation
from wallsite.channel_layers import channel_layers

from .conftest import TEST_REDIS_URL
from .test_multiprocess import shared_env, two_servers  # noqa: F401 (fixtures)
from .wsclient import WallClient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def same_redis(settings, shared_env):  # noqa: F811
    """This test process group-sends moderation events on the servers' channel layer, as the admin
    would."""
    settings.REDIS_URL = TEST_REDIS_URL
    settings.WALL_REDIS_PREFIX = shared_env["WALL_REDIS_PREFIX"]
    settings.CHANNEL_LAYERS = channel_layers(redis_url=TEST_REDIS_URL, prefix=settings.WALL_REDIS_PREFIX)


def test_the_sixth_post_is_rate_limited_whichever_process_it_is_sent_to(two_servers):  # noqa: F811
    first, second = two_servers
    tab1 = WallClient(first.ws_url)
    welcome = tab1.join(username="Alice")
    tab2 = WallClient(second.ws_url)
    tab2.join(token=welcome["token"])
    for number in range(5):
        tab = (tab1, tab2)[number % 2]
        tab.send("message", {"content": f"post {number}", "client_id": f"c-{number}"})
        while tab.receive_next("message")["message"]["client_id"] != f"c-{number}":
            pass
    for tab, client_id in ((tab2, "c-5"), (tab1, "c-6")):
        tab.send("message", {"content": "one too many", "client_id": client_id})
        error = tab.receive_next("error")
        assert error["code"] == "rate_limited" and error["client_id"] == client_id
        assert 0 < error["retry_after"] <= 10


def test_a_websocket_from_a_foreign_origin_is_refused_by_the_real_server(two_servers):  # noqa: F811
    with pytest.raises(InvalidStatus) as refused:
        WallClient(two_servers[0].ws_url, origin="http://evil.example")
    assert refused.value.response.status_code == 403


def test_a_ban_closes_the_users_sockets_on_every_process(two_servers, same_redis):  # noqa: F811
    first, second = two_servers
    tab1 = WallClient(first.ws_url)
    welcome = tab1.join(username="Alice")
    tab2 = WallClient(second.ws_url)
    tab2.join(token=welcome["token"])
    bob = WallClient(second.ws_url)
    bob.join(username="Bob")
    moderation.participant_ban(participant_ids=[int(welcome["id"])])
    for tab in (tab1, tab2):
        assert tab.receive_next("error")["code"] == "banned"
        with pytest.raises(ConnectionClosed) as closed:
            tab.receive(timeout=5)
        assert closed.value.rcvd.code == 1008
    bob.send("message", {"content": "still here", "client_id": "c-b"})
    assert bob.receive_next("message")["message"]["author"] == "Bob"


def test_a_post_hidden_by_a_moderator_leaves_the_walls_of_every_process(two_servers, same_redis):  # noqa: F811
    first, second = two_servers
    poster, reader1, reader2 = WallClient(first.ws_url), WallClient(first.ws_url), WallClient(second.ws_url)
    poster.join(username="Alice")
    poster.send("message", {"content": "regrettable", "client_id": "c-1"})
    post = poster.receive_next("message")["message"]
    moderation.post_hide(post_ids=[int(post["id"])])
    for reader in (reader1, reader2):
        assert reader.receive_next("message_deleted") == {"id": post["id"]}
