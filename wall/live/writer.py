"""One socket's write side: which live events it wants, its bounded backlog, eager writes, and
closing so that its page resumes from the database."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings

from .. import metrics, protocol
from .frames import direct_target, write_direct

logger = logging.getLogger(__name__)

MODERATORS, OTHERS = "moderators", "others"  # Envelope.audience


@dataclass(frozen=True)
class Envelope:
    """One live event as every socket of a process gets it: the frame's text, encoded once by the
    sender, and who it is for. Its fields travel as they are in the channel-layer message (str,
    int or None: msgpack-safe)."""

    text: str
    kind: str  # the frame's `type`
    post_id: str | None = None  # for `message` and `message_deleted`: the join-race check
    skip_user: str | None = None  # not to this user's sockets (their own typing, join)
    only_user: str | None = None  # only to this user's sockets (a ban)
    close_code: int | None = None  # close the receiving sockets after sending (a ban)
    # "moderators": only moderators' sockets (their queue, who hid what); "others": all but theirs.
    audience: str | None = None

    def fields(self) -> dict[str, Any]:
        """The non-empty fields, for the channel-layer message."""
        return {name: value for name, value in asdict(self).items() if value is not None}

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Envelope:
        """The envelope in a channel-layer message (extra keys such as its position are ignored);
        raises KeyError or TypeError when `text` or `kind` is missing."""
        return cls(**{name: message.get(name) for name in cls.__dataclass_fields__})


class SocketWriter:
    """Sends live events to one socket in order, without ever holding up the process's others.

    A write that does not wait (the usual case: the server buffers the bytes) costs a function call,
    not a task switch (`start_eagerly`). A write that waits queues what follows in a bounded backlog
    that one task drains; past WALL_SOCKET_BACKLOG events the socket is closed with 1013 and its page
    resumes with `?since=`. Until `go_live` (the history page sent) events only queue.
    """

    def __init__(
        self,
        socket_id: str,
        send: Callable[[dict], Awaitable[None]],
        close: Callable[[int], Awaitable[None]],
    ) -> None:
        self.socket_id = socket_id
        self.user_id: str | None = None  # set once the socket joined
        self.moderator = False  # its Django session holds wall.moderate_post (set on connect)
        self._send = send
        self._close = close
        self._direct = direct_target(send)  # uvicorn's protocol, when prepared frames can be written
        self.backlog: deque[Envelope] = deque()
        self.task: asyncio.Task | None = None  # drains the backlog while a write waits
        self.live = False
        self.closing = False
        # Posts of the history page this socket was sent on connect: the first live `message` for
        # one of them is the same post (the join race) and is dropped; a `message_deleted` for one
        # ends that, so an unhide that follows reaches the page.
        self.history_posts: set[str] = set()

    def go_live(self, history_posts: frozenset[str]) -> None:
        """The history page was sent: from now on live events go out."""
        self.history_posts = set(history_posts)
        self.live = True
        if self.backlog and not self.closing and self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._drain(None))

    def deliver(self, envelope: Envelope, message: dict, frame: bytes | None = None) -> None:
        """Send an event now, or queue it behind a write that waits (never awaited by the caller).

        `message` is the ASGI `websocket.send` for `envelope.text`, one object for every socket;
        `frame` its prepared WebSocket frame (wall.live.frames), written as is where the server allows."""
        if self.closing:
            return
        if self.live and self.task is None and not self.backlog:
            if self._wanted(envelope):
                try:
                    if frame is not None and self._direct is not None and write_direct(self._direct, frame):
                        waiting = None
                    else:
                        waiting = start_eagerly(self._send(message))
                except Exception:  # The server refused the write (a socket closing under us).
                    logger.info("write to a closing socket failed", exc_info=True)
                    self.close_for(protocol.CLOSE_FAILED)
                    return
                if waiting is not None:
                    self.task = asyncio.get_running_loop().create_task(self._drain(waiting))
                if envelope.close_code is not None:
                    self.close_for(envelope.close_code)
            return
        if len(self.backlog) >= settings.WALL_SOCKET_BACKLOG:
            logger.info("socket fell %d events behind; closing it so it resumes", len(self.backlog))
            metrics.resumed("backlog")
            self.close_for(protocol.CLOSE_TRY_LATER)
            return
        self.backlog.append(envelope)
        if self.live and self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._drain(None))

    def resume(self) -> None:
        """Events may have been missed for this socket: close it so its page resumes with ?since=."""
        self.close_for(protocol.CLOSE_RESUME)

    def close_for(self, code: int) -> None:
        """Close the socket soon with `code`, dropping what it had queued."""
        if self.closing:
            return
        self.closing = True
        self.backlog.clear()
        asyncio.get_running_loop().create_task(self._close_quietly(code))

    def stop(self) -> None:
        """The socket is gone: stop writing."""
        self.closing = True
        self.backlog.clear()
        if self.task is not None:
            self.task.cancel()

    async def _close_quietly(self, code: int) -> None:
        try:
            await self._close(code)
        except Exception:  # The client closed first: the server refuses a second close.
            logger.debug("close of an already closed socket", exc_info=True)

    def _wanted(self, envelope: Envelope) -> bool:
        if envelope.only_user is not None and envelope.only_user != self.user_id:
            return False
        if envelope.skip_user is not None and envelope.skip_user == self.user_id:
            return False
        if envelope.audience is not None and (envelope.audience == MODERATORS) != self.moderator:
            return False
        if envelope.post_id is not None and envelope.post_id in self.history_posts:
            self.history_posts.discard(envelope.post_id)
            return envelope.kind != "message"
        return True

    async def _drain(self, waiting: Awaitable[None] | None) -> None:
        """Finish a write that waited, then send what queued behind it, in order."""
        try:
            if waiting is not None:
                await waiting
            while self.backlog and not self.closing:
                envelope = self.backlog.popleft()
                if self._wanted(envelope):
                    await self._send({"type": "websocket.send", "text": envelope.text})
                    if envelope.close_code is not None:
                        self.close_for(envelope.close_code)
        except Exception:  # The client left while we waited; its disconnect cleans up.
            logger.debug("write to a socket the client already closed", exc_info=True)
        finally:
            self.task = None


def start_eagerly(coroutine: Coroutine[Any, Any, None]) -> Awaitable[None] | None:
    """Run `coroutine` now, up to its first suspension: None if it finished, else an awaitable that
    finishes it. Writing to a socket almost never suspends (daphne and uvicorn buffer the bytes),
    so the fan-out costs a function call per socket instead of a task switch. Python 3.12's
    `asyncio.eager_task_factory` does the same and replaces this there (docs/decisions.md).
    """
    try:
        waiting_on = coroutine.send(None)
    except StopIteration:
        return None
    return _finish(coroutine, waiting_on)


async def _finish(coroutine: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    try:
        while True:
            if waiting_on is None:
                await asyncio.sleep(0)  # a bare yield
            else:
                await asyncio.wait([waiting_on])  # the coroutine reads the outcome itself
            try:
                waiting_on = coroutine.send(None)
            except StopIteration:
                return
    finally:
        coroutine.close()
