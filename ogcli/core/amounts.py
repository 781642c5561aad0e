"""Token amounts as exact integers: parse what people type, format what they read. Never floats.

Accepted input (documented in the README): plain decimal numbers, `123`, `1.5`, `.5`,
`0.000000000000000001`, with at most `decimals` fractional digits. Refused, each with its own
one-line reason: empty text, signs (`-1`, `+1`), exponents (`1e3`: write `1000`), `nan`/`inf`,
thousands separators, more fractional digits than the token has, and zero where zero makes no
sense (the caller decides with `allow_zero`).
"""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"^(\d*)(?:\.(\d*))?$")


class AmountError(ValueError):
    """The text is not an amount; the message says why in words a user understands."""


def parse_amount(text: str, *, decimals: int = 18, symbol: str = "OPG", allow_zero: bool = False) -> int:
    """`text` in whole tokens -> integer base units (wei for 18 decimals)."""
    raw = text.strip()
    if not raw:
        raise AmountError("amount is empty")
    lowered = raw.lower()
    if lowered in ("nan", "inf", "infinity", "-inf", "+inf"):
        raise AmountError(f"{raw!r} is not an amount")
    if raw[0] in "+-":
        if raw[0] == "-":
            raise AmountError(f"amount must not be negative: {raw}")
        raise AmountError(f"write the amount without a sign: {raw[1:]}")
    if "e" in lowered:
        raise AmountError(f"exponents are not accepted ({raw}); write the number out, e.g. 1000")
    if "," in raw or "_" in raw or " " in raw:
        raise AmountError(f"write the amount without separators: {raw}")
    match = _DECIMAL.match(raw)
    if not match or (match.group(1) == "" and not match.group(2)):
        raise AmountError(f"{raw!r} is not a number")
    whole, fraction = match.group(1) or "0", match.group(2) or ""
    if len(fraction) > decimals:
        raise AmountError(f"{symbol} has {decimals} decimals; {raw} has {len(fraction)}")
    units = int(whole) * 10**decimals + int(fraction.ljust(decimals, "0") or "0")
    if units == 0 and not allow_zero:
        raise AmountError("amount must be greater than zero")
    return units


def format_amount(units: int, *, decimals: int = 18, max_fraction: int | None = None, group: bool = False) -> str:
    """Integer base units -> exact decimal text (`1.5`, `0.000000000000000001`, `1,234.5`).

    `max_fraction` truncates (never rounds up) to that many fractional digits for tables;
    `group` adds thousands separators for people (never in --json output).
    """
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**decimals)
    digits = str(fraction).rjust(decimals, "0").rstrip("0") if decimals else ""
    if max_fraction is not None:
        digits = digits[:max_fraction].rstrip("0")
    whole_text = f"{whole:,}" if group else str(whole)
    return f"{sign}{whole_text}.{digits}" if digits else f"{sign}{whole_text}"
