"""The moderation admin through its real views: login, changelist actions, delete confirmations, the lists."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import AsyncClient

from wall.models import ModerationAction, Participant, Post, PostRevision

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


class Moderator:
    """A staff browser: logs in through the login form and posts every form with its CSRF token."""

    def __init__(self) -> None:
        self.client = AsyncClient(enforce_csrf_checks=True)

    def csrf(self) -> str:
        return self.client.cookies["csrftoken"].value

    async def login(self) -> None:
        await User.objects.acreate_superuser("moderator", "mod@example.org", PASSWORD)
        page = await self.client.get("/admin/login/")
        assert page.status_code == 200
        response = await self.client.post(
            "/admin/login/?next=/admin/",
            {"username": "moderator", "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()},
        )
        assert response.status_code == 302 and response["Location"] == "/admin/", response.content[:500]

    async def get(self, path: str):
        response = await self.client.get(path)
        assert response.status_code == 200, response.status_code
        return response

    async def post(self, path: str, data: dict):
        return await self.client.post(path, {**data, "csrfmiddlewaretoken": self.csrf()})

    async def action(self, model: str, action: str, ids: list[str], **extra: str):
        response = await self.post(
            f"/admin/wall/{model}/", {"action": action, "_selected_action": ids, **extra}
        )
        assert response.status_code in (200, 302), response.status_code
        return response


@pytest.fixture
def fast_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
async def moderator(fast_hashing) -> Moderator:
    moderator = Moderator()
    await moderator.login()
    return moderator


async def joined(sockets, username: str):
    sock = await sockets()
    welcome = await sock.join(username=username)
    return sock, welcome["id"]


async def test_the_hide_action_removes_the_post_from_an_open_wall(sockets, moderator):
    alice, _ = await joined(sockets, "Alice")
    reader = await sockets()
    post = await alice.post("hide me", "c-1")
    await reader.receive_next("message")
    response = await moderator.action("post", "hide_posts", [post["id"]])
    assert response.status_code == 302
    assert await reader.receive_next("message_deleted") == {"id": post["id"]}
    assert await Post.objects.filter(is_hidden=True).acount() == 1


async def test_the_unhide_action_sends_the_post_again(sockets, moderator):
    alice, _ = await joined(sockets, "Alice")
    reader = await sockets()
    post = await alice.post("back", "c-1")
    await moderator.action("post", "hide_posts", [post["id"]])
    await reader.receive_next("message_deleted")
    await moderator.action("post", "unhide_posts", [post["id"]])
    assert (await reader.receive_next("message"))["message"] == post


async def test_delete_selected_asks_for_confirmation_then_removes_the_post(sockets, moderator):
    alice, _ = await joined(sockets, "Alice")
    reader = await sockets()
    post = await alice.post("delete me", "c-1")
    await reader.receive_next("message")
    confirmation = await moderator.action("post", "delete_selected", [post["id"]])
    assert confirmation.status_code == 200 and b"Are you sure" in confirmation.content
    assert await reader.nothing_more()
    await moderator.action("post", "delete_selected", [post["id"]], post="yes")
    assert await reader.receive_next("message_deleted") == {"id": post["id"]}
    assert not await Post.objects.aexists()


async def test_the_delete_view_removes_the_post_from_an_open_wall(sockets, moderator):
    alice, _ = await joined(sockets, "Alice")
    reader = await sockets()
    post = await alice.post("delete me", "c-1")
    await reader.receive_next("message")
    await moderator.get(f"/admin/wall/post/{post['id']}/delete/")
    response = await moderator.post(f"/admin/wall/post/{post['id']}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert await reader.receive_next("message_deleted") == {"id": post["id"]}


async def test_ticking_hidden_in_the_change_form_removes_the_post(sockets, moderator):
    alice, _ = await joined(sockets, "Alice")
    reader = await sockets()
    post = await alice.post("from the form", "c-1")
    await reader.receive_next("message")
    response = await moderator.post(
        f"/admin/wall/post/{post['id']}/change/", {"content": "from the form", "is_hidden": "on"}
    )
    assert response.status_code == 302
    assert await reader.receive_next("message_deleted") == {"id": post["id"]}
    saved = await Post.objects.aget(pk=int(post["id"]))
    assert saved.is_hidden and saved.content == "from the form"


async def test_a_moderator_edits_a_posts_text_in_the_change_form_at_any_time(sockets, moderator, settings):
    """Issue 14, part 1: moderators edit any time (WALL_EDIT_WINDOW is the author's); the earlier
    text is kept, every wall gets `message_edited`, and the audit trail records who did it."""
    settings.WALL_EDIT_WINDOW = 0
    alice, _ = await joined(sockets, "Alice")
    reader = await sockets()
    post = await alice.post("original", "c-1")
    await reader.receive_next("message")
    response = await moderator.post(f"/admin/wall/post/{post['id']}/change/", {"content": " rewritten "})
    assert response.status_code == 302
    edited = (await reader.receive_next("message_edited"))["message"]
    assert (edited["id"], edited["content"]) == (post["id"], "rewritten") and edited["edited_at"]
    assert [r.content async for r in PostRevision.objects.filter(post_id=int(post["id"]))] == ["original"]
    assert await ModerationAction.objects.filter(action="edit", post_id=int(post["id"])).aexists()


@pytest.mark.parametrize("content", ["", "   ", "x" * 2001], ids=["empty", "blank", "too long"])
async def test_a_moderators_edit_follows_the_rules_of_a_posts_text(sockets, moderator, content):
    alice, _ = await joined(sockets, "Alice")
    post = await alice.post("original", "c-1")
    response = await moderator.post(f"/admin/wall/post/{post['id']}/change/", {"content": content})
    assert response.status_code == 200  # the form again, with the error
    assert (await Post.objects.aget(pk=int(post["id"]))).content == "original"
    assert not await PostRevision.objects.aexists()


async def test_the_ban_action_closes_the_users_sockets(sockets, moderator):
    alice, alice_id = await joined(sockets, "Alice")
    bob, _ = await joined(sockets, "Bob")
    await moderator.action("participant", "ban_participants", [alice_id])
    assert (await alice.receive_next("error"))["code"] == "banned"
    closed = await alice.communicator.receive_output(timeout=3)
    assert closed["type"] == "websocket.close" and closed["code"] == 1008
    assert (await Participant.objects.aget(pk=int(alice_id))).is_banned
    assert (await bob.post("unaffected", "c-b"))["author"] == "Bob"


async def test_ban_and_hide_removes_every_post_of_the_user(sockets, moderator):
    alice, alice_id = await joined(sockets, "Alice")
    reader = await sockets()
    first, second = await alice.post("one", "c-1"), await alice.post("two", "c-2")
    await moderator.action("participant", "ban_participants_and_hide_posts", [alice_id])
    deleted = {(await reader.receive_next("message_deleted"))["id"] for _ in range(2)}
    assert deleted == {first["id"], second["id"]}


async def test_deleting_a_participant_in_the_admin_removes_their_posts_from_open_walls(sockets, moderator):
    alice, alice_id = await joined(sockets, "Alice")
    reader = await sockets()
    post = await alice.post("mine", "c-1")
    confirmation = await moderator.get(f"/admin/wall/participant/{alice_id}/delete/")
    assert b"mine" in confirmation.content  # the confirmation lists the posts that go with the name
    await moderator.post(f"/admin/wall/participant/{alice_id}/delete/", {"post": "yes"})
    assert await reader.receive_next("message_deleted") == {"id": post["id"]}
    assert (await alice.receive_next("error"))["code"] == "invalid_token"


async def test_the_participant_list_shows_post_counts_and_last_seen(sockets, moderator):
    alice, alice_id = await joined(sockets, "Alice")
    await alice.post("one", "c-1")
    await alice.post("two", "c-2")
    await alice.close()
    page = (await moderator.get("/admin/wall/participant/")).content.decode()
    assert "last seen" in page.lower()
    assert re.search(rf'href="/admin/wall/post/\?author__id__exact={alice_id}">2</a>', page), page
    posts = (await moderator.get(f"/admin/wall/post/?author__id__exact={alice_id}")).content.decode()
    assert "2 posts" in posts


async def test_the_post_list_shows_an_excerpt_and_links_the_author(sockets, moderator):
    alice, alice_id = await joined(sockets, "Alice")
    await alice.post("x" * 100 + " zebra", "c-1")
    page = (await moderator.get("/admin/wall/post/")).content.decode()
    assert "x" * 79 + "…" in page and "zebra" not in page
    assert f'href="/admin/wall/participant/{alice_id}/change/">Alice</a>' in page


@pytest.mark.parametrize("model", ["post", "participant"])
async def test_the_admin_cannot_add_posts_or_names(moderator, model):
    assert (await moderator.client.get(f"/admin/wall/{model}/add/")).status_code == 403


async def test_moderation_needs_a_staff_login(sockets):
    alice, _ = await joined(sockets, "Alice")
    post = await alice.post("safe", "c-1")
    client = AsyncClient()
    response = await client.post(
        "/admin/wall/post/", {"action": "hide_posts", "_selected_action": [post["id"]]}
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not await Post.objects.filter(is_hidden=True).aexists()


async def test_the_admin_login_form_refuses_a_post_without_its_csrf_token(fast_hashing):
    await User.objects.acreate_superuser("moderator", "mod@example.org", PASSWORD)
    client = AsyncClient(enforce_csrf_checks=True)
    await client.get("/admin/login/")
    response = await client.post("/admin/login/", {"username": "moderator", "password": PASSWORD})
    assert response.status_code == 403
