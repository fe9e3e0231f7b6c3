"""Writes: name claims, posts and read pointers. Each validates like the admin and broadcasts on commit."""

from __future__ import annotations

import hashlib
import random
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from . import images, protocol
from .errors import WallError
from .live.bridge import broadcast_on_commit
from .models import USERNAME_PATTERN, Image, Participant, Post
from .selectors import participant_with_username
from .throttle import parse_rate

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
    is_banned: bool


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
        raise WallError("invalid_token", "This token owns no name; choose a name again.")
    participant = Participant.objects.filter(token_hash=hash_token(token)).first()
    if participant is None:
        raise WallError("invalid_token", "This token owns no name; choose a name again.")
    return Claim(participant.id, participant.username, token, participant.is_banned)


def participant_touch(*, participant_id: int) -> None:
    """Record that the participant was seen now."""
    Participant.objects.filter(pk=participant_id).update(last_seen_at=timezone.now())


# What shows nothing on its own, by Unicode general category: controls (Cc), format characters (Cf:
# zero-width space, soft hyphen, BOM, word joiner, bidi and tag characters) and separators (Zs, Zl, Zp);
# plus the few letters and symbols that render blank (Hangul fillers, the braille blank) or only pick a
# variant of a neighbour (Unicode's Default_Ignorable_Code_Point that are not Cf). The page applies the
# same rule before enabling Send: wall/static/wall/text.js, held equal by tests/test_text.py.
BLANK_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
BLANK_RANGES = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors
    (0x2800, 0x2800),  # braille pattern blank
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xE0100, 0xE01EF),  # variation selectors supplement
)


def is_blank(text: str) -> bool:
    """True when `text` would show nothing: every character is one of the above (or there are none)."""
    return all(_shows_nothing(char) for char in text)


def _shows_nothing(char: str) -> bool:
    if unicodedata.category(char) in BLANK_CATEGORIES:
        return True
    return any(low <= ord(char) <= high for low, high in BLANK_RANGES)


def clean_content(content: str) -> str:
    """Trim and check a post's text; raises too_long. Text that shows nothing (is_blank) becomes ""."""
    content = content.strip()
    if is_blank(content):
        return ""
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
    # A resent post that a moderator has hidden since: the sender is told it is gone.
    hidden: bool = False


def post_create(
    *, author_id: int, content: str, client_id: str | None = None, image_id: str | None = None
) -> PostResult:
    """Save a post and broadcast it after commit; a repeated client_id returns the first post.

    The author's row is locked while deciding, so its ban, resends and the same-text limit
    (WALL_DUPLICATE_RATE) hold across tabs and processes. `image_id` must be an upload of the
    author's not yet in a post (invalid_image); with one, the text may be empty.
    """
    content = clean_content(content)
    if not content and image_id is None:
        raise WallError("empty", "A post needs some text or an image.")
    post = Post(author_id=author_id, content=content, client_id=client_id)
    post.full_clean(exclude=["author"], validate_constraints=False)
    try:
        with transaction.atomic():
            author = Participant.objects.select_for_update().filter(pk=author_id).only("is_banned").first()
            if author is None:
                raise WallError("invalid_token", "This name was removed; choose a name again.")
            if author.is_banned:
                raise WallError("banned", "A moderator banned this name from the wall.")
            if client_id is not None:
                existing = (
                    Post.objects.select_related("author", "image")
                    .filter(author_id=author_id, client_id=client_id)
                    .first()
                )
                if existing is not None:
                    return PostResult(
                        protocol.post_payload(existing), created=False, hidden=existing.is_hidden
                    )
            image = None
            if image_id is None:
                _refuse_repeated_text(author_id=author_id, content=content)
            else:
                image = _image_to_post(author_id=author_id, image_id=int(image_id))
            post.save()
            if image is not None:
                image.post = post
                image.save(update_fields=["post"])
            post = Post.objects.select_related("author", "image").get(pk=post.pk)
            payload = protocol.post_payload(post)
            broadcast_on_commit([protocol.message_event(payload)])
    except IntegrityError:
        # The same client_id raced in from another tab or process: the first one won.
        existing = Post.objects.select_related("author", "image").get(
            author_id=author_id, client_id=client_id
        )
        return PostResult(protocol.post_payload(existing), created=False, hidden=existing.is_hidden)
    return PostResult(payload, created=True)


def _image_to_post(*, author_id: int, image_id: int) -> Image:
    """The author's upload `image_id`, locked, if no post uses it yet; else invalid_image."""
    image = Image.objects.select_for_update().filter(pk=image_id).first()
    if image is None or image.uploader_id != author_id:
        raise WallError("invalid_image", f"There is no image {image_id} of yours; attach the image again.")
    if image.post_id is not None:
        raise WallError("invalid_image", "This image is already in a post; attach it again to post it again.")
    return image


def _refuse_repeated_text(*, author_id: int, content: str) -> None:
    """Raise duplicate when the author already saved this exact text WALL_DUPLICATE_RATE times."""
    rate = parse_rate(settings.WALL_DUPLICATE_RATE)
    if rate is None:
        return
    since = timezone.now() - timedelta(seconds=rate.seconds)
    repeats = Post.objects.filter(author_id=author_id, created_at__gte=since, content=content).count()
    if repeats >= rate.limit:
        raise WallError(
            "duplicate",
            f"You already posted this {repeats} times in the last {rate.seconds:g} s; write something new.",
        )


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
            broadcast_on_commit([protocol.read_event(participant_id, username, message_id)])
    return bool(moved)


def image_upload(*, uploader_id: int, data: bytes) -> dict[str, str]:
    """Check and re-encode an uploaded image and store it for its uploader's next post.

    Returns {"id", "url"}. Raises images.ImageRefused (not an acceptable image; 429 past
    WALL_IMAGE_PENDING_MAX uploads waiting in the last hour) or WallError (banned, invalid_token).
    """
    processed = images.process_upload(data)
    name = secrets.token_hex(16)  # Unguessable: an image is reachable only through its post.
    image = Image(
        uploader_id=uploader_id,
        content_type=processed.image.content_type,
        width=processed.image.width,
        height=processed.image.height,
        thumbnail_width=processed.thumbnail.width,
        thumbnail_height=processed.thumbnail.height,
    )
    image.file.save(f"{name}.{processed.image.extension}", ContentFile(processed.image.data), save=False)
    image.thumbnail.save(
        f"{name}-thumb.{processed.thumbnail.extension}", ContentFile(processed.thumbnail.data), save=False
    )
    try:
        with transaction.atomic():
            uploader = (
                Participant.objects.select_for_update().filter(pk=uploader_id).only("is_banned").first()
            )
            if uploader is None:
                raise WallError("invalid_token", "This name was removed; choose a name again.")
            if uploader.is_banned:
                raise WallError("banned", "A moderator banned this name from the wall.")
            since = timezone.now() - timedelta(hours=1)
            waiting = Image.objects.filter(uploader_id=uploader_id, post__isnull=True, created_at__gte=since)
            if waiting.count() >= settings.WALL_IMAGE_PENDING_MAX:
                raise images.ImageRefused(
                    f"{settings.WALL_IMAGE_PENDING_MAX} of your images are waiting to be posted; "
                    "post them or try again later.",
                    429,
                )
            image.save()
    except BaseException:
        image.file.delete(save=False)
        image.thumbnail.delete(save=False)
        raise
    return {"id": str(image.pk), "url": image.file.url}
