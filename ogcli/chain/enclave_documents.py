"""The attestation document an enclave was registered with, read back from the chain and verified
again here.

TEERegistry verifies every document before it registers an enclave, and logs it
(`EnclaveAttestation`) in the registration's block, with the root it was verified under. Anyone
who judges the enclave's results (the verifier role, `infer verify`) reads that log and checks the
document with ogcli.core.attestation at the registration's block time: so no path takes the
registry's word either, and a registry that somehow held an unverified enclave would be caught.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ogcli.chain import events
from ogcli.chain.multicall import Read, read_one

if TYPE_CHECKING:
    from ogcli.chain.contracts import Protocol

EVENT = ("EnclaveAttestation",)


@dataclass(frozen=True)
class RegisteredDocument:
    signer: str
    vendor: int
    measurement: bytes
    attestation_hash: bytes
    registered_at: int
    root_sha256: bytes
    document: bytes


def registered_document(protocol: Protocol, signer: str) -> RegisteredDocument | None:
    """The document `signer` was registered with, or None if it is not registered (or its
    registration's log is not where the registry says)."""
    view = read_one(protocol.rpc, Read(protocol.registry, "getEnclave", (signer,), named=True))
    operator, vendor, measurement, attestation_hash, registered_at, block = (
        view["operator"], view["vendor"], bytes(view["measurement"]), bytes(view["attestationHash"]),
        view["registeredAt"], view["registeredBlock"])
    if int(operator, 16) == 0:
        return None
    query = events.log_filter(protocol.registry, EVENT, block, block)
    query["topics"].append("0x" + "00" * 12 + signer.lower().removeprefix("0x"))
    logs = events.decode(protocol.registry, EVENT, protocol.rpc.batch([("eth_getLogs", [query])])[0])
    if not logs:
        return None
    args = logs[0].args
    return RegisteredDocument(signer=signer, vendor=vendor, measurement=measurement, attestation_hash=attestation_hash,
                              registered_at=registered_at, root_sha256=bytes(args["rootSha256"]),
                              document=bytes(args["document"]))


def problem_with(registered: RegisteredDocument | None) -> str | None:
    """Why the registration does not stand up here, or None when the document verifies at its
    registration time under the root it was registered under, is the one whose hash the registry
    holds, and binds exactly this signer to exactly this measurement."""
    from ogcli.core.attestation import AttestationError, verify_nitro_document

    if registered is None:
        return "no attestation document is logged for its registration"
    if hashlib.sha256(registered.document).digest() != registered.attestation_hash:
        return "the logged document is not the one whose hash the registry holds"
    try:
        claims = verify_nitro_document(registered.document, root_sha256=registered.root_sha256,
                                       at_time=registered.registered_at)
    except AttestationError as exc:
        return f"its registered document does not verify: {exc}"
    if claims.measurement != registered.measurement:
        return "its registered document's PCRs do not give the registered measurement"
    if (claims.signer_address() or "").lower() != registered.signer.lower():
        return "its registered document does not bind this signer (user_data)"
    return None


class DocumentChecks:
    """`problem_with` per registered signer, remembered: a registration's log never changes, so
    each signer is read and verified once per process. Network errors propagate, unremembered."""

    def __init__(self, protocol: Protocol) -> None:
        self._protocol = protocol
        self._known: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def problem(self, signer: str) -> str | None:
        key = signer.lower()
        with self._lock:
            if key in self._known:
                return self._known[key]
        registered = registered_document(self._protocol, signer)
        found = problem_with(registered)
        if registered is not None:  # a signer not registered yet may be by the next look
            with self._lock:
                self._known[key] = found
        return found
