"""The node's verifier role: follows InferenceSettled (and BatchCommitted) events from a
checkpoint, judges each record once its block is deep enough, and attests the verdict on chain as
its validator, exactly once per record.

A record is valid when its mode is exactly one the protocol knows (vanilla, tee, zkml: any other
value is invalid, never taken for vanilla); (TEE mode) its EIP-712 result signature recovers to
the enclave signer, that enclave is registered, and its measurement was approved at the record's
time, and the document the enclave was registered with verifies here too (else the verifier
abstains: ogcli.chain.enclave_documents); (ZKML mode) the node publishes the call's input, output
and proof, the proof verifies under the circuit the model's publisher committed to, and it proves
exactly the recorded input and output; (ONNX models, a sample of calls, when asked) re-running
the model on the call's input gives its output; and (any mode) the payment split adds up under the
settlement's parameters in force when the call settled (from ParamsChanged events, not today's).
A verifier without ezkl abstains on ZKML records rather than guess.

Records are judged only in blocks at least `confirmations` below the head: a reorg can take back
a shallower block, and a verdict on a record that vanished would be one on whichever record takes
its id next. A node that cannot be asked now (down, 5xx, too slow) holds the checkpoint back for a
bounded number of attempts across rounds; then the verifier abstains on the record, records the
abstention, and moves on: a hostile node can cost it time, never its progress. Endpoints it must
not ask (off a devnet, non-public addresses) make it abstain at once.

The checkpoint, the verdicts, the abstentions and the failed attempts live in SQLite; before
attesting, the chain is asked whether this validator attested already, so a crash between sending
and recording never produces a second attestation. The hash of each sent attestation is kept too:
killed while it waited in the mempool, the verifier waits for it after a restart rather than
sending a second one (which the chain would revert, at the validator's cost).

Batches (BatchCommitted) are judged in the same rounds and checkpoint: their records read back
from the commitBatch calldata and checked against the batch's root, each judged by the same
rules, the verdict attested as the contract's two bitmaps (ogcli/verify/batch_judge.py), once
(the chain is asked first). Sampled calls are re-run in batches as they are settled alone.

A verdict is paid only once it has stood through the challenge window, and only when claimed: every
`claim_every_polls` rounds the verifier claims what its verdicts earned (`claim_rewards`), and
records the verdicts that will never pay again (claimed, disputed, no reward slot) so that it
does not ask about them twice.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

from ogcli.chain import events as event_logs
from ogcli.chain import history
from ogcli.chain.enclave_documents import DocumentChecks
from ogcli.chain.history import Point
from ogcli.chain.multicall import Read, read_one
from ogcli.core.model_metadata import MODES
from ogcli.errors import NetworkError, RevertedError
from ogcli.verify.batch_judge import BatchJudge
from ogcli.verify.judges import DEV_CHAIN_IDS, ReExecutor, ZkJudge
from ogcli.verify.record_grounds import GROUND_NAMES, GROUND_NONE
from ogcli.verify.record_judge import RecordJudge, Verdict

log = logging.getLogger("ogcli.node.verifier")
BLOCK_SPAN = 2_000  # blocks per log query
SETTLEMENT_EVENTS = ("InferenceSettled", "ParamsChanged", "BatchCommitted")
# Off a devnet, a block this deep is taken as final (about 2.4 min on Ethereum, 24 s on Base). A
# devnet is one Anvil: nothing reorganises it, and with automine no block follows the last
# transaction, so any depth there would leave the newest records unjudged on a quiet chain.
DEFAULT_CONFIRMATIONS = 12
DEV_CONFIRMATIONS = 0
MAX_FETCH_ATTEMPTS = 3  # rounds a record may wait for its node before the verifier abstains on it
RETRY_AFTER_POLLS = 10  # polling intervals between two attempts (10 s by default: a node restarting)
CLAIM_EVERY_POLLS = 300  # rounds between two reward claims (5 min by default; windows last days)


def default_confirmations(chain_id: int) -> int:
    return DEV_CONFIRMATIONS if chain_id in DEV_CHAIN_IDS else DEFAULT_CONFIRMATIONS


class Verifier:
    def __init__(self, protocol, sender, state_path: Path, *, poll_interval_s: float = 1.0,
                 zk: ZkJudge | None = None, rerun: ReExecutor | None = None, confirmations: int | None = None,
                 max_attempts: int = MAX_FETCH_ATTEMPTS, claim_every_polls: int = CLAIM_EVERY_POLLS) -> None:
        self.protocol, self.sender = protocol, sender
        self.zk, self.rerun = zk, rerun
        self.poll_interval_s = poll_interval_s
        self.confirmations = default_confirmations(protocol.rpc.chain_id) if confirmations is None else confirmations
        if self.confirmations < 0 or max_attempts < 1:
            raise ValueError("confirmations must be 0 or more and max_attempts 1 or more")
        self.max_attempts = max_attempts
        self.claim_every_polls = claim_every_polls
        state_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(state_path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), block INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS verdicts (record_id INTEGER PRIMARY KEY, valid INTEGER NOT NULL,"
            " reasons TEXT NOT NULL, tx_hash TEXT);"
            "CREATE TABLE IF NOT EXISTS sent (record_id INTEGER PRIMARY KEY, tx_hash TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS abstentions (record_id INTEGER PRIMARY KEY, reasons TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS attempts (record_id INTEGER PRIMARY KEY, failures INTEGER NOT NULL,"
            " last_error TEXT NOT NULL, retry_at REAL NOT NULL);"
            # Verdicts whose reward is settled for good: claimed, forfeited, or never held a slot.
            "CREATE TABLE IF NOT EXISTS rewards_done (record_id INTEGER PRIMARY KEY, state TEXT NOT NULL);"
            # The same for batches (ogcli/verify/batch_judge.py): batch ids are not record ids.
            "CREATE TABLE IF NOT EXISTS batch_verdicts (batch_id INTEGER PRIMARY KEY, invalid_bits TEXT NOT NULL,"
            " uncheckable_bits TEXT NOT NULL, reasons TEXT NOT NULL, tx_hash TEXT);"
            "CREATE TABLE IF NOT EXISTS batch_sent (batch_id INTEGER PRIMARY KEY, tx_hash TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS batch_abstentions (batch_id INTEGER PRIMARY KEY, reasons TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS batch_attempts (batch_id INTEGER PRIMARY KEY, failures INTEGER NOT NULL,"
            " last_error TEXT NOT NULL, retry_at REAL NOT NULL)"
        )
        self._documents = DocumentChecks(protocol)
        self._records = RecordJudge(protocol, self._documents, zk, rerun)
        self._batches = BatchJudge(protocol, self._documents, zk, rerun)
        self._params = history.params_timeline()
        self._params_scanned_to = protocol.deployment.block - 1  # ParamsChanged events read up to here
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
        rounds = 0
        while not self._stop.is_set():
            try:
                self.step()
                rounds += 1
                if rounds % self.claim_every_polls == 0:
                    self.claim_rewards()
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

    def abstentions(self) -> dict[int, str]:
        """Records this verifier gave no verdict on, for good, with why."""
        return dict(self._db.execute("SELECT record_id, reasons FROM abstentions"))

    def batch_verdicts(self) -> dict[int, tuple[int, int]]:
        """Batch id -> (invalid bits, uncheckable bits) this verifier attested."""
        return {b: (int(i), int(u)) for b, i, u in
                self._db.execute("SELECT batch_id, invalid_bits, uncheckable_bits FROM batch_verdicts")}

    def batch_abstentions(self) -> dict[int, str]:
        return dict(self._db.execute("SELECT batch_id, reasons FROM batch_abstentions"))

    def step(self) -> int:
        """Judges and attests every record settled since the checkpoint in a block at least
        `confirmations` deep; returns how many it attested. The checkpoint stays before a span
        holding a record whose node is to be asked again."""
        safe_head = self.protocol.w3.eth.block_number - self.confirmations
        start = self.checkpoint() + 1
        self._read_params_up_to(start - 1)
        done, held = 0, False
        while start <= safe_head:
            end = min(safe_head, start + BLOCK_SPAN - 1)
            settled, batches = self._settled_in(start, end)
            waiting = self._waiting()
            held = held or any(e.args["recordId"] in waiting for e in settled)
            batch = [e for e in settled if e.args["recordId"] not in waiting]
            outcomes = self._records.outcomes([e.args for e in batch], [Point(e.block, e.log_index) for e in batch],
                                              self._params)
            for event, outcome in zip(batch, outcomes):
                if isinstance(outcome, NetworkError):
                    held = self._failed_attempt(event.args["recordId"], outcome) or held
                else:
                    done += self._attest(outcome)
            waiting_batches = self._batches_waiting()
            todo = [event for event in batches if event.args["batchId"] not in waiting_batches]
            held = held or len(todo) < len(batches)
            verdicts = self._batches.verdicts([(event.args["batchId"], event.tx_hash) for event in todo])
            for event, verdict in zip(todo, verdicts):
                if verdict.retry:
                    held = self._failed_batch_attempt(event.args["batchId"], verdict.reasons[0]) or held
                else:
                    done += self._attest_batch(event, verdict)
            if not held:
                self._db.execute("INSERT INTO checkpoint (id, block) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET block = ?",
                                 (end, end))
            start = end + 1
        return done

    def claim_rewards(self) -> int:
        """Claims what this validator's verdicts earned once they stood through the challenge
        window (one transaction per CLAIM_CHUNK records); returns the wei claimed."""
        from ogcli.chain import attester_rewards as rewards

        open_ids = [r for (r,) in self._db.execute(
            "SELECT record_id FROM verdicts WHERE record_id NOT IN (SELECT record_id FROM rewards_done)")]
        if not open_ids:
            return 0
        found = rewards.read_rewards(self.protocol, self.sender.address, open_ids)
        settlement = self.protocol.settlement.functions
        claimed = 0
        for chunk in rewards.claim_chunks(found.ids(rewards.CLAIMABLE)):
            call = settlement.claimAttestationRewards(self.sender.address, chunk)
            try:
                self.sender.send_call(call, gas=self.sender.estimate(call, label="claim rewards"), label="claim rewards")
            except RevertedError as exc:  # e.g. claimed meanwhile by the operator's own `validator rewards --claim`
                log.warning("claiming rewards for %d records refused: %s", len(chunk), exc)
                continue
            amount = found.total_of(chunk)
            claimed += amount
            self._db.executemany("INSERT OR REPLACE INTO rewards_done (record_id, state) VALUES (?, ?)",
                                 [(r, rewards.CLAIMED) for r in chunk])
            log.info("claimed %d wei of attestation rewards for %d records", amount, len(chunk))
        terminal = [(line.record_id, line.state) for line in found.lines
                    if line.state in (rewards.CLAIMED, rewards.FORFEITED, rewards.UNPAID)]
        self._db.executemany("INSERT OR REPLACE INTO rewards_done (record_id, state) VALUES (?, ?)", terminal)
        return claimed

    def judge(self, args: dict) -> Verdict:
        return self.judge_many([args])[0]

    def judge_many(self, batch: list[dict], points: list[Point] | None = None) -> list[Verdict]:
        """Verdicts for settled-call events (the registry is read once for the whole batch),
        under the parameters in force at each event's `points` (now, when not given).
        NetworkError when a node that must be asked cannot be now."""
        if points is None:
            head = self.protocol.w3.eth.block_number
            self._read_params_up_to(head)
            points = [Point(head + 1, 0)] * len(batch)
        outcomes = self._records.outcomes(batch, points, self._params)
        for outcome in outcomes:
            if isinstance(outcome, NetworkError):
                raise outcome
        return outcomes

    # ------------------------------------------------------------------ internals

    def _settled_in(self, start: int, end: int) -> tuple[list[event_logs.Event], list[event_logs.Event]]:
        """The span's InferenceSettled and BatchCommitted events not judged yet; its ParamsChanged
        events go to the parameter history on the way (the same query: no round trip of their own)."""
        settlement = self.protocol.settlement
        query = event_logs.log_filter(settlement, SETTLEMENT_EVENTS, start, end)
        events = event_logs.decode(settlement, SETTLEMENT_EVENTS, self.protocol.rpc.batch([("eth_getLogs", [query])])[0])
        history.add_params_events(self._params, events)
        self._params_scanned_to = max(self._params_scanned_to, end)
        judged = self._judged()  # a retried round (after a crash or a pending send) skips them
        batches_judged = self.batch_verdicts().keys() | self.batch_abstentions().keys()
        return ([e for e in events if e.name == "InferenceSettled" and e.args["recordId"] not in judged],
                [e for e in events if e.name == "BatchCommitted" and e.args["batchId"] not in batches_judged])

    def _read_params_up_to(self, block: int) -> None:
        if block > self._params_scanned_to:
            history.scan_params(self.protocol, self._params, self._params_scanned_to + 1, block)
            self._params_scanned_to = block

    def _judged(self) -> set[int]:
        return set(self.verdicts()) | set(self.abstentions())

    def _waiting(self) -> set[int]:
        """Records whose node failed them lately: not asked again before their retry time."""
        return self._retrying("attempts", "record_id")

    def _failed_attempt(self, record_id: int, error: NetworkError) -> bool:
        """Counts a failed fetch for the record; True while it will be tried again, False once the
        verifier gave up and abstained."""
        failures, again = self._count_failure("attempts", "record_id", record_id, str(error))
        if not again:
            self._attest(Verdict(record_id, None, (f"its node failed {failures} attempts, the last: {error}",)))
            return False
        log.warning("record %s: %s (attempt %d of %d; asked again later)", record_id, error, failures, self.max_attempts)
        return True

    def _batches_waiting(self) -> set[int]:
        """Batches a node failed lately: not judged again before their retry time."""
        return self._retrying("batch_attempts", "batch_id")

    def _failed_batch_attempt(self, batch_id: int, error: str) -> bool:
        """Counts a round in which a node of the batch could not be asked; True while the batch
        will be judged again, False once the verifier gave up and abstained (as for a record)."""
        failures, again = self._count_failure("batch_attempts", "batch_id", batch_id, error)
        if not again:
            reasons = f"a node failed {failures} attempts, the last: {error}"
            log.info("batch %s: abstaining (%s)", batch_id, reasons)
            self._db.execute("INSERT OR REPLACE INTO batch_abstentions (batch_id, reasons) VALUES (?, ?)", (batch_id, reasons))
            return False
        log.warning("batch %s: %s (attempt %d of %d; judged again later)", batch_id, error, failures, self.max_attempts)
        return True

    def _retrying(self, table: str, column: str) -> set[int]:
        """The keys of `table` (attempts or batch_attempts) not to be tried before their retry time."""
        return {key for (key,) in self._db.execute(f"SELECT {column} FROM {table} WHERE retry_at > ?", (time.time(),))}

    def _count_failure(self, table: str, column: str, key: int, error: str) -> tuple[int, bool]:
        """(failed attempts at `key` so far, whether it will be tried again): at max_attempts its
        row is dropped, and the caller abstains; before, the next try waits RETRY_AFTER_POLLS."""
        row = self._db.execute(f"SELECT failures FROM {table} WHERE {column} = ?", (key,)).fetchone()
        failures = (row[0] if row else 0) + 1
        if failures >= self.max_attempts:
            self._db.execute(f"DELETE FROM {table} WHERE {column} = ?", (key,))
            return failures, False
        retry_at = time.time() + RETRY_AFTER_POLLS * self.poll_interval_s
        self._db.execute(f"INSERT OR REPLACE INTO {table} ({column}, failures, last_error, retry_at) VALUES (?, ?, ?, ?)",
                         (key, failures, error[:500], retry_at))
        return failures, True

    def _attest(self, verdict: Verdict) -> int:
        if verdict.valid is None:
            log.info("record %s: abstaining (%s)", verdict.record_id, "; ".join(verdict.reasons))
            # Recorded, so that no later round (nor a restart) asks its node again.
            self._db.execute("INSERT OR REPLACE INTO abstentions (record_id, reasons) VALUES (?, ?)",
                             (verdict.record_id, "; ".join(verdict.reasons)))
            return 0
        if self._db.execute("SELECT 1 FROM verdicts WHERE record_id = ?", (verdict.record_id,)).fetchone():
            return 0
        settlement = self.protocol.settlement.functions
        self._wait_for_earlier_send(verdict.record_id)  # before reading the chain: it may land meanwhile
        attested_at = read_one(self.protocol.rpc, Read(self.protocol.settlement, "attestationOf",
                                                       (verdict.record_id, self.sender.address), named=True))["attestedAt"]
        tx_hash = None
        if not attested_at:  # not already on chain (a crash after sending leaves it there)
            disagreement = self._chain_disagrees(verdict)
            if disagreement is not None:
                log.warning("record %s: not attesting: %s", verdict.record_id, disagreement)
                self._db.execute("INSERT OR REPLACE INTO abstentions (record_id, reasons) VALUES (?, ?)",
                                 (verdict.record_id, disagreement))
                return 0
            call = verdict.attest_call(settlement)
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

    def _attest_batch(self, event, verdict) -> int:
        """Attests `verdict` on batch `event`, once (the chain is asked first)."""
        batch_id = event.args["batchId"]
        if verdict.abstains:
            log.info("batch %s: abstaining (%s)", batch_id, "; ".join(verdict.reasons))
            self._db.execute("INSERT OR REPLACE INTO batch_abstentions (batch_id, reasons) VALUES (?, ?)",
                             (batch_id, "; ".join(verdict.reasons)))
            return 0
        settlement = self.protocol.settlement.functions
        self._wait_for_earlier_send(batch_id, "batch_sent", "batch_id")
        tx_hash = None
        on_chain = read_one(self.protocol.rpc, Read(self.protocol.settlement, "batchVerdictOf",
                                                    (batch_id, self.sender.address), named=True))
        if not on_chain["attestedAt"]:
            call = settlement.attestBatch(batch_id, verdict.invalid_bits, verdict.uncheckable_bits)
            try:
                tx_hash, tx = self.sender.submit(call, gas=self.sender.estimate(call, label="attestBatch"),
                                                 label="attestBatch")
                self._db.execute("INSERT OR REPLACE INTO batch_sent (batch_id, tx_hash) VALUES (?, ?)", (batch_id, tx_hash))
                self.sender.confirm(tx_hash, tx, label="attestBatch")
            except RevertedError as exc:
                log.warning("batch %s: attestation refused: %s", batch_id, exc)
                return 0
        self._db.execute("INSERT INTO batch_verdicts (batch_id, invalid_bits, uncheckable_bits, reasons, tx_hash)"
                         " VALUES (?, ?, ?, ?, ?)", (batch_id, str(verdict.invalid_bits), str(verdict.uncheckable_bits),
                                                     "; ".join(verdict.reasons), tx_hash))
        if verdict.invalid_bits or verdict.uncheckable_bits:
            log.warning("batch %s attested with INVALID records: %s", batch_id, "; ".join(verdict.reasons))
        return 1

    def _chain_disagrees(self, verdict: Verdict) -> str | None:
        """Why the contract would judge a disputable verdict otherwise right now, or None. A valid
        TEE verdict is disputable when any ground holds, a checkable invalid one when its ground
        does not: the contract's own `checkGround` is asked, one eth_call, so that a stale local
        fact (a cache, a registry change since judging) can never be attested and slashed. The
        verifier then abstains: a missed reward, never a slash."""
        record = verdict.record
        if record is None or record["mode"] != MODES["tee"] or (not verdict.valid and verdict.ground is None):
            return None
        ground = GROUND_NONE if verdict.valid else verdict.ground
        if self.protocol.settlement.functions.checkGround(record, ground).call():
            return None
        if verdict.valid:
            return "judged valid here, but a dispute ground holds on chain"
        return f"judged invalid ({GROUND_NAMES[verdict.ground]}), but that ground does not hold on chain"

    def _wait_for_earlier_send(self, record_id: int, table: str = "sent", key: str = "record_id") -> None:
        """An attestation sent before a crash (or a receipt timeout) may still be in the mempool,
        where `attestationOf` cannot see it: sending again would put a second one behind it, which
        reverts on chain (AlreadyAttested) at the validator's cost and leaves no verdict recorded.
        So the round stops until it is mined (the loop retries); a dropped one is sent again."""
        from web3.exceptions import TransactionNotFound

        row = self._db.execute(f"SELECT tx_hash FROM {table} WHERE {key} = ?", (record_id,)).fetchone()
        if row is None:
            return
        try:
            pending = self.protocol.w3.eth.get_transaction(row[0])["blockNumber"] is None
        except TransactionNotFound:
            return
        if pending:
            what = "batch" if table == "batch_sent" else "record"
            raise NetworkError(f"{what} {record_id}: its attestation (tx {row[0]}) is still pending; waiting for it")
