"""Fractions and durations as people type them, turned into the integers contracts use."""

from __future__ import annotations

BPS = 10_000


def parse_fraction_bps(text: str) -> int:
    """'5%', '0.05' or '2.5%' as basis points; ValueError for anything outside (0, 100%] or
    finer than a basis point (the contract's unit)."""
    from decimal import Decimal, InvalidOperation

    raw = text.strip()
    percent = raw.endswith("%")
    try:
        number = Decimal(raw[:-1] if percent else raw)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a fraction (examples: 5%, 0.05)") from None
    if not number.is_finite():
        raise ValueError(f"{text!r} is not a fraction (examples: 5%, 0.05)")
    bps = number * (100 if percent else BPS)
    if bps != bps.to_integral_value():
        raise ValueError(f"{text!r} is finer than the contract's unit, 0.01% (one basis point)")
    if not 0 < bps <= BPS:
        raise ValueError(f"{text!r} is outside (0, 100%]")
    return int(bps)


def parse_duration_s(text: str) -> int:
    """'90s', '15m', '36h', '7d' (or a bare number of seconds) as seconds; ValueError otherwise."""
    units = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
    raw = text.strip().lower()
    unit = units.get(raw[-1:], None)
    digits = raw[:-1] if unit else raw
    if not digits.isdigit():
        raise ValueError(f"{text!r} is not a duration (examples: 36h, 7d)")
    return int(digits) * (unit or 1)


def format_duration(seconds: int) -> str:
    """A span at the two coarsest useful units: '3d 4h', '5h 12m', '42s'."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


def format_utc(timestamp: int) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))
