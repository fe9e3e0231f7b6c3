"""Rates as the settings write them ("5/10s", "3/1m", "off"), parsed once per distinct text."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_RATE_RE = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]*)\s*([smh])\s*")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: float


def parse_rate(text: str) -> Rate | None:
    """'5/10s' → Rate(5, 10); 'off' → None (no limit)."""
    if text.strip().lower() == "off":
        return None
    match = _RATE_RE.fullmatch(text)
    if not match:
        raise ImproperlyConfigured(f"A rate looks like '5/10s' or 'off', got {text!r}")
    count, amount, unit = match.groups()
    return Rate(int(count), int(amount or 1) * _UNIT_SECONDS[unit])


_parsed = functools.lru_cache(maxsize=64)(parse_rate)


def configured_rate(setting: str) -> Rate | None:
    """The rate the setting named `setting` holds now (WALL_POST_RATE...), parsed once per text."""
    return _parsed(getattr(settings, setting))
