"""WallConsumer: speaks the wire protocol over one WebSocket, delegating every decision."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from . import connections, presence, protocol, selectors, services
from .broadcast import broadcast
from .bus import Envelope, hub, start_eagerly
from .db import database_sync_to_async
from .errors import WallError
from .heartbeat import local_sockets
from .snapshots import connect_snapshot
from .throttle import parse_rate, throttle_hit, throttle_take, throttled

logger = logging.getLogger(__name__)

HISTORY_RACE_SECONDS = 30
UNAVAILABLE = WallError("unavailable", "The wall's database is unavailable; nothing was saved. Try again.")
SHARED_STORE_DOWN = WallError(
    "unavailable", "The wall's shared store is unavailable; nothing was saved. Try again."
)
SERVER_FAILED = WallError("unavailable", "The server failed to handle this frame; try again.")
# Close codes (RFC 6455): the server restarts or the bus was interrupted / this socket fell behind.
CLOSE_RESUME = 1012
CLOSE_TOO_SLOW = 1013
# 1013 "try again later" too: its address already holds WALL_SOCKETS_PER_IP sockets.
CLOSE_TRY_LATER = 1013

post_list_before = database_sync_to_async(selectors.post_list_before)
participant_touch = database_sync_to_async(services.participant_touch)
participant_claim = database_sync_to_async(services.participant_claim)
participant_claim_random = database_sync_to_async(services.participant_claim_random)
participant_by_token = database_sync_to_async(services.participant_by_token)
post_create = database_sync_to_async(services.post_create)
read_pointer_advance = database_sync_to_async(services.read_pointer_advance)


class WallConsumer(AsyncWebsocketConsumer):
    """One socket on the wall: a reader until it joins, then a named participant.

    Live events reach it from this process's hub (wall.bus), already encoded; they queue in a
    bounded outbox that one writer task drains, so a slow socket never stalls the others.
    """

    user: services.Claim | None = None
    admitted = False  # counted against its address's socket limit, and so set up
    # Ids of the history page sent on connect; a live copy of one of them arriving just after
    # (the join race) is dropped. Only for a short while: an unhidden post may come back later.
    history_ids: frozenset[str] = frozenset()
    history_sent_at: float = 0.0

    async def connect(self) -> None:
        self.socket_id = uuid.uuid4().hex
        self.outbox: deque[Envelope] = deque()
        self.writer: asyncio.Task | None = None  # drains the outbox while a write waits
        self.live = False  # live events go out only after the history page
        self.closing = False
        since_id = self._since_from_query()
        self.address = connections.client_address(self.scope)
        if not await connections.connection_open(address=self.address, socket_id=self.socket_id):
            await self.accept()
            await self._send_error(connections.too_many_sockets())
            await self.close(code=CLOSE_TRY_LATER)
            return
        self.admitted = True
        await self.accept()
        local_sockets().socket_opened()
        if self.address is not None:
            local_sockets().socket_counted(self.socket_id, self.address)
        # Subscribe before reading history, so no post committed in between is missed.
        wall_hub = hub()
        wall_hub.add(self)
        if not await wall_hub.ready():
            logger.warning("bus not subscribed yet; this socket will be asked to resume when it is")
        try:
            snapshot = await connect_snapshot(since_id=since_id)
        except DatabaseError:
            logger.exception("history read failed on connect")
            await self._send_frame(protocol.error_event(UNAVAILABLE))
            await self.close(code=1011)
            return
        await self._send_text(snapshot.messages_text)
        self.history_ids = snapshot.history_ids
        self.history_sent_at = time.monotonic()
        await self._send_text(snapshot.users_text)
        self.live = True
        if self.outbox and not self.closing:
            self.writer = asyncio.get_running_loop().create_task(self._drain(None))

    async def disconnect(self, code: int) -> None:
        if not self.admitted:
            return
        await connections.connection_close(address=self.address, socket_id=self.socket_id)
        hub().discard(self)
        if self.writer is not None:
            self.writer.cancel()
        local_sockets().socket_closed(self.socket_id)
        if self.user is not None:
            user, self.user = self.user, None
            try:
                if await presence.presence_leave(user_id=str(user.id), socket_id=self.socket_id):
                    local_sockets().settle_later(str(user.id), user.username)
            except RedisError:
                logger.warning("presence unavailable on disconnect; the entry will expire", exc_info=True)
            await participant_touch(participant_id=user.id)

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without its per-frame `aclose_old_connections()` thread hop: every
        database call here runs through database_sync_to_async, which closes stale connections
        itself, in the thread that owns them."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict) -> None:
        """Channels' version minus its `aclose_old_connections()` thread hop (13 % of the server's
        samples while 1000 sockets connect and close, by py-spy); no groups to leave here."""
        await self.disconnect(message.get("code", 1005))
        raise StopConsumer()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.admitted:
            return  # refused on connect and closing: nothing it sends is handled
        if text_data is None:
            await self._send_error(
                WallError("bad_request", "Binary frames are not supported; send JSON text.")
            )
            return
        if (
            len(text_data) > settings.WALL_FRAME_MAX_BYTES
            or len(text_data.encode()) > settings.WALL_FRAME_MAX_BYTES
        ):
            self.closing = True
            await self.close(code=1009, reason="Frame too large")
            return
        client_id = None
        try:
            command = protocol.parse_frame(text_data)
            client_id = getattr(command, "client_id", None)
            await self._handlers[type(command)](self, command)
        except WallError as error:
            await self._send_error(error, client_id)
        except DatabaseError:
            logger.exception("database error handling a frame")
            await self._send_error(UNAVAILABLE, client_id)
        except RedisError:
            logger.warning("shared store error handling a frame", exc_info=True)
            await self._send_error(SHARED_STORE_DOWN, client_id)
        except Exception:
            # A bug must not kill the consumer (its disconnect cleanup would never run).
            logger.exception("unexpected error handling a frame")
            await self._send_error(SERVER_FAILED, client_id)

    # --- commands ------------------------------------------------------------------------------

    async def _on_join(self, command: protocol.Join) -> None:
        await throttle_take(scope="join", subject=self.socket_id, rate=parse_rate(settings.WALL_JOIN_RATE))
        if self.user is not None:
            # Re-joining is only a repeat of the same identity; checked before any name is claimed.
            if command.token != self.user.token:
                raise WallError(
                    "bad_request", f"This socket joined as {self.user.username}; reconnect to switch."
                )
            await self._send_frame(protocol.welcome_event(self.user.id, self.user.username, self.user.token))
            return
        if command.token:
            claim = await participant_by_token(token=command.token)
        else:
            # New names per client address: only names actually claimed count.
            rate = parse_rate(settings.WALL_NAME_RATE) if self.address else None
            subject = connections.address_id(self.address) if self.address else ""
            async with throttled(scope="names", subject=subject, rate=rate):
                if command.username is not None:
                    claim = await participant_claim(username=command.username)
                else:
                    claim = await participant_claim_random()
        if claim.is_banned:
            raise WallError("banned", "This name is banned from the wall.")
        user_id = str(claim.id)
        try:
            announce = await presence.presence_join(
                user_id=user_id, username=claim.username, socket_id=self.socket_id
            )
        except RedisError:
            # Degraded: the heartbeat records (and announces) this socket once Redis is back.
            logger.warning("presence unavailable on join", exc_info=True)
            announce = False
        local_sockets().socket_joined(self.socket_id, user_id, claim.username)
        self.user = claim
        await participant_touch(participant_id=claim.id)
        await self._send_frame(protocol.welcome_event(claim.id, claim.username, claim.token))
        if announce:
            await broadcast(protocol.user_joined_event(claim.id, claim.username), skip_user=user_id)

    async def _on_message(self, command: protocol.SendMessage) -> None:
        user = self._require_join()
        # Only saved posts count: a refused post or a resend gives its hit back.
        async with throttled(
            scope="post", subject=str(user.id), rate=parse_rate(settings.WALL_POST_RATE)
        ) as hit:
            result = await post_create(
                author_id=user.id,
                content=command.content,
                client_id=command.client_id,
                image_id=command.image_id,
            )
            hit.counts = result.created
        if result.hidden:
            # A resend of a post a moderator hid meanwhile: the page drops its pending copy.
            await self._send_frame(protocol.message_deleted_event(result.post["id"]))
        elif not result.created or (not hub().live and not self.closing):
            # A resend of a post already saved, or a bus that may not bring it back: confirm it
            # to this socket directly (others get it when they resume).
            await self._send_frame(protocol.message_event(result.post))

    async def _on_typing(self, command: protocol.Typing) -> None:
        user = self._require_join()
        rate = parse_rate(settings.WALL_TYPING_RATE)
        if await throttle_hit(scope="typing", subject=str(user.id), rate=rate) is None:
            await broadcast(protocol.typing_event(user.id, user.username), skip_user=str(user.id))

    async def _on_read(self, command: protocol.Read) -> None:
        user = self._require_join()
        await read_pointer_advance(
            participant_id=user.id, username=user.username, message_id=command.message_id
        )

    async def _on_history(self, command: protocol.History) -> None:
        page = await post_list_before(before_id=command.before, limit=command.limit)
        await self._send_frame(
            protocol.messages_event(page.posts, has_more=page.has_more, before=command.before)
        )

    async def _on_ping(self, command: protocol.Ping) -> None:
        # The page's dead-connection check: any answer proves the whole path is alive.
        await self._send_frame(protocol.pong_event())

    _handlers = {
        protocol.Join: _on_join,
        protocol.SendMessage: _on_message,
        protocol.Typing: _on_typing,
        protocol.Read: _on_read,
        protocol.History: _on_history,
        protocol.Ping: _on_ping,
    }

    # --- live events from the hub ----------------------------------------------------------------

    def deliver(self, envelope: Envelope, message: dict) -> None:
        """Send an event now, or queue it behind a write that waits (called by the hub, never awaited).

        Sockets keep their order; a slow one queues at most WALL_SOCKET_BACKLOG events, then is closed
        so its page resumes from the database, and it never holds up the others.
        """
        if self.closing:
            return
        if self.live and self.writer is None and not self.outbox:
            if self._wanted(envelope):
                try:
                    waiting = start_eagerly(self.base_send(message))
                except Exception:  # The server refused the write (a socket closing under us).
                    logger.info("write to a closing socket failed", exc_info=True)
                    self.close_for(1011)
                    return
                if waiting is not None:
                    self.writer = asyncio.get_running_loop().create_task(self._drain(waiting))
                if envelope.close_code is not None:
                    self.close_for(envelope.close_code)
            return
        if len(self.outbox) >= settings.WALL_SOCKET_BACKLOG:
            logger.info("socket fell %d events behind; closing it so it resumes", len(self.outbox))
            self.close_for(CLOSE_TOO_SLOW)
            return
        self.outbox.append(envelope)
        if self.live and self.writer is None:
            self.writer = asyncio.get_running_loop().create_task(self._drain(None))

    def bus_gap(self) -> None:
        """The bus may have missed events for us: close so the page resumes with ?since=."""
        self.close_for(CLOSE_RESUME)

    def close_for(self, code: int) -> None:
        """Close this socket soon with `code`, dropping what it had queued."""
        if self.closing:
            return
        self.closing = True
        self.outbox.clear()
        asyncio.get_running_loop().create_task(self._close_quietly(code))

    async def _close_quietly(self, code: int) -> None:
        try:
            await self.close(code=code)
        except Exception:  # The client closed first: the server refuses a second close.
            logger.debug("close of an already closed socket", exc_info=True)

    def _wanted(self, envelope: Envelope) -> bool:
        user_id = str(self.user.id) if self.user is not None else None
        if envelope.only_user is not None and envelope.only_user != user_id:
            return False
        if envelope.skip_user is not None and envelope.skip_user == user_id:
            return False
        if envelope.post_id is not None and envelope.post_id in self.history_ids:
            if time.monotonic() - self.history_sent_at < HISTORY_RACE_SECONDS:
                return False
            self.history_ids = frozenset()
        return True

    async def _drain(self, waiting: Awaitable[None] | None) -> None:
        """Finish a write that waited, then send what queued behind it, in order."""
        try:
            if waiting is not None:
                await waiting
            while self.outbox and not self.closing:
                envelope = self.outbox.popleft()
                if self._wanted(envelope):
                    await self.base_send({"type": "websocket.send", "text": envelope.text})
                    if envelope.close_code is not None:
                        self.close_for(envelope.close_code)
        finally:
            self.writer = None

    # --- helpers -------------------------------------------------------------------------------

    def _require_join(self) -> services.Claim:
        if self.user is None:
            raise WallError("not_joined", "Join with a name first.")
        return self.user

    def _since_from_query(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        since = (query.get("since") or [""])[0]
        return int(since) if protocol.is_digits(since) and len(since) < 19 else None

    async def _send_frame(self, frame: dict) -> None:
        await self._send_text(protocol.encode(frame))

    async def _send_text(self, text: str) -> None:
        """Send to this socket unless it is closing; a client that left meanwhile is no error."""
        if self.closing:
            return
        try:
            await self.send(text_data=text)
        except Exception:  # Each server raises its own "disconnected" error; the disconnect follows.
            logger.debug("send to a socket the client already closed", exc_info=True)
            self.closing = True

    async def _send_error(self, error: WallError, client_id: str | None = None) -> None:
        await self._send_frame(protocol.error_event(error, client_id))
