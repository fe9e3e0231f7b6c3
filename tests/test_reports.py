"""Readers' reports: one per person per post, limited per person, counted live for moderators;
enough distinct people hide the post until a moderator decides."""

from __future__ import annotations

import contextlib

import pytest
from asgiref.sync import sync_to_async

from wall.models import ModerationAction, Post, Report

from .moderators import moderator_user, open_with_cookie, session_cookie_of
from .test_admin import Moderator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def moderator(sockets):
    sock = await open_with_cookie(await sync_to_async(lambda: session_cookie_of(moderator_user("mod")))())
    sock.view = await sock.receive_type("moderator")
    yield sock
    with contextlib.suppress(Exception):
        await sock.close()


async def joined(sockets, name: str):
    sock = await sockets()
    await sock.join(username=name)
    return sock


async def test_a_report_is_recorded_and_counted_for_moderators(sockets, moderator):
    alice, bob = await joined(sockets, "Alice"), await joined(sockets, "Bob")
    post = await alice.post("buy my watches", "c-1")
    assert moderator.view["reports"] == 0
    await bob.send("report", {"id": post["id"], "reason": "spam", "text": "  ads  "})
    assert await bob.receive_next("reported") == {"id": post["id"]}
    assert await moderator.receive_next("reports") == {"open": 1}
    report = await Report.objects.select_related("reporter").aget()
    assert (report.reporter.username, report.reason, report.text) == ("Bob", "spam", "ads")
    assert await alice.nothing_more()  # the author is not told about a single report
    assert not (await Post.objects.aget(pk=post["id"])).is_hidden


@pytest.mark.parametrize(
    "case, code",
    [
        ("own post", "own_post"),
        ("second report", "already_reported"),
        ("hidden post", "bad_request"),
        ("no such post", "bad_request"),
        ("unknown reason", "bad_request"),
        ("text too long", "bad_request"),
        ("no id", "bad_request"),
        ("not joined", "not_joined"),
    ],
)
async def test_a_report_is_refused_and_nothing_is_recorded(sockets, case, code):
    alice, bob = await joined(sockets, "Alice"), await joined(sockets, "Bob")
    post = await alice.post("a post", "c-1")
    data = {"id": post["id"], "reason": "abuse"}
    sender = bob
    if case == "own post":
        sender = alice
    elif case == "second report":
        await bob.send("report", data)
        await bob.receive_next("reported")
    elif case == "hidden post":
        await Post.objects.filter(pk=post["id"]).aupdate(is_hidden=True)
    elif case == "no such post":
        data["id"] = "999999"
    elif case == "unknown reason":
        data["reason"] = "boring"
    elif case == "text too long":
        data["text"] = "x" * 201
    elif case == "no id":
        del data["id"]
    elif case == "not joined":
        sender = await sockets()
    before = await Report.objects.acount()
    await sender.send("report", data)
    error = await sender.receive_next("error")
    assert error["code"] == code
    if code in ("own_post", "already_reported"):
        assert error["id"] == post["id"]
    assert await Report.objects.acount() == before
    await sender.send("ping")
    await sender.receive_next("pong")


async def test_a_report_flood_is_rate_limited(sockets, settings):
    settings.WALL_REPORT_RATE = "3/1h"
    alice, bob = await joined(sockets, "Alice"), await joined(sockets, "Bob")
    posts = [await alice.post(f"post {n}", f"c-{n}") for n in range(5)]
    await bob.send("report", {"id": (await bob.post("mine", "b-1"))["id"], "reason": "spam"})
    assert (await bob.receive_next("error"))["code"] == "own_post"  # refused: gives its place back
    for post in posts[:3]:
        await bob.send("report", {"id": post["id"], "reason": "spam"})
        await bob.receive_next("reported")
    await bob.send("report", {"id": posts[3]["id"], "reason": "spam"})
    error = await bob.receive_next("error")
    assert error["code"] == "rate_limited" and error["retry_after"] > 0
    assert await Report.objects.acount() == 3


async def test_enough_reports_hide_the_post_until_a_moderator_decides(sockets, moderator, settings):
    settings.WALL_REPORT_THRESHOLD = 2
    alice = await joined(sockets, "Alice")
    readers = [await joined(sockets, name) for name in ("Bob", "Carol", "Dave")]
    post = await alice.post("rude words", "c-1")
    await readers[0].send("report", {"id": post["id"], "reason": "abuse"})
    await readers[0].receive_next("reported")
    assert not (await Post.objects.aget(pk=post["id"])).is_hidden
    await readers[1].send("report", {"id": post["id"], "reason": "abuse"})
    assert await readers[2].receive_next("message_deleted") == {"id": post["id"]}
    hidden_note = {"id": post["id"], "reason": "reported by 2 people", "by": "wall"}
    assert await alice.receive_next("message_hidden") == hidden_note
    hidden = await moderator.receive_next("post_hidden")
    assert (hidden["hidden_by"], hidden["reason"]) == ("", "reported by 2 people")
    assert await moderator.receive_next("reports") == {"open": 1}
    row = await ModerationAction.objects.aget()
    assert (row.source, row.action, row.moderator_name) == ("wall", "hide", "")

    await moderator.send("unhide", {"id": post["id"]})  # a moderator decides: it may stay
    assert (await readers[2].receive_next("message"))["message"]["id"] == post["id"]
    assert await moderator.receive_next("reports") == {"open": 0}
    await readers[2].send("report", {"id": post["id"], "reason": "abuse"})  # one new report only
    await readers[2].receive_next("reported")
    assert not (await Post.objects.aget(pk=post["id"])).is_hidden


@pytest.fixture
async def admin_user(settings) -> Moderator:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    admin_user = Moderator()
    await admin_user.login()
    return admin_user


async def test_the_reported_queue_lists_the_most_reported_first_and_dismisses(sockets, admin_user):
    alice = await joined(sockets, "Alice")
    readers = [await joined(sockets, name) for name in ("Bob", "Carol", "Dave")]
    once, thrice = await alice.post("reported once", "c-1"), await alice.post("reported thrice", "c-2")
    await alice.post("never reported", "c-3")
    for reader in readers:
        await reader.send("report", {"id": thrice["id"], "reason": "spam"})
        await reader.receive_next("reported")
    await readers[0].send("report", {"id": once["id"], "reason": "other", "text": "odd"})
    await readers[0].receive_next("reported")
    page = (await admin_user.get("/admin/wall/reportedpost/")).content.decode()
    assert "never reported" not in page
    assert page.index("reported thrice") < page.index("reported once")
    assert "spam 3" in page
    await admin_user.action("reportedpost", "dismiss_reports", [once["id"], thrice["id"]])
    from wall.selectors import open_report_count

    assert await sync_to_async(open_report_count)() == 0
    assert [row.action async for row in ModerationAction.objects.order_by("id")] == ["dismiss", "dismiss"]
    dashboard = (await admin_user.get("/admin/")).content.decode()
    assert "Reported posts to decide" in dashboard
