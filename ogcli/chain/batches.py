"""Batches of channel-paid calls read back from chain: a committed batch's records from its
commitBatch calldata (nothing is asked of the node that made it), and the call a request id or a
commitBatch transaction names.

A batch stores only its Merkle root on chain; its records travel in the calldata of the
transaction that committed it, so that transaction is the record's home, and a record is found by
reading the batches' calldata (newest first). A batch committed through another contract (a
multisig, say) has no readable calldata and is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.chain import abi
from ogcli.chain import events as event_logs
from ogcli.chain.contracts import Protocol
from ogcli.core import batch_records
from ogcli.core.batch_records import BatchRecord
from ogcli.errors import UsageError

COMMITTED = ("BatchCommitted",)
ZERO_ADDRESS = "0x" + "00" * 20
TX_PER_ROUND = 50  # transactions fetched per JSON-RPC batch while searching


class Unreadable(ValueError):
    """A transaction that is not a direct, decodable commitBatch call on the settlement."""


@dataclass(frozen=True)
class CommittedBatch:
    """A batch as its commitBatch transaction sent it."""

    batch_id: int
    node: str  # who sent it: the node whose records these are
    tx_hash: str
    block: int
    log_index: int  # of its BatchCommitted log: where in the block the terms are read
    committed_at: int
    records: list[BatchRecord]
    payers: list[str]  # each record's payer (its channel's)
    channels: list[dict]  # the claims' channel configs, in claim order (a record's `channel` indexes them)

    def leaves(self) -> list[bytes]:
        return [batch_records.leaf(r.pack(), p, self.node) for r, p in zip(self.records, self.payers)]

    def fees_on_channel(self, channel: int) -> int:
        return sum(r.fee_wei for r in self.records if r.channel == channel)


@dataclass(frozen=True)
class BatchCall:
    """One call of a committed batch."""

    batch: CommittedBatch
    index: int

    @property
    def record(self) -> BatchRecord:
        return self.batch.records[self.index]

    @property
    def payer(self) -> str:
        return self.batch.payers[self.index]

    @property
    def channel(self) -> dict:
        return self.batch.channels[self.record.channel]


def record_view(record: BatchRecord, separator: bytes) -> dict:
    """The record as the per-record rules read it (the keys of a settled record), its signer the
    address its signature recovers to under the one signature rule (the zero address when it
    recovers to nobody: a bad signature). A batch record does not name its signer."""
    from ogcli.core.result_signature import recover, typed_result_digest

    # A batch record's fields are in range by their packed widths (uint32, uint40, uint8).
    digest = typed_result_digest(separator, record.model_id.to_bytes(32, "big"), record.input_hash,
                                 record.output_hash, record.request_id, record.timestamp.to_bytes(32, "big"),
                                 record.mode.to_bytes(32, "big"))
    return {"modelId": record.model_id, "inputHash": record.input_hash, "outputHash": record.output_hash,
            "requestId": record.request_id, "timestamp": record.timestamp, "mode": record.mode,
            "signature": record.signature, "enclaveSigner": recover(digest, record.signature) or ZERO_ADDRESS}


def decode_commit(protocol: Protocol, tx: dict) -> tuple[list[BatchRecord], list[str], list[dict]]:
    """(records, each record's payer, the claimed channels' configs) of a commitBatch transaction
    (as eth_getTransactionByHash gives it). Unreadable when it is anything else."""
    if (tx.get("to") or "").lower() != protocol.settlement.address.lower():
        raise Unreadable("the batch was committed through another contract: its records are not in the calldata")
    data = tx.get("input") or tx.get("data") or "0x"
    raw = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
    try:
        name, args = abi.decode_call(protocol.settlement, raw)
    except Exception as exc:  # CodecError and the codec's own decoding errors alike
        raise Unreadable(f"the transaction's calldata does not decode: {exc}") from None
    if name != "commitBatch":
        raise Unreadable(f"the transaction calls {name}, not commitBatch")
    try:
        records = batch_records.unpack_all(bytes(args["records"]))
    except ValueError as exc:
        raise Unreadable(str(exc)) from None
    channels = [claim["voucher"]["channel"] for claim in args["claims"]]
    if any(r.channel >= len(channels) for r in records):
        raise Unreadable("a record names a channel the batch does not claim")
    return records, [channels[r.channel]["payer"] for r in records], channels


def committed_events(protocol: Protocol) -> list[event_logs.Event]:
    """Every BatchCommitted event since the deployment, in chain order, with timestamps."""
    query = event_logs.log_filter(protocol.settlement, COMMITTED, protocol.deployment.block)
    raw = protocol.rpc.batch([("eth_getLogs", [query])])[0]
    return event_logs.fill_timestamps(protocol.rpc, event_logs.decode(protocol.settlement, COMMITTED, raw))


def _batch(protocol: Protocol, event: event_logs.Event, tx: dict) -> CommittedBatch:
    records, payers, channels = decode_commit(protocol, tx)
    return CommittedBatch(batch_id=event.args["batchId"], node=event.args["node"], tx_hash=event.tx_hash,
                          block=event.block, log_index=event.log_index, committed_at=event.timestamp,
                          records=records, payers=payers, channels=channels)


def find(protocol: Protocol, ref: bytes, *, events: list[event_logs.Event] | None = None) -> list[BatchCall]:
    """Every call of a readable committed batch whose request id is `ref`, oldest first (a node
    records a call once: more than one is itself a sign of a node recording it again); else, when
    no record has that request id, the only call of the batch committed in the transaction `ref`
    (UsageError when that batch holds several, or cannot be read); [] when neither. Request ids
    come first: they are the node's to write, so one may equal a transaction hash."""
    events = committed_events(protocol) if events is None else events
    found = [BatchCall(batch, index) for batch in read_batches(protocol, events)
             for index, record in enumerate(batch.records) if record.request_id == ref]
    if found:
        return found
    tx_hash = "0x" + ref.hex()
    in_tx = [e for e in events if e.tx_hash.lower() == tx_hash]
    if not in_tx:
        return []
    [tx] = protocol.rpc.batch([("eth_getTransactionByHash", [tx_hash])])
    try:
        batch = _batch(protocol, in_tx[0], tx)
    except Unreadable as exc:
        raise UsageError(f"transaction {tx_hash} committed batch {in_tx[0].args['batchId']}, but {exc}; "
                         "its records cannot be checked here") from None
    if len(batch.records) > 1:
        ids = ", ".join("0x" + r.request_id.hex() for r in batch.records[:5])
        more = f" and {len(batch.records) - 5} more" if len(batch.records) > 5 else ""
        raise UsageError(f"transaction {tx_hash} committed batch {batch.batch_id} of {len(batch.records)} calls; "
                         f"verify one by its request id ({ids}{more})")
    return [BatchCall(batch, 0)]


def read_batches(protocol: Protocol, events: list[event_logs.Event]):
    """The readable batches of `events` (BatchCommitted, in the order given), their transactions
    fetched TX_PER_ROUND per JSON-RPC batch as the caller goes on; unreadable ones are skipped."""
    for start in range(0, len(events), TX_PER_ROUND):
        chunk = events[start:start + TX_PER_ROUND]
        txs = protocol.rpc.batch([("eth_getTransactionByHash", [e.tx_hash]) for e in chunk])
        for event, tx in zip(chunk, txs):
            if tx is None:
                continue
            try:
                yield _batch(protocol, event, tx)
            except Unreadable:
                continue


def calls_of_payer(protocol: Protocol, payer: str, channel_ids: list[bytes]) -> list[BatchCall]:
    """The payer's calls committed in batches, newest batch first: the batches whose transactions
    claimed one of `channel_ids` (BatchSettlement's Claimed logs, one query for all of them), read
    back from their calldata, and in each the records paid from a channel of this payer."""
    from ogcli.chain.abi import ContractRef
    from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
    from ogcli.protocol import artifacts

    if not channel_ids:
        return []
    channels = ContractRef(BATCH_SETTLEMENT_ADDRESS, artifacts.abi("BatchSettlement"))
    query = event_logs.log_filter(channels, ("Claimed",), protocol.deployment.block)
    query["topics"].append(["0x" + c.hex() for c in channel_ids])
    claim_txs = {log["transactionHash"].lower() for log in protocol.rpc.batch([("eth_getLogs", [query])])[0]}
    events = [e for e in committed_events(protocol) if e.tx_hash.lower() in claim_txs]
    mine = payer.lower()
    return [BatchCall(batch, index) for batch in read_batches(protocol, events[::-1])
            for index, p in enumerate(batch.payers) if p.lower() == mine]
