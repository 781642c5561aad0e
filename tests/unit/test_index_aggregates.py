"""The index's SQL aggregates are exact: sums past 64 bits and values too large for SQLite's
integers come out to the wei, in the right buckets."""

from __future__ import annotations

import json
from types import SimpleNamespace

from ogcli.chain.indexer import Indexer


def _index(tmp_path, rows):
    deployment = SimpleNamespace(address=lambda name: f"0x{hash(name) & (2**160 - 1):040x}", block=1, chain_id=31337)
    index = Indexer(SimpleNamespace(deployment=deployment), tmp_path / "index.sqlite")
    index.db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        (block, 0, timestamp, f"0x{block:064x}", "InferenceSettlement", "InferenceSettled", payer, json.dumps({"fee": fee}))
        for block, (timestamp, payer, fee) in enumerate(rows, start=1)
    ])
    return index


def test_sums_are_exact_beyond_64_bits_and_for_huge_values(tmp_path):
    big = 10**25  # 10 million OPG: SQLite reads it as a float
    near = 9 * 10**18  # fits, but two of them overflow a 64-bit sum
    index = _index(tmp_path, [(100, "a", near), (150, "b", near), (250, "a", big), (260, "c", 1), (40, "d", 5)])
    assert index.sum_by_bucket("InferenceSettled", "fee", 100, 100) == {0: 2 * near, 1: big + 1}
    assert index.count_by_bucket("InferenceSettled", 100, 100) == {0: 2, 1: 2}
    assert index.transactions_by_bucket(100, 100) == {0: 2, 1: 2}
    assert index.distinct_actors("InferenceSettled", 100) == 3
    index.close()


def test_active_payers_count_those_paying_by_channel_once_whatever_their_spelling(tmp_path):
    """Payers of calls settled alone (the events' actor) and of calls committed in batches (the
    payers a BatchCommitted row keeps), each counted once, from `since` on."""
    index = _index(tmp_path, [(100, "0xAa", 1), (150, "0xbb", 1), (40, "0xdd", 1)])
    index.db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        (10, 0, 120, "0x" + "10" * 32, "InferenceSettlement", "BatchCommitted", "0xnode",
         json.dumps({"fees": 2, "gasUsed": 1, "payers": ["0xaa", "0xCC"]})),
        (11, 0, 30, "0x" + "11" * 32, "InferenceSettlement", "BatchCommitted", "0xnode",
         json.dumps({"fees": 2, "gasUsed": 1, "payers": ["0xee"]})),  # before `since`
    ])
    assert index.active_payers(100) == 3  # aa (both ways), bb, cc
    assert index.active_payers(0) == 5
    index.close()
