"""Readers' reports of posts: one per person per post; enough of them hide the post until a
moderator decides (WALL_REPORT_THRESHOLD), and moderators' pages keep a live count."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count

from . import moderation
from .errors import WallError
from .models import Post, Report
from .services import participant_lock


def report_create(*, reporter_id: int, post_id: int, reason: str, text: str = "") -> bool:
    """Record `reporter_id`'s report of a post; True when this report hid it.

    Raises bad_request for a post that does not exist or is hidden, own_post for one's own,
    already_reported for a second report of the same post, banned, invalid_token. The post is hidden
    (by the wall, through wall.moderation: its author is told) when WALL_REPORT_THRESHOLD distinct
    people reported it since a moderator last decided on it."""
    with transaction.atomic():
        participant_lock(participant_id=reporter_id)
        post = Post.objects.select_for_update().filter(pk=post_id, is_hidden=False).first()
        if post is None:
            raise WallError("bad_request", f"There is no post {post_id} to report.")
        if post.author_id == reporter_id:
            raise WallError("own_post", "You cannot report your own post.", id=str(post_id))
        try:
            with transaction.atomic():
                Report.objects.create(post=post, reporter_id=reporter_id, reason=reason, text=text)
        except IntegrityError:
            raise WallError("already_reported", "You already reported this post.", id=str(post_id)) from None
        reports = post.reports.all()
        if post.reviewed_at is not None:
            reports = reports.filter(created_at__gt=post.reviewed_at)
        count = reports.aggregate(people=Count("reporter", distinct=True))["people"]
        hide = count >= settings.WALL_REPORT_THRESHOLD and post.reviewed_at is None
        if hide:
            moderation.post_hide(
                post_ids=[post.pk], by=moderation.WALL, reason=f"reported by {count} people", review=False
            )
        moderation.reports_changed()
    return hide
