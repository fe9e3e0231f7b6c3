"""Held posts (WALL_PREMODERATION): saved but seen only by their author and moderators until a
moderator approves them, which shows them to everyone as new posts, in the order of approval."""

from __future__ import annotations

import contextlib

import pytest
from asgiref.sync import sync_to_async

from wall.models import ModerationAction, Participant, Post

from .moderators import frames_within, moderator_user, open_with_cookie, session_cookie_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def premoderation(settings) -> None:
    settings.WALL_PREMODERATION = True


@pytest.fixture
async def moderator(sockets, premoderation):
    sock = await open_with_cookie(await sync_to_async(lambda: session_cookie_of(moderator_user("mod")))())
    sock.view = await sock.receive_type("moderator")
    yield sock
    with contextlib.suppress(Exception):
        await sock.close()


async def held_post(sock, text: str, client_id: str) -> dict:
    await sock.send("message", {"content": text, "client_id": client_id})
    return (await sock.receive_next("message_held"))["message"]


async def test_a_held_post_reaches_only_its_author_and_the_moderators(sockets, moderator):
    alice = await sockets()
    await alice.join(username="Alice")
    reader = await sockets()
    post = await held_post(alice, "first!", "c-1")
    assert (post["author"], post["content"], post["client_id"]) == ("Alice", "first!", "c-1")
    assert (await moderator.receive_next("held"))["message"] == post
    assert await frames_within(reader, 0.5) <= {"user_joined"}  # presence at most, never the post
    saved = await Post.objects.aget(pk=post["id"])
    assert saved.is_held and saved.is_hidden
    newcomer = await sockets()
    assert newcomer.history["messages"] == []


async def test_the_author_sees_their_held_posts_again_after_a_reconnect(sockets, moderator):
    alice = await sockets()
    token = (await alice.join(username="Alice"))["token"]
    post = await held_post(alice, "waiting", "c-1")
    await alice.close()
    again = await sockets()
    await again.join(token=token)
    assert (await again.receive_next("message_held"))["message"] == post


async def test_a_resent_held_post_is_not_saved_twice(sockets, moderator):
    alice = await sockets()
    await alice.join(username="Alice")
    post = await held_post(alice, "once", "c-1")
    await alice.send("message", {"content": "once", "client_id": "c-1"})
    assert (await alice.receive_next("message_held"))["message"] == post
    assert await Post.objects.acount() == 1


async def test_approved_posts_go_out_as_new_posts_in_the_order_of_approval(sockets, moderator):
    alice, reader = await sockets(), await sockets()
    await alice.join(username="Alice")
    older, newer = await held_post(alice, "older", "c-1"), await held_post(alice, "newer", "c-2")
    await moderator.send("approve", {"id": newer["id"]})
    await moderator.send("approve", {"id": older["id"]})
    assert await reader.receive_next("message_deleted") == {"id": newer["id"]}
    first = (await reader.receive_next("message"))["message"]
    assert await reader.receive_next("message_deleted") == {"id": older["id"]}
    second = (await reader.receive_next("message"))["message"]
    assert [first["content"], second["content"]] == ["newer", "older"]
    assert int(older["id"]) < int(newer["id"]) < int(first["id"]) < int(second["id"])
    assert second["client_id"] == "c-1"  # the author's page confirms its copy by it
    assert (await alice.receive_next("message"))["message"] == first
    assert [p["content"] for p in (await sockets()).history["messages"]] == ["newer", "older"]
    assert not await Post.objects.filter(is_held=True).aexists()
    rows = [(r.action, r.source, r.reason) async for r in ModerationAction.objects.order_by("id")]
    assert rows == [
        ("approve", "page", f"held as #{newer['id']}"),
        ("approve", "page", f"held as #{older['id']}"),
    ]


async def test_a_rejected_held_post_stays_hidden_and_its_author_is_told(sockets, moderator):
    alice = await sockets()
    await alice.join(username="Alice")
    post = await held_post(alice, "off topic", "c-1")
    await moderator.send("hide", {"id": post["id"], "reason": "rejected"})
    assert await alice.receive_next("message_hidden") == {
        "id": post["id"],
        "reason": "rejected",
        "by": "moderator",
    }
    assert (await moderator.receive_next("post_hidden"))["reason"] == "rejected"
    saved = await Post.objects.aget(pk=post["id"])
    assert saved.is_hidden and not saved.is_held
    await moderator.send("approve", {"id": post["id"]})  # no longer held: nothing happens
    await moderator.send("ping")
    await moderator.receive_next("pong")
    assert (await Post.objects.aget(pk=post["id"])).is_hidden


async def test_a_trusted_author_skips_the_queue(sockets, moderator):
    alice, reader = await sockets(), await sockets()
    welcome = await alice.join(username="Alice")
    await Participant.objects.filter(pk=welcome["id"]).aupdate(is_trusted=True)
    post = await alice.post("straight through", "c-1")
    assert (await reader.receive_next("message"))["message"] == post
    assert (await moderator.receive_next("message"))["message"] == post  # not `held`


async def test_without_the_setting_posts_go_out_at_once(sockets):
    alice, reader = await sockets(), await sockets()
    await alice.join(username="Alice")
    post = await alice.post("at once", "c-1")
    assert (await reader.receive_next("message"))["message"] == post
    assert not await Post.objects.filter(is_held=True).aexists()


@pytest.fixture
async def admin_user(settings):
    from .test_admin import Moderator

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    admin_user = Moderator()
    await admin_user.login()
    return admin_user


async def test_the_admin_approves_held_posts_and_trusts_their_author(sockets, premoderation, admin_user):
    alice = await sockets()
    welcome = await alice.join(username="Alice")
    reader = await sockets()
    post = await held_post(alice, "from the admin", "c-1")
    listing = (await admin_user.get("/admin/wall/post/?is_held__exact=1")).content.decode()
    assert "from the admin" in listing
    await admin_user.action("post", "approve_posts", [post["id"]])
    assert (await reader.receive_next("message"))["message"]["content"] == "from the admin"
    await admin_user.action("participant", "trust_participants", [welcome["id"]])
    assert (await Participant.objects.aget(pk=welcome["id"])).is_trusted
    assert (await alice.post("trusted now", "c-2"))["content"] == "trusted now"
    actions = [(r.action, r.source) async for r in ModerationAction.objects.order_by("id")]
    assert actions == [("approve", "admin"), ("trust", "admin")]
