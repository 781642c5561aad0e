"""The paid path by channel (issue 16): latency the node adds to a model call paid with an x402
batch-settlement voucher (checked locally: one signature recovery, the channel's state read and
written on disk, enclave signing, record hashing, the outbox write), next to the model alone; and
the gas per call of the batch the node then commits. Goal: 2 ms p50 added.

A seeded devnet is built on a throwaway Anvil and a node started on it in this process. The
official SDK's batch-settlement client signs each payment (its cost is not the node's) and reads
the node's PAYMENT-RESPONSE as it would over HTTP; the first call (the deposit, a transaction)
is left out of the figures. Each call goes through the node's own paid path (`Node.paid_call`).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._anvil import percentile, seeded_node  # noqa: E402

CALLS = 200
FEATURES = {"features": [[0.1, 0.2, 0.3, 0.4]]}


def main() -> None:
    from x402 import x402ClientSync
    from x402.http.x402_http_client import x402HTTPClientSync
    from x402.mechanisms.evm.batch_settlement.client import BatchSettlementEvmScheme
    from x402.mechanisms.evm.signers import EthAccountSignerWithRPC
    from x402.schemas import PaymentRequired, ResourceInfo

    from ogcli.devnet import accounts

    with seeded_node(batch_min_records=256, batch_max_wait_s=3600) as (devnet, node):
        model = node.resolve(2)
        amount = node.price(model)
        offer = PaymentRequired(accepts=[node.channel_payments.requirements(amount)],
                                resource=ResourceInfo(url="bench"))
        payer = accounts.get("delegator-1").local_account
        client = x402ClientSync().register(offer.accepts[0].network,
                                           BatchSettlementEvmScheme(EthAccountSignerWithRPC(payer, devnet.url)))
        client.set_spend_controls({"allowed_assets": [{"network": offer.accepts[0].network,
                                                       "asset": offer.accepts[0].asset}]})
        http = x402HTTPClientSync(client)
        loaded = node.runtime.load(model.cid)

        def run():
            return node.runtime.run(loaded, FEATURES)

        def paid() -> float:
            payload = client.create_payment_payload(offer)
            header = http.encode_payment_signature_header(payload)["PAYMENT-SIGNATURE"]
            started = time.perf_counter()
            _result, _receipt, response = node.paid_call(model=model, mode="tee", payment_header=header, url="bench",
                                                         run=run, input_record={"model": model.id, "inputs": FEATURES})
            elapsed = time.perf_counter() - started
            http.process_payment_result(payload, {"PAYMENT-RESPONSE": response}.get, 200)
            return elapsed

        for _ in range(6):  # the deposit, then warm: caches, the channel's on-chain state
            paid()
            run()
        model_only, full = [], []
        for _ in range(CALLS):
            started = time.perf_counter()
            run()
            model_only.append(time.perf_counter() - started)
            full.append(paid())
        committed = node.committer.commit_pending()
        [(records, gas)] = node.committer.gas_used

    added = [f - m for f, m in zip(full, model_only)]
    ms = 1000
    print(f"{CALLS} ONNX calls (model 2, tee mode) paid by one channel's vouchers through the node's paid path:")
    print(f"  model alone        p50 {statistics.median(model_only) * ms:6.2f} ms   p95 {percentile(model_only, 0.95) * ms:6.2f} ms")
    print(f"  paid path in all   p50 {statistics.median(full) * ms:6.2f} ms   p95 {percentile(full, 0.95) * ms:6.2f} ms")
    print(f"  added by it        p50 {statistics.median(added) * ms:6.2f} ms   p95 {percentile(added, 0.95) * ms:6.2f} ms")
    print(f"{'meets' if statistics.median(added) < 0.002 else 'MISSES'} the 2 ms p50 goal")
    print(f"the node's commitBatch of {committed} calls ({records} records): {gas:,} gas, {gas / records:,.0f} a call")


if __name__ == "__main__":
    main()
