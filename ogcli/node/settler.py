"""Settles the outbox on chain: batches of pending calls in one `settleBatch` (or `settle` for
one), the hash recorded before the wait, retried until mined, and never twice.

Before anything is resent (after a restart, or a receipt wait that gave up), every `sent` row is
checked against the contract's `recordIdByRequest`: a call the chain already holds is marked
settled, whatever the node remembers, and one whose transaction still waits in the mempool is
left to land. A refusal that will not change (an expired or spent authorization, an underpayment, a
deprecated model) marks the call failed with the reason; anything else (an RPC outage) leaves it
pending for the next round.

A call is answered once its settlement is mined (ogcli/node/app.py): a row still pending at start
that was never answered (the node stopped while its settlement waited) is failed, not settled:
its payer got nothing, and keeps its money (the authorization stays unused).
"""

from __future__ import annotations

import logging

from ogcli.chain.contracts import Protocol
from ogcli.chain.sender import Sender
from ogcli.core.records import record_tuple
from ogcli.errors import RevertedError
from ogcli.node.outbox import Call, Outbox
from ogcli.node.rounds import Rounds, in_mempool, send_recorded, serialised

log = logging.getLogger("ogcli.node.settler")
PERMANENT = ("Underpaid", "ModelNotCallable", "AuthorizationUsedOrCanceled", "AuthorizationExpired",
             "AuthorizationNotYetValid", "InvalidSignature", "ERC20InsufficientBalance", "ERC3009",
             "RecordTimeOutOfBounds",  # older than MAX_RECORD_AGE: no later round can settle it
             "RequestNotPaid")  # its nonce is used and did not pay this till (cancelled, or spent elsewhere)


class Settler(Rounds):
    name = "settler"

    def __init__(self, protocol: Protocol, sender: Sender, outbox: Outbox, *, batch_size: int = 16,
                 interval_s: float = 0.5, batch_window_s: float = 0.2) -> None:
        super().__init__(sender, interval_s, log)
        self.protocol = protocol
        self.outbox = outbox
        self.batch_size = batch_size
        self.batch_window_s = batch_window_s  # after a new call, wait this long for others to batch with it
        self.gas_used: list[tuple[int, int]] = []  # (calls in the transaction, gas used)

    def recover(self) -> None:
        self.reconcile()  # a `sent` row not on chain and not in the mempool goes back to pending ...
        for call in self.outbox.unanswered("pending"):  # ... and one never answered stops there
            self.outbox.mark_failed(call.request_id, "the node stopped before answering: its payment was not taken")

    @serialised
    def reconcile(self) -> None:
        """Rows left `sent` (by a previous run, or by a receipt wait that gave up): settled on
        chain; still waiting in the mempool, left `sent` for the next round (sending again would
        put a duplicate behind it, which reverts at the operator's cost); or back to pending."""
        settlement = self.protocol.settlement.functions
        for call in self.outbox.in_state("sent", limit=10_000):
            record_id = settlement.recordIdByRequest(bytes.fromhex(call.request_id[2:])).call()
            if record_id:
                self._settled_elsewhere(call, record_id)
            elif call.tx_hash and in_mempool(self.protocol.w3, call.tx_hash):
                continue
            else:
                self.outbox.mark_pending([call.request_id], "resent: its transaction never landed")


    @serialised
    def settle_pending(self) -> int:
        """One round: returns how many calls were settled."""
        pending = self.outbox.in_state("pending", limit=self.batch_size)
        if not pending:
            return 0
        try:
            return self._settle(pending)
        except RevertedError as exc:
            if len(pending) == 1:
                return self._refused(pending[0], exc)
        # One bad call sinks a batch: each call's own settlement is simulated (free) to find the
        # bad ones, and the rest go in one transaction again, not one each (a payer who cancels
        # one authorization a batch would otherwise cost the node a transaction per call).
        good = []
        for call in pending:
            try:
                self.sender.estimate(self._settle_fn([call]), label="settle")
                good.append(call)
            except RevertedError as refusal:
                self._refused(call, refusal)
        if len(good) < len(pending) and len(good) > 1:
            try:
                return self._settle(good)
            except RevertedError:
                pass  # they fail together though each passes alone (a bond they share): one by one
        return sum(self._settle_one_safely(call) for call in good)

    def _settle_one_safely(self, call: Call) -> int:
        try:
            return self._settle([call])
        except RevertedError as exc:
            return self._refused(call, exc)

    def _refused(self, call: Call, exc: RevertedError) -> int:
        message = str(exc)
        if "RequestAlreadySettled" in message:
            record_id = self.protocol.settlement.functions.recordIdByRequest(bytes.fromhex(call.request_id[2:])).call()
            return self._settled_elsewhere(call, record_id)
        if any(reason in message for reason in PERMANENT):
            self.outbox.mark_failed(call.request_id, message[:500])
            log.warning("call %s refused for good: %s", call.request_id, message)
            return 0
        self.outbox.mark_pending([call.request_id], message[:500])
        return 0

    def _settled_elsewhere(self, call: Call, record_id: int) -> int:
        """The chain holds a record under this call's request id, not from this round: settled
        when it is this call as this node settles it (an earlier transaction of ours), failed
        when it is anyone else's record (a request id is public before its settlement lands)."""
        from ogcli.core.records import settled_hash

        stored = bytes(self.protocol.settlement.functions.recordState(record_id).call()[0])
        ours = settled_hash(call.record, call.payer, self.sender.address, call.value_wei)
        if stored == ours:
            self.outbox.mark_settled(call.request_id, record_id, None)
            return 1
        self.outbox.mark_failed(call.request_id, f"request id taken on chain by record {record_id}, not this call")
        log.warning("call %s: its request id was settled by record %d, another record", call.request_id, record_id)
        return 0

    def _settle_fn(self, calls: list[Call]):
        """The contract call that settles `calls`: `settle` for one, `settleBatch` for more."""
        settlement = self.protocol.settlement.functions
        records = [record_tuple(c.record) for c in calls]
        payments = [_payment(c.payment) for c in calls]
        return settlement.settle(records[0], payments[0]) if len(calls) == 1 else settlement.settleBatch(records, payments)

    def _settle(self, calls: list[Call]) -> int:
        settlement = self.protocol.settlement
        ids = [c.request_id for c in calls]
        receipt = send_recorded(self.sender, self.outbox, self._settle_fn(calls), ids, "settle")
        if receipt is None:
            return 0  # left `sent`: the next reconcile decides
        tx_hash = receipt.tx_hash
        from web3.logs import DISCARD

        events = settlement.events.InferenceSettled().process_receipt(receipt.raw, errors=DISCARD)
        by_request = {"0x" + bytes(e["args"]["record"]["requestId"]).hex(): e["args"]["recordId"] for e in events}
        for request_id in ids:
            self.outbox.mark_settled(request_id, by_request[request_id], tx_hash)
        self.gas_used.append((len(calls), receipt.gas_used))
        return len(calls)

    def round(self) -> None:
        if self.batch_window_s and self.outbox.in_state("pending", limit=1):
            if self._stop.wait(self.batch_window_s):
                return
        if self.outbox.in_state("sent", limit=1):
            self.reconcile()  # a receipt wait gave up last round: see where it stands
        while self.settle_pending():
            pass


def _payment(p: dict) -> tuple:
    return (
        p["from"], int(p["value"]), int(p["validAfter"]), int(p["validBefore"]), bytes.fromhex(p["nonce"][2:]),
        bytes.fromhex(p["signature"][2:]),
    )
