"""The admin dashboard's socket: staff only, a `dashboard` frame with who is online, sockets per
process, posts per minute and the last problems; and its parts without a socket."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from wall.dashboard import dashboard_frame
from wall.models import Participant, Post
from wall.selectors import post_counts_per_minute

from .conftest import ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def session_cookie(*, staff: bool) -> bytes:
    user = User.objects.create_user(f"user-{staff}", password="a-long-password-1", is_staff=staff)
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def dashboard_socket(cookie: bytes | None) -> WebsocketCommunicator:
    from wallsite.asgi import application

    headers = [ORIGIN, (b"host", b"127.0.0.1")] + ([(b"cookie", cookie)] if cookie else [])
    return WebsocketCommunicator(application, "/ws/admin/dashboard/", headers=headers)


@pytest.mark.parametrize("who", ["anonymous", "a logged-in user who is not staff"])
async def test_only_staff_may_open_the_dashboard_socket(store, who):
    cookie = None if who == "anonymous" else await session_cookie(staff=False)
    connected, _ = await dashboard_socket(cookie).connect(timeout=5)
    assert not connected


async def test_staff_get_the_dashboard_with_what_happens_on_the_wall(sockets, settings):
    settings.WALL_DASHBOARD_INTERVAL = 0.2
    poster = await sockets()
    await poster.join(username="Busy")
    await poster.post("one for the sparkline")
    logging.getLogger("wall.test").warning("a problem for the dashboard")
    staff = dashboard_socket(await session_cookie(staff=True))
    connected, _ = await staff.connect(timeout=5)
    assert connected
    frame = await staff.receive_json_from(timeout=5)
    assert frame["type"] == "dashboard"
    data = frame["data"]
    # In the last minute, or the one before when the post and the frame straddle a minute's turn.
    assert data["online"] == 1 and data["posts_last_hour"] == 1 and sum(data["posts_per_minute"][-2:]) == 1
    assert len(data["posts_per_minute"]) == 60
    assert [report["sockets"] for report in data["processes"]] == [1]
    assert data["problems"][0]["message"] == "a problem for the dashboard"
    await poster.post("another")
    while (await staff.receive_json_from(timeout=5))["data"]["posts_last_hour"] != 2:
        pass
    await staff.disconnect()


def test_posts_are_counted_in_the_minute_they_were_saved():
    author = Participant.objects.create(username="Counter", token_hash="x" * 64)
    Post.objects.bulk_create([Post(author=author, content=str(n)) for n in range(3)])
    counts = post_counts_per_minute(minutes=60)
    assert len(counts) == 60 and sum(counts[-2:]) == 3 and sum(counts) == 3  # a minute may turn meanwhile


async def test_the_frame_has_every_part_even_on_an_empty_wall(store):
    data = (await dashboard_frame())["data"]
    assert data["online"] == 0 and data["posts_last_hour"] == 0
    assert set(data) == {
        "at",
        "online",
        "processes",
        "posts_per_minute",
        "posts_last_hour",
        "reports_open",
        "held",
        "problems",
    }
    assert data["reports_open"] == 0 and data["held"] == 0
