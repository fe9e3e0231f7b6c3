"""The one road to every open wall: each event is encoded once, given a position, and group-sent on
Channels' channel layer; writes send theirs only after their transaction commits.

Services, moderation, the heartbeat and the consumer all send through here, so `git grep
group_send` finds this module (and `manage.py wall_notice`, which shows the standard API).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .. import metrics
from ..db import calling_loop
from ..protocol import encode
from .loops import per_loop
from .member import EVENT, GROUP, group_member
from .store import shared_store
from .writer import MODERATORS, OTHERS, Envelope

__all__ = ["MODERATORS", "OTHERS", "broadcast", "broadcast_on_commit", "envelope_for"]

logger = logging.getLogger(__name__)


def envelope_for(
    frame: dict[str, Any],
    *,
    skip_user: str | None = None,
    only_user: str | None = None,
    close_code: int | None = None,
    audience: str | None = None,
) -> Envelope:
    """The envelope for a frame; `message` and `message_deleted` carry their post id. `audience`
    is None (everyone), "moderators" or "others" (everyone but moderators)."""
    post = frame["data"].get("message") if frame["type"] == "message" else frame["data"]
    post_id = post.get("id") if frame["type"] in ("message", "message_deleted") else None
    return Envelope(encode(frame), frame["type"], post_id, skip_user, only_user, close_code, audience)


async def broadcast(
    frame: dict[str, Any],
    *,
    skip_user: str | None = None,
    only_user: str | None = None,
    close_code: int | None = None,
    audience: str | None = None,
) -> None:
    """Send a frame to every socket in every process (or all but / only one user's sockets, or
    only / all but moderators' sockets).

    Never raises: an event that could not be sent is logged, and this process's member makes
    every process's sockets resume from the database (GroupMember.send_failed)."""
    envelope = envelope_for(
        frame, skip_user=skip_user, only_user=only_user, close_code=close_code, audience=audience
    )
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

    For sync code (services, moderation, the admin): nothing is sent for a write that rolls back.
    In a database call of a coroutine (wall.db), the frames join that loop's Publisher and the
    thread goes on at once: a post's saving does not wait for its fan-out, and each process
    sends in commit order. Elsewhere (the admin, a management command) the thread waits until
    they are sent."""
    if frames:
        transaction.on_commit(lambda: _after_commit(frames, targets), robust=True)


def _after_commit(frames: list[dict[str, Any]], targets: dict[str, Any]) -> None:
    loop = calling_loop()
    if loop is None:
        async_to_sync(_broadcast_all)(frames, targets)
    else:
        loop.call_soon_threadsafe(lambda: publisher().put(frames, targets))


async def _broadcast_all(frames: list[dict[str, Any]], targets: dict[str, Any]) -> None:
    for frame in frames:
        await broadcast(frame, **targets)


class Publisher:
    """This loop's queue of committed events, group-sent one batch after another in the order they
    were put: a task drains it while it holds anything and ends when it is empty."""

    def __init__(self) -> None:
        self.batches: deque[tuple[list[dict[str, Any]], dict[str, Any]]] = deque()
        self.task: asyncio.Task | None = None

    def put(self, frames: list[dict[str, Any]], targets: dict[str, Any]) -> None:
        """Queue one batch (`frames` with broadcast's keyword `targets`); on the loop's thread."""
        self.batches.append((frames, targets))
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._drain(), name="wall-publisher")

    async def _drain(self) -> None:
        while self.batches:
            frames, targets = self.batches.popleft()
            await _broadcast_all(frames, targets)  # never raises (broadcast)

    async def drained(self) -> None:
        """Wait until every batch put so far is sent (tests; shutdown)."""
        while self.task is not None and not self.task.done():
            await asyncio.shield(self.task)


publisher = per_loop(Publisher)  # the running loop's publisher


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
            _send_failed()
            return
        if frames:
            _after_commit(frames, targets)  # as broadcast_on_commit's frames: through the publisher

    transaction.on_commit(after_commit, robust=True)


def _send_failed() -> None:
    """From a database thread or the admin's: this loop's member makes every process's sockets resume."""
    loop = calling_loop()
    if loop is None:
        async_to_sync(_mark_failed)()
    else:
        loop.call_soon_threadsafe(lambda: group_member().send_failed())


async def _mark_failed() -> None:
    group_member().send_failed()
