"""Writes about images: store an upload, checked and re-encoded, for its uploader's next post."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .. import images
from ..errors import WallError
from ..models import Image
from .participants import Claim, participant_by_token, participant_lock


def uploader_by_token(*, token: str) -> Claim:
    """Who uploads with `token`: raises invalid_token, or banned before any byte is decoded (the
    ban is checked again, under the row lock, when the upload is stored)."""
    claim = participant_by_token(token=token)
    claim.refuse_if_banned()
    return claim


def image_upload(*, uploader_id: int, data: bytes) -> dict[str, str]:
    """Check and re-encode an uploaded image and store it for its uploader's next post.

    Returns {"id", "url"}. Raises WallError: invalid_image or too_large (wall.images), rate_limited
    past WALL_IMAGE_PENDING_MAX uploads waiting in the last hour, banned or invalid_token.
    """
    processed = images.process_upload(data)
    name = secrets.token_hex(16)  # Unguessable: an image is reachable only through its post.
    image = Image(
        uploader_id=uploader_id,
        content_type=processed.image.content_type,
        width=processed.image.width,
        height=processed.image.height,
        thumbnail_width=processed.thumbnail.width,
        thumbnail_height=processed.thumbnail.height,
    )
    image.file.save(f"{name}.{processed.image.extension}", ContentFile(processed.image.data), save=False)
    image.thumbnail.save(
        f"{name}-thumb.{processed.thumbnail.extension}", ContentFile(processed.thumbnail.data), save=False
    )
    try:
        with transaction.atomic():
            participant_lock(participant_id=uploader_id)
            _refuse_too_many_waiting(uploader_id=uploader_id)
            image.save()
    except BaseException:
        image.file.delete(save=False)
        image.thumbnail.delete(save=False)
        raise
    return {"id": str(image.pk), "url": image.file.url}


def _refuse_too_many_waiting(*, uploader_id: int) -> None:
    since = timezone.now() - timedelta(hours=1)
    waiting = Image.objects.filter(uploader_id=uploader_id, post__isnull=True, created_at__gte=since)
    if waiting.count() >= settings.WALL_IMAGE_PENDING_MAX:
        raise WallError(
            "rate_limited",
            f"{settings.WALL_IMAGE_PENDING_MAX} of your images are waiting to be posted; "
            "post them or try again later.",
        )
