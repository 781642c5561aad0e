"""A node's till: the address its `exact` payments are made out to (ExactTills.tillOf, computed
here without a chain read). CREATE2 of the till's creation code, with the node as the salt."""

from __future__ import annotations

from ogcli.core.records import keccak


def till_code_hash(till_creation_code: bytes, token: str) -> bytes:
    """keccak256 of ExactTill's creation code with its constructor argument (the token)."""
    return keccak(till_creation_code + bytes(12) + bytes.fromhex(token.removeprefix("0x")))


def till_of(tills: str, code_hash: bytes, node: str) -> str:
    """`node`'s till, as a checksummed address (the contract's tillOf)."""
    from ogcli.core.addresses import to_checksum

    salt = bytes(12) + bytes.fromhex(node.removeprefix("0x"))
    digest = keccak(b"\xff" + bytes.fromhex(tills.removeprefix("0x")) + salt + code_hash)
    return to_checksum("0x" + digest[12:].hex())
