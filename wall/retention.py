"""Retention: old posts leave the database in short transactions, so the live wall never waits."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import Post


def posts_prune(*, older_than_days: int, batch_size: int = 1000) -> int:
    """Delete posts created more than `older_than_days` ago; returns how many were deleted.

    Open walls are not told: pruned posts are far above any reader's screen and are gone at the
    next reload or history page.
    """
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                Post.objects.filter(created_at__lt=cutoff)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return deleted
            Post.objects.filter(id__in=ids).delete()
        deleted += len(ids)
