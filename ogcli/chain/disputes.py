"""Evidence against attestations: which records fail a dispute ground, and which validators
vouched for them while their challenge window is open.

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
from dataclasses import dataclass

from ogcli.chain import events as event_logs
from ogcli.chain.contracts import Protocol
from ogcli.chain.receipts import SettledCall, from_event
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


def _keccak(data: bytes) -> bytes:
    return keccak(data)


def domain_separator(chain_id: int, settlement: str) -> bytes:
    return typed_data.domain_separator(typed_data.SETTLEMENT_NAME, typed_data.SETTLEMENT_VERSION, chain_id, settlement)


_ADDRESS_OF_KEY: dict[bytes, str] = {}  # uncompressed public key -> checksummed address


@functools.cache
def result_typehash() -> bytes:
    return _keccak(RESULT_TYPE.encode())


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
        address = checksum("0x" + _keccak(point)[-20:].hex())
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

    def grounds(self, records: list[dict], *, recovered: bool = False) -> list[int | None]:
        """`recovered`: each record's signer is already whoever its signature recovers to (the zero
        address for none), as chain.batches.record_view gives it, so it is not recovered again."""
        from ogcli.chain.multicall import Read, read_many

        out: list[int | None] = []
        pending = []  # (index, signer, time) for records whose signature holds
        for index, record in enumerate(records):
            if record["mode"] != MODES["tee"]:
                out.append(None)
                continue
            signer = record["enclaveSigner"]
            if recovered:
                signed = int(signer, 16) != 0
            else:
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


@dataclass(frozen=True)
class Disputable:
    """A verdict open to dispute: `validator` vouched against what the contract can check."""

    call: SettledCall
    validator: str
    ground: int
    attested_at: int
    window_closes: int

    @property
    def record_id(self) -> int:
        return self.call.record_id


@dataclass(frozen=True)
class ProducerDisputable:
    """A TEE record that is false on `ground`, still open to dispute against the node that settled it."""

    call: SettledCall
    ground: int
    window_closes: int
    bond_wei: int  # the node's bond (active and unbonding) a dispute would slash

    @property
    def record_id(self) -> int:
        return self.call.record_id


@dataclass(frozen=True)
class BatchDisputable:
    """A verdict on a batch open to dispute on one of its records (`call`, a batches.BatchCall):
    the verdict is disputed once, on any record it judged against the facts."""

    call: object
    validator: str
    ground: int
    attested_at: int
    window_closes: int


@dataclass(frozen=True)
class BatchProducerDisputable:
    """A false TEE record of a batch (`call`), still open to dispute against the node that committed it."""

    call: object
    ground: int
    window_closes: int
    bond_wei: int


@dataclass(frozen=True)
class OpenDisputes:
    now: int
    verdicts: list[Disputable]
    records: list[ProducerDisputable]
    batch_verdicts: list[BatchDisputable] = ()
    batch_records: list[BatchProducerDisputable] = ()


def find_disputable(protocol: Protocol) -> OpenDisputes:
    """Everything a challenger can file now, oldest first: verdicts that vouched against the
    checkable facts, and false TEE records whose node can still be held to them."""
    settlement = protocol.settlement
    names = ("InferenceSettled", "Attested", "DisputeWon", "ProducerSlashed", *BATCH_EVENTS)
    head, raw = protocol.rpc.batch([
        ("eth_getBlockByNumber", ["latest", False]),
        ("eth_getLogs", [event_logs.log_filter(settlement, names, protocol.deployment.block)]),
    ])
    now = int(head["timestamp"], 16)
    logs = event_logs.fill_timestamps(protocol.rpc, event_logs.decode(settlement, names, raw))
    # No verdict's or record's window outlasts the unbonding periods (the contracts enforce it):
    # an upper bound for the log scan; each one's own window is read below.
    longest = max(protocol.staking.functions.unbondingPeriod().call(), protocol.bonds.functions.unbondingDelay().call())
    finder = GroundFinder(protocol)
    calls = {e.args["recordId"]: from_event(e) for e in logs if e.name == "InferenceSettled"}
    disputed = {(e.args["recordId"], e.args["validator"]) for e in logs if e.name == "DisputeWon"}
    producer_disputed = {e.args["recordId"] for e in logs if e.name == "ProducerSlashed"}
    open_attestations = [e for e in logs if e.name == "Attested"
                         and (e.args["recordId"], e.args["validator"]) not in disputed and e.timestamp + longest >= now]
    open_records = sorted(i for i, c in calls.items()
                          if i not in producer_disputed and c.settled_at + longest >= now and c.record["mode"] == MODES["tee"])
    ids = sorted({e.args["recordId"] for e in open_attestations} | set(open_records))
    grounds = dict(zip(ids, finder.grounds([calls[i].record for i in ids])))
    candidates = [e for e in open_attestations
                  if (grounds[e.args["recordId"]] is not None) == bool(e.args["valid"])]
    windows = _open_windows(protocol, [(e.args["recordId"], e.args["validator"]) for e in candidates])
    verdicts = []
    for e, closes in zip(candidates, windows):
        record_id, validator = e.args["recordId"], e.args["validator"]
        if closes is not None and closes >= now:
            ground = grounds[record_id] if e.args["valid"] else GROUND_NONE
            verdicts.append(Disputable(calls[record_id], validator, ground, e.timestamp, closes))
    false_records = [i for i in open_records if grounds[i] is not None]
    records = [ProducerDisputable(calls[i], grounds[i], closes, bond)
               for i, (closes, bond) in zip(false_records, _record_windows(protocol, [calls[i] for i in false_records]))
               if closes >= now]
    batch_verdicts, batch_records = _batch_disputable(protocol, logs, now, longest, finder)
    return OpenDisputes(now, verdicts, records, batch_verdicts, batch_records)


BATCH_EVENTS = ("BatchCommitted", "BatchAttested", "BatchDisputeWon", "BatchProducerSlashed")


def _batch_disputable(protocol: Protocol, logs: list, now: int, longest: int, finder: GroundFinder) -> tuple[list, list]:
    """The batch side of find_disputable: the records of batches still within reach (read back
    from their commitBatch calldata) judged by the same grounds; verdicts that vouched against
    them (one entry per verdict: it is disputed once), and false TEE records open against their
    node."""
    from ogcli.chain.batches import BatchCall, read_batches, record_view
    from ogcli.chain.multicall import Read, read_many

    committed = [e for e in logs if e.name == "BatchCommitted" and e.timestamp + longest >= now]
    if not committed:
        return [], []
    verdict_disputed = {(e.args["batchId"], e.args["validator"]) for e in logs if e.name == "BatchDisputeWon"}
    producer_disputed = {(e.args["batchId"], e.args["index"]) for e in logs if e.name == "BatchProducerSlashed"}
    attested = [e for e in logs if e.name == "BatchAttested"
                and (e.args["batchId"], e.args["validator"]) not in verdict_disputed]
    batch_verdicts, batch_records = [], []
    for batch in read_batches(protocol, committed):
        grounds = finder.grounds([record_view(r, finder.separator) for r in batch.records], recovered=True)
        verdicts = [e for e in attested if e.args["batchId"] == batch.batch_id]
        reads = [Read(protocol.settlement, "batchProducerDisputes", (batch.batch_id,)),
                 Read(protocol.bonds, "bondOf", (batch.node,)),
                 *(Read(protocol.settlement, "batchVerdictOf", (batch.batch_id, e.args["validator"])) for e in verdicts)]
        (_bits, until), bond, *views = read_many(protocol.rpc, reads)
        for index, (record, ground) in enumerate(zip(batch.records, grounds)):
            if (record.mode == MODES["tee"] and ground is not None and (batch.batch_id, index) not in producer_disputed
                    and until >= now):
                batch_records.append(BatchProducerDisputable(BatchCall(batch, index), ground, until, bond[0] + bond[1]))
        for e, view in zip(verdicts, views):
            closes = view[1]
            if closes < now:
                continue
            invalid, uncheckable = e.args["invalidBits"], e.args["uncheckableBits"]
            for index, (record, ground) in enumerate(zip(batch.records, grounds)):
                bit = 1 << index
                if uncheckable & bit:
                    continue
                if not invalid & bit and ground is not None:  # vouched for a false record
                    found = ground
                elif invalid & bit and ground is None:  # called a sound (or not checkable) record invalid
                    found = GROUND_NONE
                else:
                    continue
                batch_verdicts.append(BatchDisputable(BatchCall(batch, index), e.args["validator"], found, e.timestamp,
                                                      closes))
                break
    return batch_verdicts, batch_records


def _record_windows(protocol: Protocol, calls: list[SettledCall]) -> list[tuple[int, int]]:
    """For each record, (the last second it can be disputed against its node, that node's whole
    bond), in one Multicall3 batch."""
    from ogcli.chain.multicall import Read, read_many

    reads = [read for c in calls for read in (Read(protocol.settlement, "recordDisputableUntil", (c.record_id,)),
                                             Read(protocol.bonds, "bondOf", (c.node,)))]
    answers = read_many(protocol.rpc, reads)
    return [(until, bond[0] + bond[1]) for until, bond in zip(answers[0::2], answers[1::2])]


def _open_windows(protocol: Protocol, pairs: list[tuple[int, str]]) -> list[int | None]:
    """For each (record, validator) verdict, the last second it can be disputed, or None when it is
    not a checkable one (one Multicall3 batch)."""
    from ogcli.chain.multicall import Read, ReadFailed, read_many

    settlement = protocol.settlement
    views = read_many(protocol.rpc, [read for pair in pairs for read in
                                     (Read(settlement, "attestationOf", pair), Read(settlement, "disputableUntil", pair))])
    out = []
    for view, until in zip(views[0::2], views[1::2]):
        checkable = not isinstance(view, ReadFailed) and bool(view[3])
        out.append(until if checkable and not isinstance(until, ReadFailed) else None)
    return out
