"""Retention: `wall_prune` deletes old posts only, in batches, and needs a retention to act."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from wall.models import Participant, Post

pytestmark = pytest.mark.django_db


def make_post(days_old: float, **overrides) -> Post:
    author, _ = Participant.objects.get_or_create(username="Old", defaults={"token_hash": "x" * 64})
    post = Post.objects.create(author=author, content=overrides.get("content", "text"))
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(days=days_old))
    return post


def test_prune_deletes_posts_older_than_the_retention_only(settings):
    settings.WALL_RETENTION_DAYS = 30
    old = [make_post(40) for _ in range(5)]
    recent = make_post(10)
    call_command("wall_prune", batch=2)
    assert not Post.objects.filter(pk__in=[post.pk for post in old]).exists()
    assert Post.objects.filter(pk=recent.pk).exists()


def test_prune_days_option_overrides_the_setting(settings):
    settings.WALL_RETENTION_DAYS = None
    make_post(3)
    call_command("wall_prune", days=2)
    assert Post.objects.count() == 0


def test_prune_without_a_retention_refuses_to_guess(settings):
    settings.WALL_RETENTION_DAYS = None
    make_post(400)
    with pytest.raises(CommandError, match="WALL_RETENTION_DAYS"):
        call_command("wall_prune")
    assert Post.objects.count() == 1
