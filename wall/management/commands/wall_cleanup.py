"""`manage.py wall_cleanup`: delete uploads never posted, and image files whose post was deleted."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wall.cleanup import UNREFERENCED_FILE_GRACE, images_cleanup


class Command(BaseCommand):
    help = (
        "Delete uploaded images never posted after WALL_IMAGE_ORPHAN_HOURS (or --hours), and image files "
        "no longer used by any post; safe from cron while the wall is live."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--hours", type=float, help="override WALL_IMAGE_ORPHAN_HOURS")

    def handle(self, *args, hours: float | None, **options) -> None:
        hours = hours if hours is not None else settings.WALL_IMAGE_ORPHAN_HOURS
        if hours < 0:
            raise CommandError("--hours must not be negative.")
        result = images_cleanup(older_than_hours=hours)
        minutes = int(UNREFERENCED_FILE_GRACE.total_seconds() // 60)
        self.stdout.write(
            f"Deleted {result.unposted} images never posted in {hours:g} hours, and "
            f"{result.unreferenced_files} files of deleted posts (older than {minutes} min)."
        )
