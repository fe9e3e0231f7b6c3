"""`manage.py wall_prune`: delete posts older than WALL_RETENTION_DAYS, in small batches."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wall.retention import posts_prune


class Command(BaseCommand):
    help = "Delete posts older than WALL_RETENTION_DAYS (or --days); safe from cron while the wall is live."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, help="override WALL_RETENTION_DAYS")
        parser.add_argument("--batch", type=int, default=1000, help="posts deleted per transaction")

    def handle(self, *args, days: int | None, batch: int, **options) -> None:
        days = days if days is not None else settings.WALL_RETENTION_DAYS
        if days is None:
            raise CommandError("No retention set: set WALL_RETENTION_DAYS or pass --days.")
        if days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = posts_prune(older_than_days=days, batch_size=batch)
        self.stdout.write(f"Deleted {deleted} posts older than {days} days.")
