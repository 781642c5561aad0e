"""How fast the indexer ingests events (issue 9: 20,000 events/s on this machine).

The seeded devnet's real logs (settlements, attestations, delegations, votes...) are fetched once
and replayed 250 times over with fresh block numbers, about 100,000 logs, through
`Indexer.ingest` in ranges of 5,000 as `sync` hands them over: ABI decoding and the SQLite
inserts, which is the indexer's own work. Fetching from a node is left out: it depends on the node.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._anvil import seeded_devnet  # noqa: E402

COPIES = 250
RANGE = 5_000
TARGET = 20_000


def main() -> None:
    from ogcli.chain.indexer import INDEXED, Indexer

    with seeded_devnet() as devnet:
        protocol, deployment = devnet.protocol, devnet.protocol.deployment
        addresses = [deployment.address(name) for name in INDEXED]
        logs = protocol.rpc.batch([("eth_getLogs", [{"address": addresses, "fromBlock": "0x0", "toBlock": "latest"}])])[0]
        span = max(int(log["blockNumber"], 16) for log in logs) + 1
        replay = [
            {**log, "blockNumber": hex(int(log["blockNumber"], 16) + copy * span)}
            for copy in range(COPIES) for log in logs
        ]
        index = Indexer(protocol, devnet.home / "bench.sqlite")
        started = time.perf_counter()
        for low in range(0, len(replay), RANGE):
            index.ingest(replay[low : low + RANGE], up_to_block=low)
        elapsed = time.perf_counter() - started
        stored = index.count()
        index.close()
    rate = len(replay) / elapsed
    print(f"ingested {len(replay):,} logs ({stored:,} indexed events) in {elapsed:.1f}s: {rate:,.0f} events/s")
    print(f"{'meets' if rate >= TARGET else 'MISSES'} the {TARGET:,} events/s target")


if __name__ == "__main__":
    main()
