"""Moderation writes: hide, unhide and delete posts; ban, unban and delete participants.

Two doors lead here: the admin, and a moderator's own wall page (the `page_*` functions, which check
the Django session's `wall.moderate_post` permission on every call). Each write changes the database
in one transaction, records itself in the audit trail (ModerationAction), and after commit tells
every open wall in every process.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from . import errors, protocol, selectors
from .errors import WallError
from .live.bridge import MODERATORS, OTHERS, broadcast_on_commit
from .models import Image, ModerationAction, Participant, Post, Report
from .services.edits import post_revise
from .services.posts import clean_content
from .services.reactions import reactions_recount

REMOVED = WallError("invalid_token", "A moderator removed this name; choose a name again.")
PERMISSION = "wall.moderate_post"
# What a moderator may pick on the page for a ban's length; None is for good.
BAN_DURATIONS: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "forever": None,
}


@dataclass(frozen=True)
class Actor:
    """Who moderates, for the audit trail: a Django user on the page or in the admin, or the wall
    itself (`user_id` None, as for a post hidden by its reports)."""

    source: str  # "page", "admin" or "wall"
    user_id: int | None = None
    name: str = ""

    @classmethod
    def of(cls, user: Any, source: str) -> Actor:
        """The actor for a Django user (the admin's request.user, the page's session user)."""
        return cls(source, user.pk, user.get_username())


ADMIN = Actor("admin")  # an admin write whose caller did not say who (a shell, an older caller)
WALL = Actor("wall")


def _record(
    by: Actor,
    action: str,
    *,
    post: Post | None = None,
    participant: Participant | None = None,
    reason: str = "",
    until: datetime | None = None,
) -> None:
    author = participant or (post.author if post is not None else None)
    target = f"post #{post.pk} by {post.author.username}" if post is not None else str(author)
    ModerationAction.objects.create(
        moderator_id=by.user_id,
        moderator_name=by.name,
        source=by.source,
        action=action,
        post_id=post.pk if post is not None else None,
        participant_id=author.pk if author is not None else None,
        target=target[:200],
        reason=reason,
        until=until,
    )


def _close_sockets_of(participant_ids: list[int], error: WallError) -> None:
    """After commit, each participant's open sockets, in every process, get `error` and close (1008)."""
    for participant_id in participant_ids:
        broadcast_on_commit(
            [protocol.error_event(error)], only_user=str(participant_id), close_code=protocol.CLOSE_POLICY
        )


def _locked(queryset) -> list:
    return list(queryset.select_for_update(of=("self",)).select_related("author").order_by("pk"))


def _locked_ids(queryset) -> list[int]:
    return list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))


def reports_changed() -> None:
    """After commit, moderators' sockets get the count of posts with open reports (`reports`);
    called when it may have changed (a report, a decision on a reported post)."""
    broadcast_on_commit([protocol.reports_event(selectors.open_report_count())], audience=MODERATORS)


def post_edit(*, post_id: int, content: str, by: Actor = ADMIN) -> bool:
    """A moderator replaces a post's text, at any time (issue 14, part 1; the author's own `edit`
    has WALL_EDIT_WINDOW): the earlier text is kept as a PostRevision, the audit trail records it,
    and a visible post reaches every wall as `message_edited`. Raises too_long, or empty for a post
    without an image, as a new post would; False when the post is gone or the text unchanged."""
    content = clean_content(content)
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("author").filter(pk=post_id).first()
        if post is None or content == post.content:
            return False
        if not content and not Image.objects.filter(post_id=post.pk).exists():
            raise WallError("empty", "A post needs some text or an image.")
        post_revise(post, content)
        _record(by, "edit", post=post)
    return True


def post_hide(
    *, post_ids: Iterable[int], by: Actor = ADMIN, reason: str = "", review: bool = True
) -> list[int]:
    """Hide the visible posts among `post_ids`; returns the ids hidden. A moderator's hide
    (`review`) settles the posts' reports; the wall's own (reports) leaves them for a moderator.

    After commit: `message_deleted` to every socket but moderators', `post_hidden` (the post, who
    hid it and why) to moderators', and `message_hidden` (id and reason) to each author's own."""
    with transaction.atomic():
        # A held post is hidden already: hiding it is rejecting it (it leaves the held queue).
        posts = _locked(Post.objects.filter(Q(is_hidden=False) | Q(is_held=True), pk__in=list(post_ids)))
        hidden = [post.pk for post in posts]
        changes = {"reviewed_at": timezone.now()} if review else {}
        Post.objects.filter(pk__in=hidden).update(
            is_hidden=True, is_held=False, hidden_by=by.name, hidden_reason=reason, **changes
        )
        for post in posts:
            _record(by, "hide", post=post, reason=reason)
        broadcast_on_commit([protocol.message_deleted_event(pk) for pk in hidden], audience=OTHERS)
        broadcast_on_commit(
            [
                protocol.post_hidden_event(payload, hidden_by=by.name, reason=reason)
                for payload in selectors.post_payloads(post_ids=hidden)
            ],
            audience=MODERATORS,
        )
        for post in posts:
            broadcast_on_commit(
                [protocol.message_hidden_event(post.pk, reason, by_wall=by.source == "wall")],
                only_user=str(post.author_id),
            )
        if review and Report.objects.filter(post_id__in=hidden).exists():
            reports_changed()
    return hidden


def post_unhide(*, post_ids: Iterable[int], by: Actor = ADMIN) -> list[int]:
    """Show hidden posts again; after commit each goes to every wall as `message`, oldest first.
    A post its author deleted stays hidden (the author took it back), and a held one waits for
    `post_approve`."""
    with transaction.atomic():
        posts = _locked(
            Post.objects.filter(pk__in=list(post_ids), is_hidden=True, is_held=False, deleted_by_author=False)
        )
        shown = [post.pk for post in posts]
        Post.objects.filter(pk__in=shown).update(
            is_hidden=False, hidden_by="", hidden_reason="", reviewed_at=timezone.now()
        )
        for post in posts:
            _record(by, "unhide", post=post)
        broadcast_on_commit(
            [protocol.message_event(post) for post in selectors.post_payloads(post_ids=shown)]
        )
        if Report.objects.filter(post_id__in=shown).exists():
            reports_changed()
    return shown


def post_reports_dismiss(*, post_ids: Iterable[int], by: Actor = ADMIN) -> list[int]:
    """A moderator looked at reported posts and leaves them as they are: their reports are settled
    (and a post the reports hid stays hidden until unhidden). Returns the ids."""
    with transaction.atomic():
        posts = _locked(Post.objects.filter(pk__in=list(post_ids)))
        Post.objects.filter(pk__in=[post.pk for post in posts]).update(reviewed_at=timezone.now())
        for post in posts:
            _record(by, "dismiss", post=post)
        reports_changed()
    return [post.pk for post in posts]


# --- held posts (WALL_PREMODERATION) ---------------------------------------------------------------


def holds_posts_of(*, author_id: int) -> bool:
    """Whether a new post of this author waits for a moderator: WALL_PREMODERATION is on and the
    author is not trusted (Participant.is_trusted)."""
    if not settings.WALL_PREMODERATION:
        return False
    return not Participant.objects.filter(pk=author_id, is_trusted=True).exists()


def held_on_commit(post: dict[str, Any], *, author_id: int) -> None:
    """After commit, a new held post goes to its author's sockets (`message_held`) and moderators'
    (`held`), and nowhere else."""
    broadcast_on_commit([protocol.message_held_event(post)], only_user=str(author_id))
    broadcast_on_commit([protocol.held_event(post)], audience=MODERATORS)


def post_approve(*, post_ids: Iterable[int], by: Actor = ADMIN) -> list[int]:
    """Approve held posts, in the order given; returns their new ids.

    Each is saved again as a new post, so that ids keep following the order in which posts became
    visible (history pages, `?since=` resumes and every page place posts by id): an approved post is
    the newest. The held row goes (its image moves over). After commit, for each: `message_deleted`
    of the held id (its author's page drops the waiting copy, moderators' their queue entry), then
    `message` of the new post to every socket, in the order of approval."""
    approved: list[int] = []
    with transaction.atomic():
        for post_id in post_ids:
            held = Post.objects.select_for_update().filter(pk=post_id, is_held=True).first()
            if held is None:
                continue
            held_id, client_id = held.pk, held.client_id
            fresh = Post.objects.create(author_id=held.author_id, content=held.content)
            Image.objects.filter(post_id=held_id).update(post=fresh)
            _record(by, "approve", post=fresh, reason=f"held as #{held_id}")
            held.delete()  # first: the client_id is unique per author
            Post.objects.filter(pk=fresh.pk).update(client_id=client_id)
            [payload] = selectors.post_payloads(post_ids=[fresh.pk])
            broadcast_on_commit([protocol.message_deleted_event(held_id), protocol.message_event(payload)])
            approved.append(fresh.pk)
    return approved


def participant_trust(*, participant_ids: Iterable[int], trusted: bool, by: Actor = ADMIN) -> list[int]:
    """Trust participants (their posts skip the held queue) or stop; returns the ids changed."""
    with transaction.atomic():
        participants = list(
            Participant.objects.select_for_update()
            .filter(pk__in=list(participant_ids), is_trusted=not trusted)
            .order_by("pk")
        )
        Participant.objects.filter(pk__in=[p.pk for p in participants]).update(is_trusted=trusted)
        for participant in participants:
            _record(by, "trust" if trusted else "untrust", participant=participant)
    return [participant.pk for participant in participants]


def post_delete(*, post_ids: Iterable[int], by: Actor = ADMIN) -> list[int]:
    """Delete posts for good; after commit `message_deleted` goes to every wall for each."""
    with transaction.atomic():
        posts = _locked(Post.objects.filter(pk__in=list(post_ids)))
        deleted = [post.pk for post in posts]
        for post in posts:
            _record(by, "delete", post=post)
        Post.objects.filter(pk__in=deleted).delete()
        broadcast_on_commit([protocol.message_deleted_event(pk) for pk in deleted])
    return deleted


def participant_ban(
    *,
    participant_ids: Iterable[int],
    hide_posts: bool = False,
    by: Actor = ADMIN,
    reason: str = "",
    until: datetime | None = None,
) -> list[int]:
    """Ban participants until `until` (None: for good), optionally hiding all their posts; returns
    the ids banned: those not banned already, and those whose ban changes (a longer one, a reason).

    After commit, each banned participant's open sockets, in every process, get `error` `banned`
    (with reason and end) and are closed with 1008, and moderators' sockets get `user_banned`.
    Posting also checks the ban in the database, so it holds even for a socket that missed this.
    """
    participant_ids = list(participant_ids)
    now = timezone.now()
    with transaction.atomic():
        unchanged = Q(is_banned=True, ban_reason=reason) & (
            Q(banned_until__isnull=True) if until is None else Q(banned_until=until)
        )
        in_force = Q(is_banned=True) & (Q(banned_until__isnull=True) | Q(banned_until__gt=now))
        participants = list(
            Participant.objects.select_for_update()
            .filter(pk__in=participant_ids)
            .exclude(unchanged & in_force)
            .order_by("pk")
        )
        banned = [participant.pk for participant in participants]
        Participant.objects.filter(pk__in=banned).update(
            is_banned=True, banned_until=until, ban_reason=reason
        )
        for participant in participants:
            _record(by, "ban", participant=participant, reason=reason, until=until)
        reactions_recount(participant_ids=banned)  # their reactions stop counting
        if hide_posts:
            post_hide(
                post_ids=Post.objects.filter(author_id__in=participant_ids, is_hidden=False).values_list(
                    "pk", flat=True
                ),
                by=by,
                reason=reason or "banned",
            )
        _close_sockets_of(banned, errors.banned(reason, until))
        broadcast_on_commit(
            [protocol.user_banned_event(p.pk, p.username, reason=reason, until=until) for p in participants],
            audience=MODERATORS,
        )
    return banned


def participant_unban(*, participant_ids: Iterable[int], by: Actor = ADMIN) -> list[int]:
    """Lift bans; the participant may join and post again (its hidden posts stay hidden)."""
    with transaction.atomic():
        participants = list(
            Participant.objects.select_for_update()
            .filter(pk__in=list(participant_ids), is_banned=True)
            .order_by("pk")
        )
        unbanned = [participant.pk for participant in participants]
        Participant.objects.filter(pk__in=unbanned).update(is_banned=False, banned_until=None, ban_reason="")
        for participant in participants:
            _record(by, "unban", participant=participant)
        reactions_recount(participant_ids=unbanned)  # and count again
    return unbanned


def participant_delete(*, participant_ids: Iterable[int], by: Actor = ADMIN) -> list[int]:
    """Delete participants with all their posts; their names become free again.

    After commit every wall gets `message_deleted` for each of their posts, and their open sockets
    get `error` `invalid_token` and are closed with 1008.
    """
    with transaction.atomic():
        participants = list(
            Participant.objects.select_for_update().filter(pk__in=list(participant_ids)).order_by("pk")
        )
        deleted = [participant.pk for participant in participants]
        for participant in participants:
            _record(by, "remove", participant=participant)
        post_ids = list(Post.objects.filter(author_id__in=deleted).values_list("pk", flat=True))
        reactions_recount(participant_ids=deleted)  # before the cascade takes their reactions
        Participant.objects.filter(pk__in=deleted).delete()
        broadcast_on_commit([protocol.message_deleted_event(pk) for pk in sorted(post_ids)])
        _close_sockets_of(deleted, REMOVED)
    return deleted


# --- from the page: the session decides who, on every call ------------------------------------------

FORBIDDEN = WallError("forbidden", "Only a moderator logged in to the admin may do this.")


def locked_out() -> WallError:
    minutes = -(-settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return WallError(
        "locked_out",
        f"Too many failed logins for this moderator or from this address: moderator actions are "
        f"refused for {minutes:.0f} minutes after the last one.",
    )


def page_moderator(*, session_key: str | None, address: str | None = None) -> Actor:
    """The moderator behind a page's Django session, checked now: a live session of an active
    user holding `wall.moderate_post` (through a group, or as a superuser). Raises forbidden
    otherwise (no session, logged out, password changed, permission taken away, user deactivated),
    and locked_out while django-axes locks out their username or the socket's `address` (the
    admin login's rule: the page's actions ride on the same session)."""
    if not session_key:
        raise FORBIDDEN
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(request)  # Django's own check: the session's user, its backend and password hash
    if not (user.is_authenticated and user.is_active and user.has_perm(PERMISSION)):
        raise FORBIDDEN
    # The login form's count, from the database (every process agrees): a public API of django-axes.
    request.META["REMOTE_ADDR"] = address or ""
    if AxesProxyHandler.is_locked(request, credentials={"username": user.get_username()}):
        raise locked_out()
    return Actor.of(user, "page")


def _author_of(post_id: int) -> int:
    author_id = Post.objects.filter(pk=post_id).values_list("author_id", flat=True).first()
    if author_id is None:
        raise WallError("bad_request", f"There is no post {post_id}.")
    return author_id


def page_hide(*, session_key: str | None, address: str | None = None, post_id: int, reason: str) -> list[int]:
    """A moderator hides a post from the page; raises forbidden unless page_moderator passes, or
    bad_request for a post that does not exist. An already hidden post stays as it is."""
    by = page_moderator(session_key=session_key, address=address)
    _author_of(post_id)
    return post_hide(post_ids=[post_id], by=by, reason=reason)


def page_unhide(*, session_key: str | None, address: str | None = None, post_id: int) -> list[int]:
    """A moderator shows a hidden post again from the page (errors as page_hide)."""
    by = page_moderator(session_key=session_key, address=address)
    _author_of(post_id)
    return post_unhide(post_ids=[post_id], by=by)


def page_approve(*, session_key: str | None, address: str | None = None, post_id: int) -> list[int]:
    """A moderator approves a held post from the page (errors as page_hide)."""
    by = page_moderator(session_key=session_key, address=address)
    _author_of(post_id)
    return post_approve(post_ids=[post_id], by=by)


def page_ban(
    *, session_key: str | None, address: str | None = None, post_id: int, reason: str, duration: str
) -> list[int]:
    """A moderator bans the author of post `post_id` for `duration` (a BAN_DURATIONS key).

    Raises forbidden, or bad_request for a post that does not exist."""
    by = page_moderator(session_key=session_key, address=address)
    author_id = _author_of(post_id)
    length = BAN_DURATIONS[duration]
    until = timezone.now() + length if length is not None else None
    return participant_ban(participant_ids=[author_id], by=by, reason=reason, until=until)


def moderator_view(*, session_key: str | None) -> dict[str, Any] | None:
    """What a moderator's page is sent on connect (`moderator`), or None when the session is not a
    moderator's: their name and the latest hidden posts, with who hid them and why."""
    try:
        by = page_moderator(session_key=session_key)
    except WallError:
        return None
    return protocol.moderator_event(
        by.name,
        hidden=selectors.hidden_posts(limit=settings.WALL_HISTORY_LIMIT),
        reports=selectors.open_report_count(),
        held=selectors.held_posts(),
    )
