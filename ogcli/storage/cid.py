"""Content identifiers: CIDv1, raw codec, sha2-256 multihash, base32 multibase (`bafkrei...`),
the form IPFS gives a single raw block, built and parsed with the `multiformats` library.

A model's on-chain identity is the CID of its whole byte string, so a download can be checked
while it streams: sha-256 over the bytes, compared with the digest inside the CID.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20  # 1 MiB: large enough to hash at disk speed, small enough for constant memory


class CidError(ValueError):
    """Text that is not a raw sha2-256 CIDv1."""


def cid_from_digest(sha256_digest: bytes) -> str:
    from multiformats import CID, multihash

    if len(sha256_digest) != 32:
        raise ValueError("a sha2-256 digest is 32 bytes")
    return str(CID("base32", 1, "raw", multihash.wrap(sha256_digest, "sha2-256")))


def digest_of_cid(text: str) -> bytes:
    """The sha2-256 digest a CID names; CidError unless it is a raw sha2-256 CIDv1."""
    from multiformats import CID, multihash

    try:
        cid = CID.decode(text.strip())
    except Exception as exc:  # multiformats raises several unrelated types for bad input
        raise CidError(f"{text!r} is not a CID: {exc}") from None
    if cid.version != 1 or cid.codec.name != "raw" or cid.hashfun.name != "sha2-256":
        raise CidError(f"{text!r} is a {cid.codec.name}/{cid.hashfun.name} CIDv{cid.version}, not raw/sha2-256 CIDv1")
    return multihash.unwrap(cid.digest)


def cid_of(data: bytes) -> str:
    return cid_from_digest(hashlib.sha256(data).digest())


def digest_file(path: Path, progress=None) -> tuple[bytes, int]:
    """(sha-256 digest, size) of a file, read in CHUNK pieces; `progress(n)` after each."""
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return hasher.digest(), size
