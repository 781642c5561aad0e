"""Short, colour-free text for cells: amounts, addresses, ages and countdowns."""

from __future__ import annotations


def opg(wei: int | str, places: int = 2) -> str:
    from ogcli.core.amounts import format_amount

    return format_amount(int(wei), max_fraction=places, group=True)


def compact(wei: int | str) -> str:
    """Whole OPG in at most four characters and a unit: 950, 12k, 3.1M (for narrow columns)."""
    tokens = int(wei) // 10**18
    for unit, size in (("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if tokens >= size:
            value = tokens / size
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return str(tokens)


def short(address: str | None) -> str:
    return f"{address[:6]}…{address[-4:]}" if address and len(address) > 12 else (address or "-")


def span(seconds: int) -> str:
    from ogcli.core.units import format_duration

    return format_duration(seconds)


def ago(seconds: int) -> str:
    return "now" if seconds < 1 else f"{span(seconds)} ago"


def utc_clock(timestamp: float) -> str:
    """HH:MM:SS in UTC: the same on every machine (and in snapshot tests)."""
    import time

    return time.strftime("%H:%M:%S UTC", time.gmtime(timestamp))
