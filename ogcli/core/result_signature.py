"""The enclave's signature over a result, as InferenceSettlement and BatchRecords check it: the
EIP-712 `InferenceResult` digest in the settlement's domain, and the address a signature over it
recovers to. Pure: the node's enclave signs with it, and every verifier (ogcli/verify/) checks
with it.
"""

from __future__ import annotations

import functools

from ogcli.core import typed_data
from ogcli.core.records import keccak

RESULT_TYPE = (
    "InferenceResult(uint256 modelId,bytes32 inputHash,bytes32 outputHash,bytes32 requestId,uint64 timestamp,uint8 mode)"
)


def domain_separator(chain_id: int, settlement: str) -> bytes:
    return typed_data.domain_separator(typed_data.SETTLEMENT_NAME, typed_data.SETTLEMENT_VERSION, chain_id, settlement)


_ADDRESS_OF_KEY: dict[bytes, str] = {}  # uncompressed public key -> checksummed address


@functools.cache
def result_typehash() -> bytes:
    return keccak(RESULT_TYPE.encode())


def _word(value: int, bits: int) -> bytes:
    """`value` as the ABI encodes a uint of `bits` bits: one big-endian word, range-checked."""
    if not 0 <= value < 1 << bits:
        raise ValueError(f"{value} is not a uint{bits}")
    return value.to_bytes(32, "big")


def _bytes32(value) -> bytes:
    value = bytes(value)
    if len(value) != 32:
        raise ValueError("a bytes32 field is 32 bytes")
    return value


def result_digest(separator: bytes, record: dict) -> bytes:
    """The EIP-712 digest InferenceSettlement checks result signatures over (0x1901 || domain ||
    struct), computed locally, each field range-checked as the ABI would."""
    return typed_result_digest(separator, _word(record["modelId"], 256), _bytes32(record["inputHash"]),
                               _bytes32(record["outputHash"]), _bytes32(record["requestId"]),
                               _word(record["timestamp"], 64), _word(record["mode"], 8))


def typed_result_digest(separator: bytes, model_id: bytes, input_hash: bytes, output_hash: bytes,
                        request_id: bytes, timestamp: bytes, mode: bytes) -> bytes:
    """The same digest from fields already in their 32-byte words. The struct's fields are all
    static, so its encoding is their words side by side: hashed here directly, which is most of
    what makes the verifier judge thousands of records a second."""
    struct = keccak(b"".join((result_typehash(), model_id, input_hash, output_hash, request_id, timestamp, mode)))
    return typed_data.typed_digest(separator, struct)


def recover(digest: bytes, signature: bytes) -> str | None:
    """The address whose key made `signature` over `digest`, or None when the chain would not
    accept the signature (core.signature_rule) or it recovers to no point."""
    from coincurve import PublicKey

    from ogcli.core.addresses import to_checksum
    from ogcli.core.signature_rule import rejection

    if rejection(signature) is not None:
        return None
    try:
        key = PublicKey.from_signature_and_message(signature[:64] + bytes([signature[64] - 27]), digest, hasher=None)
    except Exception:  # not a point: recovers to nobody
        return None
    point = key.format(compressed=False)[1:]
    address = _ADDRESS_OF_KEY.get(point)
    if address is None:  # a verifier sees the same few enclave keys over and over
        address = to_checksum("0x" + keccak(point)[-20:].hex())
        if len(_ADDRESS_OF_KEY) < 10_000:
            _ADDRESS_OF_KEY[point] = address
    return address


def recover_result_signer(chain_id: int, settlement: str, record: dict) -> str | None:
    """Who signed the record's result (EIP-712 InferenceResult), or None for a malformed signature."""
    return recover(result_digest(domain_separator(chain_id, settlement), record), bytes(record["signature"]))
