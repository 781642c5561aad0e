"""The records InferenceSettlement commits in batches, as contracts/BatchRecords.sol packs them:
the bytes of a record, its Merkle leaf, a batch's root and the proof of one record in it.

A record is RECORD_BYTES packed (big-endian, no padding):

  modelId uint32 | inputHash | outputHash | requestId | timestamp uint40 | mode uint8 |
  channel uint8 | fee uint96 | signature (r, s, v: 65 bytes)

`channel` is the index, in the batch's claims, of the payment channel that paid for it. The leaf
binds a record to its payer and the node that committed it: keccak256(record || payer || node).
Leaves pair up level by level in order, an odd last node with zero; a proof is the sibling at each
level from the leaf up, so it fixes the record's position too. tests/chain/test_batch_commit.py
holds these to the contract.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ogcli.core.records import keccak

RECORD_BYTES = 184
MAX_RECORDS = 256
ZERO = bytes(32)


@dataclass(frozen=True)
class BatchRecord:
    """One record of a batch: the result the enclave signed, the channel and the fee it paid."""

    model_id: int
    input_hash: bytes
    output_hash: bytes
    request_id: bytes
    timestamp: int
    mode: int
    channel: int
    fee_wei: int
    signature: bytes

    def pack(self) -> bytes:
        return self._packed

    @functools.cached_property
    def _packed(self) -> bytes:  # not a field: dataclasses.replace() builds a record anew
        if not 0 <= self.model_id < 2**32:
            raise ValueError(f"model id {self.model_id} does not fit a batch record (uint32)")
        if not 0 <= self.timestamp < 2**40:
            raise ValueError(f"timestamp {self.timestamp} does not fit a batch record (uint40)")
        if not 0 <= self.channel < 256:
            raise ValueError(f"channel index {self.channel} does not fit a batch record (uint8)")
        if not 0 <= self.fee_wei < 2**96:
            raise ValueError(f"fee {self.fee_wei} does not fit a batch record (uint96)")
        for name in ("input_hash", "output_hash", "request_id"):
            if len(getattr(self, name)) != 32:
                raise ValueError(f"{name} must be 32 bytes")
        if len(self.signature) != 65:
            raise ValueError("an enclave signature is 65 bytes (r, s, v)")
        packed = (self.model_id.to_bytes(4, "big") + self.input_hash + self.output_hash + self.request_id
                  + self.timestamp.to_bytes(5, "big") + bytes([self.mode, self.channel])
                  + self.fee_wei.to_bytes(12, "big") + self.signature)
        assert len(packed) == RECORD_BYTES
        return packed

    @classmethod
    def unpack(cls, data: bytes) -> BatchRecord:
        if len(data) != RECORD_BYTES:
            raise ValueError(f"a batch record is {RECORD_BYTES} bytes, not {len(data)}")
        data = bytes(data)
        record = cls(
            model_id=int.from_bytes(data[0:4], "big"), input_hash=data[4:36], output_hash=data[36:68],
            request_id=data[68:100], timestamp=int.from_bytes(data[100:105], "big"), mode=data[105],
            channel=data[106], fee_wei=int.from_bytes(data[107:119], "big"), signature=data[119:184],
        )
        # Every field has a fixed width, so packing gives back exactly `data`: kept, not rebuilt
        # (the verifier hashes every record it reads back).
        record.__dict__["_packed"] = data
        return record


def pack_all(records: list[BatchRecord]) -> bytes:
    return b"".join(r.pack() for r in records)


def unpack_all(data: bytes) -> list[BatchRecord]:
    if len(data) % RECORD_BYTES:
        raise ValueError(f"batch records come in {RECORD_BYTES}-byte units; {len(data)} bytes is not one")
    return [BatchRecord.unpack(data[i:i + RECORD_BYTES]) for i in range(0, len(data), RECORD_BYTES)]


def _address(value: str) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x"))
    if len(raw) != 20:
        raise ValueError(f"not an address: {value}")
    return raw


def leaf(packed_record: bytes, payer: str, node: str) -> bytes:
    if len(packed_record) != RECORD_BYTES:
        raise ValueError(f"a batch record is {RECORD_BYTES} bytes, not {len(packed_record)}")
    return keccak(packed_record + _address(payer) + _address(node))


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    if not leaves:
        raise ValueError("a batch has at least one record")
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        if len(below) % 2:
            below = below + [ZERO]
        levels.append([keccak(below[i] + below[i + 1]) for i in range(0, len(below), 2)])
    return levels


def root(leaves: list[bytes]) -> bytes:
    return _levels(leaves)[-1][0]


def proof(leaves: list[bytes], index: int) -> list[bytes]:
    """The siblings of leaf `index` from the bottom up (zero where an odd last node had none)."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"record {index} is not in a batch of {len(leaves)}")
    siblings = []
    for level in _levels(leaves)[:-1]:
        sibling = index ^ 1
        siblings.append(level[sibling] if sibling < len(level) else ZERO)
        index >>= 1
    return siblings


def proves(batch_root: bytes, count: int, index: int, leaf_hash: bytes, siblings: list[bytes]) -> bool:
    """What BatchRecords.proves checks, given the leaf."""
    if not 0 <= index < count:
        return False
    depth, n = 0, count
    while n > 1:
        n, depth = (n + 1) // 2, depth + 1
    if len(siblings) != depth:
        return False
    h = leaf_hash
    for sibling in siblings:
        h = keccak(h + sibling) if index % 2 == 0 else keccak(sibling + h)
        index >>= 1
    return h == batch_root
