"""Rate limits counted in the shared store, so every server process sees the same count."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from ..errors import WallError
from ..rates import Rate
from .store import shared_store


async def throttle_hit(*, scope: str, subject: str, rate: Rate | None) -> float | None:
    """Count one action; None if allowed, else the seconds to wait (the action is not counted)."""
    if rate is None:
        return None
    _, retry_after = await _take(scope, subject, rate)
    return retry_after


async def _take(scope: str, subject: str, rate: Rate) -> tuple[str, float | None]:
    """Count one hit; returns its member (to give it back) and None, or the seconds to wait."""
    return await shared_store().window_hit(f"{scope}:{subject}", limit=rate.limit, seconds=rate.seconds)


def _refusal(retry_after: float) -> WallError:
    return WallError("rate_limited", f"Slow down: try again in {retry_after:g} s.", retry_after=retry_after)


async def throttle_take(*, scope: str, subject: str, rate: Rate | None) -> None:
    """Count one action, or raise rate_limited (with retry_after) without counting it."""
    retry_after = await throttle_hit(scope=scope, subject=subject, rate=rate)
    if retry_after is not None:
        raise _refusal(retry_after)


@dataclass
class Attempt:
    """An action counted by `throttled`; set `counts = False` when it turned out not to happen."""

    counts: bool = True


@contextlib.asynccontextmanager
async def throttled(*, scope: str, subject: str, rate: Rate | None) -> AsyncIterator[Attempt]:
    """Count the action done in the block, or raise rate_limited (with retry_after) before it.

    The hit is given back when the block raises or sets `counts = False`, so refused actions
    (an invalid post, a resend) never use up the rate. Taking and giving back are each atomic
    in the shared store; in between, the hit holds its place.
    """
    attempt = Attempt()
    if rate is None:
        yield attempt
        return
    member, retry_after = await _take(scope, subject, rate)
    if retry_after is not None:
        raise _refusal(retry_after)
    try:
        yield attempt
    except BaseException:
        await shared_store().window_give_back(f"{scope}:{subject}", member)
        raise
    if not attempt.counts:
        await shared_store().window_give_back(f"{scope}:{subject}", member)
