"""Moderation writes: hide, unhide and delete posts; ban, unban and delete participants.

The admin is their only caller (no socket command reaches them). Each one changes the database in
one transaction and, after commit, tells every open wall in every process.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from . import errors, protocol, selectors
from .errors import WallError
from .live.bridge import broadcast_on_commit
from .models import Participant, Post
from .services.reactions import reactions_recount

REMOVED = WallError("invalid_token", "A moderator removed this name; choose a name again.")


def _deleted_events(post_ids: Iterable[int]) -> list[dict[str, Any]]:
    return [protocol.message_deleted_event(post_id) for post_id in sorted(post_ids)]


def _close_sockets_of(participant_ids: list[int], error: WallError) -> None:
    """After commit, each participant's open sockets, in every process, get `error` and close (1008)."""
    for participant_id in participant_ids:
        broadcast_on_commit(
            [protocol.error_event(error)], only_user=str(participant_id), close_code=protocol.CLOSE_POLICY
        )


def _locked_ids(queryset) -> list[int]:
    return list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))


def post_hide(*, post_ids: Iterable[int]) -> list[int]:
    """Hide the visible posts among `post_ids`; after commit `message_deleted` goes to every wall."""
    with transaction.atomic():
        hidden = _locked_ids(Post.objects.filter(pk__in=list(post_ids), is_hidden=False))
        Post.objects.filter(pk__in=hidden).update(is_hidden=True)
        broadcast_on_commit(_deleted_events(hidden))
    return hidden


def post_unhide(*, post_ids: Iterable[int]) -> list[int]:
    """Show hidden posts again; after commit each goes to every wall as `message`, oldest first.
    A post its author deleted stays hidden: the author took it back."""
    with transaction.atomic():
        shown = _locked_ids(
            Post.objects.filter(pk__in=list(post_ids), is_hidden=True, deleted_by_author=False)
        )
        Post.objects.filter(pk__in=shown).update(is_hidden=False)
        broadcast_on_commit(
            [protocol.message_event(post) for post in selectors.post_payloads(post_ids=shown)]
        )
    return shown


def post_delete(*, post_ids: Iterable[int]) -> list[int]:
    """Delete posts for good; after commit `message_deleted` goes to every wall for each."""
    with transaction.atomic():
        deleted = _locked_ids(Post.objects.filter(pk__in=list(post_ids)))
        Post.objects.filter(pk__in=deleted).delete()
        broadcast_on_commit(_deleted_events(deleted))
    return deleted


def participant_ban(*, participant_ids: Iterable[int], hide_posts: bool = False) -> list[int]:
    """Ban participants (optionally hiding all their posts); returns the ids newly banned.

    After commit, each newly banned participant's open sockets, in every process, get `error`
    `banned` and are closed with 1008. Posting also checks the ban in the database, so it holds
    even for a socket that missed this.
    """
    participant_ids = list(participant_ids)
    with transaction.atomic():
        banned = _locked_ids(Participant.objects.filter(pk__in=participant_ids, is_banned=False))
        Participant.objects.filter(pk__in=banned).update(is_banned=True)
        reactions_recount(participant_ids=banned)  # their reactions stop counting
        if hide_posts:
            post_hide(
                post_ids=Post.objects.filter(author_id__in=participant_ids, is_hidden=False).values_list(
                    "pk", flat=True
                )
            )
        _close_sockets_of(banned, errors.banned())
    return banned


def participant_unban(*, participant_ids: Iterable[int]) -> list[int]:
    """Lift bans; the participant may join and post again (its hidden posts stay hidden)."""
    with transaction.atomic():
        unbanned = _locked_ids(Participant.objects.filter(pk__in=list(participant_ids), is_banned=True))
        Participant.objects.filter(pk__in=unbanned).update(is_banned=False)
        reactions_recount(participant_ids=unbanned)  # and count again
    return unbanned


def participant_delete(*, participant_ids: Iterable[int]) -> list[int]:
    """Delete participants with all their posts; their names become free again.

    After commit every wall gets `message_deleted` for each of their posts, and their open sockets
    get `error` `invalid_token` and are closed with 1008.
    """
    with transaction.atomic():
        deleted = _locked_ids(Participant.objects.filter(pk__in=list(participant_ids)))
        post_ids = list(Post.objects.filter(author_id__in=deleted).values_list("pk", flat=True))
        reactions_recount(participant_ids=deleted)  # before the cascade takes their reactions
        Participant.objects.filter(pk__in=deleted).delete()
        broadcast_on_commit(_deleted_events(post_ids))
        _close_sockets_of(deleted, REMOVED)
    return deleted
