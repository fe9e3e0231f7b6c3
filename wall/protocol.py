"""The wire contract: parse client frames into commands, and build every server event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs

from django.conf import settings

from .errors import WallError

# --- client → server -------------------------------------------------------------------------


@dataclass(frozen=True)
class Join:
    kind: ClassVar[str] = "join"
    username: str | None
    token: str | None


@dataclass(frozen=True)
class SendMessage:
    kind: ClassVar[str] = "message"
    content: str
    client_id: str | None
    image_id: str | None


@dataclass(frozen=True)
class Typing:
    kind: ClassVar[str] = "typing"


@dataclass(frozen=True)
class Read:
    kind: ClassVar[str] = "read"
    message_id: int


@dataclass(frozen=True)
class Ping:
    kind: ClassVar[str] = "ping"


@dataclass(frozen=True)
class History:
    kind: ClassVar[str] = "history"
    before: int
    limit: int


Command = Join | SendMessage | Typing | Read | History | Ping

CLIENT_ID_MAX = 64
ID_MAX = 2**63 - 1  # PostgreSQL's bigint


def parse_frame(text: str) -> Command:
    """Turn one text frame into a command, or raise WallError(bad_request | unknown_type).

    Nothing a client sends raises anything else: a malformed frame is the client's mistake, never the
    server's (`unavailable`, an ERROR in the log).
    """
    try:
        frame = json.loads(text)
    except ValueError:  # JSONDecodeError; also an integer over Python's 4300-digit limit
        raise WallError("bad_request", "Frame is not valid JSON.") from None
    except RecursionError:  # `[[[[...]]]]`: json's decoder recurses once per level
        raise WallError("bad_request", "Frame nests too deeply.") from None
    if not isinstance(frame, dict):
        raise WallError("bad_request", "Frame must be a JSON object.")
    kind = frame.get("type")
    data = frame.get("data", {})
    if not isinstance(kind, str):
        raise WallError("bad_request", 'Frame needs a string "type".')
    if not isinstance(data, dict):
        raise WallError("bad_request", '"data" must be an object.')
    parser = _PARSERS.get(kind)
    if parser is None:
        raise WallError("unknown_type", f"Unknown frame type {kind[:40]!r}.")
    return parser(data)


def _storable(value: str) -> bool:
    """Text that PostgreSQL and a UTF-8 frame can hold: no NUL, no lone surrogate (JSON's \\ud800)."""
    if "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _optional_str(data: dict, field: str, max_length: int = 200) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length or not _storable(value):
        raise WallError("bad_request", f'"{field}" must be a string of at most {max_length} characters.')
    return value


def is_digits(text: str) -> bool:
    """Only 0-9 (str.isdigit() also takes "²", which int() refuses)."""
    return text.isascii() and text.isdigit()


def _id(data: dict, field: str, *, required: bool) -> int | None:
    value = data.get(field)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not is_digits(str(value)):
        raise WallError("bad_request", f'"{field}" must be a post id (a string of digits).')
    # Measured before int(): past 4300 digits int() raises ValueError, a bug to the consumer.
    if len(str(value)) > len(str(ID_MAX)) or int(value) > ID_MAX:
        raise WallError("bad_request", f'"{field}" is out of range.')
    return int(value)


def parse_since(query_string: bytes) -> int | None:
    """The `?since=` post id of a resuming socket's URL, by the same rule as ids in frames; None
    when absent or not an id (the socket then gets the recent page, as a new page does)."""
    values = parse_qs(query_string.decode("latin1")).get("since")
    try:
        return _id({"since": values[0]}, "since", required=True) if values else None
    except WallError:
        return None


def _parse_join(data: dict) -> Join:
    return Join(username=_optional_str(data, "username"), token=_optional_str(data, "token"))


def _parse_message(data: dict) -> SendMessage:
    content = data.get("content", "")
    if content is None:
        content = ""
    client_id = data.get("client_id")
    if client_id is not None and (
        not isinstance(client_id, str) or not 0 < len(client_id) <= CLIENT_ID_MAX or not _storable(client_id)
    ):
        raise WallError("bad_request", f'"client_id" must be a string of 1 to {CLIENT_ID_MAX} characters.')
    if not isinstance(content, str) or not _storable(content):
        raise WallError(
            "bad_request", '"content" must be a string without NUL characters.', client_id=client_id
        )
    image_id = data.get("image_id")
    if image_id is not None:
        image_id = str(_id(data, "image_id", required=True))
    if "content" not in data and image_id is None:
        raise WallError("bad_request", 'A message needs "content" or "image_id".', client_id=client_id)
    return SendMessage(content=content, client_id=client_id, image_id=image_id)


def _parse_history(data: dict) -> History:
    before = _id(data, "before", required=True)
    limit = data.get("limit", settings.WALL_HISTORY_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise WallError("bad_request", '"limit" must be a positive whole number.')
    return History(before=before, limit=min(limit, settings.WALL_HISTORY_MAX_PAGE))


_PARSERS = {
    "join": _parse_join,
    "message": _parse_message,
    "typing": lambda data: Typing(),
    "read": lambda data: Read(message_id=_id(data, "message_id", required=True)),
    "history": _parse_history,
    "ping": lambda data: Ping(),
}

# --- server → client -------------------------------------------------------------------------


def event(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The envelope every frame shares."""
    return {"type": kind, "data": data}


def encode(frame: dict[str, Any]) -> str:
    """Serialize a frame once; the text is what every socket is sent."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def user_ref(user_id: int | str, username: str) -> dict[str, str]:
    return {"id": str(user_id), "username": username}


def messages_event(
    posts: list[dict], *, has_more: bool, reset: bool = False, before: int | None = None
) -> dict:
    data: dict[str, Any] = {"messages": posts, "has_more": has_more}
    if reset:
        data["reset"] = True
    if before is not None:
        data["before"] = str(before)
    return event("messages", data)


def users_event(users: list[dict]) -> dict:
    return event("users", {"users": users})


def welcome_event(user_id: int, username: str, token: str) -> dict:
    return event("welcome", {**user_ref(user_id, username), "token": token})


def message_event(post: dict) -> dict:
    return event("message", {"message": post})


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


def pong_event() -> dict:
    return event("pong", {})


def error_event(error: WallError, client_id: str | None = None) -> dict:
    data: dict[str, Any] = {"code": error.code, "message": error.message}
    data.update(error.extra)
    data.setdefault("client_id", client_id)
    return event("error", data)


def post_payload(post: Any) -> dict[str, Any]:
    """The post shape, wherever a post appears (`message`, `messages`)."""
    image = getattr(post, "image", None)  # The reverse one-to-one raises (an AttributeError) when absent.
    return {
        "id": str(post.id),
        "author": post.author.username,
        "content": post.content,
        "created_at": post.created_at.isoformat(),
        "image": image.file.url if image else None,
        "thumbnail": (
            {"url": image.thumbnail.url, "width": image.thumbnail_width, "height": image.thumbnail_height}
            if image
            else None
        ),
        "client_id": post.client_id,
    }
