"""Renames: a participant takes a new name by the rules of a new one (wall.names), its old name is
kept from others for WALL_NAME_RESERVE_DAYS, and everyone is told after commit (`user_renamed`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import errors, names, protocol
from ..errors import WallError
from ..live.bridge import broadcast_on_commit
from ..models import NameReservation, Participant
from .participants import username_available


@dataclass(frozen=True)
class Renamed:
    """A rename that was saved: the participant's id, its new name and the one before."""

    id: int
    username: str
    previous: str


def participant_rename(*, participant_id: int, username: str, keep_old: bool = True) -> Renamed:
    """Give the participant the name `username`; raises invalid_username, username_taken,
    username_reserved (someone else's kept name), or invalid_token when it no longer exists.

    The old name is kept from others for WALL_NAME_RESERVE_DAYS days (`keep_old`; a moderator's
    rename of an impersonator need not keep it). A new spelling of one's own name (case, look-alike)
    is a rename too. Broadcasts `user_renamed` after commit (wall.live.bridge)."""
    with transaction.atomic():
        participant = Participant.objects.select_for_update().filter(pk=participant_id).first()
        if participant is None:
            raise errors.name_removed()
        name = username_available(username=username, for_participant=participant.id)
        if name == participant.username:
            raise WallError("invalid_username", f"{name} is your name already.", character=None)
        previous, previous_skeleton = participant.username, participant.username_skeleton
        participant.username = name
        try:
            with transaction.atomic():
                participant.save(update_fields=["username"])
        except IntegrityError:
            raise WallError("username_taken", f"The name {name} is taken.") from None
        # Taking back one's own kept name ends its keeping.
        NameReservation.objects.filter(
            participant=participant, username_skeleton=participant.username_skeleton
        ).delete()
        if keep_old and previous_skeleton != participant.username_skeleton:
            NameReservation.objects.create(
                participant=participant,
                username=previous,
                username_skeleton=names.skeleton(previous),
                until=timezone.now() + timedelta(days=settings.WALL_NAME_RESERVE_DAYS),
            )
        broadcast_on_commit([protocol.user_renamed_event(participant.id, name, previous)])
    return Renamed(participant.id, name, previous)


def name_release(*, reservation_id: int) -> None:
    """A moderator frees a kept name at once (the admin's "release")."""
    NameReservation.objects.filter(pk=reservation_id).delete()
