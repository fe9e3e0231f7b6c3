"""The one road to every open wall: each event is encoded once, given a position, and group-sent on
Channels' channel layer; writes send theirs only after their transaction commits.

Services, moderation, the heartbeat and the consumer all send through here, so `git grep
group_send` finds this module (and `manage.py wall_notice`, which shows the standard API).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .. import metrics
from ..protocol import encode
from .member import EVENT, GROUP, group_member
from .store import shared_store
from .writer import Envelope

logger = logging.getLogger(__name__)


def envelope_for(
    frame: dict[str, Any],
    *,
    skip_user: str | None = None,
    only_user: str | None = None,
    close_code: int | None = None,
) -> Envelope:
    """The envelope for a frame; `message` and `message_deleted` carry their post id."""
    post = frame["data"].get("message") if frame["type"] == "message" else frame["data"]
    post_id = post.get("id") if frame["type"] in ("message", "message_deleted") else None
    return Envelope(encode(frame), frame["type"], post_id, skip_user, only_user, close_code)


async def broadcast(
    frame: dict[str, Any],
    *,
    skip_user: str | None = None,
    only_user: str | None = None,
    close_code: int | None = None,
) -> None:
    """Send a frame to every socket in every process (or all but / only one user's sockets).

    Never raises: an event that could not be sent is logged, and this process's member makes
    every process's sockets resume from the database (GroupMember.send_failed)."""
    envelope = envelope_for(frame, skip_user=skip_user, only_user=only_user, close_code=close_code)
    try:
        position = await shared_store().position_next()
        message = {"type": EVENT, "epoch": position.epoch, "seq": position.seq, **envelope.fields()}
        await get_channel_layer().group_send(GROUP, message)
        metrics.event_published(frame["type"])
    except Exception:  # Any transport failure: the event is lost, and the loss must be noticed.
        logger.warning("a %s event could not be sent; sockets will resume", frame["type"], exc_info=True)
        group_member().send_failed()


def broadcast_on_commit(frames: list[dict[str, Any]], **targets: Any) -> None:
    """Broadcast `frames`, in order, once the current transaction commits (at once outside one).

    For sync code (services, moderation, the admin): nothing is sent for a write that rolls back."""
    if frames:
        transaction.on_commit(lambda: async_to_sync(_broadcast_all)(frames, targets), robust=True)


async def _broadcast_all(frames: list[dict[str, Any]], targets: dict[str, Any]) -> None:
    for frame in frames:
        await broadcast(frame, **targets)


def broadcast_read_on_commit(read: Callable[[], list[dict[str, Any]]], **targets: Any) -> None:
    """Once the current transaction commits, call `read` (sync ORM code, in the committing thread) for
    the frames and broadcast them, in order: events that report state (reaction counts) are built
    from what was committed, never from a transaction's own view. A read that fails is logged and
    makes every process's sockets resume (as a lost event does)."""

    def after_commit() -> None:
        try:
            frames = read()
        except Exception:
            logger.warning("frames to broadcast could not be read; sockets will resume", exc_info=True)
            async_to_sync(_send_failed)()
            return
        if frames:
            async_to_sync(_broadcast_all)(frames, targets)

    transaction.on_commit(after_commit, robust=True)


async def _send_failed() -> None:
    group_member().send_failed()
