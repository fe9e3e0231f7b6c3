"""Moderation from the page across two server processes: a moderator on one hides and bans, the
readers, the author and another moderator on the other follow."""

from __future__ import annotations

import pytest
from websockets.sync.client import connect

from .conftest import shared_redis_env
from .moderators import moderator_user, session_cookie_of
from .servers import running_servers
from .wsclient import WallClient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


class CookieClient(WallClient):
    """A WallClient whose handshake carries a Django session cookie (a logged-in staff member)."""

    def __init__(self, url: str, cookie: str) -> None:
        origin = url.replace("ws://", "http://").split("/ws/")[0]
        self.connection = connect(
            url, origin=origin, open_timeout=10, additional_headers={"Cookie": cookie}, legacy=True
        )
        self.history = self.receive_type("messages")
        self.users = self.receive_type("users")["users"]
        self.username = None


@pytest.fixture
def two_servers(test_database_url, tmp_path):
    with running_servers(2, shared_redis_env(test_database_url), tmp_path) as servers:
        yield servers


def test_a_hide_and_a_ban_from_one_process_reach_the_other(two_servers):
    first, second = two_servers
    here = CookieClient(first.ws_url, session_cookie_of(moderator_user("mod")))
    there = CookieClient(second.ws_url, session_cookie_of(moderator_user("mod2")))
    assert here.receive_type("moderator")["username"] == "mod"
    assert there.receive_type("moderator")["username"] == "mod2"
    author, reader = WallClient(second.ws_url), WallClient(second.ws_url)
    author.join(username="Alice")
    author.send("message", {"content": "spam spam", "client_id": "c-1"})
    post = reader.receive_next("message")["message"]
    here.send("hide", {"id": post["id"], "reason": "spam"})
    assert reader.receive_next("message_deleted") == {"id": post["id"]}
    assert author.receive_next("message_hidden") == {"id": post["id"], "reason": "spam", "by": "moderator"}
    assert there.receive_next("post_hidden")["hidden_by"] == "mod"
    here.send("ban", {"id": post["id"], "reason": "spam", "duration": "1d"})
    error = author.receive_next("error")
    assert error["code"] == "banned" and error["until"] is not None
    assert there.receive_next("user_banned")["username"] == "Alice"


def test_a_non_moderator_on_another_process_is_forbidden(two_servers):
    first, second = two_servers
    staff = CookieClient(second.ws_url, session_cookie_of(moderator_user("helper", permitted=False)))
    author = WallClient(first.ws_url)
    author.join(username="Alice")
    author.send("message", {"content": "fine", "client_id": "c-1"})
    post = author.receive_next("message")["message"]
    for kind in ("hide", "unhide", "ban"):
        staff.send(kind, {"id": post["id"]})
        assert staff.receive_next("error")["code"] == "forbidden"


@pytest.fixture
def two_servers_threshold_two(test_database_url, tmp_path):
    env = {**shared_redis_env(test_database_url), "WALL_REPORT_THRESHOLD": "2"}
    with running_servers(2, env, tmp_path) as servers:
        yield servers


def test_reports_on_both_processes_cross_the_threshold_together(two_servers_threshold_two):
    first, second = two_servers_threshold_two
    watcher = CookieClient(first.ws_url, session_cookie_of(moderator_user("mod")))
    assert watcher.receive_type("moderator")["reports"] == 0
    author, ann, ben = WallClient(first.ws_url), WallClient(first.ws_url), WallClient(second.ws_url)
    author.join(username="Alice")
    ann.join(username="Ann")
    ben.join(username="Ben")
    author.send("message", {"content": "reported twice", "client_id": "c-1"})
    post = ben.receive_next("message")["message"]
    ann.send("report", {"id": post["id"], "reason": "spam"})
    assert ann.receive_next("reported") == {"id": post["id"]}
    assert watcher.receive_next("reports") == {"open": 1}
    ben.send("report", {"id": post["id"], "reason": "abuse"})
    assert ann.receive_next("message_deleted") == {"id": post["id"]}
    assert author.receive_next("message_hidden")["by"] == "wall"
    assert watcher.receive_next("post_hidden")["reason"] == "reported by 2 people"
    ben.send("report", {"id": post["id"], "reason": "abuse"})
    assert ben.receive_next("error")["code"] == "bad_request"  # hidden now: nothing left to report


@pytest.fixture
def two_premoderated_servers(test_database_url, tmp_path):
    env = {**shared_redis_env(test_database_url), "WALL_PREMODERATION": "1"}
    with running_servers(2, env, tmp_path) as servers:
        yield servers


def test_a_post_held_on_one_process_is_approved_on_the_other(two_premoderated_servers):
    first, second = two_premoderated_servers
    watcher = CookieClient(second.ws_url, session_cookie_of(moderator_user("mod")))
    assert watcher.receive_type("moderator")["held"] == []
    author = WallClient(first.ws_url)
    author.join(username="Alice")
    reader = WallClient(second.ws_url)
    author.send("message", {"content": "may I?", "client_id": "c-1"})
    held = author.receive_next("message_held")["message"]
    assert watcher.receive_next("held")["message"] == held
    watcher.send("approve", {"id": held["id"]})
    assert reader.receive_next("message_deleted") == {"id": held["id"]}
    shown = reader.receive_next("message")["message"]
    assert shown["content"] == "may I?" and int(shown["id"]) > int(held["id"])
    assert author.receive_next("message")["message"] == shown


def test_word_rules_hold_on_every_process(two_servers):
    from wall.models import WordRule

    WordRule.objects.create(pattern="spam", action=WordRule.REFUSE, reason="no ads")
    WordRule.objects.create(pattern="darn", action=WordRule.MASK)
    first, second = two_servers
    author, reader = WallClient(first.ws_url), WallClient(second.ws_url)
    author.join(username="Alice")
    author.send("message", {"content": "SPAM here", "client_id": "c-1"})
    error = author.receive_next("error")
    assert (error["code"], error["reason"], error["client_id"]) == ("blocked", "no ads", "c-1")
    author.send("message", {"content": "darn it", "client_id": "c-2"})
    assert reader.receive_next("message")["message"]["content"] == "**** it"  # the refused one never came
