"""Ethereum addresses typed by people: checksums are checked, never silently fixed."""

from __future__ import annotations

import re

_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class AddressError(ValueError):
    """The text is not a usable address."""


def to_checksum(hex_address: str) -> str:
    # core.records' keccak, not eth_utils': 0.05 s to import instead of 0.45 s, paid by every read command.
    from ogcli.core.records import keccak

    lower = hex_address.lower().removeprefix("0x")
    digest = keccak(lower.encode()).hex()
    return "0x" + "".join(c.upper() if int(digest[i], 16) >= 8 else c for i, c in enumerate(lower))


def parse_address(text: str) -> str:
    """The checksummed form of `text`. Mixed case must be a valid EIP-55 checksum (a typo in a
    checksummed address is caught instead of sending funds to it); all-lower or all-upper hex is
    accepted as written by tools that do not checksum."""
    raw = text.strip()
    if not _HEX_ADDRESS.match(raw):
        raise AddressError(f"{raw!r} is not an address (0x followed by 40 hex digits)")
    body = raw[2:]
    checksummed = to_checksum(raw)
    if body != body.lower() and body != body.upper() and raw != checksummed:
        raise AddressError(f"{raw} fails its checksum (a typo?); the checksummed form would be {checksummed}")
    return checksummed
