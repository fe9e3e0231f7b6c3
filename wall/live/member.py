"""This process's one member of the wall's channel-layer group: it receives each event once, checks
its position, and fans it out to the process's sockets.

One member per process, not one per consumer: each event then costs the layer one delivery per
process instead of one per socket (bench/README.md measures both). Loss is never trusted to the
transport: every event carries a position (wall.live.positions), and a jump that is not filled in
time, a new epoch, or a tail that never arrived makes every socket of the process resume (1012)
from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from .. import metrics, protocol
from .loops import per_loop
from .positions import Arrival, Position, ReorderBuffer
from .registry import local_sockets
from .store import shared_store
from .writer import Envelope

logger = logging.getLogger(__name__)

GROUP = "wall"
# Channel-layer message types (Channels' "type" naming: a dot for the handler's underscore).
EVENT = "wall.event"  # a wall event with its position, sent by wall.live.bridge
NOTICE = "wall.notice"  # {"text": ...} from any Django code: the standard API, no position
PROBE = "wall.probe"  # a member's message to itself, proving that it receives


class GroupMember:
    """Joins the group with one channel of its own, receives, orders and fans out events.

    `live` is False while events sent now might not reach this process's sockets: not yet in the
    group, the shared store unreachable, or an event of ours that could not be sent (then the
    other processes are made to notice, by taking a position that is never sent).
    """

    def __init__(self) -> None:
        self.channel_name: str | None = None
        self.buffer = ReorderBuffer(window=settings.WALL_GAP_WINDOW)
        self.joined = asyncio.Event()
        self.healthy = True
        self.owed = False  # an event of ours was lost before it was sent
        self.task: asyncio.Task | None = None
        self._early: list[dict[str, Any]] | None = None  # events received before the start position
        self._probed = asyncio.Event()
        self._expiry: asyncio.TimerHandle | None = None
        self._linger: asyncio.TimerHandle | None = None

    @property
    def live(self) -> bool:
        return self.joined.is_set() and self.healthy and not self.owed

    def start(self) -> None:
        """Join the group (in the background) unless already in it."""
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run(), name="wall-group-member")

    def stop_when_idle(self, delay: float) -> None:
        """Leave the group in `delay` seconds unless a socket came meanwhile: a quiet wall's next
        visitor does not wait for a rejoin (channels-redis' pub/sub receiver starts polling up to
        100 ms late; bench/README.md, "Channel layers")."""
        if self._linger is None:
            self._linger = asyncio.get_running_loop().call_later(delay, self._stop_if_idle)

    def _stop_if_idle(self) -> None:
        self._linger = None
        if not local_sockets().writers:
            self.stop()

    def stop(self) -> None:
        """Leave the group."""
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self.joined.clear()

    async def ready(self, timeout: float = 3) -> bool:
        """Wait until this process is in the group; False if it is not within `timeout` seconds."""
        if self.joined.is_set():
            return True
        try:
            await asyncio.wait_for(self.joined.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def send_failed(self) -> None:
        """An event of this process could not be sent: the sockets of every process must resume."""
        self.owed = True

    async def _run(self) -> None:
        layer = get_channel_layer()
        backoff = 0.2
        while True:
            tasks: list[asyncio.Task] = []
            try:
                await self._join(layer, tasks)
                backoff = 0.2
                tasks.append(asyncio.get_running_loop().create_task(self._check_forever(layer)))
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                done.pop().result()  # only the receiving task ends, with the layer's error
            except asyncio.CancelledError:
                await self._leave(layer, tasks)
                raise
            except Exception:  # The layer failed: events may be lost, so the sockets resume.
                logger.warning("group member lost the layer; rejoining in %.1f s", backoff, exc_info=True)
                self.healthy = False
                local_sockets().resume_all("the channel layer failed")
                await self._leave(layer, tasks)
                await asyncio.sleep(backoff * (1 + random.random()))
                backoff = min(backoff * 2, 5)

    async def _join(self, layer: Any, tasks: list[asyncio.Task]) -> None:
        """Join the group and take the starting position; `joined` is set once events flow."""
        self.channel_name = await layer.new_channel()
        self._early = []
        self._probed = asyncio.Event()
        tasks.append(asyncio.get_running_loop().create_task(self._receive_forever(layer)))
        await layer.group_add(GROUP, self.channel_name)
        # Our own probe coming back proves the subscription is live (channels-redis' pub/sub
        # receiver starts a polling interval late), so the position read next can be trusted.
        await layer.send(self.channel_name, {"type": PROBE})
        await asyncio.wait_for(self._probed.wait(), settings.WALL_GAP_WINDOW * 5)
        # What was taken up to this reading is in the history any socket of ours reads from now on.
        self.buffer.start(await shared_store().position_current())
        early, self._early = self._early, None
        for message in early:
            self._accept(message)
        self.healthy = True
        local_sockets().changes += 1  # what was sent while out of the group is in no earlier snapshot
        self.joined.set()
        if any(writer.live for writer in local_sockets().writers.values()):
            # They read history before this process was in the group (it was slow to join, or
            # rejoined after a failure): what was sent in between never reached them.
            local_sockets().resume_all("sockets went live before the process joined the group")

    async def _receive_forever(self, layer: Any) -> None:
        channel_name = self.channel_name
        while True:
            message = await layer.receive(channel_name)
            if message.get("type") == PROBE:
                self._probed.set()
            elif self._early is not None:
                self._early.append(message)
            else:
                self._accept(message)

    async def _leave(self, layer: Any, tasks: list[asyncio.Task]) -> None:
        self.joined.clear()
        for task in tasks:
            task.cancel()
        channel_name, self.channel_name = self.channel_name, None
        if channel_name is not None:
            with contextlib.suppress(Exception):  # Leaving a layer that is down: nothing to release.
                await layer.group_discard(GROUP, channel_name)

    async def _check_forever(self, layer: Any) -> None:
        """Every WALL_TAIL_CHECK seconds: settle a debt, check the tail, refresh the membership."""
        while True:
            await asyncio.sleep(settings.WALL_TAIL_CHECK)
            try:
                await self.check_once(layer)
            except asyncio.CancelledError:
                raise
            except Exception:  # The store or the layer is down: nothing is known to be delivered.
                if self.healthy:
                    logger.warning("tail check failed; sockets resume once it passes", exc_info=True)
                self.healthy = False

    async def check_once(self, layer: Any) -> None:
        """One tail check (also run by tests)."""
        if self.owed:
            await shared_store().position_next()  # a position never sent: every member sees it missing
            self.owed = False
            self._settle(Arrival(lost=True), "an event of this process was not sent")
        with metrics.timed(metrics.REDIS_SECONDS):
            current = await shared_store().position_current()
        arrival = self.buffer.tail(current)
        if not self.healthy:
            arrival.lost = True
            self.healthy = True
        self._settle(arrival, "events missing at the tail check")
        # Refreshes the membership (the core layer expires it; a removed one comes back).
        await layer.group_add(GROUP, self.channel_name)

    def _accept(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == NOTICE:
            self._notice(message)
            return
        if kind != EVENT:
            logger.warning("dropped a group message of unknown type %r", kind)
            return
        try:
            envelope = Envelope.from_message(message)
            position = Position(str(message["epoch"]), int(message["seq"]))
        except (KeyError, TypeError, ValueError):
            logger.warning("dropped a malformed group event", exc_info=True)
            return
        self._settle(self.buffer.push(position, envelope, time.monotonic()), "an epoch changed")
        if self.buffer.held and self._expiry is None:
            self._expiry = asyncio.get_running_loop().call_later(self.buffer.window, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        self._settle(self.buffer.expire(time.monotonic()), "an event did not arrive in time")
        if self.buffer.held:
            self._expiry = asyncio.get_running_loop().call_later(self.buffer.window, self._expire)

    def _settle(self, arrival: Arrival, reason: str) -> None:
        sockets = local_sockets()
        if arrival.lost:
            sockets.resume_all(reason)
        for envelope in arrival.ready:
            sockets.fan_out(envelope)

    def _notice(self, message: dict[str, Any]) -> None:
        try:
            frame = protocol.notice_event(message.get("text"))
        except ValueError as error:
            logger.warning("dropped a notice: %s", error)
            return
        local_sockets().fan_out(Envelope(protocol.encode(frame), kind=frame["type"]))


group_member = per_loop(GroupMember)  # the running loop's member
