"""Writes about reactions: one person's emoji on a post, on or off; and the counts a moderator's ban,
unban or delete changes. Everyone is sent the post's whole summary, read after the commit."""

from __future__ import annotations

from collections.abc import Iterable

import emoji as emoji_data
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import protocol, selectors
from ..errors import WallError
from ..live.bridge import broadcast_read_on_commit
from ..models import Post, Reaction
from .participants import participant_lock

# The longest emoji Unicode defines (a family or a flag of a subdivision) is under 16 code points;
# anything longer is refused before it is looked up.
EMOJI_MAX = 16


def clean_emoji(value: str) -> str:
    """`value` if it is exactly one emoji (Unicode's emoji data, through the `emoji` package: skin
    tones, ZWJ sequences and flags count as one), in its fully-qualified form ("❤" becomes "❤️", so
    one heart is one chip); raises invalid_emoji otherwise (text, two emoji, spaces around one)."""
    if len(value) > EMOJI_MAX or not emoji_data.is_emoji(value):
        raise WallError("invalid_emoji", "A reaction is one emoji.")
    qualified = emoji_data.emojize(emoji_data.demojize(value))
    return qualified if emoji_data.is_emoji(qualified) else value


def reaction_set(*, participant_id: int, post_id: int, emoji: str, on: bool) -> bool:
    """Add (`on`) or take back one's `emoji` on a visible post; True when that changed anything.

    After commit, everyone gets the post's `reactions`, read from the database. Raises invalid_emoji,
    no_such_post (missing or hidden), too_many_reactions (a new emoji past WALL_REACTIONS_PER_POST
    distinct ones), banned or invalid_token. The author's row, then the post's, are locked while
    deciding, as a ban and a hide lock them, so neither can slip between the check and the write;
    the unique constraint (post, participant, emoji) makes a repeat a no-op whatever the race.
    """
    emoji = clean_emoji(emoji)
    with transaction.atomic():
        participant_lock(participant_id=participant_id)
        post = Post.objects.select_for_update().filter(pk=post_id, is_hidden=False).only("id").first()
        if post is None:
            raise WallError("no_such_post", f"There is no post {post_id} on the wall.")
        mine = {"post_id": post_id, "participant_id": participant_id, "emoji": emoji}
        if on:
            _refuse_too_many(post_id=post_id, emoji=emoji)
            _, changed = Reaction.objects.get_or_create(**mine)
        else:
            changed = Reaction.objects.filter(**mine).delete()[0] > 0
        if changed:
            _changed([post_id])
    return changed


def _refuse_too_many(*, post_id: int, emoji: str) -> None:
    present = set(Reaction.objects.filter(post_id=post_id).values_list("emoji", flat=True).distinct())
    if emoji not in present and len(present) >= settings.WALL_REACTIONS_PER_POST:
        raise WallError(
            "too_many_reactions",
            f"A post carries at most {settings.WALL_REACTIONS_PER_POST} different emoji; use one of them.",
        )


def _changed(post_ids: list[int]) -> None:
    """Mark the posts' reactions changed (rev and time) and, after commit, send their summaries."""
    if not post_ids:
        return
    Post.objects.filter(pk__in=post_ids).update(
        reactions_rev=F("reactions_rev") + 1, reactions_changed_at=timezone.now()
    )
    broadcast_read_on_commit(
        lambda: [protocol.reactions_event(item) for item in selectors.reactions_items(post_ids=post_ids)]
    )


def reactions_recount(*, participant_ids: Iterable[int]) -> list[int]:
    """The posts these participants reacted to count differently now (a ban, an unban, a delete about
    to cascade): mark them changed, so everyone is sent their new counts after commit and a resuming
    page learns of it. Call inside the moderator's transaction, before a delete. Returns the post ids."""
    post_ids = sorted(
        set(
            Reaction.objects.filter(participant_id__in=list(participant_ids)).values_list(
                "post_id", flat=True
            )
        )
    )
    _changed(post_ids)
    return post_ids
