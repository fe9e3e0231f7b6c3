"""WallConsumer: speaks the wire protocol over one WebSocket, delegating every decision."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from . import presence, protocol, selectors, services
from .broadcast import WALL_GROUP, broadcast
from .errors import WallError
from .heartbeat import local_sockets
from .throttle import parse_rate, throttle_hit

logger = logging.getLogger(__name__)

HISTORY_RACE_SECONDS = 30
UNAVAILABLE = WallError("unavailable", "The wall's database is unavailable; nothing was saved. Try again.")

post_history_on_connect = database_sync_to_async(selectors.post_history_on_connect)
post_list_before = database_sync_to_async(selectors.post_list_before)
read_pointers = database_sync_to_async(selectors.read_pointers)
participant_touch = database_sync_to_async(services.participant_touch)
participant_claim = database_sync_to_async(services.participant_claim)
participant_claim_random = database_sync_to_async(services.participant_claim_random)
participant_by_token = database_sync_to_async(services.participant_by_token)
post_create = database_sync_to_async(services.post_create)
read_pointer_advance = database_sync_to_async(services.read_pointer_advance)


class WallConsumer(AsyncWebsocketConsumer):
    """One socket on the wall: a reader until it joins, then a named participant."""

    user: services.Claim | None = None
    # Ids of the history page sent on connect; a live copy of one of them arriving just after
    # (the join race) is dropped. Only for a short while: an unhidden post may come back later.
    history_ids: frozenset[str] = frozenset()
    history_sent_at: float = 0.0

    async def connect(self) -> None:
        since_id = self._since_from_query()
        await self.accept()
        local_sockets().socket_opened()
        # Join the group before reading history, so no post committed in between is missed.
        await self.channel_layer.group_add(WALL_GROUP, self.channel_name)
        try:
            page = await post_history_on_connect(since_id=since_id)
        except DatabaseError:
            logger.exception("history read failed on connect")
            await self._send_frame(protocol.error_event(UNAVAILABLE))
            await self.close(code=1011)
            return
        await self._send_frame(protocol.messages_event(page.posts, has_more=page.has_more, reset=page.reset))
        self.history_ids = frozenset(post["id"] for post in page.posts)
        self.history_sent_at = time.monotonic()
        online = await presence.presence_online()
        pointers = await read_pointers(user_ids=[user.id for user in online])
        users = [{**protocol.user_ref(u.id, u.username), "last_read": pointers.get(u.id)} for u in online]
        await self._send_frame(protocol.users_event(users))

    async def disconnect(self, code: int) -> None:
        local_sockets().socket_closed(self.channel_name)
        await self.channel_layer.group_discard(WALL_GROUP, self.channel_name)
        if self.user is not None:
            user, self.user = self.user, None
            if await presence.presence_leave(user_id=str(user.id), channel_name=self.channel_name):
                local_sockets().settle_later(str(user.id), user.username)
            await participant_touch(participant_id=user.id)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self._send_error(
                WallError("bad_request", "Binary frames are not supported; send JSON text.")
            )
            return
        if (
            len(text_data) > settings.WALL_FRAME_MAX_BYTES
            or len(text_data.encode()) > settings.WALL_FRAME_MAX_BYTES
        ):
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

    # --- commands ------------------------------------------------------------------------------

    async def _on_join(self, command: protocol.Join) -> None:
        if self.user is not None:
            # Re-joining is only a repeat of the same identity; checked before any name is claimed.
            if command.token != self.user.token:
                raise WallError("bad_request", f"This socket joined as {self.user.username}; reconnect to switch.")
            await self._send_frame(protocol.welcome_event(self.user.id, self.user.username, self.user.token))
            return
        if command.token:
            claim = await participant_by_token(token=command.token)
        elif command.username is not None:
            claim = await participant_claim(username=command.username)
        else:
            claim = await participant_claim_random()
        if claim.is_banned:
            raise WallError("banned", "This name is banned from the wall.")
        user_id = str(claim.id)
        announce = await presence.presence_join(user_id=user_id, username=claim.username, channel_name=self.channel_name)
        local_sockets().socket_joined(self.channel_name, user_id, claim.username)
        self.user = claim
        await participant_touch(participant_id=claim.id)
        await self._send_frame(protocol.welcome_event(claim.id, claim.username, claim.token))
        if announce:
            await broadcast(protocol.user_joined_event(claim.id, claim.username), skip_user=user_id)

    async def _on_message(self, command: protocol.SendMessage) -> None:
        user = self._require_join()
        retry_after = await throttle_hit(
            scope="post", subject=str(user.id), rate=parse_rate(settings.WALL_POST_RATE)
        )
        if retry_after is not None:
            raise WallError(
                "rate_limited", f"Slow down: try again in {retry_after:g} s.", retry_after=retry_after
            )
        result = await post_create(author_id=user.id, content=command.content, client_id=command.client_id)
        if not result.created:
            # A resend of a post already saved: confirm it to this socket only.
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

    _handlers = {
        protocol.Join: _on_join,
        protocol.SendMessage: _on_message,
        protocol.Typing: _on_typing,
        protocol.Read: _on_read,
        protocol.History: _on_history,
    }

    # --- relay from the group ------------------------------------------------------------------

    async def wall_event(self, message: dict) -> None:
        """An event for every socket: already encoded once by the sender."""
        skip_user = message.get("skip_user")
        if skip_user is not None and self.user is not None and str(self.user.id) == skip_user:
            return
        if message.get("post_id") in self.history_ids:
            if time.monotonic() - self.history_sent_at < HISTORY_RACE_SECONDS:
                return
            self.history_ids = frozenset()
        await self.send(text_data=message["text"])

    # --- helpers -------------------------------------------------------------------------------

    def _require_join(self) -> services.Claim:
        if self.user is None:
            raise WallError("not_joined", "Join with a name first.")
        return self.user

    def _since_from_query(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        since = (query.get("since") or [""])[0]
        return int(since) if since.isdigit() and len(since) < 19 else None

    async def _send_frame(self, frame: dict) -> None:
        await self.send(text_data=protocol.encode(frame))

    async def _send_error(self, error: WallError, client_id: str | None = None) -> None:
        await self._send_frame(protocol.error_event(error, client_id))
