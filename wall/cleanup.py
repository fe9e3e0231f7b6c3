"""Cleanup of image storage: uploads never posted, and files no image row refers to any more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from .models import Image

IMAGES_DIR = "images"
# A file is written just before its row commits; one younger than this may be an upload in flight.
UNREFERENCED_FILE_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class CleanupResult:
    unposted: int  # image rows (with their files) deleted because no post ever used them
    unreferenced_files: int  # files deleted because no row refers to them (their post was deleted)


def images_cleanup(*, older_than_hours: float, batch_size: int = 500) -> CleanupResult:
    """Delete uploads older than `older_than_hours` that no post uses, then stray image files.

    A stray file is one whose row is gone: its post (or its author) was deleted by a moderator or by
    `wall_prune`. Files of hidden posts stay, so unhiding shows the image again.
    """
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    unposted = 0
    while True:
        with transaction.atomic():
            # Locked, so a post taking one of them now waits, then finds it gone (invalid_image).
            rows = list(
                Image.objects.select_for_update()
                .filter(post__isnull=True, created_at__lt=cutoff)
                .order_by("pk")[:batch_size]
            )
            if not rows:
                break
            Image.objects.filter(pk__in=[row.pk for row in rows], post__isnull=True).delete()
            names = [name for row in rows for name in (row.file.name, row.thumbnail.name)]
            transaction.on_commit(lambda names=names: _delete_files(names))
        unposted += len(rows)
    return CleanupResult(unposted=unposted, unreferenced_files=_delete_unreferenced_files())


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _delete_unreferenced_files() -> int:
    """Delete files under images/ that no Image row names, once past UNREFERENCED_FILE_GRACE."""
    cutoff = timezone.now() - UNREFERENCED_FILE_GRACE
    deleted = 0
    for folder in _folders(IMAGES_DIR):
        _, files = default_storage.listdir(folder)
        if not files:
            continue
        prefix = f"{folder}/"
        known = set(Image.objects.filter(file__startswith=prefix).values_list("file", flat=True))
        known |= set(Image.objects.filter(thumbnail__startswith=prefix).values_list("thumbnail", flat=True))
        for filename in files:
            name = f"{prefix}{filename}"
            if name not in known and _modified_before(name, cutoff):
                default_storage.delete(name)
                deleted += 1
    return deleted


def _folders(top: str) -> list[str]:
    """`top` and every folder below it, in storage names."""
    if not default_storage.exists(top):
        return []
    found = [top]
    subfolders, _ = default_storage.listdir(top)
    for sub in subfolders:
        found.extend(_folders(f"{top}/{sub}"))
    return found


def _modified_before(name: str, cutoff: datetime) -> bool:
    try:
        return default_storage.get_modified_time(name) < cutoff
    except FileNotFoundError:
        return False
