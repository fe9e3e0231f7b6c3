"""Reads: history pages of visible posts as plain dicts, and who holds a name."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Lower

from .models import Participant, Post
from .protocol import post_payload


@dataclass(frozen=True)
class HistoryPage:
    posts: list[dict]
    has_more: bool
    reset: bool = False


def _visible() -> QuerySet[Post]:
    return Post.objects.filter(is_hidden=False).select_related("author", "image")


def _newest_first(queryset: QuerySet[Post], limit: int) -> HistoryPage:
    rows = list(queryset.order_by("-id")[: limit + 1])
    has_more = len(rows) > limit
    return HistoryPage(posts=[post_payload(post) for post in reversed(rows[:limit])], has_more=has_more)


def post_list_recent(*, limit: int | None = None) -> HistoryPage:
    """The latest visible posts, oldest first."""
    return _newest_first(_visible(), limit or settings.WALL_HISTORY_LIMIT)


def post_list_before(*, before_id: int, limit: int) -> HistoryPage:
    """The page of visible posts just older than `before_id`, oldest first."""
    return _newest_first(_visible().filter(id__lt=before_id), limit)


def post_list_since(*, since_id: int) -> HistoryPage:
    """Every visible post newer than `since_id`; past WALL_RESUME_LIMIT, the recent page with reset."""
    limit = settings.WALL_RESUME_LIMIT
    rows = list(_visible().filter(id__gt=since_id).order_by("id")[: limit + 1])
    if len(rows) > limit:
        page = post_list_recent()
        return HistoryPage(posts=page.posts, has_more=page.has_more, reset=True)
    oldest = rows[0].id if rows else since_id + 1
    has_more = _visible().filter(id__lt=oldest).exists()
    return HistoryPage(posts=[post_payload(post) for post in rows], has_more=has_more)


def post_history_on_connect(*, since_id: int | None) -> HistoryPage:
    """What a new socket is sent first: the recent page, or what it missed since `since_id`."""
    if since_id is None:
        return post_list_recent()
    return post_list_since(since_id=since_id)


def participant_with_username(username: str) -> QuerySet[Participant]:
    """Participants holding `username`, compared without case (uses the unique Lower index)."""
    return Participant.objects.annotate(username_lower=Lower("username")).filter(
        username_lower=username.lower()
    )


def username_is_taken(*, username: str) -> bool:
    return participant_with_username(username).exists()


def connect_reads(*, since_id: int | None, user_ids: list[str]) -> tuple[HistoryPage, dict[str, str | None]]:
    """Both database reads a connecting socket needs, in one trip to the database thread."""
    return post_history_on_connect(since_id=since_id), read_pointers(user_ids=user_ids)


def read_pointers(*, user_ids: list[str]) -> dict[str, str | None]:
    """Each participant's read pointer (highest post id seen), by user id."""
    rows = Participant.objects.filter(pk__in=[int(uid) for uid in user_ids]).values_list("pk", "last_read_id")
    return {str(pk): (str(last_read) if last_read is not None else None) for pk, last_read in rows}
