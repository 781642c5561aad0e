"""Commits the node's channel-paid calls on chain: the outbox's `batch-settlement` rows, up to
BatchRecords.MAX_RECORDS at a time, in one `InferenceSettlement.commitBatch` with the latest
voucher of every channel they were paid from.

A channel's claim is what the chain has already claimed on it plus the fees of the rows in the
batch (never the voucher's ceiling: a call charged but never answered, or lost in a crash before
its row was written, has no row, so its payer is never claimed for it). The batch's hash is in the
outbox before the wait; after a restart, `sent` rows are settled from their transaction's receipt,
left while it is still in the mempool, and otherwise sent again. A batch the contract refuses is
split by channel so that one bad channel does not hold the others back; that channel's rows are
marked failed with the reason.
"""

from __future__ import annotations

import logging
import re
import time

from ogcli.chain.abi import checksum
from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.chain.multicall import Read, ReadFailed, read_many
from ogcli.core import batch_records
from ogcli.core.batch_records import BatchRecord
from ogcli.errors import NetworkError, RevertedError
from ogcli.node.channel_payments import SCHEME
from ogcli.node.outbox import Call, Outbox
from ogcli.node.rounds import Rounds, in_mempool, send_recorded, serialised

log = logging.getLogger("ogcli.node.batches")
MAX_RECORDS = 256  # BatchRecords.MAX_RECORDS
NO_SIGNATURE = bytes(65)  # a vanilla record is unsigned; the packed format keeps the room


class BatchCommitter(Rounds):
    name = "batch-committer"

    def __init__(self, protocol, sender, outbox: Outbox, *, interval_s: float = 2.0, max_wait_s: float = 30.0,
                 min_records: int = 100, on_withdrawal=None) -> None:
        super().__init__(sender, interval_s, log)
        self.on_withdrawal = on_withdrawal  # channel id -> None: told when a payer starts a withdrawal
        self.protocol = protocol
        self.outbox = outbox
        self.max_wait_s = max_wait_s  # a call waits at most this long for others to share its batch
        self.min_records = min_records  # ... or until this many are waiting
        self.gas_used: list[tuple[int, int]] = []  # (records in the batch, gas used)
        self._channels = protocol.contract("BatchSettlement", BATCH_SETTLEMENT_ADDRESS)

    # ------------------------------------------------------------------ rounds

    def due(self, now: float | None = None) -> bool:
        """Whether the waiting calls should be committed now: enough of them, the oldest has
        waited max_wait_s (a record must reach the chain within the hour after its time), or a
        payer of one of them has started a withdrawal (which takes back, once its delay has
        passed, whatever is still unclaimed)."""
        waiting, oldest = self.outbox.waiting(SCHEME)
        if not waiting:
            return False
        if waiting >= self.min_records or (now or time.time()) - oldest >= self.max_wait_s:
            return True
        return self._withdrawal_started(self.outbox.channels_waiting(SCHEME))

    def added(self) -> None:
        """A call was answered: a round now when it completes a batch, else at the next interval
        (which also looks for withdrawals): a round per call would read the chain per call."""
        if self.outbox.waiting(SCHEME)[0] >= self.min_records:
            self.poke()

    @serialised
    def commit_pending(self) -> int:
        """One batch of the oldest waiting calls; returns how many were committed."""
        calls = self.outbox.in_state("pending", limit=MAX_RECORDS, scheme=SCHEME)
        if not calls:
            return 0
        try:
            return self._commit(calls)
        except RevertedError as exc:
            groups = _by_channel(calls)
            if len(groups) == 1:
                self._refused(calls, exc)
                return 0
            return sum(self._commit_alone(group) for group in groups.values())

    @serialised
    def reconcile(self) -> None:
        """Rows left `sent` by a previous run or a receipt wait that gave up."""
        from web3.exceptions import TransactionNotFound

        sent = self.outbox.in_state("sent", limit=10_000, scheme=SCHEME)
        for tx_hash in sorted({c.tx_hash for c in sent if c.tx_hash}):
            ids = [c.request_id for c in sent if c.tx_hash == tx_hash]
            try:
                receipt = self.protocol.w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                receipt = None
            if receipt is None:
                if in_mempool(self.protocol.w3, tx_hash):
                    continue
                self.outbox.mark_pending(ids, "resent: its batch never landed")
            elif receipt["status"] == 1:
                self.outbox.mark_committed(ids, self._batch_id(receipt), tx_hash)
            else:
                self.outbox.mark_pending(ids, f"its batch {tx_hash} reverted; committing again")

    # ------------------------------------------------------------------ internals

    def _commit_alone(self, calls: list[Call]) -> int:
        try:
            return self._commit(calls)
        except RevertedError as exc:
            self._refused(calls, exc)
            return 0

    def _refused(self, calls: list[Call], exc: RevertedError) -> None:
        message = str(exc)[:500]
        for call in calls:
            self.outbox.mark_failed(call.request_id, message)
        log.warning("%d channel call(s) refused for good: %s", len(calls), message)

    def _commit(self, calls: list[Call]) -> int:
        calls = self._readable(calls)
        if not calls:
            return 0
        claims, records = self._batch(calls)
        fn = self.protocol.settlement.functions.commitBatch(claims, batch_records.pack_all(records))
        ids = [c.request_id for c in calls]
        receipt = send_recorded(self.sender, self.outbox, fn, ids, "commitBatch")
        if receipt is None:
            return 0  # left `sent`: the next reconcile decides
        tx_hash = receipt.tx_hash
        self.outbox.mark_committed(ids, self._batch_id(receipt.raw), tx_hash)
        self.gas_used.append((len(calls), receipt.gas_used))
        log.info("committed %d call(s) from %d channel(s) in batch tx %s (%d gas)", len(calls), len(claims), tx_hash,
                 receipt.gas_used)
        return len(calls)

    def _readable(self, calls: list[Call]) -> list[Call]:
        """The calls whose channel's rows all make a claim and records; the rows of any other
        channel are marked failed (a row the node wrote itself should always be readable: this
        keeps one bad row from holding back every other payer's batch)."""
        good = []
        for channel_id, rows in _by_channel(calls).items():
            try:
                for row in rows:
                    _config(row.payment["channelConfig"])
                    _record(row, 0)
                    if not re.fullmatch(r"0x[0-9a-f]{130}", row.payment["signature"]):
                        raise ValueError(f"signature {row.payment['signature'][:12]}... is not 0x and 65 bytes")
            except (KeyError, TypeError, ValueError) as exc:
                for row in rows:
                    self.outbox.mark_failed(row.request_id, f"unreadable payment record: {exc}"[:500])
                log.warning("channel %s: %d call(s) with an unreadable payment record: %s", channel_id, len(rows), exc)
                continue
            good += rows
        return good

    def _batch(self, calls: list[Call]) -> tuple[list[tuple], list[BatchRecord]]:
        """commitBatch's claims (sorted by channel id) and records (in model order, for fewer runs)."""
        groups = _by_channel(calls)
        order = sorted(groups, key=lambda channel_id: int(channel_id, 16))
        claimed = read_many(self.protocol.rpc, [Read(self._channels, "channels", (bytes.fromhex(c[2:]),))
                                                for c in order])
        claims, index = [], {}
        for position, (channel_id, state) in enumerate(zip(order, claimed)):
            if isinstance(state, ReadFailed):
                raise NetworkError(f"could not read channel {channel_id}")
            rows = groups[channel_id]
            latest = max(rows, key=lambda c: int(c.payment["maxClaimableAmount"]))
            ceiling = int(latest.payment["maxClaimableAmount"])
            total = int(state[1]) + sum(int(c.payment["fee"]) for c in rows)
            if total > ceiling:
                raise RevertedError(f"commitBatch would revert: channel {channel_id} is claimed up to {state[1]} "
                                    f"already; its calls' fees would take it past the voucher's {ceiling}")
            claims.append(((_config(latest.payment["channelConfig"]), ceiling),
                           bytes.fromhex(latest.payment["signature"][2:]), total))
            index[channel_id] = position
        ordered = sorted(calls, key=lambda c: (c.model_id, c.created_at))
        return claims, [_record(c, index[c.payment["channelId"]]) for c in ordered]

    def _withdrawal_started(self, channel_ids: set[str]) -> bool:
        ids = sorted(channel_ids)
        reads = [Read(self._channels, "pendingWithdrawals", (bytes.fromhex(c[2:]),)) for c in ids]
        answers = read_many(self.protocol.rpc, reads)
        for channel_id, pending in zip(ids, answers):
            if isinstance(pending, ReadFailed):
                raise NetworkError(f"could not read channel {channel_id}'s withdrawal")
        started = [c for c, pending in zip(ids, answers) if pending[1]]  # initiatedAt
        for channel_id in started:
            log.info("the payer of channel %s started a withdrawal: committing its calls now", channel_id)
            if self.on_withdrawal is not None:
                self.on_withdrawal(channel_id)
        return bool(started)

    def _batch_id(self, receipt) -> int:
        from web3.logs import DISCARD

        events = self.protocol.settlement.events.BatchCommitted().process_receipt(receipt, errors=DISCARD)
        return events[0]["args"]["batchId"] if events else 0


    def round(self) -> None:
        if self.outbox.in_state("sent", limit=1, scheme=SCHEME):
            self.reconcile()
        while self.due() and self.commit_pending():
            pass


def _by_channel(calls: list[Call]) -> dict[str, list[Call]]:
    groups: dict[str, list[Call]] = {}
    for call in calls:
        groups.setdefault(call.payment["channelId"], []).append(call)
    return groups


def _config(config: dict) -> tuple:
    """The channel's ChannelConfig as the contract takes it; ValueError when a field is not in the
    form the node wrote it (checksummable addresses, a 32-byte salt)."""
    salt = bytes.fromhex(str(config["salt"]).removeprefix("0x"))
    if len(salt) != 32:
        raise ValueError("a channel's salt is 32 bytes")
    return (*(_address(config[name]) for name in ("payer", "payerAuthorizer", "receiver", "receiverAuthorizer",
                                                  "token")), int(config["withdrawDelay"]), salt)


def _address(value) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        raise ValueError(f"not an address: {str(value)[:50]}")
    return checksum(value)


def _record(call: Call, channel: int) -> BatchRecord:
    r = call.record
    signature = bytes.fromhex(r["signature"].removeprefix("0x")) or NO_SIGNATURE
    return BatchRecord(model_id=r["modelId"], input_hash=bytes.fromhex(r["inputHash"][2:]),
                       output_hash=bytes.fromhex(r["outputHash"][2:]), request_id=bytes.fromhex(r["requestId"][2:]),
                       timestamp=r["timestamp"], mode=r["mode"], channel=channel, fee_wei=int(call.payment["fee"]),
                       signature=signature)
