"""Reads: posts as their wire payload (plain dicts), history pages, and who holds a name."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMinute
from django.utils import timezone

from . import names, protocol
from .models import Image, Participant, Post, Reaction


@dataclass(frozen=True)
class HistoryPage:
    posts: list[dict]
    has_more: bool
    reset: bool = False
    # On a resume: posts the client may show (at or below `since`) whose author edited them since.
    edited: list[dict] = field(default_factory=list)
    # On a resume: reaction summaries (protocol.reactions_item) of posts at or below `since` whose
    # reactions changed since the page may have seen them.
    reactions: list[dict] | None = None


def _with_payload() -> QuerySet[Post]:
    """Posts with what their payload needs (the author's name, the image, the quoted original and
    its author) in the same query."""
    return Post.objects.select_related("author", "image", "reply_to__author")


def excerpt(content: str) -> str:
    """A reply's quote of its original: the first line that shows something, at most
    WALL_EXCERPT_MAX characters ("…" when cut); "" for a post that is only an image."""
    line = next((line.strip() for line in content.splitlines() if line.strip()), "")
    limit = settings.WALL_EXCERPT_MAX
    if len(line) > limit:
        return line[: limit - 1].rstrip() + "…"
    return line if line == content.strip() else f"{line} …"  # more lines follow


def reply_payload(post: Post) -> dict[str, str | None] | None:
    """The `reply_to` of a post read through `_with_payload`: null for no reply; the original's
    author and excerpt only while it is visible. Built here, from the database, so a hidden post's
    text never reaches a page through a reply's quote."""
    if post.reply_to_id is None:
        return None
    original = post.reply_to  # None (a LEFT JOIN miss) when a moderator deleted it for good
    if original is None or original.is_hidden:
        return protocol.reply_ref(post.reply_to_id, None, None)
    return protocol.reply_ref(original.id, original.author.username, excerpt(original.content))


_READ = object()  # post_payload's image: the one `_with_payload` read with the post


def post_payload(
    post: Post,
    reactions: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
    *,
    image: Image | object | None = _READ,
) -> dict[str, Any]:
    """The wire shape of a post read through `_with_payload` (no further query); `reactions` is its
    summary from `reaction_summaries` (none: an empty one), `names` the participants' names by their
    lower case, from `mentioned_names` (none: no mentions); `image` when the post was not read
    (new_post_payload)."""
    if image is _READ:
        image = getattr(post, "image", None)  # The reverse one-to-one raises (an AttributeError) when absent.
    return protocol.post_payload(
        post_id=post.id,
        author=post.author.username,
        content=post.content,
        created_at=post.created_at,
        client_id=post.client_id,
        edited_at=post.edited_at,
        reply_to=reply_payload(post),
        image_url=image.file.url if image else None,
        thumbnail=(
            protocol.thumbnail_ref(image.thumbnail.url, image.thumbnail_width, image.thumbnail_height)
            if image
            else None
        ),
        reactions=reactions,
        mentions=mentions_in(post.content, names or {}),
    )


def _payloads(posts: list[Post]) -> list[dict[str, Any]]:
    """The payloads of these posts, with their reactions and the names they mention each read in one
    more query for all of them (none when there is nothing to read)."""
    summaries = reaction_summaries(posts=posts)
    names = mentioned_names(contents=[post.content for post in posts])
    return [post_payload(post, summaries.get(post.id), names) for post in posts]


# `@name` as a word: not inside an address (a@b.com) or a longer name. Names are letters and digits
# of any script, "_" and "-" (wall/names.py); one with inner spaces cannot be mentioned. Kept equal
# to wall/static/wall/richtext.js's MENTION.
_MENTION_RE = re.compile(r"(?<![^\W_]|[_@-])@((?:[^\W]|-){2,32})(?![^\W]|-)")


def _mention_candidates(content: str) -> list[str]:
    return _MENTION_RE.findall(content)


def mentioned_names(*, contents: Iterable[str]) -> dict[str, str]:
    """The participants named as `@name` in any of `contents`, {lower case: their name}, in one query
    on the indexed skeleton column: "@bob" names "Bob", as a new name "bob" would be taken."""
    candidates = {name.lower() for content in contents for name in _mention_candidates(content)}
    if not candidates:
        return {}
    skeletons = {names.skeleton(candidate) for candidate in candidates}
    rows = Participant.objects.filter(username_skeleton__in=skeletons).values_list("username", flat=True)
    return {username.lower(): username for username in rows}


def mentions_in(content: str, names: dict[str, str]) -> list[str]:
    """The existing participants `content` mentions (`@name`, any case), as they spell their names,
    in the order first mentioned; `names` comes from `mentioned_names`."""
    found: dict[str, None] = {}
    for candidate in _mention_candidates(content):
        if candidate.lower() in names:
            found.setdefault(names[candidate.lower()], None)
    return list(found)


def reaction_summaries(*, posts: Iterable[Post]) -> dict[int, dict[str, Any]]:
    """Each post's reaction summary (protocol.reaction_summary), by post id, in one query.

    Banned participants' reactions are not counted. The rev comes from the post rows, read before
    the reactions: a summary is never older than the rev it carries.
    """
    revs = {post.id: post.reactions_rev for post in posts}
    rows: dict[int, list[tuple[str, str]]] = {post_id: [] for post_id in revs}
    if any(revs.values()):  # A post never reacted to has rev 0: nothing to read.
        reactions = (
            Reaction.objects.filter(post_id__in=[pk for pk, rev in revs.items() if rev])
            .filter(participant__is_banned=False)
            .order_by("id")
            .values_list("post_id", "emoji", "participant__username")
        )
        for post_id, emoji, username in reactions:
            rows[post_id].append((emoji, username))
    return {post_id: protocol.reaction_summary(rows[post_id], rev) for post_id, rev in revs.items()}


def reactions_items(*, post_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The reactions of the visible posts among `post_ids`, as `reactions` events carry them (read after
    the change committed: what everyone is sent). Hidden posts' reactions are nobody's business."""
    posts = list(Post.objects.filter(pk__in=list(post_ids), is_hidden=False).only("id", "reactions_rev"))
    summaries = reaction_summaries(posts=posts)
    return [protocol.reactions_item(post_id, summaries[post_id]) for post_id in sorted(summaries)]


def new_post_payload(
    post: Post, *, author: Participant, original: Post | None, image: Image | None
) -> dict[str, Any]:
    """The payload of a post just saved, from what its saving already holds instead of reading it
    back: its author (with the name), the visible original it replies to (with its author) or None,
    and its image or None. Only the names it mentions are read (a new post has no reactions). The
    same shape as post_payloads gives (tests/test_services.py holds them equal)."""
    post.author = author
    post.reply_to = original
    return post_payload(post, None, mentioned_names(contents=[post.content]), image=image)


def post_payloads(*, post_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The payloads of these posts, hidden or not, oldest first, in one query."""
    return _payloads(list(_with_payload().filter(pk__in=list(post_ids)).order_by("pk")))


def post_by_client_id(*, author_id: int, client_id: str) -> tuple[dict[str, Any], bool] | None:
    """The author's post sent with `client_id` (a resend): its payload and whether it is hidden."""
    post = _with_payload().filter(author_id=author_id, client_id=client_id).first()
    return None if post is None else (_payloads([post])[0], post.is_hidden)


def _visible() -> QuerySet[Post]:
    return _with_payload().filter(is_hidden=False)


def _newest_first(queryset: QuerySet[Post], limit: int) -> HistoryPage:
    rows = list(queryset.order_by("-id")[: limit + 1])
    has_more = len(rows) > limit
    return HistoryPage(posts=_payloads(list(reversed(rows[:limit]))), has_more=has_more)


def post_list_recent(*, limit: int | None = None) -> HistoryPage:
    """The latest visible posts, oldest first."""
    return _newest_first(_visible(), limit or settings.WALL_HISTORY_LIMIT)


def post_list_before(*, before_id: int, limit: int) -> HistoryPage:
    """The page of visible posts just older than `before_id`, oldest first."""
    return _newest_first(_visible().filter(id__lt=before_id), limit)


def post_list_since(*, since_id: int) -> HistoryPage:
    """What a resuming page missed: every visible post newer than `since_id`, plus the visible posts
    at or below it saved less than WALL_RESUME_OVERLAP seconds before it, oldest first (the page
    merges by id). Past WALL_RESUME_LIMIT, the recent page with reset.

    The overlap closes the gap that out-of-order commits leave: post 10's transaction can commit
    after post 11's, so a page that saw 11 and reconnected with since=11 would never get 10.
    """
    limit = settings.WALL_RESUME_LIMIT
    newer = list(_visible().filter(id__gt=since_id).order_by("id")[: limit + 1])
    if len(newer) > limit:
        page = post_list_recent()
        return HistoryPage(posts=page.posts, has_more=page.has_more, reset=True)
    window_start = _resume_window_start(since_id=since_id)
    rows = [*reversed(_committed_late(since_id=since_id, window_start=window_start)), *newer]
    edited = _edited_since(since_id=since_id, window_start=window_start, skip={post.id for post in rows})
    reacted = _reactions_changed_since(since_id=since_id, window_start=window_start)
    if edited is None or reacted is None:
        page = post_list_recent()
        return HistoryPage(posts=page.posts, has_more=page.has_more, reset=True)
    oldest = rows[0].id if rows else since_id + 1
    has_more = _visible().filter(id__lt=oldest).exists()
    return HistoryPage(posts=_payloads(rows), has_more=has_more, edited=_payloads(edited), reactions=reacted)


def _reactions_changed_since(*, since_id: int, window_start: datetime | None) -> list[dict] | None:
    """Reactions a resuming page may have missed: those of visible posts up to `since_id` changed
    from `window_start` on (the page was there when post `since` arrived, so anything it missed
    changed later), oldest post first; None past WALL_RESUME_LIMIT (the caller resets)."""
    if window_start is None:
        return []
    limit = settings.WALL_RESUME_LIMIT
    changed = list(
        Post.objects.filter(id__lte=since_id, is_hidden=False, reactions_changed_at__gte=window_start)
        .only("id", "reactions_rev")
        .order_by("id")[: limit + 1]
    )
    if len(changed) > limit:
        return None
    summaries = reaction_summaries(posts=changed)
    return [protocol.reactions_item(post.id, summaries[post.id]) for post in changed]


def _resume_window_start(*, since_id: int) -> datetime | None:
    """WALL_RESUME_OVERLAP seconds before the `since` post (or the newest below it) was saved: what
    a resuming page may not have seen is what committed after that."""
    anchor = (
        Post.objects.filter(id__lte=since_id).order_by("-id").values_list("created_at", flat=True).first()
    )
    return None if anchor is None else anchor - timedelta(seconds=settings.WALL_RESUME_OVERLAP)


def _edited_since(*, since_id: int, window_start: datetime | None, skip: set[int]) -> list[Post] | None:
    """Visible posts at or below `since_id` edited from `window_start` on, oldest first (None past
    WALL_RESUME_LIMIT: the caller resets).

    A page that shows post `since` learned of it after it was saved, so it holds every edit made
    before then (less the overlap, for a late commit): only edits from then on can be missing. Some
    it may have had live already; the page applies an edit by id and `edited_at`, so a repeat is
    harmless.
    """
    if window_start is None:
        return []
    limit = settings.WALL_RESUME_LIMIT
    rows = list(
        _visible()
        .filter(id__lte=since_id, edited_at__gte=window_start)
        .exclude(id__in=skip)
        .order_by("id")[: limit + 1]
    )
    return None if len(rows) > limit else rows


def _committed_late(*, since_id: int, window_start: datetime | None) -> list[Post]:
    """Visible posts with ids below `since_id` that may have committed after it, newest first."""
    if window_start is None:
        return []
    candidates = _visible().filter(id__lt=since_id).order_by("-id")[: settings.WALL_RESUME_OVERLAP_MAX]
    return list(itertools.takewhile(lambda post: post.created_at >= window_start, candidates))


def post_history_on_connect(*, since_id: int | None) -> HistoryPage:
    """What a new socket is sent first: the recent page, or what it missed since `since_id`."""
    if since_id is None:
        return post_list_recent()
    return post_list_since(since_id=since_id)


def hidden_posts(*, limit: int) -> list[dict[str, Any]]:
    """The latest `limit` hidden posts, oldest first, as moderators see them (protocol.hidden_item)."""
    rows = list(_with_payload().filter(is_hidden=True).order_by("-id")[:limit])
    return [
        protocol.hidden_item(post_payload(post), hidden_by=post.hidden_by, reason=post.hidden_reason)
        for post in reversed(rows)
    ]


def held_posts(*, author_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Posts waiting for a moderator (WALL_PREMODERATION), oldest first: all, or one author's."""
    rows = _with_payload().filter(is_held=True).order_by("id")
    if author_id is not None:
        rows = rows.filter(author_id=author_id)
    return [post_payload(post) for post in rows[:limit]]


def held_count() -> int:
    """How many posts wait for a moderator's approval."""
    return Post.objects.filter(is_held=True).count()


def open_report_count() -> int:
    """Posts with reports no moderator has settled: made after its last decision (Post.reviewed_at)."""
    return (
        Post.objects.filter(reports__isnull=False)
        .filter(Q(reviewed_at__isnull=True) | Q(reports__created_at__gt=F("reviewed_at")))
        .distinct()
        .count()
    )


def username_holder(*, skeleton: str) -> int | None:
    """The id of the participant whose name has this confusable skeleton (wall.names.skeleton), if any."""
    return Participant.objects.filter(username_skeleton=skeleton).values_list("pk", flat=True).first()


def connect_reads(
    *, since_id: int | None, user_ids: list[str]
) -> tuple[HistoryPage, dict[str, tuple[str, str | None]]]:
    """Both database reads a connecting socket needs, in one trip to the database thread."""
    return post_history_on_connect(since_id=since_id), readers(user_ids=user_ids)


def readers(*, user_ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Each participant's current name and read pointer (highest post id seen), by user id. The name
    is the database's, so a rename shows at once whatever presence last recorded."""
    rows = Participant.objects.filter(pk__in=[int(uid) for uid in user_ids]).values_list(
        "pk", "username", "last_read_id"
    )
    return {
        str(pk): (username, str(last_read) if last_read is not None else None)
        for pk, username, last_read in rows
    }


def post_counts_per_minute(*, minutes: int = 60) -> list[int]:
    """Posts saved in each of the last `minutes` whole minutes up to now, oldest first (hidden ones
    too: this is activity, for the admin dashboard)."""
    now = timezone.now().replace(second=0, microsecond=0)
    since = now - timedelta(minutes=minutes - 1)
    rows = (
        Post.objects.filter(created_at__gte=since)
        .annotate(minute=TruncMinute("created_at"))
        .values("minute")
        .annotate(count=Count("id"))
    )
    counts = [0] * minutes
    for row in rows:
        index = int((row["minute"] - since).total_seconds() // 60)
        if 0 <= index < minutes:
            counts[index] = row["count"]
    return counts
