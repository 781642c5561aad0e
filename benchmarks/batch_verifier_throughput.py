"""How fast the verifier role judges records committed in batches (issue 16: 10,000 records/s on
one core), the way it judges them: `BatchJudge.verdict` reads each batch's records back from its
commitBatch transaction, rebuilds the Merkle root and holds it to the one on chain, recovers every
record's signer locally, asks the registry about them in one Multicall3 batch, and has the
contract's `checkGround` confirm every TEE record's verdict in another.

On a throwaway Anvil with the devnet deployed, 16 batches of 250 calls (10 payers x 25, one record
in ten forged) are committed first; only the judging is timed. Sending `attestBatch` is not: it is
one transaction per batch.
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
from tests.chain.batch_market import BatchMarket, paid_batch  # noqa: E402
from tests.chain.fixtures import Chain  # noqa: E402

BATCHES = 16
PAYERS, EACH = 10, 25  # 250 records a batch
TARGET = 10_000


def main() -> None:
    from ogcli.chain.enclave_documents import DocumentChecks
    from ogcli.node.batch_judge import BatchJudge

    with throwaway_anvil() as (url, genesis_time):
        deployment = deploy_devnet(url, genesis_time, lambda _m: None)
        chain = Chain(url, Protocol(connect(url, DEV_CHAIN_ID), deployment), deployment)
        market = BatchMarket(chain)
        committed = []
        for _ in range(BATCHES):
            chans, records = paid_batch(market, payers=PAYERS, calls_each=EACH)
            for i in range(0, len(records), 10):
                records[i] = market.batch_record(records[i].channel, tamper=True)
            batch = market.commit(chans, records)
            committed.append((batch.batch_id, batch.receipt.raw["transactionHash"].hex()))
        judge = BatchJudge(chain.protocol, DocumentChecks(chain.protocol))
        judge.verdict(*committed[0])  # warm: imports, the enclave's document, caches
        started = time.perf_counter()
        verdicts = [judge.verdict(batch_id, tx) for batch_id, tx in committed]
        elapsed = time.perf_counter() - started
    records = BATCHES * PAYERS * EACH
    assert all(not v.abstains for v in verdicts), [v.reasons for v in verdicts if v.abstains]
    caught = sum(bin(v.invalid_bits).count("1") for v in verdicts)
    assert caught == records // 10, caught
    rate = records / elapsed
    print(f"judged {BATCHES} batches of {PAYERS * EACH} records ({caught} forged, all caught) in {elapsed:.2f}s: "
          f"{rate:,.0f} records/s on one core")
    print(f"{'meets' if rate >= TARGET else 'MISSES'} the {TARGET:,} records/s goal")


if __name__ == "__main__":
    main()
