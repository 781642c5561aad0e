"""How fast the verifier role judges records committed in batches (issue 16: 10,000 records/s on
one core), the way it judges them: `BatchJudge.verdicts` reads each batch's records back from its
commitBatch transaction, rebuilds the Merkle root and holds it to the one on chain, recovers every
record's signer locally, and asks the chain in one Multicall3 batch what judging them needs: the
registry once per signer and second, the contract's own recovery once per signer. One thread
does the reads while the judging thread recovers the next batch's signatures, so the figure is
the verifier's core's pace; the share of a core its process kept busy is printed with it.

On a throwaway Anvil with the devnet deployed, 16 batches of 250 calls (10 payers x 25, one record
in ten forged) are committed first; only the judging is timed. Sending `attestBatch` is not: it is
one transaction per batch. A batch's calls span 25 seconds, as at a node serving 10 calls a
second (the records of one second share their registry facts, while each forged record recovers
to a signer of its own).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # tests.chain: the contract-test market
from _anvil import throwaway_anvil  # noqa: E402

from ogcli.chain.contracts import Protocol  # noqa: E402
from ogcli.chain.session import connect  # noqa: E402
from ogcli.devnet.anvil import DEV_CHAIN_ID  # noqa: E402
from ogcli.devnet.genesis import deploy_devnet  # noqa: E402
from ogcli.protocol.params import OPG  # noqa: E402
from tests.chain.batch_market import FEE, BatchMarket  # noqa: E402
from tests.chain.fixtures import Chain  # noqa: E402

BATCHES = 16
PAYERS, EACH = 10, 25  # 250 records a batch
CALLS_A_SECOND = 10
TARGET = 10_000


def spread_batch(market: BatchMarket, start: int):
    """PAYERS channels paying EACH calls each, CALLS_A_SECOND of them dated each second from
    `start`, one in ten forged (its output is not what the enclave signed)."""
    chans = market.sorted_channels([market.open_channel(100 * OPG) for _ in range(PAYERS)])
    records = []
    for index, channel in enumerate(chans):
        for _ in range(EACH):
            market.pay(channel, FEE)
            n = len(records)
            records.append(market.batch_record(index, timestamp=start + n // CALLS_A_SECOND, tamper=n % 10 == 0))
    return chans, records


def main() -> None:
    from ogcli.chain.enclave_documents import DocumentChecks
    from ogcli.verify.batch_judge import BatchJudge

    with throwaway_anvil() as (url, genesis_time):
        deployment = deploy_devnet(url, genesis_time, lambda _m: None)
        chain = Chain(url, Protocol(connect(url, DEV_CHAIN_ID), deployment), deployment)
        market = BatchMarket(chain)
        span = PAYERS * EACH // CALLS_A_SECOND
        chain.advance(span + 1)  # every record dated after the market's enclave registered
        committed = []
        for _ in range(BATCHES):
            chans, records = spread_batch(market, chain.now() - span)
            batch = market.commit(chans, records)
            committed.append((batch.batch_id, batch.receipt.raw["transactionHash"].hex()))
        judge = BatchJudge(chain.protocol, DocumentChecks(chain.protocol))
        judge.verdict(*committed[0])  # warm: imports, the enclave's document, caches
        started, cpu_started = time.perf_counter(), time.process_time()
        verdicts = list(judge.verdicts(committed))  # as the verifier role judges the batches of a span
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    records = BATCHES * PAYERS * EACH
    assert all(not v.abstains for v in verdicts), [v.reasons for v in verdicts if v.abstains]
    caught = sum(bin(v.invalid_bits).count("1") for v in verdicts)
    assert caught == records // 10, caught
    rate = records / elapsed
    print(f"judged {BATCHES} batches of {PAYERS * EACH} records ({caught} forged, all caught) in {elapsed:.2f}s: "
          f"{rate:,.0f} records/s on one core ({cpu / elapsed:.0%} of a core busy in the verifier's process)")
    print(f"{'meets' if rate >= TARGET else 'MISSES'} the {TARGET:,} records/s goal")


if __name__ == "__main__":
    main()
