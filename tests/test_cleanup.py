"""`manage.py wall_cleanup`: uploads never posted and the files of deleted posts leave storage."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests import imagefiles
from wall import moderation, services
from wall.models import Image

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


@pytest.fixture
def alice() -> int:
    return services.participant_claim(username="Alice").id


def uploaded(uploader_id: int, *, hours_ago: float = 0) -> Image:
    image_id = int(services.image_upload(uploader_id=uploader_id, data=imagefiles.png())["id"])
    Image.objects.filter(pk=image_id).update(created_at=timezone.now() - timedelta(hours=hours_ago))
    return Image.objects.get(pk=image_id)


def paths(media: Path, image: Image) -> list[Path]:
    return [media / image.file.name, media / image.thumbnail.name]


def cleanup(*args: str) -> str:
    out = io.StringIO()
    call_command("wall_cleanup", *args, stdout=out)
    return out.getvalue()


def age_files(folder: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    for path in folder.rglob("*"):
        os.utime(path, (then, then))


def test_an_upload_never_posted_is_deleted_with_its_files_after_the_orphan_age(media, alice):
    old = uploaded(alice, hours_ago=25)
    output = cleanup()
    assert not Image.objects.filter(pk=old.pk).exists()
    assert not any(path.exists() for path in paths(media, old))
    assert "Deleted 1 images never posted in 24 hours" in output


def test_a_recent_upload_and_a_posted_image_are_kept(media, alice):
    recent = uploaded(alice, hours_ago=23)
    posted = uploaded(alice, hours_ago=48)
    services.post_create(author_id=alice, content="kept", image_id=str(posted.pk))
    age_files(media, hours=48)
    assert "Deleted 0 images never posted" in cleanup()
    assert Image.objects.count() == 2
    assert all(path.exists() for image in (recent, posted) for path in paths(media, image))


def test_hours_can_be_given_on_the_command_line(media, alice):
    image = uploaded(alice, hours_ago=2)
    cleanup("--hours", "1")
    assert not Image.objects.filter(pk=image.pk).exists()


def test_the_files_of_a_deleted_post_are_deleted(media, alice):
    image = uploaded(alice)
    post = services.post_create(author_id=alice, content="regrettable", image_id=str(image.pk)).post
    moderation.post_delete(post_ids=[int(post["id"])])
    assert all(path.exists() for path in paths(media, image))  # The row is gone, the files wait.
    age_files(media, hours=1)
    assert "and 2 files of deleted posts" in cleanup()
    assert not any(path.exists() for path in paths(media, image))


def test_a_hidden_posts_image_is_kept_for_unhiding(media, alice):
    image = uploaded(alice)
    post = services.post_create(author_id=alice, content="hidden", image_id=str(image.pk)).post
    moderation.post_hide(post_ids=[int(post["id"])])
    age_files(media, hours=48)
    cleanup()
    assert all(path.exists() for path in paths(media, image))


def test_a_stray_file_younger_than_the_grace_is_kept(media, alice):
    image = uploaded(alice)
    Image.objects.filter(pk=image.pk).delete()  # As if its upload had not committed yet.
    assert "and 0 files" in cleanup()
    assert all(path.exists() for path in paths(media, image))


def test_an_empty_media_folder_is_fine(media):
    assert "Deleted 0 images never posted in 24 hours, and 0 files" in cleanup()
