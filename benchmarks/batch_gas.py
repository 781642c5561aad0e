"""Gas of settlement in batches (x402 batch-settlement channels, InferenceSettlement.commitBatch),
per call, on a real Anvil under the devnet's gas schedule; and of attesting and disputing a batch.

A node commits the records of `calls` calls paid by `payers` channels (one voucher claim a
channel) in one transaction; validators attest the batch with a bitmap; a dispute proves one
record by its Merkle path. Each shape is measured twice: on channels no batch has claimed yet
(the settlement's first write of their accounted total), then on the same channels again (what
a payer's later calls cost: the steady state). The issue's goals: 10,000 gas a call for 100 calls from 10 payers,
1,500 gas a record for an attestation of a batch of 100.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # tests.chain: the contract-test market
from _anvil import throwaway_anvil  # noqa: E402

from ogcli.chain.contracts import Protocol  # noqa: E402
from ogcli.chain.session import connect  # noqa: E402
from ogcli.devnet.anvil import DEV_CHAIN_ID  # noqa: E402
from ogcli.devnet.genesis import deploy_devnet  # noqa: E402
from tests.chain.batch_market import FEE, BatchMarket, paid_batch  # noqa: E402
from tests.chain.fixtures import Chain  # noqa: E402

SHAPES = ((10, 10), (1, 1), (1, 100), (10, 25))  # (payers, calls each)
UNKNOWN_SIGNER = 2


def more_calls(market: BatchMarket, chans: list, each: int) -> list:
    """`each` more calls on every channel of `chans`, paid by their next vouchers."""
    records = []
    for index, channel in enumerate(chans):
        for _ in range(each):
            market.pay(channel, FEE)
            records.append(market.batch_record(index))
    return records


def main() -> None:
    with throwaway_anvil() as (url, genesis_time):
        deployment = deploy_devnet(url, genesis_time, lambda _m: None)
        chain = Chain(url, Protocol(connect(url, DEV_CHAIN_ID), deployment), deployment)
        market = BatchMarket(chain)
        print(f"{'batch (channels new / again)':<36}{'gas':>12}{'gas per call':>15}")
        for payers, each in SHAPES:
            chans, records = paid_batch(market, payers=payers, calls_each=each)
            if (payers, each) == (10, 10):
                records[-1] = market.batch_record(payers - 1, tamper=True)  # disputed below
            committed = market.commit(chans, records)
            again = market.commit(chans, more_calls(market, chans, each))
            label = f"commit {payers * each} calls, {payers} payers"
            for suffix, receipt in (("new", committed.receipt), ("again", again.receipt)):
                print(f"{label + ', ' + suffix:<36}{receipt.gas_used:>12,}{receipt.gas_used / len(records):>15,.0f}")
            if (payers, each) == (10, 10):
                hundred = committed
        print()
        print(f"{'batch of 100':<36}{'gas':>12}{'gas per record':>15}")
        plain = market.attest_batch("validator-1", hundred.batch_id).gas_used
        marked = market.attest_batch("validator-2", hundred.batch_id, invalid_bits=1 << 99).gas_used
        for label, gas in (("attest, all valid", plain), ("attest, one invalid", marked)):
            print(f"{label:<36}{gas:>12,}{gas / 100:>15,.0f}")
        disputed = market.dispute_batch("user", hundred, 99, "validator-1", UNKNOWN_SIGNER).gas_used
        producer = market.dispute_batch_producer("user", hundred, 99, UNKNOWN_SIGNER).gas_used
        print(f"{'dispute a verdict by proof':<36}{disputed:>12,}")
        print(f"{'dispute the node by proof':<36}{producer:>12,}")


if __name__ == "__main__":
    main()
