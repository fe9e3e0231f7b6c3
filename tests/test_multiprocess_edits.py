"""Edits, author deletes and replies across two server processes on one Redis and one PostgreSQL."""

from __future__ import annotations

import pytest

from .conftest import shared_redis_env
from .servers import running_servers
from .wsclient import WallClient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_servers(test_database_url, tmp_path):
    with running_servers(2, shared_redis_env(test_database_url), tmp_path) as servers:
        yield servers


def post(client: WallClient, content: str, client_id: str, **extra) -> dict:
    client.send("message", {"content": content, "client_id": client_id, **extra})
    while True:
        message = client.receive_next("message")["message"]
        if message["client_id"] == client_id:
            return message


def test_an_edit_on_one_process_reaches_a_page_on_the_other(two_servers):
    first, second = two_servers
    author, reader = WallClient(first.ws_url), WallClient(second.ws_url)
    author.join(username="Alice")
    sent = post(author, "helo from one", "c-1")
    assert reader.receive_next("message")["message"]["id"] == sent["id"]
    author.send("edit", {"id": sent["id"], "content": "hello from one"})
    edited = reader.receive_next("message_edited")["message"]
    assert edited["id"] == sent["id"] and edited["content"] == "hello from one" and edited["edited_at"]
    assert author.receive_next("message_edited")["message"] == edited


def test_a_delete_on_one_process_removes_the_post_on_the_other(two_servers):
    first, second = two_servers
    author, reader = WallClient(first.ws_url), WallClient(second.ws_url)
    author.join(username="Alice")
    sent = post(author, "take it back", "c-2")
    reader.receive_next("message")
    author.send("delete", {"id": sent["id"]})
    assert reader.receive_next("message_deleted") == {"id": sent["id"]}
    assert WallClient(second.ws_url).history["messages"] == []


def test_a_reply_and_its_quote_reach_the_other_process(two_servers):
    first, second = two_servers
    alice, bob = WallClient(first.ws_url), WallClient(second.ws_url)
    alice.join(username="Alice")
    bob.join(username="Bob")
    original = post(alice, "lunch?", "c-3")
    answer = post(bob, "noon", "c-4", reply_to=original["id"])
    while (seen := alice.receive_next("message")["message"])["id"] != answer["id"]:
        pass
    assert seen["reply_to"] == {"id": original["id"], "author": "Alice", "excerpt": "lunch?"}
