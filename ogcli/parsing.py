"""Command-line values turned into domain values, with a UsageError (exit 2) for bad input."""

from ogcli.errors import UsageError


def address(text: str) -> str:
    from ogcli.core.addresses import AddressError, parse_address

    try:
        return parse_address(text)
    except AddressError as exc:
        raise UsageError(str(exc)) from None


def bytes32(text: str, what: str) -> bytes:
    """32 bytes written as 0x and 64 hex digits (a request id, a transaction hash)."""
    raw = text.strip().lower()
    if raw.startswith("0x") and len(raw) == 66:
        try:
            return bytes.fromhex(raw[2:])
        except ValueError:
            pass
    raise UsageError(f"{what}: expected 0x and 64 hex digits, not {text!r}")


def amount(text: str, *, symbol: str = "OPG", allow_zero: bool = False) -> int:
    from ogcli.core.amounts import AmountError, parse_amount

    try:
        return parse_amount(text, symbol=symbol, allow_zero=allow_zero)
    except AmountError as exc:
        raise UsageError(str(exc)) from None


def fraction_bps(text: str) -> int:
    from ogcli.core.units import parse_fraction_bps

    try:
        return parse_fraction_bps(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def duration_s(text: str) -> int:
    from ogcli.core.units import parse_duration_s

    try:
        return parse_duration_s(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
