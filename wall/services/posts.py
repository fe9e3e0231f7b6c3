"""Writes about posts: save one (after its author's rules), move a read pointer; each broadcasts
after commit. Also the text rules a post's content follows."""

from __future__ import annotations

import functools
import operator
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from .. import errors, moderation, protocol, selectors, wordfilter
from ..errors import WallError
from ..live.bridge import broadcast_on_commit
from ..models import Image, Participant, Post
from ..rates import Rate, configured_rate
from .participants import participant_lock

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
    # Waiting for a moderator (WALL_PREMODERATION): only its author and moderators are told.
    held: bool = False


def post_create(
    *,
    author_id: int,
    content: str,
    client_id: str | None = None,
    image_id: str | None = None,
    reply_to: int | None = None,
) -> PostResult:
    """Save a post and broadcast it after commit; a repeated client_id returns the first post.

    The author's row is locked while deciding (participant_lock), so its ban, resends and the
    same-text limit (WALL_DUPLICATE_RATE) hold across tabs and processes. The word filter may refuse
    the text (blocked), mask it, or hold the post for a moderator (wall.wordfilter). `image_id` must be an
    upload of the author's not yet in a post (invalid_image); with one, the text may be empty.
    `reply_to` must be a visible post (no_such_post).
    """
    content = clean_content(content)
    if not content and image_id is None:
        raise WallError("empty", "A post needs some text or an image.")
    screened = wordfilter.screen(content)  # raises blocked; may mask, or hold for a moderator
    content = screened.content
    post = Post(author_id=author_id, content=content, client_id=client_id, reply_to_id=reply_to)
    post.full_clean(exclude=["author", "reply_to"], validate_constraints=False)
    try:
        with transaction.atomic():
            author = participant_lock(participant_id=author_id)
            rate = configured_rate("WALL_DUPLICATE_RATE") if image_id is None else None
            resent, repeats = _earlier_posts(
                author_id=author_id, client_id=client_id, content=content, rate=rate
            )
            if resent:
                return _already_sent(author_id, client_id)
            original = None if reply_to is None else _visible_original(reply_to)
            if rate is not None:
                _refuse_repeated_text(repeats, rate)
            image = None if image_id is None else _image_to_post(author_id=author_id, image_id=int(image_id))
            held = screened.hold or moderation.holds_posts_of(author_id=author_id)
            post.is_hidden = post.is_held = held
            post.save()
            if image is not None:
                image.post = post
                image.save(update_fields=["post"])
            payload = selectors.new_post_payload(post, author=author, original=original, image=image)
            if held:
                moderation.held_on_commit(payload, author_id=author_id)
            else:
                broadcast_on_commit([protocol.message_event(payload)])
    except IntegrityError:
        # The same client_id raced in from another tab or process: the first one won.
        sent = None if client_id is None else _already_sent(author_id, client_id)
        if sent is None:
            raise
        return sent
    return PostResult(payload, created=True, held=held)


def _earlier_posts(
    *, author_id: int, client_id: str | None, content: str, rate: Rate | None
) -> tuple[bool, int | None]:
    """In one query: whether the author already saved a post with `client_id` (a resend), and how
    many times `content` was written within `rate`'s window (None without a rate: no same-text
    limit). Both arms read an index: (author, client_id) and (author, created_at) or (author,
    edited_at)."""
    wanted: dict[str, Q] = {}
    if client_id is not None:
        wanted["resent"] = Q(client_id=client_id)
    if rate is not None:
        since = timezone.now() - timedelta(seconds=rate.seconds)
        # Written in the window: saved then, or edited to this text then.
        wanted["repeats"] = Q(content=content) & (Q(created_at__gte=since) | Q(edited_at__gte=since))
    if not wanted:
        return False, None
    counts = (
        Post.objects.filter(author_id=author_id)
        .filter(functools.reduce(operator.or_, wanted.values()))
        .aggregate(**{name: Count("pk", filter=condition) for name, condition in wanted.items()})
    )
    return counts.get("resent", 0) > 0, counts.get("repeats")


def _visible_original(post_id: int) -> Post:
    """The visible post a reply answers, with its author (for the quote); else no_such_post."""
    original = Post.objects.select_related("author").filter(pk=post_id, is_hidden=False).first()
    if original is None:
        raise errors.no_such_post(post_id)
    return original


def _already_sent(author_id: int, client_id: str) -> PostResult | None:
    """The author's post with this client_id (a resend), not created again; None if there is none."""
    found = selectors.post_by_client_id(author_id=author_id, client_id=client_id)
    if found is None:
        return None
    payload, hidden = found
    held = hidden and Post.objects.filter(pk=payload["id"], is_held=True).exists()
    return PostResult(payload, created=False, hidden=hidden and not held, held=held)


def _image_to_post(*, author_id: int, image_id: int) -> Image:
    """The author's upload `image_id`, locked, if no post uses it yet; else invalid_image."""
    image = Image.objects.select_for_update().filter(pk=image_id).first()
    if image is None or image.uploader_id != author_id:
        raise WallError("invalid_image", f"There is no image {image_id} of yours; attach the image again.")
    if image.post_id is not None:
        raise WallError("invalid_image", "This image is already in a post; attach it again to post it again.")
    return image


def refuse_repeated_text(*, author_id: int, content: str) -> None:
    """Raise duplicate when the author already wrote this exact text WALL_DUPLICATE_RATE times in
    its window (a post saved or edited to it then; for post_edit, as post_create checks it)."""
    rate = configured_rate("WALL_DUPLICATE_RATE")
    if rate is not None:
        _, repeats = _earlier_posts(author_id=author_id, client_id=None, content=content, rate=rate)
        _refuse_repeated_text(repeats, rate)


def _refuse_repeated_text(repeats: int | None, rate: Rate) -> None:
    """Raise duplicate when the author already wrote this exact text `rate.limit` times in its
    window (WALL_DUPLICATE_RATE; `repeats` as counted by _earlier_posts)."""
    if repeats is not None and repeats >= rate.limit:
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
