"""The shared store, chosen once as Django's cache BACKEND is: Redis with REDIS_URL (several
processes share it), this process's memory without (the embedded default, one process).

`shared_store()` builds it on first use from the settings and keeps it; a change of REDIS_URL or
WALL_REDIS_PREFIX (tests, through Django's setting_changed) makes the next call choose again.
"""

from __future__ import annotations

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .base import OnlineUser, Position, SharedStore
from .memory import MemoryStore
from .redis import RedisStore

__all__ = ["MemoryStore", "OnlineUser", "Position", "RedisStore", "SharedStore", "shared_store"]

_CHOSEN_BY = frozenset({"REDIS_URL", "WALL_REDIS_PREFIX"})
_chosen: SharedStore | None = None


def shared_store() -> SharedStore:
    """The store of this process: one instance, chosen from the settings on first use."""
    global _chosen
    if _chosen is None:
        if settings.REDIS_URL:
            _chosen = RedisStore(settings.REDIS_URL, settings.WALL_REDIS_PREFIX)
        else:
            _chosen = MemoryStore()
    return _chosen


@receiver(setting_changed)
def _choose_again(*, setting: str, **kwargs: object) -> None:
    global _chosen
    if setting in _CHOSEN_BY:
        _chosen = None
