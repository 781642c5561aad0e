"""What a challenger can file now: verdicts that vouched against the checkable facts, and false TEE
records whose node can still be held to them, for records settled alone and for batches (the
dispute finder behind `ogcli node disputes`). The grounds are record_grounds.py's GroundFinder for
records settled alone and verify/batch_grounds.py for batch records, the verifier role's own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ogcli.chain import events as event_logs
from ogcli.chain.contracts import Protocol
from ogcli.chain.receipts import SettledCall, from_event
from ogcli.core.model_metadata import MODES
from ogcli.verify.record_grounds import GROUND_NONE, GroundFinder

log = logging.getLogger("ogcli.verify.disputes")


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
    batch_verdicts, batch_records = _batch_disputable(protocol, logs, now, longest, finder.separator)
    return OpenDisputes(now, verdicts, records, batch_verdicts, batch_records)


BATCH_EVENTS = ("BatchCommitted", "BatchAttested", "BatchDisputeWon", "BatchProducerSlashed")


def _batch_disputable(protocol: Protocol, logs: list, now: int, longest: int, separator: bytes) -> tuple[list, list]:
    """The batch side of find_disputable: the records of batches still within reach (read back
    from their commitBatch calldata) judged by the grounds the verifier role judges them by
    (verify/batch_grounds.py); verdicts that vouched against them (one entry per verdict: it is
    disputed once), and false TEE records open against their node. A batch on which the chain
    and this reader disagree is left out: nothing is filed on a doubt."""
    from ogcli.chain.batches import BatchCall, read_batches, record_view
    from ogcli.chain.multicall import Read, read_many
    from ogcli.verify.batch_grounds import batch_grounds

    committed = [e for e in logs if e.name == "BatchCommitted" and e.timestamp + longest >= now]
    if not committed:
        return [], []
    verdict_disputed = {(e.args["batchId"], e.args["validator"]) for e in logs if e.name == "BatchDisputeWon"}
    producer_disputed = {(e.args["batchId"], e.args["index"]) for e in logs if e.name == "BatchProducerSlashed"}
    attested = [e for e in logs if e.name == "BatchAttested"
                and (e.args["batchId"], e.args["validator"]) not in verdict_disputed]
    batch_verdicts, batch_records = [], []
    for batch in read_batches(protocol, committed):
        found = batch_grounds(protocol, separator, batch.records, [record_view(r, separator) for r in batch.records])
        if isinstance(found, str):
            log.warning("batch %s: not looked at for disputes: %s", batch.batch_id, found)
            continue
        grounds = [found.get(index) for index in range(len(batch.records))]
        verdicts = [e for e in attested if e.args["batchId"] == batch.batch_id]
        reads = [Read(protocol.settlement, "batchProducerDisputes", (batch.batch_id,), named=True),
                 Read(protocol.bonds, "bondOf", (batch.node,), named=True),
                 *(Read(protocol.settlement, "batchVerdictOf", (batch.batch_id, e.args["validator"]), named=True)
                   for e in verdicts)]
        producer, bond, *views = read_many(protocol.rpc, reads)
        until = producer["disputableUntil"]
        for index, (record, ground) in enumerate(zip(batch.records, grounds)):
            if (record.mode == MODES["tee"] and ground is not None and (batch.batch_id, index) not in producer_disputed
                    and until >= now):
                batch_records.append(BatchProducerDisputable(BatchCall(batch, index), ground, until,
                                                                     bond["active"] + bond["unbonding"]))
        for e, view in zip(verdicts, views):
            closes = view["disputableUntil"]
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
                                             Read(protocol.bonds, "bondOf", (c.node,), named=True))]
    answers = read_many(protocol.rpc, reads)
    return [(until, bond["active"] + bond["unbonding"]) for until, bond in zip(answers[0::2], answers[1::2])]


def _open_windows(protocol: Protocol, pairs: list[tuple[int, str]]) -> list[int | None]:
    """For each (record, validator) verdict, the last second it can be disputed, or None when it is
    not a checkable one (one Multicall3 batch)."""
    from ogcli.chain.multicall import Read, ReadFailed, read_many

    settlement = protocol.settlement
    views = read_many(protocol.rpc, [read for pair in pairs for read in
                                     (Read(settlement, "attestationOf", pair, named=True),
                                      Read(settlement, "disputableUntil", pair))])
    out = []
    for view, until in zip(views[0::2], views[1::2]):
        checkable = not isinstance(view, ReadFailed) and bool(view["checkable"])
        out.append(until if checkable and not isinstance(until, ReadFailed) else None)
    return out
