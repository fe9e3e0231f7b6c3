"""Writes about participants: claim a name (chosen or random), find one by its token, lock one to
write as it. A participant is a name and the hash of the token that proves owning it."""

from __future__ import annotations

import hashlib
import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import errors, names
from ..errors import WallError
from ..models import NameReservation, Participant
from ..selectors import username_holder

# What secrets.token_urlsafe(32) makes; anything else owns no name and costs no database read.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
# Not the global `random`: whatever seeds it (a test library, a plugin) would make names repeat.
_names = random.SystemRandom()
_ADJECTIVES = [
    "Brave",
    "Calm",
    "Clever",
    "Eager",
    "Gentle",
    "Happy",
    "Jolly",
    "Kind",
    "Lively",
    "Lucky",
    "Merry",
    "Nimble",
    "Proud",
    "Quick",
    "Quiet",
    "Sunny",
    "Swift",
    "Witty",
    "Bold",
    "Bright",
]
_ANIMALS = [
    "Otter",
    "Fox",
    "Heron",
    "Lynx",
    "Panda",
    "Robin",
    "Seal",
    "Tiger",
    "Wren",
    "Badger",
    "Falcon",
    "Koala",
    "Marten",
    "Owl",
    "Puffin",
    "Raven",
    "Stoat",
    "Turtle",
    "Whale",
    "Yak",
]


@dataclass(frozen=True)
class Claim:
    """A participant and the secret token that proves ownership of its name."""

    id: int
    username: str
    token: str
    is_banned: bool  # a ban in force (Participant.ban_in_force)
    ban_reason: str = ""
    banned_until: datetime | None = None

    @classmethod
    def of(cls, participant: Participant, token: str) -> Claim:
        """The claim `token` makes on `participant`, with its ban as it stands now: a timed ban that
        ended no longer counts (Participant.ban_in_force)."""
        return cls(
            participant.id,
            participant.username,
            token,
            participant.ban_in_force,
            participant.ban_reason,
            participant.banned_until,
        )

    def refuse_if_banned(self) -> None:
        """Raise banned for a participant a moderator banned (the rule: wall.errors.banned)."""
        if self.is_banned:
            raise errors.banned(self.ban_reason, self.banned_until)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def username_problem(username: str) -> str | None:
    """Why `username` can't be a name by its own rules (human text), or None (wall.names)."""
    problem = names.name_problem(names.normalize(username))
    return problem.reason if problem else None


def invalid_username(problem: names.NameProblem) -> WallError:
    """`invalid_username`, with the offending character when there is one."""
    return WallError("invalid_username", problem.reason, character=problem.character)


def username_available(*, username: str, for_participant: int | None = None) -> str:
    """The name `username` stands for (normalized), if it can be claimed now; else raises.

    In this order, so a look-alike of a held name is called taken rather than merely invalid:
    invalid_username (a character or the length), username_taken (its skeleton is held by another
    participant), username_reserved (someone gave it up lately: wall.services.renames), then
    invalid_username again for look-alike letters and mixed scripts. `for_participant` may already
    hold it (a rename to another spelling of one's own name)."""
    name = names.normalize(username)
    problem = names.form_problem(name)
    if problem:
        raise invalid_username(problem)
    skeleton = names.skeleton(name)
    holder = username_holder(skeleton=skeleton)
    if holder is not None and holder != for_participant:
        raise WallError("username_taken", f"The name {name} is taken.")
    if name_reserved(skeleton=skeleton, for_participant=for_participant):
        raise WallError("username_reserved", f"The name {name} was given up lately and is kept for now.")
    problem = names.spoof_problem(name)
    if problem:
        raise invalid_username(problem)
    return name


def name_reserved(*, skeleton: str, for_participant: int | None = None) -> bool:
    """Whether a name with this skeleton was given up lately (wall.services.renames) and is still
    kept from everyone but its old holder."""
    kept = NameReservation.objects.filter(username_skeleton=skeleton, until__gt=timezone.now())
    if for_participant is not None:
        kept = kept.exclude(participant_id=for_participant)
    return kept.exists()


_SUGGESTION_TRIES = 20
_ANSWER_REASONS = {"invalid_username": "invalid", "username_taken": "taken", "username_reserved": "reserved"}


def username_answer(*, username: str) -> dict[str, object]:
    """GET /api/usernames/<name>: whether `username` can be claimed now, by username_available's
    rules: {"username", "available", "reason"} plus `message`, and `character` for an invalid one,
    and a free `suggestion` (or null) for a taken one (docs/protocol.md)."""
    try:
        username_available(username=username)
    except WallError as error:
        answer: dict[str, object] = {
            "username": username,
            "available": False,
            "reason": _ANSWER_REASONS[error.code],
            "message": error.message,
        }
        if error.code == "invalid_username":
            answer["character"] = error.extra.get("character")
        elif error.code == "username_taken":
            name = names.normalize(username)
            holder = Participant.objects.filter(username_skeleton=names.skeleton(name)).first()
            answer["suggestion"] = _free_variant(name) or (holder and _free_variant(holder.username))
        return answer
    return {"username": username, "available": True, "reason": None}


def _free_variant(name: str) -> str | None:
    """A free name like a taken one, with a number added (Alice -> Alice2), or None. A look-alike
    of a held name has no valid variant of its own, so the caller offers one of the holder's."""
    base = name[: settings.WALL_USERNAME_MAX - 2]
    for number in range(2, 2 + _SUGGESTION_TRIES):
        try:
            return username_available(username=f"{base}{number}")
        except WallError:
            continue
    return None


def participant_claim(*, username: str) -> Claim:
    """Claim a free name for a new browser; raises invalid_username, username_taken or
    username_reserved (rules: username_available)."""
    username = username_available(username=username)
    token = secrets.token_urlsafe(32)
    participant = Participant(username=username, token_hash=hash_token(token))
    participant.full_clean(exclude=["token_hash"], validate_constraints=False)
    try:
        with transaction.atomic():
            participant.save()
    except IntegrityError:
        raise WallError("username_taken", f"The name {username} is taken.") from None
    return Claim(participant.id, participant.username, token, False)


def participant_claim_random() -> Claim:
    """Claim a free random name such as BraveOtter42."""
    for _ in range(20):
        username = f"{_names.choice(_ADJECTIVES)}{_names.choice(_ANIMALS)}{_names.randint(1, 999)}"
        if username_holder(skeleton=names.skeleton(username)) is None:
            try:
                return participant_claim(username=username)
            except WallError:
                continue
    raise WallError("unavailable", "Could not find a free name; try again.")


def participant_by_token(*, token: str) -> Claim:
    """The participant that owns `token` (exactly: no trailing newline or space), the first device's or
    a further one's; raises invalid_token."""
    if not _TOKEN_RE.fullmatch(token):
        raise errors.no_such_token()
    token_hash = hash_token(token)
    participant = Participant.objects.filter(token_hash=token_hash).first()
    if participant is None:  # a further device's token (wall.services.devices)
        participant = Participant.objects.filter(device_tokens__token_hash=token_hash).first()
    if participant is None:
        raise errors.no_such_token()
    return Claim.of(participant, token)


def participant_touch(*, participant_id: int) -> None:
    """Record that the participant was seen now."""
    Participant.objects.filter(pk=participant_id).update(last_seen_at=timezone.now())


def participant_lock(*, participant_id: int) -> Participant:
    """Lock the participant's row until the transaction ends, to write as it, and return it (its
    name and ban fields): raises invalid_token when it was deleted, banned when it is banned. Its
    posts and uploads are decided one at a time (SQLite's IMMEDIATE transactions serialize writers
    anyway)."""
    participant = (
        Participant.objects.select_for_update()
        .filter(pk=participant_id)
        .only("username", "is_banned", "banned_until", "ban_reason")
        .first()
    )
    if participant is None:
        raise errors.name_removed()
    if participant.ban_in_force:
        raise errors.banned(participant.ban_reason, participant.banned_until)
    return participant
