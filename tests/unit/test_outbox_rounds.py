"""The node's outbox and its workers' rounds, without a chain: a settled call stays settled, a
call's waiter wakes on its settlement, and a worker's rounds never overlap (a test once drove the
batch committer by hand while its thread ran: both rounds read the same rows, the second found
the channel claimed already and failed the calls the first had just committed)."""

from __future__ import annotations

import threading
import time

from ogcli.node.outbox import Outbox
from ogcli.node.rounds import Rounds, serialised


def _outbox(tmp_path) -> Outbox:
    return Outbox(tmp_path / "outbox.db")


def _add(outbox: Outbox, request_id: str, answered: bool = True) -> None:
    outbox.add(request_id, 1, "0x" + "11" * 20, 5, {"mode": 1}, {"from": "0x" + "11" * 20}, answered=answered)


def test_a_settled_call_is_never_failed_after(tmp_path):
    outbox = _outbox(tmp_path)
    _add(outbox, "0x01")
    outbox.mark_committed(["0x01"], 7, "0xaa")
    outbox.mark_failed("0x01", "commitBatch would revert: channel claimed up to 5 already")
    call = outbox.get("0x01")
    assert (call.state, call.record_id, call.error) == ("settled", 7, None)
    _add(outbox, "0x02")
    outbox.mark_failed("0x02", "refused")
    assert outbox.get("0x02").state == "failed"


def test_a_waiter_wakes_when_its_call_settles_and_gives_up_after_its_timeout(tmp_path):
    outbox = _outbox(tmp_path)
    _add(outbox, "0x01", answered=False)
    _add(outbox, "0x02", answered=False)
    assert outbox.get("0x01").answered is False
    threading.Timer(0.2, outbox.mark_settled, ("0x01", 3, "0xbb")).start()
    started = time.monotonic()
    call = outbox.wait_done("0x01", 10)
    assert call.state == "settled" and call.tx_hash == "0xbb"
    assert time.monotonic() - started < 5
    assert outbox.wait_done("0x02", 0.1).state == "pending"
    assert [c.request_id for c in outbox.unanswered("pending")] == ["0x02"]
    outbox.mark_answered("0x02")
    assert outbox.unanswered("pending") == []


class _Worker(Rounds):
    """A test double: a worker whose serialised entry point records how many run at once."""

    def __init__(self) -> None:
        super().__init__(sender=None, interval_s=1.0, log=None)
        self.running = 0
        self.most = 0

    @serialised
    def work(self) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        time.sleep(0.05)
        self.running -= 1

    @serialised
    def nested(self) -> None:
        self.work()  # a round calls other entry points (reconcile, then settle): no self-deadlock


def test_a_workers_rounds_never_overlap():
    worker = _Worker()
    threads = [threading.Thread(target=worker.work) for _ in range(4)] + [threading.Thread(target=worker.nested)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert worker.most == 1


def test_an_offers_window_runs_on_the_chains_clock():
    """maxTimeoutSeconds: an hour by the chain's clock, as clients sign by their own (the x402
    SDKs: validBefore = their clock + maxTimeoutSeconds), rounded up to the hour."""
    from ogcli.node.payments import MAX_TIMEOUT_S, validity_window_s

    now = int(time.time())
    assert validity_window_s(None) == MAX_TIMEOUT_S
    assert validity_window_s(lambda: now - 500) == MAX_TIMEOUT_S  # an idle devnet's last block, behind
    month = 30 * 86_400
    assert validity_window_s(lambda: now + month) == MAX_TIMEOUT_S + month
    assert validity_window_s(lambda: now + month - 1000) == MAX_TIMEOUT_S + month  # the same hour: one offer
    assert validity_window_s(lambda: now + 1) == MAX_TIMEOUT_S + 3_600
