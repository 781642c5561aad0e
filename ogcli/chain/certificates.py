"""Bringing an attestation document's certificate chain into NitroVerifier's cache.

A P-384 signature costs ~9 M gas to check in the EVM, so the contract checks each certificate of a
chain in a transaction of its own and remembers it; the registration then checks only the
document's own signature. This module says which certificates of a document the chain has not
checked yet, and sends those checks, root first, each one its own transaction within 2^24 gas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ogcli.core.attestation import parse_document

if TYPE_CHECKING:
    from ogcli.chain.contracts import Protocol
    from ogcli.chain.sender import Receipt, Sender


@dataclass(frozen=True)
class CertificateStep:
    """One certificate to bring into the cache: a root is admitted, any other one verified under
    its issuer (the certificate before it in the chain)."""

    position: int  # 0 = root, last = the leaf
    der: bytes
    issuer_hash: bytes | None  # None for the root

    @property
    def label(self) -> str:
        return "NitroVerifier.addRoot" if self.issuer_hash is None else f"NitroVerifier.verifyCertificate[{self.position}]"

    def call(self, verifier):
        """The step as a call of `verifier` (NitroVerifier's contract functions)."""
        return verifier.addRoot(self.der) if self.issuer_hash is None else verifier.verifyCertificate(self.der, self.issuer_hash)


def chain_of(document: bytes) -> list[bytes]:
    """The document's certificates, root first, leaf last (AttestationError if it does not parse)."""
    parsed = parse_document(document)
    return [*parsed.cabundle, parsed.certificate]


def missing_steps(protocol: Protocol, document: bytes) -> list[CertificateStep]:
    """The certificates of `document` the verifier has not cached under their issuer yet."""
    from eth_utils import keccak

    certificates = chain_of(document)
    hashes = [keccak(der) for der in certificates]
    verifier = protocol.attestation_verifier.functions
    steps = []
    for position, der in enumerate(certificates):
        issuer = hashes[position - 1] if position else hashes[0]
        if not verifier.isVerified(hashes[position], issuer).call():
            steps.append(CertificateStep(position, der, None if position == 0 else issuer))
    return steps


def cache_chain(protocol: Protocol, sender: Sender, document: bytes,
                progress: Callable[[str], None] = lambda _step: None) -> list[Receipt]:
    """Sends the certificate checks `document` still needs, in chain order; their receipts."""
    verifier = protocol.attestation_verifier.functions
    receipts = []
    for step in missing_steps(protocol, document):
        progress(f"verifying certificate {step.position} of the attestation chain on chain")
        receipts.append(sender.transact(step.call(verifier), label=step.label))
    return receipts
