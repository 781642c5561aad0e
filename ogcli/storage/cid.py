"""CIDv1 (raw codec, sha2-256 multihash, base32 multibase) of a byte string, as IPFS computes it."""

from __future__ import annotations

import base64
import hashlib

_CIDV1 = 0x01
_RAW_CODEC = 0x55
_SHA2_256 = 0x12
_DIGEST_LENGTH = 32


def cid_from_digest(sha256_digest: bytes) -> str:
    if len(sha256_digest) != _DIGEST_LENGTH:
        raise ValueError("a sha2-256 digest is 32 bytes")
    binary = bytes([_CIDV1, _RAW_CODEC, _SHA2_256, _DIGEST_LENGTH]) + sha256_digest
    return "b" + base64.b32encode(binary).decode().lower().rstrip("=")


def cid_of(data: bytes) -> str:
    return cid_from_digest(hashlib.sha256(data).digest())
