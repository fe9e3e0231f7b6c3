"""WallConsumer: speaks the wire protocol over one WebSocket, delegating every decision."""

from __future__ import annotations

import dataclasses
import logging
import uuid

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from . import metrics, moderation, protocol, reports, selectors, services
from .db import database_sync_to_async
from .errors import WallError
from .live import connections
from .live.bridge import broadcast, publisher
from .live.member import group_member
from .live.process import socket_closed, socket_joined, socket_opened
from .live.snapshots import connect_snapshot
from .live.throttle import throttle_hit, throttle_take, throttled
from .live.writer import SocketWriter
from .rates import configured_rate

logger = logging.getLogger(__name__)

UNAVAILABLE = WallError("unavailable", "The wall's database is unavailable; nothing was saved. Try again.")
SHARED_STORE_DOWN = WallError(
    "unavailable", "The wall's shared store is unavailable; nothing was saved. Try again."
)
SERVER_FAILED = WallError("unavailable", "The server failed to handle this frame; try again.")

post_list_before = database_sync_to_async(selectors.post_list_before)
participant_touch = database_sync_to_async(services.participant_touch)
participant_claim = database_sync_to_async(services.participant_claim)
participant_claim_random = database_sync_to_async(services.participant_claim_random)
participant_by_token = database_sync_to_async(services.participant_by_token)
post_create = database_sync_to_async(services.post_create)
read_pointer_advance = database_sync_to_async(services.read_pointer_advance)
device_code_redeem = database_sync_to_async(services.device_code_redeem)
device_sign_out = database_sync_to_async(services.device_sign_out)
participant_rename = database_sync_to_async(services.participant_rename)
reaction_set = database_sync_to_async(services.reaction_set)
post_edit = database_sync_to_async(services.post_edit)
post_delete_own = database_sync_to_async(services.post_delete_own)
moderator_view = database_sync_to_async(moderation.moderator_view)
page_hide = database_sync_to_async(moderation.page_hide)
page_unhide = database_sync_to_async(moderation.page_unhide)
page_ban = database_sync_to_async(moderation.page_ban)
report_create = database_sync_to_async(reports.report_create)
page_approve = database_sync_to_async(moderation.page_approve)
held_posts = database_sync_to_async(selectors.held_posts)


class WallConsumer(AsyncWebsocketConsumer):
    """One socket on the wall: a reader until it joins, then a named participant.

    Live events reach it through this process's group member (wall.live.member), already encoded,
    and its writer (wall.live.writer); this class only speaks the protocol.
    """

    # No channel per consumer: the process's one group member receives for every socket. Channels'
    # get_channel_layer() gives None for an alias that is not configured, so AsyncConsumer opens
    # no channel of its own (docs/decisions.md; tests/test_live_member.py guards it).
    channel_layer_alias = None
    user: services.Claim | None = None
    writer: SocketWriter | None = None  # set once admitted: counted against its address's limit

    async def connect(self) -> None:
        socket_id = uuid.uuid4().hex
        since_id = protocol.parse_since(self.scope.get("query_string", b""))
        self.address = connections.client_address(self.scope)
        if not await connections.connection_open(address=self.address, socket_id=socket_id):
            await self.accept()
            await self._send_error(connections.too_many_sockets())
            await self.close(code=protocol.CLOSE_TRY_LATER)
            return
        self.writer = SocketWriter(socket_id, self.base_send, lambda code: self.close(code=code))
        await self.accept()
        # Join the group before reading history, so nothing committed in between is missed.
        socket_opened(self.writer, self.address)
        if not await group_member().ready():
            logger.warning("not in the group yet; this socket resumes if events were missed")
        try:
            snapshot = await connect_snapshot(since_id=since_id)
        except DatabaseError:
            logger.exception("history read failed on connect")
            await self._send_frame(protocol.error_event(UNAVAILABLE))
            await self.close(code=protocol.CLOSE_FAILED)
            return
        await self._send_text(snapshot.messages_text)
        await self._send_text(snapshot.users_text)
        if self._session_key() is not None:
            # A session cookie (a logged-in admin's, perhaps): moderators get their tools and the
            # events for moderators only, decided before any live event goes out.
            view = await moderator_view(session_key=self._session_key())
            if view is not None:
                self.writer.moderator = True
                await self._send_frame(view)
        self.writer.go_live(snapshot.history_ids)

    async def disconnect(self, code: int) -> None:
        if self.writer is None:
            return
        user, self.user = self.user, None
        await socket_closed(self.writer, self.address, (str(user.id), user.username) if user else None)
        if user is not None:
            await participant_touch(participant_id=user.id)

    async def __call__(self, scope: dict, receive, send) -> None:
        """Channels' AsyncConsumer.__call__ for a consumer with no channel of its own, without its
        `await_many_dispatch`: that wraps each message from the server in a new task and an
        `asyncio.wait` (7 % of the server's samples while 1000 sockets connect, by py-spy), although
        with one source it also handles one message at a time, as this loop does."""
        self.scope = scope
        self.channel_layer = None  # channel_layer_alias = None: no channel of its own
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without its per-frame `aclose_old_connections()` thread hop: every
        database call here runs through database_sync_to_async, which closes stale connections
        itself, in the thread that owns them (docs/decisions.md)."""
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
        if self.writer is None or self.writer.closing:
            return  # refused on connect, or closing: nothing it sends is handled
        if text_data is None:
            await self._send_error(
                WallError("bad_request", "Binary frames are not supported; send JSON text.")
            )
            return
        if (
            len(text_data) > settings.WALL_FRAME_MAX_BYTES
            or len(text_data.encode()) > settings.WALL_FRAME_MAX_BYTES
        ):
            self.writer.stop()
            await self.close(code=protocol.CLOSE_TOO_BIG, reason="Frame too large")
            return
        client_id = event_type = None
        context = {"socket_id": self.writer.socket_id}
        try:
            command = protocol.parse_frame(text_data)
            client_id, event_type = getattr(command, "client_id", None), command.kind
            context["event_type"] = event_type
            await self._handlers[type(command)](self, command)
        except WallError as error:
            logger.info(
                "refused %s: %s",
                event_type or "frame",
                error.code,
                extra={**context, "error_code": error.code},
            )
            await self._send_error(error, client_id)
        except DatabaseError:
            logger.exception("database error handling a frame", extra=context)
            await self._send_error(UNAVAILABLE, client_id)
        except RedisError:
            logger.warning("shared store error handling a frame", exc_info=True, extra=context)
            await self._send_error(SHARED_STORE_DOWN, client_id)
        except Exception:
            # A bug must not kill the consumer (its disconnect cleanup would never run).
            logger.exception("unexpected error handling a frame", extra=context)
            await self._send_error(SERVER_FAILED, client_id)

    # --- commands ------------------------------------------------------------------------------

    async def _on_join(self, command: protocol.Join) -> None:
        await throttle_take(
            scope="join", subject=self.writer.socket_id, rate=configured_rate("WALL_JOIN_RATE")
        )
        if self.user is not None:
            # Re-joining is only a repeat of the same identity; checked before any name is claimed.
            if command.token != self.user.token:
                raise WallError(
                    "bad_request", f"This socket joined as {self.user.username}; reconnect to switch."
                )
            # Read again: the name may have changed on another device (the page re-joins on `user_renamed`).
            self.user = await participant_by_token(token=command.token)
            await socket_joined(self.writer, str(self.user.id), self.user.username)
            await self._send_frame(protocol.welcome_event(self.user.id, self.user.username, self.user.token))
            return
        if command.token:
            claim = await participant_by_token(token=command.token)
        elif command.code:
            # Guessing codes is throttled per address, in the shared store (every process counts).
            subject = connections.address_id(self.address) if self.address else self.writer.socket_id
            await throttle_take(scope="codes", subject=subject, rate=configured_rate("WALL_CODE_TRY_RATE"))
            claim = await device_code_redeem(code=command.code)
        else:
            # New names per client address: only names actually claimed count.
            rate = configured_rate("WALL_NAME_RATE") if self.address else None
            subject = connections.address_id(self.address) if self.address else ""
            async with throttled(scope="names", subject=subject, rate=rate):
                if command.username is not None:
                    claim = await participant_claim(username=command.username)
                else:
                    claim = await participant_claim_random()
        claim.refuse_if_banned()
        user_id = str(claim.id)
        announce = await socket_joined(self.writer, user_id, claim.username)
        self.user = claim
        await participant_touch(participant_id=claim.id)
        await self._send_frame(protocol.welcome_event(claim.id, claim.username, claim.token))
        if settings.WALL_PREMODERATION:
            # Its own posts still waiting for a moderator: the page shows them as such.
            for post in await held_posts(author_id=claim.id):
                await self._send_frame(protocol.message_held_event(post))
        if announce:
            await broadcast(protocol.user_joined_event(claim.id, claim.username), skip_user=user_id)

    async def _on_message(self, command: protocol.SendMessage) -> None:
        user = self._require_join()
        # Only saved posts count: a refused post or a resend gives its hit back.
        async with throttled(
            scope="post", subject=str(user.id), rate=configured_rate("WALL_POST_RATE")
        ) as hit:
            with metrics.timed(metrics.POST_SAVE_SECONDS):
                result = await post_create(
                    author_id=user.id,
                    content=command.content,
                    client_id=command.client_id,
                    image_id=command.image_id,
                    reply_to=command.reply_to,
                )
            hit.counts = result.created
        if result.held:
            # Waiting for a moderator: its author's sockets are told (directly, for a resend).
            if not result.created or not await self._group_brings_it():
                await self._send_frame(protocol.message_held_event(result.post))
        elif result.hidden:
            # A resend of a post a moderator hid meanwhile: the page drops its pending copy.
            await self._send_frame(protocol.message_deleted_event(result.post["id"]))
        elif not result.created or not await self._group_brings_it():
            # A resend of a post already saved, or a group that may not bring it back: confirm it
            # to this socket directly (others get it when they resume).
            await self._send_frame(protocol.message_event(result.post))

    async def _group_brings_it(self) -> bool:
        """Whether the group brings this socket the event its write just committed: once the loop's
        publisher has tried to send it (wall.live.bridge), the process is still live (a send that
        failed, Redis down, makes it not)."""
        await publisher().drained()
        return group_member().live

    async def _on_edit(self, command: protocol.Edit) -> None:
        user = self._require_join()
        # An edit is a post again: it takes a place in the same rate, given back when nothing changed.
        async with throttled(
            scope="post", subject=str(user.id), rate=configured_rate("WALL_POST_RATE")
        ) as hit:
            result = await post_edit(author_id=user.id, post_id=command.post_id, content=command.content)
            hit.counts = result.created
        if not result.created or not await self._group_brings_it():
            await self._send_frame(protocol.message_edited_event(result.post))

    async def _on_delete(self, command: protocol.Delete) -> None:
        user = self._require_join()
        await post_delete_own(author_id=user.id, post_id=command.post_id)
        if not await self._group_brings_it():
            await self._send_frame(protocol.message_deleted_event(command.post_id))

    async def _on_typing(self, command: protocol.Typing) -> None:
        user = self._require_join()
        rate = configured_rate("WALL_TYPING_RATE")
        if await throttle_hit(scope="typing", subject=str(user.id), rate=rate) is None:
            await broadcast(protocol.typing_event(user.id, user.username), skip_user=str(user.id))

    async def _on_read(self, command: protocol.Read) -> None:
        user = self._require_join()
        await read_pointer_advance(
            participant_id=user.id, username=user.username, message_id=command.message_id
        )

    async def _on_react(self, command: protocol.React) -> None:
        user = self._require_join()
        # Throttled like posts; a refused reaction (a hidden post, not an emoji) gives its hit back.
        async with throttled(scope="react", subject=str(user.id), rate=configured_rate("WALL_REACTION_RATE")):
            await reaction_set(
                participant_id=user.id, post_id=command.post_id, emoji=command.emoji, on=command.on
            )

    async def _on_history(self, command: protocol.History) -> None:
        page = await post_list_before(before_id=command.before, limit=command.limit)
        await self._send_frame(
            protocol.messages_event(page.posts, has_more=page.has_more, before=command.before)
        )

    async def _on_rename(self, command: protocol.Rename) -> None:
        user = self._require_join()
        # Only renames that happen count (WALL_RENAME_RATE, per participant, in the shared store).
        async with throttled(scope="rename", subject=str(user.id), rate=configured_rate("WALL_RENAME_RATE")):
            renamed = await participant_rename(participant_id=user.id, username=command.username)
        self.user = dataclasses.replace(user, username=renamed.username)  # the ban's details stay
        # Presence lists the new name to sockets that connect from now on.
        await socket_joined(self.writer, str(user.id), renamed.username)

    async def _on_sign_out(self, command: protocol.SignOut) -> None:
        user = self._require_join()
        await device_sign_out(token=user.token)
        await self._send_frame(protocol.signed_out_event())
        # Its presence and its name on this socket end with it; the page reconnects as a reader.
        await self.close(code=protocol.CLOSE_NORMAL)

    async def _on_ping(self, command: protocol.Ping) -> None:
        # The page's dead-connection check: any answer proves the whole path is alive.
        await self._send_frame(protocol.pong_event())

    async def _on_hide(self, command: protocol.Hide) -> None:
        await self._moderate(page_hide, post_id=command.post_id, reason=command.reason)

    async def _on_unhide(self, command: protocol.Unhide) -> None:
        await self._moderate(page_unhide, post_id=command.post_id)

    async def _on_ban(self, command: protocol.Ban) -> None:
        await self._moderate(
            page_ban, post_id=command.post_id, reason=command.reason, duration=command.duration
        )

    async def _on_approve(self, command: protocol.Approve) -> None:
        await self._moderate(page_approve, post_id=command.post_id)

    async def _on_report(self, command: protocol.Report) -> None:
        user = self._require_join()
        # A report flood: only recorded reports count (a refused one gives its hit back).
        async with throttled(scope="report", subject=str(user.id), rate=configured_rate("WALL_REPORT_RATE")):
            await report_create(
                reporter_id=user.id, post_id=command.post_id, reason=command.reason, text=command.text
            )
        await self._send_frame(protocol.reported_event(command.post_id))

    async def _moderate(self, action, **arguments) -> None:
        """A moderator's action from the page; wall.moderation checks the session every time."""
        session_key = self._session_key()
        if session_key is None:
            raise moderation.FORBIDDEN  # no session at all: no database trip
        try:
            client = self.scope.get("client") or (None,)
            await action(session_key=session_key, address=client[0], **arguments)
        except WallError as error:
            if error.code == "forbidden":
                self.writer.moderator = False  # no more events for moderators either
            raise

    _handlers = {
        protocol.Join: _on_join,
        protocol.SendMessage: _on_message,
        protocol.Edit: _on_edit,
        protocol.Delete: _on_delete,
        protocol.Typing: _on_typing,
        protocol.Read: _on_read,
        protocol.History: _on_history,
        protocol.Ping: _on_ping,
        protocol.Hide: _on_hide,
        protocol.Unhide: _on_unhide,
        protocol.Ban: _on_ban,
        protocol.Report: _on_report,
        protocol.Approve: _on_approve,
        protocol.SignOut: _on_sign_out,
        protocol.Rename: _on_rename,
        protocol.React: _on_react,
    }

    # --- helpers -------------------------------------------------------------------------------

    def _session_key(self) -> str | None:
        """The Django session cookie sent with the handshake (CookieMiddleware), or None; only
        wall.moderation.page_moderator decides whether it is a moderator's."""
        return self.scope["cookies"].get(settings.SESSION_COOKIE_NAME) or None

    def _require_join(self) -> services.Claim:
        if self.user is None:
            raise WallError("not_joined", "Join with a name first.")
        return self.user

    async def _send_frame(self, frame: dict) -> None:
        await self._send_text(protocol.encode(frame))

    async def _send_text(self, text: str) -> None:
        """Send to this socket unless it is closing; a client that left meanwhile is no error."""
        if self.writer is not None and self.writer.closing:
            return
        try:
            await self.send(text_data=text)
        except Exception:  # Each server raises its own "disconnected" error; the disconnect follows.
            logger.debug("send to a socket the client already closed", exc_info=True)
            if self.writer is not None:
                self.writer.closing = True

    async def _send_error(self, error: WallError, client_id: str | None = None) -> None:
        metrics.refused(error.code)
        await self._send_frame(protocol.error_event(error, client_id))
