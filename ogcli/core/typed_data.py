"""EIP-712 messages of the protocol as plain dicts: x402 payments (ERC-3009) and enclave results
(the batch-settlement scheme's own are in core/channels.py)."""

from __future__ import annotations

import functools

from ogcli.core.records import keccak

TOKEN_NAME = "OpenGradient"
TOKEN_VERSION = "1"
SETTLEMENT_NAME = "OGInference"
SETTLEMENT_VERSION = "1"

# ERC-3009's two authorizations share their fields; receive is the one only `to` may execute.
_AUTHORIZATION_FIELDS = [
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "validAfter", "type": "uint256"},
    {"name": "validBefore", "type": "uint256"},
    {"name": "nonce", "type": "bytes32"},
]
TRANSFER_WITH_AUTHORIZATION_TYPES = {"TransferWithAuthorization": _AUTHORIZATION_FIELDS}
RECEIVE_WITH_AUTHORIZATION_TYPES = {"ReceiveWithAuthorization": _AUTHORIZATION_FIELDS}

INFERENCE_RESULT_TYPES = {
    "InferenceResult": [
        {"name": "modelId", "type": "uint256"},
        {"name": "inputHash", "type": "bytes32"},
        {"name": "outputHash", "type": "bytes32"},
        {"name": "requestId", "type": "bytes32"},
        {"name": "timestamp", "type": "uint64"},
        {"name": "mode", "type": "uint8"},  # signed, so a record cannot settle under another mode
    ]
}


DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


@functools.lru_cache(maxsize=64)
def domain_separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    """The EIP-712 domain separator of (name, version, chain id, contract), as the contracts build
    it; remembered (a node checks every voucher under the same one)."""
    from eth_abi import encode

    return keccak(encode(
        ["bytes32", "bytes32", "bytes32", "uint256", "address"],
        [keccak(DOMAIN_TYPE.encode()), keccak(name.encode()), keccak(version.encode()), chain_id, verifying_contract],
    ))


def typed_digest(separator: bytes, struct_hash: bytes) -> bytes:
    """What an EIP-712 signature signs: keccak(0x1901 || domain separator || struct hash)."""
    return keccak(b"\x19\x01" + separator + struct_hash)


def token_domain(chain_id: int, token: str) -> dict:
    return {"name": TOKEN_NAME, "version": TOKEN_VERSION, "chainId": chain_id, "verifyingContract": token}


def settlement_domain(chain_id: int, settlement: str) -> dict:
    return {
        "name": SETTLEMENT_NAME,
        "version": SETTLEMENT_VERSION,
        "chainId": chain_id,
        "verifyingContract": settlement,
    }


def transfer_authorization(
    payer: str, pay_to: str, value_wei: int, valid_after: int, valid_before: int, nonce: bytes
) -> dict:
    """The message of either ERC-3009 authorization (transfer or receive)."""
    return {
        "from": payer,
        "to": pay_to,
        "value": value_wei,
        "validAfter": valid_after,
        "validBefore": valid_before,
        "nonce": nonce,
    }


def inference_result(model_id: int, input_hash: bytes, output_hash: bytes, request_id: bytes, timestamp: int,
                     mode: int) -> dict:
    return {
        "mode": mode,
        "modelId": model_id,
        "inputHash": input_hash,
        "outputHash": output_hash,
        "requestId": request_id,
        "timestamp": timestamp,
    }
