"""The node's record of its x402 batch-settlement channels, kept where its outbox is (SQLite,
WAL, synchronous commit), in the shape the official SDK's server scheme reads and writes
(`x402.mechanisms.evm.batch_settlement.server.storage.ChannelStorage`).

The SDK's own default lives in memory: a node restarted with it would forget what each channel
has been charged, rebuild it from the next voucher a client presents, and serve a replayed older
voucher as if it were new. Here each channel's changes are serialised (the spec's one request in
flight per channel) by a lock per channel and written before the SDK goes on: committed to the
WAL without an fsync of their own (a call writes its channel twice, its reservation and its
charge), so a process crash loses nothing and a power loss at most the last changes, which
`catch_up` restores at start from the outbox (fsynced), the record of every call answered.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS channels (
    channel_id TEXT PRIMARY KEY,
    state TEXT NOT NULL
);
"""


class SqliteChannelStorage:
    """ChannelStorage over one SQLite table: a channel's SDK record as JSON, by channel id."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # see the module's docstring: catch_up covers a power loss
        self._db.executescript(SCHEMA)
        self._db_lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def get(self, channel_id: str):
        from x402.mechanisms.evm.batch_settlement.utils import normalize_channel_id

        return self._read(normalize_channel_id(channel_id))

    def list(self) -> list:
        from x402.mechanisms.evm.batch_settlement.server.storage import Channel

        with self._db_lock:
            rows = self._db.execute("SELECT state FROM channels ORDER BY channel_id").fetchall()
        return [Channel.from_dict(json.loads(state)) for (state,) in rows]

    def update_channel(self, channel_id: str, update):
        """Applies `update(current) -> next` under the channel's lock: the same object back is
        "unchanged", None deletes the record, anything else replaces it (on disk before return)."""
        from x402.mechanisms.evm.batch_settlement.server.storage import ChannelUpdateResult
        from x402.mechanisms.evm.batch_settlement.utils import normalize_channel_id

        key = normalize_channel_id(channel_id)
        with self._lock_of(key):
            current = self._read(key)
            following = update(current)
            if following is current:
                return ChannelUpdateResult(channel=current, status="unchanged")
            with self._db_lock:
                if following is None:
                    deleted = self._db.execute("DELETE FROM channels WHERE channel_id = ?", (key,)).rowcount
                    return ChannelUpdateResult(channel=None, status="deleted" if deleted else "unchanged")
                self._db.execute("INSERT INTO channels (channel_id, state) VALUES (?, ?) "
                                 "ON CONFLICT (channel_id) DO UPDATE SET state = excluded.state",
                                 (key, json.dumps(following.to_dict())))
            return ChannelUpdateResult(channel=following.copy(), status="updated")

    def catch_up(self, answered: dict[str, dict]) -> int:
        """Raises each channel's charged total to the latest voucher the outbox holds for it
        (`answered`: channel id -> that call's payment record) where it is behind; returns how
        many channels were behind. A channel only the outbox knows is left to the next voucher:
        the SDK rebuilds it from the chain and the voucher, and the outbox's request ids (one
        per channel and ceiling) refuse a voucher answered before."""

        def raised(payment: dict):
            ceiling = int(payment["maxClaimableAmount"])

            def update(current):
                if current is None or int(current.charged_cumulative_amount) >= ceiling:
                    return current
                following = current.copy()
                following.charged_cumulative_amount = str(ceiling)
                following.signed_max_claimable = str(ceiling)
                following.signature = payment["signature"]
                following.pending_request = None
                return following
            return update

        return sum(self.update_channel(channel_id, raised(payment)).status == "updated"
                   for channel_id, payment in answered.items())

    def close(self) -> None:
        with self._db_lock:
            self._db.close()

    def _read(self, key: str):
        from x402.mechanisms.evm.batch_settlement.server.storage import Channel

        with self._db_lock:
            row = self._db.execute("SELECT state FROM channels WHERE channel_id = ?", (key,)).fetchone()
        return Channel.from_dict(json.loads(row[0])) if row else None

    def _lock_of(self, key: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(key, threading.Lock())
