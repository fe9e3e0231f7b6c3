"""Writes about participants: claim a name (chosen or random), find one by its token, lock one to
write as it. A participant is a name and the hash of the token that proves owning it."""

from __future__ import annotations

import hashlib
import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import errors
from ..errors import WallError
from ..models import USERNAME_PATTERN, Participant
from ..selectors import participant_with_username

_USERNAME_RE = re.compile(USERNAME_PATTERN)
# What secrets.token_urlsafe(32) makes; anything else owns no name and costs no database read.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
# Not the global `random`: whatever seeds it (a test library, a plugin) would make names repeat.
_names = random.SystemRandom()
_ADJECTIVES = [
    "Brave",
    "Calm",
    "Clever",
    "Eager",
    "Gentle",
    "Happy",
    "Jolly",
    "Kind",
    "Lively",
    "Lucky",
    "Merry",
    "Nimble",
    "Proud",
    "Quick",
    "Quiet",
    "Sunny",
    "Swift",
    "Witty",
    "Bold",
    "Bright",
]
_ANIMALS = [
    "Otter",
    "Fox",
    "Heron",
    "Lynx",
    "Panda",
    "Robin",
    "Seal",
    "Tiger",
    "Wren",
    "Badger",
    "Falcon",
    "Koala",
    "Marten",
    "Owl",
    "Puffin",
    "Raven",
    "Stoat",
    "Turtle",
    "Whale",
    "Yak",
]


@dataclass(frozen=True)
class Claim:
    """A participant and the secret token that proves ownership of its name."""

    id: int
    username: str
    token: str
    is_banned: bool  # a ban in force (Participant.ban_in_force)
    ban_reason: str = ""
    banned_until: datetime | None = None

    def refuse_if_banned(self) -> None:
        """Raise banned for a participant a moderator banned (the rule: wall.errors.banned)."""
        if self.is_banned:
            raise errors.banned(self.ban_reason, self.banned_until)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def username_problem(username: str) -> str | None:
    """Why `username` can't be a name (human text), or None if its shape is fine."""
    low, high = settings.WALL_USERNAME_MIN, settings.WALL_USERNAME_MAX
    if not low <= len(username) <= high:
        return f"A name has {low} to {high} characters."
    if not _USERNAME_RE.fullmatch(username):
        return "A name uses letters, digits, _ and - only."
    return None


def participant_claim(*, username: str) -> Claim:
    """Claim a free name for a new browser; raises invalid_username or username_taken."""
    problem = username_problem(username)
    if problem:
        raise WallError("invalid_username", problem)
    token = secrets.token_urlsafe(32)
    participant = Participant(username=username, token_hash=hash_token(token))
    participant.full_clean(exclude=["token_hash"], validate_constraints=False)
    try:
        with transaction.atomic():
            participant.save()
    except IntegrityError:
        raise WallError("username_taken", f"The name {username} is taken.") from None
    return Claim(participant.id, participant.username, token, False)


def participant_claim_random() -> Claim:
    """Claim a free random name such as BraveOtter42."""
    for _ in range(20):
        username = f"{_names.choice(_ADJECTIVES)}{_names.choice(_ANIMALS)}{_names.randint(1, 999)}"
        if not participant_with_username(username).exists():
            try:
                return participant_claim(username=username)
            except WallError:
                continue
    raise WallError("unavailable", "Could not find a free name; try again.")


def participant_by_token(*, token: str) -> Claim:
    """The participant that owns `token` (exactly: no trailing newline or space); raises invalid_token."""
    if not _TOKEN_RE.fullmatch(token):
        raise errors.no_such_token()
    participant = Participant.objects.filter(token_hash=hash_token(token)).first()
    if participant is None:
        raise errors.no_such_token()
    return Claim(
        participant.id,
        participant.username,
        token,
        participant.ban_in_force,
        participant.ban_reason,
        participant.banned_until,
    )


def participant_touch(*, participant_id: int) -> None:
    """Record that the participant was seen now."""
    Participant.objects.filter(pk=participant_id).update(last_seen_at=timezone.now())


def participant_lock(*, participant_id: int) -> None:
    """Lock the participant's row until the transaction ends, to write as it: raises invalid_token
    when it was deleted, banned when it is banned. Its posts and uploads are decided one at a time
    (SQLite's IMMEDIATE transactions serialize writers anyway)."""
    participant = (
        Participant.objects.select_for_update()
        .filter(pk=participant_id)
        .only("is_banned", "banned_until", "ban_reason")
        .first()
    )
    if participant is None:
        raise errors.name_removed()
    if participant.ban_in_force:
        raise errors.banned(participant.ban_reason, participant.banned_until)
