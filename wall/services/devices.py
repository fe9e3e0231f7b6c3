"""Writes about a participant's devices: a one-use code (and its QR link) that gives the name to
another device, a recovery code to write down, and signing one device out. Each device holds its
own token; all of them are the same participant (one user in presence, one read pointer)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..errors import WallError
from ..models import DeviceCode, DeviceToken, Participant
from .participants import Claim, hash_token

# Crockford's base 32: no I, L, O or U, so a code read aloud or off a screen is typed right.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})
DEVICE_CODE_LENGTH = 8  # 40 bits, one use, 10 minutes, rate-limited
RECOVERY_CODE_LENGTH = 16  # 80 bits: kept for good, so long enough to be unguessable
DEVICE_CODE_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class DeviceCodeGrant:
    """A new device code: `code` as shown (XXXX-XXXX) and when it stops working."""

    code: str
    expires_at: datetime


def _new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def shown(code: str) -> str:
    """A code in groups of four, as people read it: K7QF-3M9X."""
    return "-".join(code[start : start + 4] for start in range(0, len(code), 4))


def code_key(text: str) -> str | None:
    """The code a person typed, as stored (upper case, no spaces or dashes, O read as 0, I and L
    as 1), or None when it cannot be a code at all."""
    key = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    if len(key) not in (DEVICE_CODE_LENGTH, RECOVERY_CODE_LENGTH) or not all(c in CODE_ALPHABET for c in key):
        return None
    return key


def device_code_create(*, participant_id: int) -> DeviceCodeGrant:
    """A one-use code for another device, valid DEVICE_CODE_TTL; earlier unused codes stop working."""
    now = timezone.now()
    code = _new_code(DEVICE_CODE_LENGTH)
    with transaction.atomic():
        DeviceCode.objects.filter(participant_id=participant_id, used_at__isnull=True).update(used_at=now)
        grant = DeviceCode.objects.create(
            participant_id=participant_id, code_hash=hash_token(code), expires_at=now + DEVICE_CODE_TTL
        )
    return DeviceCodeGrant(shown(code), grant.expires_at)


def recovery_code_create(*, participant_id: int) -> str:
    """A new recovery code (shown once, stored hashed); the one before stops working."""
    code = _new_code(RECOVERY_CODE_LENGTH)
    Participant.objects.filter(pk=participant_id).update(recovery_hash=hash_token(code))
    return shown(code)


def invalid_code() -> WallError:
    """A code that gives no name: unknown, used, expired or replaced (one answer for all, so a
    guesser learns nothing)."""
    return WallError(
        "invalid_code", "This code is unknown, used or expired; make a new one on your other device."
    )


def device_code_redeem(*, code: str) -> Claim:
    """This device becomes the participant the code belongs to, with a token of its own; raises
    invalid_code. A device code works once and within DEVICE_CODE_TTL; a recovery code until a
    new one is made."""
    key = code_key(code)
    if key is None:
        raise invalid_code()
    now = timezone.now()
    with transaction.atomic():
        if len(key) == DEVICE_CODE_LENGTH:
            grant = (
                DeviceCode.objects.select_for_update()
                .filter(code_hash=hash_token(key), used_at__isnull=True, expires_at__gt=now)
                .first()
            )
            if grant is None:
                raise invalid_code()
            grant.used_at = now
            grant.save(update_fields=["used_at"])
            participant = Participant.objects.get(pk=grant.participant_id)
        else:
            participant = Participant.objects.filter(recovery_hash=hash_token(key)).first()
            if participant is None:
                raise invalid_code()
        token = secrets.token_urlsafe(32)
        DeviceToken.objects.create(participant=participant, token_hash=hash_token(token))
    return Claim.of(participant, token)  # its ban as participant_by_token reads it


def device_sign_out(*, token: str) -> None:
    """The token stops owning its name, on this device only: a further device's token is deleted,
    the first device's is replaced by one nobody holds. Other devices stay signed in."""
    token_hash = hash_token(token)
    if DeviceToken.objects.filter(token_hash=token_hash).delete()[0]:
        return
    Participant.objects.filter(token_hash=token_hash).update(token_hash=hash_token(secrets.token_urlsafe(32)))
