"""Test helpers for moderators: Django users with or without `wall.moderate_post`, their session
cookies, and wall sockets opened with them."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from .conftest import ORIGIN, Socket, communicator_for


def moderator_user(username: str = "mod", *, permitted: bool = True, staff: bool = True) -> User:
    """A user; with `permitted`, in a "Moderators" group holding wall.moderate_post (as in the admin)."""
    user = User.objects.create_user(username, is_staff=staff)  # no password to hash: force_login
    if permitted:
        group, _ = Group.objects.get_or_create(name="Moderators")
        group.permissions.add(
            Permission.objects.get(codename="moderate_post", content_type__app_label="wall")
        )
        user.groups.add(group)
    return user


def session_cookie_of(user: User) -> str:
    """`sessionid=...` of a fresh login of `user`."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def open_with_cookie(cookie: str | None) -> Socket:
    """A wall socket sending `cookie`, past its opening `messages` and `users`."""
    headers = [ORIGIN, (b"host", b"127.0.0.1")] + ([(b"cookie", cookie.encode())] if cookie else [])
    communicator = communicator_for(headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    sock = Socket(communicator)
    sock.history = await sock.receive_type("messages")
    sock.users = (await sock.receive_type("users"))["users"]
    return sock


async def frames_within(sock: Socket, seconds: float) -> set[str]:
    """The types of the frames `sock` receives within `seconds` of quiet (receive_nothing, not a
    receive that times out: that cancels the application)."""
    kinds = set()
    while not await sock.communicator.receive_nothing(timeout=seconds):
        kinds.add((await sock.receive())["type"])
    return kinds
