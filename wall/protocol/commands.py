"""The wire contract, client → server: parse each text frame into a command (docs/protocol.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qs

from django.conf import settings

from ..errors import WallError


@dataclass(frozen=True)
class Join:
    kind: ClassVar[str] = "join"
    username: str | None
    token: str | None
    code: str | None = None  # a device or recovery code (wall.services.devices)


@dataclass(frozen=True)
class SendMessage:
    kind: ClassVar[str] = "message"
    content: str
    client_id: str | None
    image_id: str | None
    reply_to: int | None = None


@dataclass(frozen=True)
class Edit:
    kind: ClassVar[str] = "edit"
    post_id: int
    content: str
    client_id: str | None


@dataclass(frozen=True)
class Delete:
    kind: ClassVar[str] = "delete"
    post_id: int


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


@dataclass(frozen=True)
class Hide:
    """A moderator hides a post (from the page)."""

    kind: ClassVar[str] = "hide"
    post_id: int
    reason: str


@dataclass(frozen=True)
class Unhide:
    kind: ClassVar[str] = "unhide"
    post_id: int


@dataclass(frozen=True)
class Approve:
    """A moderator approves a held post (WALL_PREMODERATION)."""

    kind: ClassVar[str] = "approve"
    post_id: int


@dataclass(frozen=True)
class Ban:
    """A moderator bans the author of a post for `duration` ("1h", "1d" or "forever")."""

    kind: ClassVar[str] = "ban"
    post_id: int
    reason: str
    duration: str


@dataclass(frozen=True)
class Report:
    """A reader reports a post: `reason` is "spam", "abuse" or "other", `text` optional."""

    kind: ClassVar[str] = "report"
    post_id: int
    reason: str
    text: str


@dataclass(frozen=True)
class SignOut:
    kind: ClassVar[str] = "sign_out"


@dataclass(frozen=True)
class Rename:
    kind: ClassVar[str] = "rename"
    username: str


@dataclass(frozen=True)
class React:
    kind: ClassVar[str] = "react"
    post_id: int
    emoji: str  # as sent; whether it is one emoji is the domain's rule (services.reaction_set)
    on: bool


Command = (
    Join
    | SendMessage
    | Edit
    | Delete
    | Typing
    | Read
    | History
    | Ping
    | Hide
    | Unhide
    | Ban
    | Report
    | Approve
    | SignOut
    | Rename
    | React
)
REPORT_REASONS = ("spam", "abuse", "other")
BAN_DURATIONS = ("1h", "1d", "forever")
REASON_MAX = 200

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
    return Join(
        username=_optional_str(data, "username"),
        token=_optional_str(data, "token"),
        code=_optional_str(data, "code", max_length=40),
    )


def _parse_rename(data: dict) -> Rename:
    username = _optional_str(data, "username")
    if username is None:
        raise WallError("bad_request", 'A rename needs "username".')
    return Rename(username=username)


def _client_id(data: dict) -> str | None:
    client_id = data.get("client_id")
    if client_id is not None and (
        not isinstance(client_id, str) or not 0 < len(client_id) <= CLIENT_ID_MAX or not _storable(client_id)
    ):
        raise WallError("bad_request", f'"client_id" must be a string of 1 to {CLIENT_ID_MAX} characters.')
    return client_id


def _content(data: dict, client_id: str | None) -> str:
    content = data.get("content", "")
    if content is None:
        content = ""
    if not isinstance(content, str) or not _storable(content):
        raise WallError(
            "bad_request", '"content" must be a string without NUL characters.', client_id=client_id
        )
    return content


def _parse_message(data: dict) -> SendMessage:
    client_id = _client_id(data)
    content = _content(data, client_id)
    try:
        reply_to = _id(data, "reply_to", required=False)
    except WallError as error:
        raise WallError(error.code, error.message, client_id=client_id) from None
    image_id = data.get("image_id")
    if image_id is not None:
        image_id = str(_id(data, "image_id", required=True))
    if "content" not in data and image_id is None:
        raise WallError("bad_request", 'A message needs "content" or "image_id".', client_id=client_id)
    return SendMessage(content=content, client_id=client_id, image_id=image_id, reply_to=reply_to)


def _parse_edit(data: dict) -> Edit:
    client_id = _client_id(data)
    try:
        post_id = _id(data, "id", required=True)
    except WallError as error:
        raise WallError(error.code, error.message, client_id=client_id) from None
    if "content" not in data:
        raise WallError("bad_request", 'An edit needs "content".', client_id=client_id)
    return Edit(post_id=post_id, content=_content(data, client_id), client_id=client_id)


def _parse_history(data: dict) -> History:
    before = _id(data, "before", required=True)
    limit = data.get("limit", settings.WALL_HISTORY_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise WallError("bad_request", '"limit" must be a positive whole number.')
    return History(before=before, limit=min(limit, settings.WALL_HISTORY_MAX_PAGE))


def _reason(data: dict) -> str:
    reason = _optional_str(data, "reason", REASON_MAX)
    return (reason or "").strip()


def _parse_ban(data: dict) -> Ban:
    duration = data.get("duration", "forever")
    if duration not in BAN_DURATIONS:
        raise WallError("bad_request", f'"duration" must be one of {", ".join(BAN_DURATIONS)}.')
    return Ban(post_id=_id(data, "id", required=True), reason=_reason(data), duration=duration)


def _parse_report(data: dict) -> Report:
    post_id = _id(data, "id", required=True)
    reason = data.get("reason")
    if reason not in REPORT_REASONS:
        raise WallError("bad_request", f'"reason" must be one of {", ".join(REPORT_REASONS)}.')
    text = (_optional_str(data, "text", REASON_MAX) or "").strip()
    return Report(post_id=post_id, reason=reason, text=text)


def _parse_react(data: dict) -> React:
    post_id = _id(data, "id", required=True)
    emoji, on = data.get("emoji"), data.get("on")
    if not isinstance(emoji, str) or not emoji or not _storable(emoji):
        raise WallError("bad_request", '"emoji" must be a non-empty string.')
    if not isinstance(on, bool):
        raise WallError("bad_request", '"on" must be true (add the reaction) or false (take it back).')
    return React(post_id=post_id, emoji=emoji, on=on)


_PARSERS = {
    "join": _parse_join,
    "message": _parse_message,
    "edit": _parse_edit,
    "delete": lambda data: Delete(post_id=_id(data, "id", required=True)),
    "typing": lambda data: Typing(),
    "read": lambda data: Read(message_id=_id(data, "message_id", required=True)),
    "history": _parse_history,
    "ping": lambda data: Ping(),
    "hide": lambda data: Hide(post_id=_id(data, "id", required=True), reason=_reason(data)),
    "unhide": lambda data: Unhide(post_id=_id(data, "id", required=True)),
    "ban": _parse_ban,
    "report": _parse_report,
    "approve": lambda data: Approve(post_id=_id(data, "id", required=True)),
    "sign_out": lambda data: SignOut(),
    "rename": _parse_rename,
    "react": _parse_react,
}
CLIENT_TYPES = frozenset(_PARSERS)  # every frame type a client may send
