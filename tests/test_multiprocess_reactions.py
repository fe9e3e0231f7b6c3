"""Reactions across server processes: a reaction on one process reaches a page on the other, with the
counts read from the shared database."""

from __future__ import annotations

import pytest

from .test_multiprocess import shared_env, two_servers  # noqa: F401 (fixtures)
from .wsclient import WallClient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


def test_a_reaction_on_one_process_reaches_a_page_on_the_other_with_the_right_counts(two_servers):  # noqa: F811
    first, second = two_servers
    alice, bob = WallClient(first.ws_url), WallClient(second.ws_url)
    alice.join(username="Alice")
    bob.join(username="Bob")
    alice.send("message", {"content": "react across", "client_id": "c-r"})
    post = bob.receive_next("message")["message"]
    alice.send("react", {"id": post["id"], "emoji": "👍", "on": True})
    assert bob.receive_next("reactions") == {
        "id": post["id"],
        "counts": {"👍": 1},
        "by": {"👍": ["Alice"]},
        "rev": 1,
    }
    bob.send("react", {"id": post["id"], "emoji": "👍", "on": True})
    event = alice.receive_next("reactions", timeout=5)
    while event["rev"] < 2:
        event = alice.receive_next("reactions", timeout=5)
    assert event["counts"] == {"👍": 2} and event["by"] == {"👍": ["Alice", "Bob"]}
    resumed = WallClient(f"{second.ws_url}?since={post['id']}")
    assert resumed.history["reactions"][0]["counts"] == {"👍": 2}
