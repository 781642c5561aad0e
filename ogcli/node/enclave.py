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

from ogcli.core import typed_data

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
        from eth_account import Account

        message = typed_data.inference_result(model_id, input_hash, output_hash, request_id, timestamp, mode)
        return bytes(
            Account.sign_typed_data(
                self.key.key,
                typed_data.settlement_domain(self.chain_id, self.settlement),
                typed_data.INFERENCE_RESULT_TYPES,
                message,
            ).signature
        )

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

    def register(self, protocol: Protocol, operator: Sender, endpoint: str, at_time: int) -> str:
        """Registers the enclave for `operator` with a document issued at `at_time`; returns the tx hash."""
        from eth_account import Account
        from eth_account.messages import encode_defunct

        self.document = self.issue_document(at_time)
        registry = protocol.registry
        attestation = self.attestation_hash()
        digest = protocol.w3.keccak(
            protocol.w3.codec.encode(
                ["uint256", "address", "address", "bytes32"],
                [self.chain_id, registry.address, operator.address, attestation],
            )
        )
        proof = Account.sign_message(encode_defunct(primitive=digest), self.key.key).signature
        call = registry.functions.registerEnclave(self.signer, self.vendor, self.measurement, attestation, endpoint, proof)
        return operator.transact(call, label="registerEnclave").tx_hash

    def load_document(self, protocol: Protocol, saved: bytes | None) -> None:
        """The document the registry holds the hash of: `saved` when it matches, else re-issued at
        the registration time (how the devnet's genesis enclave was registered). ConfigError when
        neither matches: the node cannot prove what it registered."""
        from ogcli.errors import ConfigError

        view = protocol.registry.functions.getEnclave(self.signer).call()
        registered_hash, registered_at = bytes(view[4]), view[5]
        for candidate in (saved, self.issue_document(registered_at)):
            if candidate is not None and hashlib.sha256(candidate).digest() == registered_hash:
                self.document = candidate
                return
        raise ConfigError(
            f"enclave {self.signer} is registered with an attestation this node cannot reproduce; "
            "deregister it or start with its saved document"
        )
