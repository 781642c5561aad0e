"""Private keys as bytes: parse the hex a person pastes, make new ones, derive their address."""

from __future__ import annotations

import re

from ogcli.errors import UsageError

_HEX_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
# The order of secp256k1: a private key is an integer in [1, n-1].
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def parse_private_key(text: str) -> bytes:
    """32 key bytes from 64 hex digits (0x optional); the error never repeats the input."""
    raw = text.strip()
    if not _HEX_KEY.match(raw):
        raise UsageError("not a private key: expected 64 hex digits, with or without 0x")
    key = bytes.fromhex(raw.removeprefix("0x").removeprefix("0X"))
    if not 0 < int.from_bytes(key, "big") < _SECP256K1_N:
        raise UsageError("not a private key: the value is outside the secp256k1 range")
    return key


def new_private_key() -> bytes:
    """A fresh random key from the OS's CSPRNG."""
    from eth_account import Account

    return bytes(Account.create().key)


def address_of_key(private_key: bytes) -> str:
    """The checksummed address that `private_key` controls."""
    from eth_account import Account

    return Account.from_key(private_key).address
