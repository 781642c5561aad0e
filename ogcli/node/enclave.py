"""The node's enclave: a secp256k1 key that signs every result, bound to an image measurement and
registered in TEERegistry.

On the devnet the enclave is the DEV vendor's: a key in the node process, measured as the reference
image, with an AWS-Nitro-shaped attestation document (COSE_Sign1, ES384, a certificate chain from
the devnet's DEV root) that the same verifier checks as real Nitro documents
(`ogcli/core/attestation.py`). Each result is signed as EIP-712 `InferenceResult(modelId, inputHash,
outputHash, requestId, timestamp)` under InferenceSettlement's domain, which is what a dispute
recovers the signer from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ogcli.chain.contracts import Protocol
    from ogcli.chain.sender import Sender


@dataclass
class Enclave:
    key: LocalAccount
    vendor: int
    measurement: bytes
    chain_id: int
    settlement: str
    image: str = "v0.1"
    document: bytes | None = None  # the attestation document whose hash the registry holds

    @property
    def signer(self) -> str:
        return self.key.address

    def sign_result(self, model_id: int, input_hash: bytes, output_hash: bytes, request_id: bytes, timestamp: int,
                    mode: int) -> bytes:
        """The EIP-712 InferenceResult signature (r || s || v, low s, v 27 or 28). The digest is
        the verifier's own (core/result_signature.py): eth_account's typed-data encoder took most of a
        paid call's time here, and RFC 6979 gives the same signature either way."""
        from ogcli.core.result_signature import domain_separator, result_digest

        digest = result_digest(domain_separator(self.chain_id, self.settlement), {
            "modelId": model_id, "inputHash": input_hash, "outputHash": output_hash, "requestId": request_id,
            "timestamp": timestamp, "mode": mode})
        return bytes(self.key.unsafe_sign_hash(digest).signature)

    def issue_document(self, at_time: int) -> bytes:
        """The DEV vendor's Nitro-shaped attestation document binding this signer to the image
        (deterministic: the same time gives the same bytes)."""
        from ogcli.node.dev_attestation import dev_root, issue_document

        return issue_document(dev_root(), image=self.image, signer_address=self.signer, at_time=at_time)

    def attestation_hash(self) -> bytes:
        """What the registry stores for the enclave's attestation document (its sha-256)."""
        if self.document is None:
            raise RuntimeError("no attestation document yet: register or load first")
        return hashlib.sha256(self.document).digest()

    def register(self, protocol: Protocol, operator: Sender, endpoint: str, at_time: int) -> list[str]:
        """Registers the enclave for `operator` with a document issued at `at_time`: first the
        certificates of its chain the chain has not checked yet (a transaction each), then the
        document itself, which the registry verifies. Returns the hashes of all those transactions."""
        from ogcli.chain.certificates import cache_chain

        self.document = self.issue_document(at_time)
        sent = [receipt.tx_hash for receipt in cache_chain(protocol, operator, self.document)]
        proof = self.registration_proof(protocol.registry.address, operator.address)
        call = protocol.registry.functions.registerEnclave(self.vendor, self.document, endpoint, proof)
        return [*sent, operator.transact(call, label="registerEnclave").tx_hash]

    def registration_proof(self, registry: str, operator: str) -> bytes:
        """The signer's consent to be registered by `operator`: its EIP-191 signature over
        keccak256(abi.encode(chainid, registry, operator, sha256(document)))."""
        return registration_proof(self.key, self.chain_id, registry, operator, self.attestation_hash())

    def load_document(self, protocol: Protocol, saved: bytes | None) -> None:
        """The document the registry holds the hash of: `saved` when it matches, else the one its
        registration logged on chain (how a node with the devnet's keys finds the document the
        seeder registered). ConfigError when neither is there: the node cannot prove what it
        registered."""
        from ogcli.chain.enclave_documents import registered_document
        from ogcli.chain.multicall import Read, read_one
        from ogcli.errors import ConfigError

        registered_hash = bytes(read_one(protocol.rpc, Read(protocol.registry, "getEnclave", (self.signer,),
                                                            named=True))["attestationHash"])
        if saved is not None and hashlib.sha256(saved).digest() == registered_hash:
            self.document = saved
            return
        logged = registered_document(protocol, self.signer)
        if logged is not None and hashlib.sha256(logged.document).digest() == registered_hash:
            self.document = logged.document
            return
        raise ConfigError(
            f"enclave {self.signer} is registered with an attestation document this node cannot find; "
            "deregister it or start with its saved document"
        )


def registration_digest(chain_id: int, registry: str, operator: str, document_hash: bytes) -> bytes:
    """What the enclave key signs (EIP-191) to consent to `operator` registering it (see
    TEERegistry.registerEnclave)."""
    from eth_abi import encode
    from eth_utils import keccak

    return keccak(encode(["uint256", "address", "address", "bytes32"], [chain_id, registry, operator, document_hash]))


def registration_proof(key: LocalAccount, chain_id: int, registry: str, operator: str, document_hash: bytes) -> bytes:
    """What TEERegistry.registerEnclave recovers the signer from."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    digest = registration_digest(chain_id, registry, operator, document_hash)
    return bytes(Account.sign_message(encode_defunct(primitive=digest), key.key).signature)
