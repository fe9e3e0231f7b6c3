"""Renames (issue 15, 3): the rules of a new name, everyone told live, the old name kept 7 days,
a rate per participant, and the moderator's rename and release in the admin."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from wall.models import NameReservation, Participant

from .test_admin import (
    fast_hashing,  # noqa: F401
    moderator,  # noqa: F401  (the logged-in staff client fixture)
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_rename_reaches_everyone_and_posts_show_the_new_name(sockets):
    bob, watcher = await sockets(), await sockets()
    welcome = await bob.join(username="Bob")
    await bob.post("before")
    await bob.send("rename", {"username": "Robert"})
    renamed = {"id": welcome["id"], "username": "Robert", "previous": "Bob"}
    assert await bob.receive_next("user_renamed") == renamed
    assert await watcher.receive_next("user_renamed") == renamed
    newcomer = await sockets()
    assert [post["author"] for post in newcomer.history["messages"]] == ["Robert"]
    assert newcomer.users == [{"id": welcome["id"], "username": "Robert", "last_read": None}]
    bob.username = "Robert"  # the test client's own record of its name
    assert (await bob.post("after"))["author"] == "Robert"


async def test_a_rename_in_any_script_is_stored_normalized(sockets):
    sock = await sockets()
    await sock.join(username="Zoe")
    await sock.send("rename", {"username": " Zoe\u0308 "})
    assert (await sock.receive_next("user_renamed"))["username"] == "Zoë"


# (the new name, the code): the rules of a new name, and the names of others.
REFUSED = [
    ("x", "invalid_username"),
    ("Bob\u202e", "invalid_username"),
    ("Al\u200bice", "invalid_username"),
    ("P\u0430ypal", "invalid_username"),  # Latin with a Cyrillic a
    ("Alice\n", "invalid_username"),
    ("Carol", "username_taken"),
    ("CAROL", "username_taken"),
    ("\u0421arol", "username_taken"),  # Cyrillic Es
    ("Bob", "invalid_username"),  # one's own name already
]


@pytest.mark.parametrize(("name", "code"), REFUSED, ids=[repr(name) for name, _ in REFUSED])
async def test_a_refused_rename_changes_nothing_and_the_socket_stays_usable(sockets, name, code):
    await (await sockets()).join(username="Carol")
    bob, watcher = await sockets(), await sockets()
    await bob.join(username="Bob")
    await bob.send("rename", {"username": name})
    assert (await bob.receive_next("error"))["code"] == code
    assert (await bob.post("still Bob"))["author"] == "Bob"
    assert sorted([p.username async for p in Participant.objects.all()]) == ["Bob", "Carol"]
    assert await NameReservation.objects.acount() == 0
    frames = []
    while not await watcher.nothing_more():
        frames.append((await watcher.receive())["type"])
    assert "user_renamed" not in frames


@pytest.mark.parametrize("data", [{}, {"username": None}, {"username": 5}, {"username": "x" * 201}])
async def test_a_rename_frame_of_the_wrong_shape_is_a_bad_request(sockets, data):
    bob = await sockets()
    await bob.join(username="Bob")
    await bob.send("rename", data)
    assert (await bob.receive_next("error"))["code"] == "bad_request"


async def test_a_rename_needs_a_joined_socket(sockets):
    sock = await sockets()
    await sock.send("rename", {"username": "Robert"})
    assert (await sock.receive_type("error"))["code"] == "not_joined"


async def test_the_old_name_is_kept_from_others_for_seven_days(sockets, async_client):
    bob = await sockets()
    await bob.join(username="Bob")
    await bob.send("rename", {"username": "Robert"})
    await bob.receive_next("user_renamed")
    kept = await NameReservation.objects.aget()
    assert timedelta(days=6, hours=23) < kept.until - timezone.now() <= timedelta(days=7)
    for name in ("Bob", "BOB", "B0b"):
        other = await sockets()
        await other.send("join", {"username": name})
        assert (await other.receive_type("error"))["code"] == "username_reserved"
        body = (await async_client.get(f"/api/usernames/{quote(name)}")).json()
        assert (body["available"], body["reason"]) == (False, "reserved")
    await NameReservation.objects.aupdate(until=timezone.now())
    assert (await (await sockets()).join(username="Bob"))["username"] == "Bob"


async def test_the_old_holder_may_take_a_kept_name_back(sockets):
    bob = await sockets()
    await bob.join(username="Bob")
    for name in ("Robert", "Bob"):
        await bob.send("rename", {"username": name})
        assert (await bob.receive_next("user_renamed"))["username"] == name
    assert [r.username async for r in NameReservation.objects.all()] == ["Robert"]


async def test_renames_are_rate_limited_and_only_done_ones_count(sockets, settings):
    settings.WALL_RENAME_RATE = "2/24h"
    bob = await sockets()
    await bob.join(username="Bob")
    await bob.send("rename", {"username": "x"})  # refused: does not count
    await bob.receive_next("error")
    for name in ("Rob", "Robert"):
        await bob.send("rename", {"username": name})
        await bob.receive_next("user_renamed")
    await bob.send("rename", {"username": "Bobby"})
    error = await bob.receive_next("error")
    assert error["code"] == "rate_limited" and error["retry_after"] > 0


async def test_another_device_of_the_renamed_user_speaks_with_the_new_name_after_rejoining(sockets):
    laptop, phone, watcher = await sockets(), await sockets(), await sockets()
    welcome = await laptop.join(username="Bob")
    await phone.join(token=welcome["token"])
    await laptop.send("rename", {"username": "Robert"})
    await phone.receive_next("user_renamed")
    assert (await phone.join(token=welcome["token"]))["username"] == "Robert"
    await phone.send("typing")
    assert (await watcher.receive_next("typing"))["username"] == "Robert"


async def test_a_moderator_renames_in_the_admin_and_keeps_nothing(sockets, moderator):  # noqa: F811
    imposter, watcher = await sockets(), await sockets()
    welcome = await imposter.join(username="Admin_Team")
    response = await moderator.post(
        f"/admin/wall/participant/{welcome['id']}/change/", {"username": "Renamed_by_moderators"}
    )
    assert response.status_code == 302, response.content[:800]
    assert await watcher.receive_next("user_renamed") == {
        "id": welcome["id"],
        "username": "Renamed_by_moderators",
        "previous": "Admin_Team",
    }
    assert await NameReservation.objects.acount() == 0


@pytest.mark.parametrize("name", ["x", "Bad\u202ename", "Carol", "c\u0430rol"])
async def test_the_admin_refuses_a_name_the_wall_refuses(sockets, moderator, name):  # noqa: F811
    await (await sockets()).join(username="Carol")
    bob = await (await sockets()).join(username="Bob")
    response = await moderator.post(f"/admin/wall/participant/{bob['id']}/change/", {"username": name})
    assert response.status_code == 200  # the form again, with the error
    assert (await Participant.objects.aget(pk=int(bob["id"]))).username == "Bob"


async def test_a_moderator_releases_a_kept_name(sockets, moderator):  # noqa: F811
    bob = await sockets()
    await bob.join(username="Bob")
    await bob.send("rename", {"username": "Robert"})
    await bob.receive_next("user_renamed")
    kept = await NameReservation.objects.aget()
    await moderator.action("namereservation", "release_names", [str(kept.pk)])
    assert await NameReservation.objects.acount() == 0
    assert (await (await sockets()).join(username="Bob"))["username"] == "Bob"
