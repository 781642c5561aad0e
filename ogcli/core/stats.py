"""Network usage over a window, in buckets, and the text sparklines that draw them. Pure."""

from __future__ import annotations

from collections.abc import Iterable

BARS = "▁▂▃▄▅▆▇█"
WINDOWS = {"24h": (86_400, 3_600), "7d": (7 * 86_400, 86_400), "30d": (30 * 86_400, 86_400)}  # length, bucket


def buckets(now: int, window: str) -> list[int]:
    """Start times of the window's buckets, oldest first (the last one holds `now`)."""
    length, size = WINDOWS[window]
    last = now - now % size
    return [last - size * i for i in range(length // size - 1, -1, -1)]


def series(starts: list[int], size: int, points: Iterable[tuple[int, int]]) -> list[int]:
    """Sum of the values of (timestamp, value) points per bucket; points outside are dropped."""
    out = [0] * len(starts)
    if not starts:
        return out
    first = starts[0]
    for timestamp, value in points:
        index = (timestamp - first) // size
        if 0 <= index < len(out):
            out[index] += value
    return out


def sparkline(values: list[int]) -> str:
    """One character per value, scaled to the largest; all zeros draw the lowest bar."""
    top = max(values, default=0)
    if top <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[min(len(BARS) - 1, (v * (len(BARS) - 1) + top - 1) // top)] if v > 0 else BARS[0] for v in values)
