"""The wire contract, server → client: every event the server sends, and its close codes
(docs/protocol.md). Events are plain JSON-safe dicts, encoded once."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..errors import WallError

# --- WebSocket close codes (RFC 6455) the server closes with: docs/protocol.md ------------------

CLOSE_POLICY = 1008  # a moderator banned or deleted the participant this socket joined as
CLOSE_TOO_BIG = 1009  # a frame over WALL_FRAME_MAX_BYTES
CLOSE_FAILED = 1011  # the history read failed on connect; a write the server refused
CLOSE_RESUME = 1012  # restarting, or events may have been missed: reconnect at once with ?since=
CLOSE_TRY_LATER = 1013  # the address holds WALL_SOCKETS_PER_IP sockets; a socket too far behind
# Not an error, so not in CLOSE_CODES: the participant signed out on this device (after `signed_out`).
CLOSE_NORMAL = 1000
CLOSE_CODES = frozenset({CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_FAILED, CLOSE_RESUME, CLOSE_TRY_LATER})


def event(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The envelope every frame shares."""
    return {"type": kind, "data": data}


def encode(frame: dict[str, Any]) -> str:
    """Serialize a frame once; the text is what every socket is sent."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def user_ref(user_id: int | str, username: str) -> dict[str, str]:
    return {"id": str(user_id), "username": username}


def messages_event(
    posts: list[dict],
    *,
    has_more: bool,
    reset: bool = False,
    before: int | None = None,
    edited: list[dict] | None = None,
    reactions: list[dict] | None = None,
) -> dict:
    """A page of posts; on a resume only, `edited` holds posts at or below `since` edited meanwhile,
    for the client to update the ones it shows (never to add), and `reactions` the reaction
    summaries (`reactions_item`) of posts at or below `since` whose reactions changed meanwhile."""
    data: dict[str, Any] = {"messages": posts, "has_more": has_more}
    if reset:
        data["reset"] = True
    if edited:
        data["edited"] = edited
    if reactions:
        data["reactions"] = reactions
    if before is not None:
        data["before"] = str(before)
    return event("messages", data)


def user_item(user_id: int | str, username: str, last_read: int | str | None) -> dict[str, str | None]:
    """One entry of `users`: who is online, and the highest post id they have read."""
    return {**user_ref(user_id, username), "last_read": str(last_read) if last_read is not None else None}


def users_event(users: list[dict]) -> dict:
    """`users`, from user_item entries."""
    return event("users", {"users": users})


def welcome_event(user_id: int, username: str, token: str) -> dict:
    return event("welcome", {**user_ref(user_id, username), "token": token})


def signed_out_event() -> dict:
    """To the socket that signed out: its token owns no name any more."""
    return event("signed_out", {})


def user_renamed_event(user_id: int | str, username: str, previous: str) -> dict:
    """Everyone: a participant's name changed; posts, the people list and "seen by" follow."""
    return event("user_renamed", {**user_ref(user_id, username), "previous": previous})


def message_event(post: dict) -> dict:
    return event("message", {"message": post})


def message_edited_event(post: dict) -> dict:
    """A post's author changed it: the whole post as it is now."""
    return event("message_edited", {"message": post})


def message_deleted_event(post_id: int | str) -> dict:
    return event("message_deleted", {"id": str(post_id)})


def user_joined_event(user_id: int | str, username: str) -> dict:
    return event("user_joined", user_ref(user_id, username))


def user_left_event(user_id: int | str, username: str) -> dict:
    return event("user_left", user_ref(user_id, username))


def typing_event(user_id: int | str, username: str) -> dict:
    return event("typing", user_ref(user_id, username))


def read_event(user_id: int | str, username: str, message_id: int) -> dict:
    return event("read", {**user_ref(user_id, username), "message_id": str(message_id)})


NOTICE_MAX = 500


def notice_event(text: object) -> dict:
    """An operator's notice (not stored); raises ValueError unless `text` is 1 to NOTICE_MAX
    characters once trimmed."""
    if not isinstance(text, str) or not 0 < len(text.strip()) <= NOTICE_MAX:
        raise ValueError(f"a notice is a text of 1 to {NOTICE_MAX} characters")
    return event("notice", {"text": text.strip()})


def hidden_item(post: dict, *, hidden_by: str, reason: str) -> dict[str, Any]:
    """A hidden post as moderators see it: the post, who hid it ("" for the wall itself) and why."""
    return {"message": post, "hidden_by": hidden_by, "reason": reason}


def moderator_event(username: str, *, hidden: list[dict], reports: int, held: list[dict]) -> dict:
    """To a moderator's socket on connect: who they are, the latest hidden posts (hidden_item), how
    many posts have open reports, and the posts waiting for approval (post payloads, oldest first)."""
    return event("moderator", {"username": username, "hidden": hidden, "reports": reports, "held": held})


def held_event(post: dict) -> dict:
    """To moderators' sockets: a new post waits for approval (WALL_PREMODERATION)."""
    return event("held", {"message": post})


def message_held_event(post: dict) -> dict:
    """To the author's own sockets: their post waits for a moderator; nobody else sees it yet."""
    return event("message_held", {"message": post})


def reports_event(open_count: int) -> dict:
    """To moderators' sockets: how many posts have reports no moderator has settled."""
    return event("reports", {"open": open_count})


def reported_event(post_id: int | str) -> dict:
    """To the reporting socket: its report of this post is recorded."""
    return event("reported", {"id": str(post_id)})


def post_hidden_event(post: dict, *, hidden_by: str, reason: str) -> dict:
    """To moderators' sockets: a post was hidden (they see it greyed, others get message_deleted)."""
    return event("post_hidden", hidden_item(post, hidden_by=hidden_by, reason=reason))


def message_hidden_event(post_id: int | str, reason: str, *, by_wall: bool = False) -> dict:
    """To the author's own sockets: a moderator (or, `by_wall`, readers' reports) hid their post, and why."""
    return event(
        "message_hidden", {"id": str(post_id), "reason": reason, "by": "wall" if by_wall else "moderator"}
    )


def user_banned_event(user_id: int | str, username: str, *, reason: str, until: datetime | None) -> dict:
    """To moderators' sockets: a participant was banned, until when (null: for good) and why."""
    return event(
        "user_banned",
        {**user_ref(user_id, username), "reason": reason, "until": until.isoformat() if until else None},
    )


def pong_event() -> dict:
    return event("pong", {})


def error_event(error: WallError, client_id: str | None = None) -> dict:
    data: dict[str, Any] = {"code": error.code, "message": error.message}
    data.update(error.extra)
    data.setdefault("client_id", client_id)
    return event("error", data)


def reaction_summary(rows: Iterable[tuple[str, str]], rev: int) -> dict[str, Any]:
    """A post's reactions from its (emoji, username) pairs in the order they were made:
    {"counts": {"👍": 2}, "by": {"👍": ["Bob", "Alice"]}, "rev": 3}. Emoji keep the order of their
    first reaction; `rev` grows with every change, so a client keeps the summary with the highest."""
    by: dict[str, list[str]] = {}
    for emoji, username in rows:
        by.setdefault(emoji, []).append(username)
    return {"counts": {emoji: len(names) for emoji, names in by.items()}, "by": by, "rev": rev}


def reactions_item(post_id: int | str, summary: dict[str, Any]) -> dict[str, Any]:
    """One post's reactions as `reactions` carries them: the post id and its summary."""
    return {"id": str(post_id), **summary}


def reactions_event(item: dict[str, Any]) -> dict:
    """A post's reactions changed: its whole summary (a `reactions_item`), read after the commit."""
    return event("reactions", item)


def thumbnail_ref(url: str, width: int, height: int) -> dict[str, Any]:
    return {"url": url, "width": width, "height": height}


def post_payload(
    *,
    post_id: int,
    author: str,
    content: str,
    created_at: datetime,
    client_id: str | None,
    image_url: str | None = None,
    thumbnail: dict[str, Any] | None = None,
    edited_at: datetime | None = None,
    reply_to: dict[str, Any] | None = None,
    reactions: dict[str, Any] | None = None,
    mentions: list[str] | None = None,
) -> dict[str, Any]:
    """The post shape, wherever a post appears (`message`, `messages`, `message_edited`); built from
    plain data (wall.selectors reads it from the database). `reply_to` comes from `reply_ref`."""
    return {
        "id": str(post_id),
        "author": author,
        "content": content,
        "created_at": created_at.isoformat(),
        "edited_at": edited_at.isoformat() if edited_at else None,
        "image": image_url,
        "thumbnail": thumbnail,
        "client_id": client_id,
        "reply_to": reply_to,
        "reactions": reactions if reactions is not None else reaction_summary((), 0),
        "mentions": mentions or [],
    }


def reply_ref(post_id: int | str, author: str | None, excerpt: str | None) -> dict[str, str | None]:
    """A reply's quote of its original: author and excerpt are null when the original was removed
    (hidden, deleted by its author or a moderator), so its text never leaves the server."""
    return {"id": str(post_id), "author": author, "excerpt": excerpt}
