"""The one road to every open wall: each event is encoded once and published on the bus."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync

from .bus import Envelope, publish
from .protocol import encode


def envelope_for(
    frame: dict[str, Any],
    *,
    skip_user: str | None = None,
    only_user: str | None = None,
    close_code: int | None = None,
) -> Envelope:
    """The bus envelope for a frame; a `message` carries its post id so duplicates can be dropped."""
    post_id = frame["data"]["message"]["id"] if frame["type"] == "message" else None
    return Envelope(encode(frame), skip_user, only_user, post_id, close_code)


async def broadcast(
    frame: dict[str, Any],
    *,
    skip_user: str | None = None,
    only_user: str | None = None,
    close_code: int | None = None,
) -> None:
    """Send a frame to every socket in every process (or all but / only one user's sockets)."""
    await publish(envelope_for(frame, skip_user=skip_user, only_user=only_user, close_code=close_code))


def broadcast_sync(frame: dict[str, Any], **targets: Any) -> None:
    """broadcast() for sync code: services' on-commit hooks and the admin."""
    async_to_sync(broadcast)(frame, **targets)
