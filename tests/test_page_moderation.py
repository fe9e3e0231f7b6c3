"""Moderation from the wall's own page: a moderator's socket (the Django session holds
wall.moderate_post) hides, unhides and bans; every wall follows live; every action is checked
again, and recorded in the audit trail."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group
from django.utils import timezone

from wall.models import ModerationAction, Participant, Post

from .moderators import moderator_user, open_with_cookie, session_cookie_of

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def cookie_for(username: str = "mod", **kinds) -> str:
    return session_cookie_of(moderator_user(username, **kinds))


@pytest.fixture
async def with_cookie(sockets):
    """Factory for wall sockets sent with a session cookie; closed at the end of the test."""
    opened = []

    async def factory(cookie: str | None):
        sock = await open_with_cookie(cookie)
        opened.append(sock)
        return sock

    yield factory
    for sock in opened:
        with contextlib.suppress(Exception):
            await sock.close()


@pytest.fixture
async def moderator(with_cookie):
    """A moderator's wall socket, past its `moderator` frame."""
    sock = await with_cookie(await cookie_for())
    sock.view = await sock.receive_type("moderator")
    return sock


async def author_and_post(sockets, text: str = "regrettable"):
    alice = await sockets()
    await alice.join(username="Alice")
    return alice, await alice.post(text, client_id="c-1")


async def test_a_moderator_socket_is_told_so_with_the_hidden_posts(sockets, with_cookie):
    _alice, post = await author_and_post(sockets)
    await sync_to_async(Post.objects.filter(pk=post["id"]).update)(
        is_hidden=True, hidden_by="earlier", hidden_reason="spam"
    )
    sock = await with_cookie(await cookie_for())
    view = await sock.receive_type("moderator")
    assert view["username"] == "mod"
    assert view["hidden"] == [{"message": post, "hidden_by": "earlier", "reason": "spam"}]


@pytest.mark.parametrize(
    "who", ["anonymous", "a participant", "staff without the permission", "a user who is not staff"]
)
async def test_only_a_moderators_socket_gets_the_moderator_frame(sockets, with_cookie, who):
    kinds = {
        "staff without the permission": {"permitted": False},
        "a user who is not staff": {"permitted": False, "staff": False},
    }
    cookie = await cookie_for(**kinds[who]) if who in kinds else None
    sock = await with_cookie(cookie)
    if who == "a participant":
        await sock.join(username="Reader")
    assert await sock.nothing_more()


async def test_a_moderator_hides_a_post_and_every_wall_follows(sockets, moderator):
    alice, post = await author_and_post(sockets)
    reader = await sockets()
    await moderator.send("hide", {"id": post["id"], "reason": "spam"})
    assert await reader.receive_next("message_deleted") == {"id": post["id"]}
    assert await alice.receive_next("message_deleted") == {"id": post["id"]}
    assert await alice.receive_next("message_hidden") == {
        "id": post["id"],
        "reason": "spam",
        "by": "moderator",
    }
    hidden = await moderator.receive_next("post_hidden")
    assert hidden == {"message": post, "hidden_by": "mod", "reason": "spam"}
    assert await reader.nothing_more() and await moderator.nothing_more()  # no greyed copy for readers
    saved = await Post.objects.aget(pk=post["id"])
    assert saved.is_hidden and saved.hidden_by == "mod" and saved.hidden_reason == "spam"


async def test_a_moderator_unhides_and_the_post_returns_everywhere(sockets, moderator):
    _alice, post = await author_and_post(sockets)
    reader = await sockets()
    await moderator.send("hide", {"id": post["id"], "reason": "spam"})
    await reader.receive_next("message_deleted")
    await moderator.send("unhide", {"id": post["id"]})
    assert (await reader.receive_next("message"))["message"] == post
    assert (await moderator.receive_next("message"))["message"] == post
    assert not (await Post.objects.aget(pk=post["id"])).is_hidden


async def test_a_moderator_bans_an_author_for_an_hour_from_the_page(sockets, moderator):
    alice, post = await author_and_post(sockets)
    before = timezone.now()
    await moderator.send("ban", {"id": post["id"], "reason": "abuse", "duration": "1h"})
    error = await alice.receive_next("error")
    assert error["code"] == "banned" and error["reason"] == "abuse"
    until = Participant._meta.get_field("banned_until").to_python(error["until"])
    assert timedelta(minutes=59) < until - before < timedelta(minutes=61)
    assert "abuse" in error["message"]
    assert (await alice.closed_with()) == 1008
    banned = await moderator.receive_next("user_banned")
    assert banned["username"] == "Alice" and banned["reason"] == "abuse" and banned["until"] == error["until"]


async def test_a_timed_ban_ends_by_itself(sockets, moderator):
    alice = await sockets()
    token = (await alice.join(username="Alice"))["token"]
    post = await alice.post("regrettable", client_id="c-1")
    await moderator.send("ban", {"id": post["id"], "reason": "cool off", "duration": "1h"})
    await alice.closed_with()
    again = await sockets()
    await again.send("join", {"token": token})
    assert (await again.receive_next("error"))["code"] == "banned"
    await Participant.objects.filter(username="Alice").aupdate(banned_until=timezone.now())
    assert (await again.join(token=token))["username"] == "Alice"
    assert (await again.post("back again", client_id="c-2"))["content"] == "back again"


async def test_a_ban_for_good_has_no_end(sockets, moderator):
    alice, post = await author_and_post(sockets)
    await moderator.send("ban", {"id": post["id"], "duration": "forever"})
    error = await alice.receive_next("error")
    assert error["until"] is None and error["reason"] == ""
    participant = await Participant.objects.aget(username="Alice")
    assert participant.is_banned and participant.banned_until is None


async def test_every_page_action_is_in_the_audit_trail(sockets, moderator):
    _alice, post = await author_and_post(sockets)
    await moderator.send("hide", {"id": post["id"], "reason": "spam"})
    await moderator.receive_next("post_hidden")
    await moderator.send("unhide", {"id": post["id"]})
    await moderator.receive_next("message")
    await moderator.send("ban", {"id": post["id"], "reason": "abuse", "duration": "1d"})
    await moderator.receive_next("user_banned")
    rows = [
        (row.moderator_name, row.source, row.action, row.target, row.reason)
        async for row in ModerationAction.objects.order_by("id")
    ]
    target = f"post #{post['id']} by Alice"
    assert rows == [
        ("mod", "page", "hide", target, "spam"),
        ("mod", "page", "unhide", target, ""),
        ("mod", "page", "ban", "Alice", "abuse"),
    ]


COMMANDS = [
    ("hide", {"reason": "spam"}),
    ("unhide", {}),
    ("ban", {"reason": "abuse", "duration": "1h"}),
    ("approve", {}),
]


@pytest.mark.parametrize("kind, extra", COMMANDS)
@pytest.mark.parametrize(
    "who",
    [
        "anonymous",
        "a participant",
        "staff without the permission",
        "a moderator whose group was taken away",
        "a moderator who logged out",
    ],
)
async def test_a_non_moderator_is_forbidden_every_moderator_action(sockets, with_cookie, who, kind, extra):
    _alice, post = await author_and_post(sockets)
    if kind == "unhide":
        await Post.objects.filter(pk=post["id"]).aupdate(is_hidden=True)
    cookie = None
    if who == "staff without the permission":
        cookie = await cookie_for(permitted=False)
    elif who.startswith("a moderator"):
        cookie = await cookie_for()
    sock = await with_cookie(cookie)
    if who.startswith("a moderator"):
        await sock.receive_type("moderator")
    if who == "a participant":
        await sock.join(username="Mallory")
    if who == "a moderator whose group was taken away":
        await sync_to_async(lambda: Group.objects.get(name="Moderators").user_set.clear())()
    if who == "a moderator who logged out":
        from django.contrib.sessions.models import Session

        await Session.objects.all().adelete()
    await sock.send(kind, {"id": post["id"], **extra})
    assert (await sock.receive_next("error"))["code"] == "forbidden"
    assert await Post.objects.filter(is_hidden=(kind == "unhide")).acount() == 1
    assert not await Participant.objects.filter(is_banned=True).aexists()
    assert not await ModerationAction.objects.aexists()
    await sock.send("ping")  # the socket stays usable
    await sock.receive_next("pong")


async def test_a_moderator_whose_permission_went_gets_no_more_moderator_events(sockets, with_cookie):
    _alice, post = await author_and_post(sockets)
    sock = await with_cookie(await cookie_for())
    await sock.receive_type("moderator")
    await sync_to_async(lambda: Group.objects.get(name="Moderators").user_set.clear())()
    await sock.send("hide", {"id": post["id"]})
    assert (await sock.receive_next("error"))["code"] == "forbidden"
    other = await with_cookie(await cookie_for("mod2"))
    await other.receive_type("moderator")
    await other.send("hide", {"id": post["id"]})
    await other.receive_next("post_hidden")
    assert await sock.receive_next("message_deleted") == {"id": post["id"]}  # as any reader now


@pytest.mark.parametrize(
    "kind, data",
    [
        ("hide", {}),
        ("hide", {"id": "abc"}),
        ("hide", {"id": "999999"}),
        ("hide", {"id": "1", "reason": "x" * 201}),
        ("hide", {"id": "1", "reason": 5}),
        ("unhide", {"id": None}),
        ("unhide", {"id": "999999"}),
        ("ban", {"id": "1", "duration": "1w"}),
        ("ban", {"id": "1", "duration": None}),
        ("ban", {"id": "999999", "duration": "1h"}),
        ("ban", {"duration": "1h"}),
        ("approve", {}),
        ("approve", {"id": "999999"}),
    ],
)
async def test_a_moderators_malformed_action_is_bad_request(sockets, moderator, kind, data):
    await moderator.send(kind, data)
    assert (await moderator.receive_next("error"))["code"] == "bad_request"
    assert not await ModerationAction.objects.aexists()
    await moderator.send("ping")
    await moderator.receive_next("pong")
