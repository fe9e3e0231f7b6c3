"""Renames and a second device across two server processes on one Redis and one PostgreSQL."""

from __future__ import annotations

import json
import urllib.request

import pytest

from .conftest import shared_redis_env
from .servers import running_servers
from .wsclient import WallClient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_servers(test_database_url, tmp_path):
    with running_servers(2, shared_redis_env(test_database_url), tmp_path) as servers:
        yield servers


def test_a_rename_on_one_process_is_seen_live_on_the_other(two_servers):
    first, second = two_servers
    bob, reader = WallClient(first.ws_url), WallClient(second.ws_url)
    welcome = bob.join(username="Bob")
    bob.send("message", {"content": "before the rename", "client_id": "c-1"})
    assert reader.receive_next("message")["message"]["author"] == "Bob"
    bob.send("rename", {"username": "Robert"})
    renamed = {"id": welcome["id"], "username": "Robert", "previous": "Bob"}
    assert reader.receive_next("user_renamed") == renamed
    newcomer = WallClient(second.ws_url)
    assert newcomer.users == [{"id": welcome["id"], "username": "Robert", "last_read": None}]
    # The old name is kept on every process.
    other = WallClient(second.ws_url)
    other.send("join", {"username": "bob"})
    assert other.receive_next("error")["code"] == "username_reserved"


def test_a_second_device_on_the_other_process_is_the_same_user(two_servers):
    first, second = two_servers
    laptop = WallClient(first.ws_url)
    hana = laptop.join(username="Hana")
    request = urllib.request.Request(
        first.http_url + "/api/devices/code", method="POST", headers={"X-Wall-Token": hana["token"]}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        code = json.load(response)["code"]
    phone = WallClient(second.ws_url)
    welcome = phone.join(code=code)
    assert (welcome["id"], welcome["username"]) == (hana["id"], "Hana")
    assert [user["username"] for user in WallClient(second.ws_url).users] == ["Hana"]
