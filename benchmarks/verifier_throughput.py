"""How fast the verifier judges settled records, excluding re-execution (issue 8: 1,000 records/s
on one core).

A deployed devnet (the DEV enclave registered) answers the registry reads; 4,000 InferenceSettled
event payloads, 1 in 10 with a tampered output, are built in memory with real enclave signatures,
and `Verifier.judge_many` judges them in pages of 500 as `step` does (local signature recovery,
one Multicall3 batch of registry reads per page, the split check). Attesting is not timed: it is
one transaction per record, paid for by the chain's throughput, not the verifier's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._anvil import seeded_devnet  # noqa: E402

RECORDS = 4_000
PAGE = 500
TARGET = 1_000


def main() -> None:
    from eth_account import Account

    from ogcli.chain.sender import Sender
    from ogcli.core import typed_data
    from ogcli.core.pricing import quote, split
    from ogcli.devnet import accounts
    from ogcli.node.verifier import Verifier

    with seeded_devnet() as devnet:
        protocol = devnet.protocol
        signer = accounts.get("enclave-signer")
        now = protocol.w3.eth.get_block("latest")["timestamp"]
        domain = typed_data.settlement_domain(31337, protocol.settlement.address)
        price, vbps, tbps = 10**17, 1_000, 500
        fee = quote(price, 10**16, vbps, tbps)
        parts = split(fee, price, vbps, tbps)
        batch = []
        for i in range(RECORDS):
            request = i.to_bytes(32, "big")
            input_hash, output_hash = (i + 1).to_bytes(32, "big"), (i + 2).to_bytes(32, "big")
            signed_output = output_hash if i % 10 else b"\xff" * 32  # every tenth: the output was swapped
            signature = Account.sign_typed_data(
                signer.private_key, domain, typed_data.INFERENCE_RESULT_TYPES,
                typed_data.inference_result(1, input_hash, signed_output, request, now - i, 2),
            ).signature
            record = {"modelId": 1, "inputHash": input_hash, "outputHash": output_hash, "requestId": request,
                      "timestamp": now - i, "mode": 2, "enclaveSigner": signer.address, "signature": bytes(signature)}
            batch.append({"recordId": i + 1, "record": record, "fee": fee, "publisherCut": parts.publisher_wei,
                          "nodeCut": parts.node_wei, "validatorCut": parts.validators_wei, "treasuryCut": parts.treasury_wei})
        verifier = Verifier(protocol, Sender(protocol.w3, accounts.get("validator-1").local_account), devnet.home / "v.db")
        verifier.judge_many(batch[:50])  # warm: imports, caches
        started = time.perf_counter()
        verdicts = [v for page in range(0, RECORDS, PAGE) for v in verifier.judge_many(batch[page : page + PAGE])]
        elapsed = time.perf_counter() - started
        verifier.stop()
    invalid = sum(1 for v in verdicts if not v.valid)
    assert invalid == RECORDS // 10, invalid
    rate = RECORDS / elapsed
    print(f"judged {RECORDS} records ({invalid} tampered, all caught) in {elapsed:.2f}s: {rate:,.0f} records/s on one core")
    print(f"{'meets' if rate >= TARGET else 'MISSES'} the {TARGET:,} records/s target")


if __name__ == "__main__":
    main()
