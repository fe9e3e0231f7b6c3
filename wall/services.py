"""Writes: name claims, posts and read pointers. Each validates like the admin and broadcasts on commit."""

from __future__ import annotations

import hashlib
import random
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from . import protocol
from .broadcast import broadcast_sync
from .errors import WallError
from .models import USERNAME_PATTERN, Participant, Post
from .selectors import participant_with_username

_USERNAME_RE = re.compile(USERNAME_PATTERN)
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
    is_banned: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def username_problem(username: str) -> str | None:
    """Why `username` can't be a name (human text), or None if its shape is fine."""
    low, high = settings.WALL_USERNAME_MIN, settings.WALL_USERNAME_MAX
    if not low <= len(username) <= high:
        return f"A name has {low} to {high} characters."
    if not _USERNAME_RE.match(username):
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
        username = f"{random.choice(_ADJECTIVES)}{random.choice(_ANIMALS)}{random.randint(1, 999)}"
        if not participant_with_username(username).exists():
            try:
                return participant_claim(username=username)
            except WallError:
                continue
    raise WallError("unavailable", "Could not find a free name; try again.")


def participant_by_token(*, token: str) -> Claim:
    """The participant that owns `token`; raises invalid_token."""
    participant = Participant.objects.filter(token_hash=hash_token(token)).first()
    if participant is None:
        raise WallError("invalid_token", "This token owns no name; choose a name again.")
    return Claim(participant.id, participant.username, token, participant.is_banned)


def participant_touch(*, participant_id: int) -> None:
    """Record that the participant was seen now."""
    Participant.objects.filter(pk=participant_id).update(last_seen_at=timezone.now())


def clean_content(content: str) -> str:
    """Trim and check a post's text; raises empty or too_long."""
    content = content.strip()
    if len(content) > settings.WALL_CONTENT_MAX:
        raise WallError(
            "too_long",
            f"A post has at most {settings.WALL_CONTENT_MAX} characters (this one has {len(content)}).",
        )
    return content


@dataclass(frozen=True)
class PostResult:
    post: dict
    created: bool


def post_create(*, author_id: int, content: str, client_id: str | None = None) -> PostResult:
    """Save a post and broadcast it after commit; a repeated client_id returns the first post."""
    content = clean_content(content)
    if not content:
        raise WallError("empty", "A post needs some text.")
    if client_id is not None:
        existing = (
            Post.objects.select_related("author").filter(author_id=author_id, client_id=client_id).first()
        )
        if existing is not None:
            return PostResult(protocol.post_payload(existing), created=False)
    post = Post(author_id=author_id, content=content, client_id=client_id)
    post.full_clean(exclude=["author"], validate_constraints=False)
    try:
        with transaction.atomic():
            post.save()
            post = Post.objects.select_related("author").get(pk=post.pk)
            payload = protocol.post_payload(post)
            transaction.on_commit(lambda: broadcast_sync(protocol.message_event(payload)), robust=True)
    except IntegrityError:
        # The same client_id raced in from another tab or process: the first one won.
        existing = Post.objects.select_related("author").get(author_id=author_id, client_id=client_id)
        return PostResult(protocol.post_payload(existing), created=False)
    return PostResult(payload, created=True)


def read_pointer_advance(*, participant_id: int, username: str, message_id: int) -> bool:
    """Move the read pointer forward to an existing post and broadcast `read`; never moves back."""
    if not Post.objects.filter(pk=message_id).exists():
        raise WallError("bad_request", f"There is no post {message_id}.")
    with transaction.atomic():
        moved = (
            Participant.objects.filter(pk=participant_id)
            .filter(Q(last_read_id__isnull=True) | Q(last_read_id__lt=message_id))
            .update(last_read_id=message_id)
        )
        if moved:
            frame = protocol.read_event(participant_id, username, message_id)
            transaction.on_commit(lambda: broadcast_sync(frame), robust=True)
    return bool(moved)
