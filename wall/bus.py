"""The bus between processes: each event is published once and fanned out once per process.

With REDIS_URL, events go through one Redis pub/sub channel; every process holds one subscription
and writes the already-encoded text to each of its own sockets. Without it (the embedded
default, one process), publishing hands the event straight to this process's sockets.

A subscription that broke may have missed events (Redis restarted, the network dropped, or Redis
cut a subscriber that fell behind): pub/sub keeps nothing. Whenever the subscription is
re-established, every socket of the process is told so (`bus_gap`) and closes with 1012, and the
page resumes with `?since=`, reading what it missed from the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Coroutine
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.client import PubSub

from .loops import per_loop
from .sharedstore import get_redis, key, redis_enabled

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Envelope:
    """One event on the bus: the frame's text, encoded once, and who it is for."""

    text: str
    skip_user: str | None = None  # not to this user's sockets (their own typing, join)
    only_user: str | None = None  # only to this user's sockets (a ban)
    post_id: str | None = None  # set for `message`, so a socket can drop a copy its history held
    close_code: int | None = None  # close the receiving sockets after sending (a ban)

    def encode(self) -> str:
        header = {name: value for name, value in asdict(self).items() if name != "text" and value is not None}
        return json.dumps(header, separators=(",", ":")) + "\n" + self.text

    @classmethod
    def decode(cls, payload: str) -> Envelope:
        header, _, text = payload.partition("\n")
        return cls(text=text, **json.loads(header))


class Subscriber(Protocol):
    def deliver(self, envelope: Envelope, message: dict) -> None: ...

    def bus_gap(self) -> None: ...

    def close_for(self, code: int) -> None: ...


class _CountingPubSub(PubSub):
    """A PubSub that tells when its connection was re-established (and so may have missed events)."""

    def __init__(self, *args, on_reconnect, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connects = 0
        self._on_reconnect = on_reconnect

    async def on_connect(self, connection) -> None:
        self.connects += 1
        if self.connects > 1:
            self._on_reconnect()
        await super().on_connect(connection)


class Hub:
    """This process's sockets (on one event loop) and its one subscription to the bus."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.listener: asyncio.Task | None = None
        # False while the subscription is down: events published then may not reach our sockets.
        self.subscribed = asyncio.Event()

    def add(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)
        if redis_enabled() and (self.listener is None or self.listener.done()):
            self.listener = asyncio.get_running_loop().create_task(self._listen(), name="wall-bus-listener")

    def discard(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers and self.listener is not None:
            self.listener.cancel()
            self.listener = None
            self.subscribed.clear()

    @property
    def live(self) -> bool:
        """Whether events published now reach this process's sockets."""
        return not redis_enabled() or self.subscribed.is_set()

    async def ready(self, timeout: float = 1) -> bool:
        """Wait until our subscription is live (always true without Redis)."""
        if not redis_enabled():
            return True
        try:
            await asyncio.wait_for(self.subscribed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def dispatch(self, envelope: Envelope) -> None:
        # One ASGI message for every socket: servers only read it.
        message = {"type": "websocket.send", "text": envelope.text}
        for subscriber in list(self.subscribers):
            subscriber.deliver(envelope, message)

    def gap(self) -> None:
        """Events may have been missed: every socket of ours closes so that its page resumes."""
        logger.warning(
            "bus subscription interrupted: closing %d sockets so they resume", len(self.subscribers)
        )
        for subscriber in list(self.subscribers):
            subscriber.bus_gap()

    async def _listen(self) -> None:
        backoff = 0.2
        missed = False  # events may have been published while we were not subscribed
        channel = key("events")
        while True:
            client = aioredis.Redis.from_url(
                settings.REDIS_URL,
                socket_connect_timeout=5,
                socket_keepalive=True,
                health_check_interval=10,
                decode_responses=True,
            )
            pubsub = _CountingPubSub(
                client.connection_pool, ignore_subscribe_messages=True, on_reconnect=self.gap
            )
            try:
                await pubsub.subscribe(channel)
                if missed:
                    self.gap()  # sockets that connected during the outage missed events too
                missed = False
                self.subscribed.set()
                backoff = 0.2
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is not None and message["type"] == "message":
                        self.dispatch(Envelope.decode(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # Any failure of the subscription: events may be lost, sockets must resume.
                logger.warning("bus subscription lost; retrying in about %.1f s", backoff, exc_info=True)
                self.subscribed.clear()
                if not missed:
                    self.gap()
                    missed = True
                await asyncio.sleep(backoff * (1 + random.random()))
                backoff = min(backoff * 2, 5)
            finally:
                await _quietly_close(pubsub, client)


async def _quietly_close(pubsub: PubSub, client: aioredis.Redis) -> None:
    try:
        await pubsub.aclose()
        await client.aclose()
    except Exception:  # Closing a dead connection may fail; there is nothing left to release.
        logger.debug("closing a dead bus connection failed", exc_info=True)


hub = per_loop(Hub)  # the hub of the running event loop (one per process in production)


async def publish(envelope: Envelope) -> None:
    """Send an event to every socket in every process."""
    if redis_enabled():
        await get_redis().publish(key("events"), envelope.encode())
    else:
        hub().dispatch(envelope)


async def close_every_socket(code: int, flush_seconds: float = 0.3) -> None:
    """Close every socket of this process (graceful shutdown), leaving time for the close frames."""
    for current in list(hub.instances.values()):
        for subscriber in list(current.subscribers):
            subscriber.close_for(code)
    await asyncio.sleep(flush_seconds)


def start_eagerly(coroutine: Coroutine[Any, Any, None]) -> Awaitable[None] | None:
    """Run `coroutine` now, up to its first suspension: None if it finished, else an awaitable that
    finishes it. Writing to a socket almost never suspends (daphne and uvicorn buffer the bytes),
    so the fan-out costs a function call per socket instead of a task switch; Python 3.12's eager
    tasks do the same.
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
