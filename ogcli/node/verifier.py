"""The node's verifier role: follows InferenceSettled events from a checkpoint, judges each record,
and attests the verdict on chain as its validator, exactly once per record.

A record is valid when (TEE mode) its EIP-712 result signature recovers to the enclave signer,
that enclave is registered, and its measurement was approved at the record's time; (ZKML mode)
the node publishes the call's input, output and proof, the proof verifies under the circuit the
model's publisher committed to, and it proves exactly the recorded input and output; (ONNX
models, a sample of calls, when asked) re-running the model on the call's input gives its output;
and (any mode) the payment split adds up under the settlement's parameters. A verifier without
ezkl abstains on ZKML records rather than guess. The checkpoint and the verdicts live
in SQLite; before attesting, the chain is asked whether this validator attested already, so a
crash between sending and recording never produces a second attestation. The hash of each sent
attestation is kept too: killed while it waited in the mempool, the verifier waits for it after a
restart rather than sending a second one (which the chain would revert, at the validator's cost).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from ogcli.chain import events as event_logs
from ogcli.chain.disputes import GROUND_NAMES, GroundFinder
from ogcli.core.model_metadata import MODES
from ogcli.core.pricing import BPS
from ogcli.errors import NetworkError, RevertedError
from ogcli.node.judges import ReExecutor, ZkJudge

log = logging.getLogger("ogcli.node.verifier")
BLOCK_SPAN = 2_000  # blocks per log query
MODE_ZKML = MODES["zkml"]


@dataclass(frozen=True)
class Verdict:
    record_id: int
    valid: bool | None  # None: abstain (a ZKML record this verifier cannot check)
    reasons: tuple[str, ...]


class Verifier:
    def __init__(self, protocol, sender, state_path: Path, *, poll_interval_s: float = 1.0,
                 zk: ZkJudge | None = None, rerun: ReExecutor | None = None) -> None:
        self.protocol, self.sender = protocol, sender
        self.zk, self.rerun = zk, rerun
        self.poll_interval_s = poll_interval_s
        state_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(state_path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), block INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS verdicts (record_id INTEGER PRIMARY KEY, valid INTEGER NOT NULL,"
            " reasons TEXT NOT NULL, tx_hash TEXT);"
            "CREATE TABLE IF NOT EXISTS sent (record_id INTEGER PRIMARY KEY, tx_hash TEXT NOT NULL)"
        )
        self._grounds = GroundFinder(protocol)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="verifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._db.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception as exc:  # an outage must not kill the thread
                log.warning("verification round failed: %s", str(exc)[:300])
                self.sender.resync()
            self._stop.wait(self.poll_interval_s)

    # ------------------------------------------------------------------ one round

    def checkpoint(self) -> int:
        row = self._db.execute("SELECT block FROM checkpoint WHERE id = 1").fetchone()
        return row[0] if row else self.protocol.deployment.block - 1

    def verdicts(self) -> dict[int, bool]:
        return {r: bool(v) for r, v in self._db.execute("SELECT record_id, valid FROM verdicts")}

    def step(self) -> int:
        """Judges and attests every record settled since the checkpoint; returns how many."""
        settlement = self.protocol.settlement
        head = self.protocol.w3.eth.block_number
        done = 0
        start = self.checkpoint() + 1
        while start <= head:
            end = min(head, start + BLOCK_SPAN - 1)
            query = event_logs.log_filter(settlement, ("InferenceSettled",), start, end)
            raw = self.protocol.rpc.batch([("eth_getLogs", [query])])[0]
            judged = self.verdicts()  # a retried round (after a crash or a pending send) skips them
            batch = [e.args for e in event_logs.decode(settlement, ("InferenceSettled",), raw)
                     if e.args["recordId"] not in judged]
            for verdict in self.judge_many(batch):
                done += self._attest(verdict)
            self._db.execute("INSERT INTO checkpoint (id, block) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET block = ?",
                             (end, end))
            start = end + 1
        return done

    def judge(self, args: dict) -> Verdict:
        return self.judge_many([args])[0]

    def judge_many(self, batch: list[dict]) -> list[Verdict]:
        """Verdicts for settled-call events; the registry is read once for the whole batch."""
        grounds = self._grounds.grounds([args["record"] for args in batch])
        validator_bps, treasury_bps = self._fee_split()
        return [self._verdict(args, ground, validator_bps, treasury_bps) for args, ground in zip(batch, grounds)]

    def _verdict(self, args: dict, ground, validator_bps: int, treasury_bps: int) -> Verdict:
        reasons = []
        if ground is not None:
            reasons.append(GROUND_NAMES[ground])
        if args["record"]["mode"] == MODE_ZKML:
            proof_reasons = self.zk.reasons(args["record"]) if self.zk is not None else None
            if proof_reasons is None:
                return Verdict(args["recordId"], None, ("cannot check zkML proofs here",))
            reasons += proof_reasons
        elif self.rerun is not None and self.rerun.sampled(args["record"]):
            rerun_reasons = self.rerun.reasons(args["record"])
            if rerun_reasons is None:
                return Verdict(args["recordId"], None, ("cannot re-run this model here",))
            reasons += rerun_reasons
        fee = args["fee"]
        parts = args["publisherCut"] + args["nodeCut"] + args["validatorCut"] + args["treasuryCut"]
        if parts != fee or args["validatorCut"] != fee * validator_bps // BPS or args["treasuryCut"] != fee * treasury_bps // BPS:
            reasons.append("the payment split does not add up under the settlement's parameters")
        return Verdict(args["recordId"], not reasons, tuple(reasons))

    # ------------------------------------------------------------------ internals

    def _attest(self, verdict: Verdict) -> int:
        if verdict.valid is None:
            log.info("record %s: abstaining (%s)", verdict.record_id, "; ".join(verdict.reasons))
            return 0
        if self._db.execute("SELECT 1 FROM verdicts WHERE record_id = ?", (verdict.record_id,)).fetchone():
            return 0
        settlement = self.protocol.settlement.functions
        self._wait_for_earlier_send(verdict.record_id)  # before reading the chain: it may land meanwhile
        attested_at = settlement.attestationOf(verdict.record_id, self.sender.address).call()[0]
        tx_hash = None
        if not attested_at:  # not already on chain (a crash after sending leaves it there)
            call = settlement.attest(verdict.record_id, verdict.valid)
            try:
                tx_hash, tx = self.sender.submit(call, gas=self.sender.estimate(call, label="attest"), label="attest")
                self._db.execute("INSERT OR REPLACE INTO sent (record_id, tx_hash) VALUES (?, ?)", (verdict.record_id, tx_hash))
                self.sender.confirm(tx_hash, tx, label="attest")
            except RevertedError as exc:
                log.warning("record %s: attestation refused: %s", verdict.record_id, exc)
                return 0
        self._db.execute("INSERT INTO verdicts (record_id, valid, reasons, tx_hash) VALUES (?, ?, ?, ?)",
                         (verdict.record_id, int(verdict.valid), "; ".join(verdict.reasons), tx_hash))
        if not verdict.valid:
            log.warning("record %s attested INVALID: %s", verdict.record_id, "; ".join(verdict.reasons))
        return 1

    def _wait_for_earlier_send(self, record_id: int) -> None:
        """An attestation sent before a crash (or a receipt timeout) may still be in the mempool,
        where `attestationOf` cannot see it: sending again would put a second one behind it, which
        reverts on chain (AlreadyAttested) at the validator's cost and leaves no verdict recorded.
        So the round stops until it is mined (the loop retries); a dropped one is sent again."""
        from web3.exceptions import TransactionNotFound

        row = self._db.execute("SELECT tx_hash FROM sent WHERE record_id = ?", (record_id,)).fetchone()
        if row is None:
            return
        try:
            pending = self.protocol.w3.eth.get_transaction(row[0])["blockNumber"] is None
        except TransactionNotFound:
            return
        if pending:
            raise NetworkError(f"record {record_id}: its attestation (tx {row[0]}) is still pending; waiting for it")

    def _fee_split(self) -> tuple[int, int]:
        params = self.protocol.settlement.functions.params().call()
        return params[0], params[1]
