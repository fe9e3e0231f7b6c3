"""Writes an author makes to a post already saved: edit its text (within WALL_EDIT_WINDOW, keeping
the earlier text as a PostRevision) or delete it (soft: hidden, marked as the author's doing). Each
broadcasts after commit, through the one bridge."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import errors, protocol, selectors, wordfilter
from ..errors import WallError
from ..live.bridge import broadcast_on_commit
from ..models import Image, Post, PostRevision
from .participants import participant_lock
from .posts import PostResult, clean_content, refuse_repeated_text


def _own_visible_post(*, author_id: int, post_id: int) -> Post:
    """The author's visible post `post_id`, locked until the transaction ends: no_such_post when it
    is missing or hidden (whoever wrote it: a hidden post's existence is not confirmed), forbidden
    when someone else wrote it."""
    post = Post.objects.select_for_update().filter(pk=post_id).first()
    if post is None or post.is_hidden:
        raise errors.no_such_post(post_id)
    if post.author_id != author_id:
        raise WallError("forbidden", "Only its author can change a post.")
    return post


def post_edit(*, author_id: int, post_id: int, content: str) -> PostResult:
    """Replace the text of the author's own post and broadcast `message_edited` after commit.

    The rules of a new post apply (wall.services.posts: too_long, empty unless it has an image,
    duplicate, banned; the consumer applies WALL_POST_RATE), plus: the post must be the author's
    (forbidden), visible (no_such_post), and saved at most WALL_EDIT_WINDOW seconds ago (too_late).
    The text it replaces is kept as a PostRevision. An unchanged text saves and broadcasts nothing
    (`created` is False in the result, so it does not count against the rate).
    """
    content = clean_content(content)
    screened = wordfilter.screen(content)  # raises blocked; may mask
    if screened.hold:
        # A visible post cannot go back to the held queue: the edit is refused, the post stays.
        reason = "it needs a moderator's review"
        raise WallError("blocked", f"This edit was refused: {reason}; send it as a new post.", reason=reason)
    content = screened.content
    with transaction.atomic():
        participant_lock(participant_id=author_id)
        post = _own_visible_post(author_id=author_id, post_id=post_id)
        now = timezone.now()
        window = settings.WALL_EDIT_WINDOW
        if now - post.created_at > timedelta(seconds=window):
            raise WallError("too_late", f"A post can be edited for {window:g} s after it is sent.")
        has_image = Image.objects.filter(post_id=post.pk).exists()
        if not content and not has_image:
            raise WallError("empty", "A post needs some text or an image.")
        if content == post.content:
            [payload] = selectors.post_payloads(post_ids=[post.pk])
            return PostResult(payload, created=False)
        if not has_image:
            refuse_repeated_text(author_id=author_id, content=content)
        payload = post_revise(post, content)
    return PostResult(payload, created=True)


def post_revise(post: Post, content: str) -> dict:
    """Give a locked post (in the caller's transaction) the new text `content`, already checked:
    the text it replaces is kept as a PostRevision, `edited_at` is now, and a visible post goes to
    every wall as `message_edited` after commit. For its author's `edit` and a moderator's edit in
    the admin (wall.moderation.post_edit). Returns the post's payload."""
    written_at = post.edited_at or post.created_at
    PostRevision.objects.create(post=post, content=post.content, written_at=written_at)
    post.content, post.edited_at = content, timezone.now()
    post.full_clean(exclude=["author", "reply_to"], validate_constraints=False)
    post.save(update_fields=["content", "edited_at"])
    [payload] = selectors.post_payloads(post_ids=[post.pk])
    if not post.is_hidden:
        broadcast_on_commit([protocol.message_edited_event(payload)])
    return payload


def post_delete_own(*, author_id: int, post_id: int) -> None:
    """Take back the author's own visible post: hidden as a moderator's hide is (`message_deleted`
    to every wall after commit), and marked `deleted_by_author` for moderators, who still see it in
    the admin. Raises no_such_post, forbidden or banned."""
    with transaction.atomic():
        participant_lock(participant_id=author_id)
        post = _own_visible_post(author_id=author_id, post_id=post_id)
        Post.objects.filter(pk=post.pk).update(is_hidden=True, deleted_by_author=True)
        broadcast_on_commit([protocol.message_deleted_event(post.pk)])
