"""Latency histogram in microseconds: 10 µs buckets below 10 ms, 1 ms buckets up to 120 s."""

from __future__ import annotations

from array import array
from collections.abc import Iterable

FINE_US = 10
FINE_LIMIT_US = 10_000
COARSE_US = 1_000
FINE_BUCKETS = FINE_LIMIT_US // FINE_US
BUCKETS = FINE_BUCKETS + 120_000_000 // COARSE_US


def new() -> array:
    return array("Q", bytes(8 * BUCKETS))


def bucket(latency_us: int) -> int:
    """The bucket index of a latency (negative counts as 0, beyond 120 s as the last bucket)."""
    if latency_us < FINE_LIMIT_US:
        return latency_us // FINE_US if latency_us > 0 else 0
    return min(FINE_BUCKETS + latency_us // COARSE_US, BUCKETS - 1)


def upper_us(index: int) -> int:
    """The upper edge of a bucket, so percentiles never understate."""
    if index < FINE_BUCKETS:
        return (index + 1) * FINE_US
    return (index - FINE_BUCKETS + 1) * COARSE_US


def sparse(hist: array) -> list[list[int]]:
    """[[index, count], ...] for the non-empty buckets (what workers send back)."""
    return [[i, c] for i, c in enumerate(hist) if c]


def merge(parts: Iterable[list[list[int]]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for part in parts:
        for index, count in part:
            merged[index] = merged.get(index, 0) + count
    return merged


def percentiles(merged: dict[int, int], points: Iterable[float] = (50, 95, 99)) -> dict[str, float | None]:
    """Percentiles in milliseconds (upper bucket edge), e.g. {"p50": 1.23, ...}; None when empty."""
    total = sum(merged.values())
    out: dict[str, float | None] = {}
    ordered = sorted(merged.items())
    for point in points:
        name = f"p{point:g}"
        if not total:
            out[name] = None
            continue
        rank = max(1, -(-total * point // 100))
        seen = 0
        for index, count in ordered:
            seen += count
            if seen >= rank:
                out[name] = upper_us(index) / 1000
                break
    out["max"] = upper_us(ordered[-1][0]) / 1000 if ordered else None
    return out
