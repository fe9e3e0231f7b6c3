"""The one road to every open wall: events go to the wall's group through the channel layer."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .protocol import encode

logger = logging.getLogger(__name__)

WALL_GROUP = "wall"


def relay_message(frame: dict[str, Any], *, skip_user: str | None = None) -> dict[str, Any]:
    """The channel-layer message for a frame: encoded once, decoded by no consumer.

    `post_id` lets a consumer drop a new post that its history page already held.
    """
    post_id = frame["data"]["message"]["id"] if frame["type"] == "message" else None
    return {"type": "wall.event", "text": encode(frame), "skip_user": skip_user, "post_id": post_id}


async def broadcast(frame: dict[str, Any], *, skip_user: str | None = None) -> None:
    """Send a frame to every socket in every process (optionally not to one user's sockets)."""
    await get_channel_layer().group_send(WALL_GROUP, relay_message(frame, skip_user=skip_user))


def broadcast_sync(frame: dict[str, Any]) -> None:
    """broadcast() for sync code such as services' on-commit hooks and the admin."""
    async_to_sync(broadcast)(frame)
