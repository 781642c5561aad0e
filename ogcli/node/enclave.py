"""The node's enclave: a secp256k1 key that signs every result, bound to an image measurement and
registered in TEERegistry.

On the devnet the enclave is the DEV vendor's (a key in the node process, measured as the
reference image). Each result is signed as EIP-712 `InferenceResult(modelId, inputHash,
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

    @property
    def signer(self) -> str:
        return self.key.address

    def sign_result(self, model_id: int, input_hash: bytes, output_hash: bytes, request_id: bytes, timestamp: int) -> bytes:
        from eth_account import Account

        message = typed_data.inference_result(model_id, input_hash, output_hash, request_id, timestamp)
        return bytes(
            Account.sign_typed_data(
                self.key.key,
                typed_data.settlement_domain(self.chain_id, self.settlement),
                typed_data.INFERENCE_RESULT_TYPES,
                message,
            ).signature
        )

    def attestation_hash(self) -> bytes:
        """What the registry stores for the enclave's attestation document (its sha-256)."""
        return hashlib.sha256(self.attestation_document()).digest()

    def attestation_document(self) -> bytes:
        """DEV vendor: the measurement and the signer, as the document a real TEE would sign."""
        return b"ogcli DEV attestation\nmeasurement=" + self.measurement.hex().encode() + b"\nsigner=" + self.signer.encode()

    def register(self, protocol: Protocol, operator: Sender, endpoint: str) -> str | None:
        """Registers the enclave for `operator` unless it is already; returns the tx hash."""
        from eth_account import Account
        from eth_account.messages import encode_defunct

        registry = protocol.registry
        if registry.functions.isRegistered(self.signer).call():
            return None
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
