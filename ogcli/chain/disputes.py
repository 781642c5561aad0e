"""Dispute grounds, as InferenceSettlement checks them: the result digest and its signer, and which
records fail a ground (GroundFinder). Finding what is open to dispute is ogcli/verify/disputes.py.

Grounds, as InferenceSettlement checks them: 1, the result's signature does not recover to the
enclave signer; 2, the signer is not a registered enclave; 3, the enclave's measurement was not
approved at the record's time. Only TEE records can be disputed on those grounds. An "invalid"
verdict given as checkable (`attest(id, false)`) is disputable the other way round: with ground 0,
when no ground holds; invalid verdicts for reasons the contract cannot check
(`attestUncheckable`) are neither disputable nor rewarded. A TEE record on which a ground holds
is also disputable against the node that settled it (`disputeProducer`): its bond pays.
"""

from __future__ import annotations

import functools

from ogcli.chain.contracts import Protocol
from ogcli.core import typed_data
from ogcli.core.records import keccak
from ogcli.core.model_metadata import MODES

GROUND_NONE, GROUND_BAD_SIGNATURE, GROUND_UNKNOWN_SIGNER, GROUND_NOT_APPROVED = 0, 1, 2, 3
GROUND_NAMES = {
    GROUND_NONE: "no ground holds: the 'invalid' verdict contradicts what the contract can check",
    GROUND_BAD_SIGNATURE: "the signature is not the enclave's",
    GROUND_UNKNOWN_SIGNER: "the signer is not a registered enclave",
    GROUND_NOT_APPROVED: "the enclave was not approved at the time",
}


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

    from ogcli.chain.abi import checksum
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
        address = checksum("0x" + keccak(point)[-20:].hex())
        if len(_ADDRESS_OF_KEY) < 10_000:
            _ADDRESS_OF_KEY[point] = address
    return address


def recover_result_signer(chain_id: int, settlement: str, record: dict) -> str | None:
    """Who signed the record's result (EIP-712 InferenceResult), or None for a malformed signature."""
    return recover(result_digest(domain_separator(chain_id, settlement), record), bytes(record["signature"]))


class GroundFinder:
    """The first dispute ground each TEE record fails. Signatures are recovered locally; the
    registry's answers come in one Multicall3 batch per call of `grounds` (a registration cached
    once seen, approval asked per distinct (signer, time))."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.separator = domain_separator(protocol.rpc.chain_id, protocol.settlement.address)
        self._registered: dict[str, bool] = {}

    def ground(self, record: dict) -> int | None:
        return self.grounds([record])[0]

    def grounds(self, records: list[dict]) -> list[int | None]:
        from ogcli.chain.multicall import Read, read_many

        out: list[int | None] = []
        pending = []  # (index, signer, time) for records whose signature holds
        for index, record in enumerate(records):
            if record["mode"] != MODES["tee"]:
                out.append(None)
                continue
            signer = record["enclaveSigner"]
            signed = recover(result_digest(self.separator, record), bytes(record["signature"])) == signer
            if not signed:
                out.append(GROUND_BAD_SIGNATURE)
                continue
            out.append(None)
            pending.append((index, signer, record["timestamp"]))
        registry = self.protocol.registry
        unknown = sorted({s for _i, s, _t in pending if s not in self._registered})
        times = sorted({(s, t) for _i, s, t in pending})
        answers = read_many(self.protocol.rpc, [Read(registry, "isRegistered", (s,)) for s in unknown]
                            + [Read(registry, "isActive", (s, t)) for s, t in times])
        for signer, answer in zip(unknown, answers):
            # Only "registered" is cached: it is forever (a signer registers once and is never
            # removed). "Not registered" may stop being true at any block: cached, it would judge
            # a later, valid record of that signer "unknown signer" (a false verdict, slashable).
            if answer is True:
                self._registered[signer] = True
        unregistered = {s for s, answer in zip(unknown, answers) if answer is not True}
        active = {key: answer is True for key, answer in zip(times, answers[len(unknown):])}
        for index, signer, at in pending:
            if signer in unregistered:
                out[index] = GROUND_UNKNOWN_SIGNER
            elif not active[(signer, at)]:
                out[index] = GROUND_NOT_APPROVED
        return out
