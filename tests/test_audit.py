"""The audit trail: every moderation action, from the admin or the page, with who, what, when and
why, readable (and only readable) in the admin."""

from __future__ import annotations

import pytest
from django.utils import timezone

from wall.models import ModerationAction, Participant, Post

from .test_admin import Moderator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def admin_user(settings) -> Moderator:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    moderator = Moderator()
    await moderator.login()
    return moderator


async def a_post(sockets, name: str = "Alice", text: str = "audit me"):
    sock = await sockets()
    welcome = await sock.join(username=name)
    return welcome["id"], await sock.post(text, "c-1")


async def trail() -> list[tuple]:
    return [
        (row.moderator_name, row.source, row.action, row.target, row.reason, row.until is not None)
        async for row in ModerationAction.objects.order_by("id")
    ]


async def test_the_admins_actions_are_recorded_with_the_admin_user(sockets, admin_user):
    alice_id, post = await a_post(sockets)
    await admin_user.action("post", "hide_posts", [post["id"]])
    await admin_user.action("post", "unhide_posts", [post["id"]])
    await admin_user.action("participant", "ban_participants_for_an_hour", [alice_id])
    await admin_user.action("participant", "unban_participants", [alice_id])
    await admin_user.action("participant", "ban_participants", [alice_id])
    target = f"post #{post['id']} by Alice"
    assert await trail() == [
        ("moderator", "admin", "hide", target, "", False),
        ("moderator", "admin", "unhide", target, "", False),
        ("moderator", "admin", "ban", "Alice", "", True),
        ("moderator", "admin", "unban", "Alice", "", False),
        ("moderator", "admin", "ban", "Alice", "", False),
    ]


async def test_a_timed_ban_from_the_admin_ends_in_an_hour(sockets, admin_user):
    alice_id, _ = await a_post(sockets)
    await admin_user.action("participant", "ban_participants_for_a_day", [alice_id])
    alice = await Participant.objects.aget(pk=alice_id)
    left = alice.banned_until - timezone.now()
    assert alice.ban_in_force and 23.9 * 3600 < left.total_seconds() <= 24 * 3600


async def test_a_deleted_posts_row_stays_in_the_trail(sockets, admin_user):
    _, post = await a_post(sockets)
    await admin_user.action("post", "delete_selected", [post["id"]], post="yes")
    assert not await Post.objects.aexists()
    row = await ModerationAction.objects.aget()
    assert (row.action, row.post_id, row.target) == (
        "delete",
        int(post["id"]),
        f"post #{post['id']} by Alice",
    )


async def test_the_trail_is_listed_in_the_admin(sockets, admin_user):
    _, post = await a_post(sockets)
    await admin_user.action("post", "hide_posts", [post["id"]])
    page = (await admin_user.get("/admin/wall/moderationaction/")).content.decode()
    assert f"post #{post['id']} by Alice" in page and "the admin" in page
    row = await ModerationAction.objects.aget()
    assert (await admin_user.get(f"/admin/wall/moderationaction/{row.pk}/change/")).status_code == 200


@pytest.mark.parametrize(
    "path, data",
    [
        ("/admin/wall/moderationaction/{pk}/change/", {"reason": "rewritten", "action": "unhide"}),
        ("/admin/wall/moderationaction/{pk}/delete/", {"post": "yes"}),
        ("/admin/wall/moderationaction/add/", {"action": "hide", "target": "made up", "source": "admin"}),
    ],
)
async def test_the_trail_cannot_be_edited_added_to_or_deleted_in_the_admin(sockets, admin_user, path, data):
    _, post = await a_post(sockets)
    await admin_user.action("post", "hide_posts", [post["id"]])
    row = await ModerationAction.objects.aget()
    response = await admin_user.post(path.format(pk=row.pk), data)
    assert response.status_code == 403
    assert await trail() == [("moderator", "admin", "hide", f"post #{post['id']} by Alice", "", False)]
