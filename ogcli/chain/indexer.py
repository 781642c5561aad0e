"""The log indexer: the protocol's events in a SQLite cache per network, so that stats and the
dashboard ask a local file instead of replaying the chain.

One `eth_getLogs` per range of blocks covers every protocol contract; logs are decoded with the
ABI codec and inserted in one transaction per range. The cache resumes from its last block. On a
chain that reorganises, the hash of the last indexed block is compared with the chain's at every
sync; when it differs, the last REORG_DEPTH blocks are dropped and read again.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ogcli.chain import events as event_logs
from ogcli.chain.codec import checksum
from ogcli.chain.contracts import Protocol

BLOCK_RANGE = 5_000
REORG_DEPTH = 12
# What stats and the dashboard read; `actor` is the account the event is about.
INDEXED = {
    "InferenceSettlement": {"InferenceSettled": "payer", "Attested": "validator", "DisputeWon": "validator",
                            "ProducerSlashed": "node", "BatchCommitted": "node", "BatchAttested": "validator",
                            "BatchDisputeWon": "validator", "BatchProducerSlashed": "node"},
    "NodeBonds": {"Bonded": "operator", "UnbondStarted": "operator", "BondSlashed": "operator"},
    "Staking": {"Delegated": "delegator", "Undelegated": "delegator", "Redelegated": "delegator", "Slashed": "validator",
                "Jailed": "validator", "Unjailed": "validator", "ValidatorRegistered": "validator",
                "CommissionChanged": "validator", "RewardsClaimed": "delegator", "Withdrawn": "delegator"},
    "ModelHub": {"ModelPublished": "publisher", "ModelVersionPublished": None, "PriceChanged": None,
                 "ModelDeprecated": None, "EarningsCredited": "publisher", "EarningsWithdrawn": "publisher"},
    "OGGovernor": {"ProposalCreated": "proposer", "VoteCast": "voter"},
}
# What a cache holds: written into it, so that a cache made by a version indexing other events is
# read again from the deployment (it would otherwise lack them for every block it had indexed).
# (`+batch-payers`: a BatchCommitted row also keeps the payers of its calls, from the commit's calldata.)
INDEX_VERSION = ",".join(sorted(f"{c}.{e}" for c, events in INDEXED.items() for e in events)) + "+batch-payers"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, timestamp INTEGER NOT NULL, tx TEXT NOT NULL,
    contract TEXT NOT NULL, name TEXT NOT NULL, actor TEXT, args TEXT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS events_by_name ON events (name, timestamp);
CREATE INDEX IF NOT EXISTS events_by_time ON events (timestamp, tx);
"""


@dataclass(frozen=True)
class SyncResult:
    from_block: int
    to_block: int
    events: int
    rewound: bool


class Indexer:
    def __init__(self, protocol: Protocol, path: Path) -> None:
        self.protocol = protocol
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # a cache: a lost tail is read again
        self.db.executescript(SCHEMA)
        self._contracts = {protocol.deployment.address(name).lower(): name for name in INDEXED}
        self._start_over_if_other_version()

    @classmethod
    def for_network(cls, protocol: Protocol, profile: str) -> Indexer:
        from ogcli import locations

        return cls(protocol, locations.cache_dir() / "index" / f"{profile}-{protocol.deployment.chain_id}.sqlite")

    def last_block(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'last_block'").fetchone()
        return int(row[0]) if row else self.protocol.deployment.block - 1

    def sync(self) -> SyncResult:
        """Reads every block after the last indexed one; returns what was added."""
        rpc = self.protocol.rpc
        head = rpc.block("latest")
        head_number = int(head["number"], 16)
        rewound = self._rewind_if_reorged()
        start = self.last_block() + 1
        added = 0
        for low in range(start, head_number + 1, BLOCK_RANGE):
            high = min(head_number, low + BLOCK_RANGE - 1)
            query = {"address": [checksum(a) for a in self._contracts], "fromBlock": hex(low), "toBlock": hex(high)}
            added += self.ingest(rpc.request("eth_getLogs", [query]), high)
        if head_number >= start:
            self._set("last_hash", head["hash"])
        return SyncResult(start, head_number, added, rewound)

    def ingest(self, raw_logs: list[dict], up_to_block: int) -> int:
        """Decodes and stores raw logs (as eth_getLogs returns them) and moves the checkpoint."""
        by_contract: dict[str, list[dict]] = {}
        for log in raw_logs:
            by_contract.setdefault(log["address"].lower(), []).append(log)
        rows = []
        for address, logs in by_contract.items():
            name = self._contracts.get(address)
            if name is None:
                continue
            contract = self.protocol.contract(name)
            actors = INDEXED[name]
            decoded = event_logs.fill_timestamps(self.protocol.rpc, event_logs.decode(contract, tuple(actors), logs))
            commits = self._commits([e.tx_hash for e in decoded if e.name == "BatchCommitted"])
            for e in decoded:
                actor_field = actors[e.name]
                args = {**e.args, **commits[e.tx_hash.lower()]} if e.name == "BatchCommitted" else e.args
                rows.append((e.block, e.log_index, e.timestamp, e.tx_hash, name, e.name,
                             e.args.get(actor_field) if actor_field else None, json.dumps(args, default=_plain)))
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.db.execute("INSERT INTO meta VALUES ('last_block', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (str(up_to_block),))
        self.db.execute("COMMIT")
        return len(rows)

    def events(self, name: str, since: int = 0) -> list[tuple[int, str | None, dict]]:
        """(timestamp, actor, args) of every `name` event at or after `since`, oldest first."""
        rows = self.db.execute(
            "SELECT timestamp, actor, args FROM events WHERE name = ? AND timestamp >= ? ORDER BY block, log_index",
            (name, since),
        )
        return [(t, a, json.loads(args)) for t, a, args in rows]

    def recent(self, limit: int) -> list[tuple[int, int, int, str, str | None, dict]]:
        """(block, log index, timestamp, name, actor, args) of the newest `limit` events, newest first (the
        dashboard's feed; walks the primary key backwards, so it costs the same at any size)."""
        rows = self.db.execute(
            "SELECT block, log_index, timestamp, name, actor, args FROM events ORDER BY block DESC, log_index DESC LIMIT ?",
            (limit,),
        )
        return [(b, i, t, n, a, json.loads(args)) for b, i, t, n, a, args in rows]

    # Aggregates for usage over a window, counted by SQLite over its indexes: a million events
    # are summed without being loaded into Python (the dashboard's memory stays flat).

    def count_by_bucket(self, name: str, since: int, size: int) -> dict[int, int]:
        """{bucket number: events named `name`} for buckets of `size` seconds from `since`."""
        rows = self.db.execute(
            "SELECT (timestamp - ?) / ?, COUNT(*) FROM events WHERE name = ? AND timestamp >= ? GROUP BY 1",
            (since, size, name, since),
        )
        return dict(rows.fetchall())

    def sum_by_bucket(self, name: str, field: str, since: int, size: int) -> dict[int, int]:
        """{bucket: exact sum of the integer argument `field`}. SQLite sums the values that fit
        its 64-bit integers in two halves (so the sums cannot overflow); a bucket holding a larger
        value (over 9.2 OPG in wei) is summed again in Python from the stored JSON."""
        path = f"$.{field}"
        rows = self.db.execute(
            "SELECT b, SUM(CASE WHEN typeof(v) = 'integer' THEN v / 1000000000 END),"
            " SUM(CASE WHEN typeof(v) = 'integer' THEN v % 1000000000 END), SUM(typeof(v) != 'integer')"
            " FROM (SELECT (timestamp - ?) / ? AS b, json_extract(args, ?) AS v FROM events"
            "       WHERE name = ? AND timestamp >= ?) GROUP BY b",
            (since, size, path, name, since),
        )
        sums, inexact = {}, []
        for bucket, high, low, large in rows:
            if large:
                inexact.append(bucket)
            else:
                sums[bucket] = (high or 0) * 1_000_000_000 + (low or 0)
        for bucket in inexact:
            start = since + bucket * size
            values = self.db.execute("SELECT args FROM events WHERE name = ? AND timestamp >= ? AND timestamp < ?",
                                     (name, start, start + size))
            sums[bucket] = sum(int(json.loads(args)[field]) for (args,) in values)
        return sums

    def distinct_actors(self, name: str, since: int) -> int:
        return self.db.execute("SELECT COUNT(DISTINCT actor) FROM events WHERE name = ? AND timestamp >= ?",
                               (name, since)).fetchone()[0]

    def transactions_by_bucket(self, since: int, size: int) -> dict[int, int]:
        """{bucket: distinct transactions with a protocol event} (a transaction has one block,
        so one timestamp and one bucket)."""
        rows = self.db.execute("SELECT (timestamp - ?) / ?, COUNT(DISTINCT tx) FROM events WHERE timestamp >= ? GROUP BY 1",
                               (since, size, since))
        return dict(rows.fetchall())

    def count_of(self, name: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM events WHERE name = ?", (name,)).fetchone()[0]

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def close(self) -> None:
        self.db.close()

    def _commits(self, tx_hashes: list[str]) -> dict[str, dict]:
        """{tx hash: {"gasUsed", "payers"}} of the batches' transactions (one JSON-RPC batch): what
        settlement by channel actually cost, and who paid the batch's calls (read back from the
        commit's calldata; none when it was committed through another contract), kept with the
        BatchCommitted event."""
        from ogcli.chain.batches import Unreadable, decode_commit

        if not tx_hashes:
            return {}
        replies = self.protocol.rpc.batch([("eth_getTransactionReceipt", [h]) for h in tx_hashes]
                                          + [("eth_getTransactionByHash", [h]) for h in tx_hashes])
        out = {}
        for h, receipt, tx in zip(tx_hashes, replies, replies[len(tx_hashes):]):
            try:
                payers = sorted(set(decode_commit(self.protocol, tx)[1])) if tx is not None else []
            except Unreadable:
                payers = []
            out[h.lower()] = {"gasUsed": int(receipt["gasUsed"], 16), "payers": payers}
        return out

    def active_payers(self, since: int) -> int:
        """How many accounts paid for calls at or after `since`: those whose calls settled alone,
        and those whose calls a batch committed."""
        payers = {a for (a,) in self.db.execute(
            "SELECT DISTINCT actor FROM events WHERE name = 'InferenceSettled' AND timestamp >= ?", (since,))}
        for (args,) in self.db.execute("SELECT args FROM events WHERE name = 'BatchCommitted' AND timestamp >= ?", (since,)):
            payers.update(json.loads(args).get("payers", ()))
        return len({p.lower() for p in payers if p})

    def _start_over_if_other_version(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        if row is not None and row[0] == INDEX_VERSION:
            return
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM events")
        self.db.execute("DELETE FROM meta")
        self.db.execute("INSERT INTO meta VALUES ('version', ?)", (INDEX_VERSION,))
        self.db.execute("COMMIT")

    def _rewind_if_reorged(self) -> bool:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'last_hash'").fetchone()
        last = self.last_block()
        if row is None or last < self.protocol.deployment.block:
            return False
        if self.protocol.rpc.block(last)["hash"] == row[0]:
            return False
        back_to = max(self.protocol.deployment.block - 1, last - REORG_DEPTH)
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM events WHERE block > ?", (back_to,))
        self.db.execute("UPDATE meta SET value = ? WHERE key = 'last_block'", (str(back_to),))
        self.db.execute("COMMIT")
        return True

    def _set(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


def _plain(value):
    """JSON for what the ABI codec returns: bytes as 0x hex, big numbers kept exact as ints."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__}")
