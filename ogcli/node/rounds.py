"""The node's background workers (the settler, the batch committer): a thread that reconciles
once at start, then runs a round every `interval_s`, or sooner when poked. A round that fails
(an RPC outage, a node that cannot be reached) is logged and tried again the next time: it must
never kill the thread that settles what the node was paid."""

from __future__ import annotations

import functools
import logging
import threading

from ogcli.errors import NetworkError


class Rounds:
    name = "rounds"  # the thread's name, and the log's word for a round

    def __init__(self, sender, interval_s: float, log: logging.Logger) -> None:
        self.sender = sender
        self.interval_s = interval_s
        self._log = log
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._serial = threading.RLock()  # one round at a time (see `serialised`)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.recover()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def poke(self) -> None:
        """Work was added: run a round soon rather than at the next interval."""
        self._wake.set()

    def recover(self) -> None:
        """At start: what a previous run left half done."""
        self.reconcile()

    def reconcile(self) -> None:
        """What a previous run (or a receipt wait that gave up) left half done."""

    def round(self) -> None:
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.round()
            except Exception as exc:  # an outage must not kill the thread: retry next round
                self._log.warning("%s round failed: %s", self.name, str(exc)[:300])
                self.sender.resync()
            self._wake.wait(self.interval_s)
            self._wake.clear()


def serialised(method):
    """A worker's entry point that reads the outbox and acts on what it read (settle, commit,
    reconcile) runs alone: a round from another thread (an operator's tool, a test driving the
    worker while its thread runs) that read the same rows would act on them again, and fail
    rows that the first round had just settled."""

    @functools.wraps(method)
    def alone(self, *args, **kwargs):
        with self._serial:
            return method(self, *args, **kwargs)

    return alone


def send_recorded(sender, outbox, fn, request_ids: list[str], label: str):
    """Simulates `fn` (a refusal raises RevertedError and nothing is sent), sends it, records its
    hash on the outbox rows `request_ids` before waiting, and returns the receipt; None when the
    wait gave up (the rows stay `sent`: the next reconcile looks the transaction up)."""
    gas = sender.estimate(fn, label=label)
    tx_hash, tx = sender.submit(fn, gas=gas, label=label)
    outbox.mark_sent(request_ids, tx_hash)
    try:
        return sender.confirm(tx_hash, tx, label=label)
    except NetworkError:
        sender.resync()
        return None


def in_mempool(w3, tx_hash: str) -> bool:
    """Whether `tx_hash` waits in the node's mempool (False once mined, or when it was dropped)."""
    from web3.exceptions import TransactionNotFound

    try:
        return w3.eth.get_transaction(tx_hash)["blockNumber"] is None
    except TransactionNotFound:
        return False
