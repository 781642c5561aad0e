"""How a call becomes an on-chain record: canonical hashes of its input and output, and the
request id that ties a result to the one payment that bought it.

  inputHash  = keccak256(canonical JSON of the request body the model ran on)
  outputHash = keccak256(canonical JSON of the result returned)
  requestId  = keccak256(till (20 bytes) || payer (20 bytes) || ERC-3009 nonce (32 bytes))
               for a call paid by `exact`: the till is the serving node's payee (ExactTills), so
               the id names the node as well, and the contract checks it against the payment;
               keccak256(payer (20 bytes) || voucher id (32 bytes)) for a call paid by channel

Canonical JSON: keys sorted, no spaces, UTF-8, floats as Python's shortest repr. Anyone holding
the response can recompute both hashes (`ogcli infer verify` does); a payment can buy exactly one
record, because its nonce can be used once and the contract keys records by request id.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


@functools.cache
def _keccak256() -> Callable[[bytes], bytes]:
    """Keccak-256 from safe-pysha3's C code (about 1 us a hash here, where eth_hash's default
    backend, pycryptodome behind cffi, takes about 5): a verifier hashes every record four times."""
    try:
        from sha3 import keccak_256
    except ImportError:  # safe-pysha3 is a dependency, but a wheel may be missing somewhere
        from eth_hash.auto import keccak

        return keccak
    return lambda data: keccak_256(data).digest()


def keccak(data: bytes) -> bytes:
    """The one keccak256 of ogcli's own code (eth_hash's imports are a tenth of eth_utils')."""
    return _keccak256()(data)


def content_hash(value: Any) -> bytes:
    return keccak(canonical_json(value))


def exact_request_id(till: str, payer: str, nonce: bytes) -> bytes:
    """The request id of a call paid by `exact` to `till` (ExactTills.collect's rule)."""
    if len(nonce) != 32:
        raise ValueError("an ERC-3009 nonce is 32 bytes")
    return keccak(bytes.fromhex(till.removeprefix("0x")) + bytes.fromhex(payer.removeprefix("0x")) + nonce)


def channel_request_id(payer: str, voucher_id: bytes) -> bytes:
    """The request id of a call paid by channel: its payer and the voucher that paid for it."""
    if len(voucher_id) != 32:
        raise ValueError("a voucher id is 32 bytes")
    return keccak(bytes.fromhex(payer.removeprefix("0x")) + voucher_id)


# InferenceSettlement.Record, as the ABI encodes it.
RECORD_ABI = "(uint256,bytes32,bytes32,bytes32,uint64,uint8,address,bytes)"


def _raw(value) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def record_tuple(record: dict) -> tuple:
    """A record as the contract's Record argument: the one encoder of a record's fields, whether
    decoded from an `InferenceSettled` event, a batch record's view, or the node's outbox (where
    the bytes are 0x-hex strings)."""
    return (record["modelId"], _raw(record["inputHash"]), _raw(record["outputHash"]), _raw(record["requestId"]),
            record["timestamp"], record["mode"], record["enclaveSigner"], _raw(record["signature"]))


def settled_hash(record: dict, payer: str, node: str, fee: int) -> bytes:
    """What InferenceSettlement stores for a settled call: the record bound to who paid for it,
    how much, and which node settled it."""
    from eth_abi import encode

    return keccak(encode([RECORD_ABI, "address", "address", "uint256"], [record_tuple(record), payer, node, fee]))
