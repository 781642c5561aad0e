"""The settlement outbox: every paid call is written here (SQLite, WAL, synchronous commit)
before its answer leaves the node, and stays until its settlement is mined.

States: `pending` (not yet sent), `sent` (a transaction carries it: `tx_hash`),
`settled` (mined: `record_id`, or for a channel call the batch id), `failed` (the contract
refused it for good: `error`). `scheme` says how the call was paid: `exact` (an ERC-3009
authorization, settled by ogcli/node/settler.py) or `batch-settlement` (a channel voucher,
committed in batches by ogcli/node/batch_committer.py). `answered` says whether the answer has
left the node: an `exact` call is answered only once its payment is taken on chain (x402's order:
verify, work, settle, respond), so a row the node never answered (it stopped while the settlement
waited) is not settled at the next start. A request id
is the primary key, so the same payment can never be queued twice; after a crash, `sent` rows are
checked against the chain before anything is resent, so nothing is settled twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    request_id TEXT PRIMARY KEY,
    model_id INTEGER NOT NULL,
    payer TEXT NOT NULL,
    value_wei TEXT NOT NULL,
    record TEXT NOT NULL,
    payment TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    tx_hash TEXT,
    record_id INTEGER,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_state ON calls (state, created_at);
CREATE INDEX IF NOT EXISTS calls_payer ON calls (payer, state);
"""
# Columns added after the first release, with what existing rows hold.
LATER_COLUMNS = {"scheme": "TEXT NOT NULL DEFAULT 'exact'", "answered": "INTEGER NOT NULL DEFAULT 1"}
DONE = ("settled", "failed")


class DuplicateRequest(Exception):
    """The request id is in the outbox already: the same payment presented twice."""


@dataclass(frozen=True)
class Call:
    request_id: str
    model_id: int
    payer: str
    value_wei: int
    record: dict
    payment: dict
    state: str
    tx_hash: str | None
    record_id: int | None
    error: str | None
    attempts: int
    created_at: float
    scheme: str = "exact"
    answered: bool = True


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._changed = threading.Condition()  # notified after every state change (wait_done)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a row that was answered survives power loss
        self._db.executescript(SCHEMA)
        present = {row[1] for row in self._db.execute("PRAGMA table_info(calls)")}
        for name, declaration in LATER_COLUMNS.items():
            if name not in present:
                self._db.execute(f"ALTER TABLE calls ADD COLUMN {name} {declaration}")

    def add(self, request_id: str, model_id: int, payer: str, value_wei: int, record: dict, payment: dict,
            scheme: str = "exact", answered: bool = True) -> None:
        now = time.time()
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO calls (request_id, model_id, payer, value_wei, record, payment, created_at, updated_at,"
                    " scheme, answered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (request_id, model_id, payer, str(value_wei), json.dumps(record), json.dumps(payment), now, now,
                     scheme, int(answered)),
                )
            except sqlite3.IntegrityError:
                raise DuplicateRequest(request_id) from None

    def get(self, request_id: str) -> Call | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM calls WHERE request_id = ?", (request_id,)).fetchone()
        return _call(row) if row else None

    def wait_done(self, request_id: str, timeout_s: float) -> Call:
        """The call once it is settled or failed, or as it stands after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with self._changed:  # held across the read and the wait: no change slips between them
            while True:
                call = self.get(request_id)
                remaining = deadline - time.monotonic()
                if call is None or call.state in DONE or remaining <= 0:
                    return call
                self._changed.wait(remaining)

    def unanswered(self, state: str, scheme: str = "exact") -> list[Call]:
        """The calls in `state` whose answer never left the node."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM calls WHERE state = ? AND scheme = ? AND answered = 0",
                                    (state, scheme)).fetchall()
        return [_call(r) for r in rows]

    def in_state(self, state: str, limit: int = 100, scheme: str = "exact") -> list[Call]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM calls WHERE state = ? AND scheme = ? ORDER BY attempts, created_at LIMIT ?",
                (state, scheme, limit)
            ).fetchall()
        return [_call(r) for r in rows]

    def unsettled_wei(self, payer: str, scheme: str = "exact") -> int:
        """What `payer`'s calls of `scheme` not yet settled (pending or sent) were paid, in wei."""
        with self._lock:
            rows = self._db.execute("SELECT value_wei FROM calls WHERE payer = ? AND state IN ('pending', 'sent')"
                                    " AND scheme = ?", (payer, scheme)).fetchall()
        return sum(int(value) for (value,) in rows)

    def unsettled_tee_wei(self) -> int:
        """What the TEE calls not yet settled or committed (pending or sent, either scheme) were
        paid, in wei: the fees the node's bond must still take on."""
        with self._lock:
            rows = self._db.execute("SELECT value_wei FROM calls WHERE state IN ('pending', 'sent')"
                                    " AND json_extract(record, '$.mode') = 2").fetchall()
        return sum(int(value) for (value,) in rows)

    def waiting(self, scheme: str) -> tuple[int, float]:
        """(how many calls of `scheme` are pending, when the oldest of them was added; 0 if none)."""
        with self._lock:
            count, oldest = self._db.execute(
                "SELECT COUNT(*), MIN(created_at) FROM calls WHERE state = 'pending' AND scheme = ?", (scheme,)).fetchone()
        return count, oldest or 0.0

    def channels_waiting(self, scheme: str) -> set[str]:
        """The channels the pending calls of `scheme` were paid from."""
        with self._lock:
            rows = self._db.execute("SELECT payment FROM calls WHERE state = 'pending' AND scheme = ?", (scheme,)).fetchall()
        return {json.loads(text)["channelId"] for (text,) in rows}

    def latest_vouchers(self, scheme: str) -> dict[str, dict]:
        """Channel id -> the payment record of its latest answered call (highest voucher ceiling)."""
        with self._lock:
            rows = self._db.execute("SELECT payment FROM calls WHERE scheme = ?", (scheme,)).fetchall()
        latest: dict[str, dict] = {}
        for (text,) in rows:
            payment = json.loads(text)
            known = latest.get(payment["channelId"])
            if known is None or int(payment["maxClaimableAmount"]) > int(known["maxClaimableAmount"]):
                latest[payment["channelId"]] = payment
        return latest

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT state, COUNT(*) FROM calls GROUP BY state").fetchall())

    def mark_sent(self, request_ids: list[str], tx_hash: str) -> None:
        self._update(request_ids, "state = 'sent', tx_hash = ?, attempts = attempts + 1", (tx_hash,))

    def mark_settled(self, request_id: str, record_id: int, tx_hash: str | None) -> None:
        self._update([request_id], "state = 'settled', record_id = ?, tx_hash = COALESCE(?, tx_hash), error = NULL",
                     (record_id, tx_hash))

    def mark_committed(self, request_ids: list[str], batch_id: int, tx_hash: str) -> None:
        """Channel calls in a mined batch: `record_id` holds the batch id."""
        self._update(request_ids, "state = 'settled', record_id = ?, tx_hash = ?, error = NULL", (batch_id, tx_hash))

    def mark_pending(self, request_ids: list[str], error: str) -> None:
        """Back to pending after a refusal that may pass later: counted as an attempt, so that
        calls refused round after round queue behind the others (in_state)."""
        self._update(request_ids, "state = 'pending', error = ?, attempts = attempts + 1", (error,))

    def mark_failed(self, request_id: str, error: str) -> None:
        """Failed for good; never a call already settled (its record is on chain whatever a later
        refusal says)."""
        self._update([request_id], "state = 'failed', error = ?", (error,), only="state != 'settled'")

    def mark_answered(self, request_id: str) -> None:
        self._update([request_id], "answered = 1", ())

    def _update(self, request_ids: list[str], assignment: str, values: tuple, only: str = "1") -> None:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            for request_id in request_ids:
                self._db.execute(f"UPDATE calls SET {assignment}, updated_at = ? WHERE request_id = ? AND {only}",
                                 (*values, now, request_id))
            self._db.execute("COMMIT")
        with self._changed:
            self._changed.notify_all()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _call(row) -> Call:
    return Call(
        request_id=row[0], model_id=row[1], payer=row[2], value_wei=int(row[3]), record=json.loads(row[4]),
        payment=json.loads(row[5]), state=row[6], tx_hash=row[7], record_id=row[8], error=row[9],
        attempts=row[10], created_at=row[11], scheme=row[13], answered=bool(row[14]),
    )
