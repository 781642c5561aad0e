"""The verifiable path's cost (issue 7): latency the node adds to a model call for x402
verification, enclave signing, record hashing and the outbox write (target: under 15 ms p50 on
the devnet), settlement gas per inference, single and batched, and the latency of an `exact`
call answered once its settlement is mined (issue 16: x402's order), on the devnet's automining
Anvil (on a chain with block times, add the wait for a block).

A devnet is built on a throwaway Anvil and a node started on it in this process. Payments are
signed beforehand (the client's cost is not the node's); each call then goes through the node's
own paid path (`Node.paid_call`) exactly as an HTTP request would, and the model alone is timed
the same way for comparison. For the first two figures the node answers without waiting on its
settlement (`settle_wait_s = 0`, what it does on a slow chain) and the benchmark settles the calls
itself; for the third, a settler loop runs beside the calls.
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
SETTLED_CALLS = 50  # answered after their settlement, one after the other
BATCH = 16
FEATURES = {"features": [[0.1, 0.2, 0.3, 0.4]]}


def main() -> None:
    from x402 import x402ClientSync
    from x402.http import encode_payment_signature_header
    from x402.mechanisms.evm.exact import ExactEvmScheme
    from x402.schemas import PaymentRequired

    from ogcli.devnet import accounts

    with seeded_node(batch_window_s=3600, batch_size=BATCH) as (_devnet, node):
        model = node.resolve(2)
        amount = node.price(model)
        requirement = node.payments.requirements(amount)
        payer = accounts.get("delegator-1").local_account
        client = x402ClientSync()
        client.register(requirement.network, ExactEvmScheme(payer))
        client.set_spend_controls(False)
        headers = [encode_payment_signature_header(client.create_payment_payload(PaymentRequired(accepts=[requirement])))
                   for _ in range(CALLS + 5 + SETTLED_CALLS)]
        loaded = node.runtime.load(model.cid)

        def run():
            return node.runtime.run(loaded, FEATURES)

        def paid(header):
            return node.paid_call(model=model, mode="tee", payment_header=header, url="bench", run=run,
                                  input_record={"model": model.id, "inputs": FEATURES})

        node.settle_wait_s = 0  # answered at once, settlement pending: the calls are settled below
        for header in headers[:5]:  # warm: caches, sessions, first RPCs
            paid(header)
            run()
        model_only, full = [], []
        for header in headers[5:CALLS + 5]:
            started = time.perf_counter()
            run()
            model_only.append(time.perf_counter() - started)
            started = time.perf_counter()
            paid(header)
            full.append(time.perf_counter() - started)

        settler = node.settler
        settler.batch_size = 1
        for _ in range(3):
            settler.settle_pending()
        settler.batch_size = BATCH
        settler.settle_pending()
        single = [gas for n, gas in settler.gas_used if n == 1]
        batched = [gas / n for n, gas in settler.gas_used if n == BATCH]
        answered_settled = _answered_after_settlement(node, paid, headers[CALLS + 5:])

    added = [f - m for f, m in zip(full, model_only)]
    ms = 1000
    print(f"{CALLS} paid ONNX calls (model 2, tee mode) through the node's paid path:")
    print(f"  model alone        p50 {statistics.median(model_only) * ms:6.2f} ms   p95 {percentile(model_only, 0.95) * ms:6.2f} ms")
    print(f"  paid path in all   p50 {statistics.median(full) * ms:6.2f} ms   p95 {percentile(full, 0.95) * ms:6.2f} ms")
    print(f"  added by it        p50 {statistics.median(added) * ms:6.2f} ms   p95 {percentile(added, 0.95) * ms:6.2f} ms")
    print(f"{'meets' if statistics.median(added) < 0.015 else 'MISSES'} the 15 ms p50 target")
    print(f"settlement gas per inference: single {statistics.median(single):,.0f}; in batches of {BATCH} {statistics.median(batched):,.0f}")
    print(f"{SETTLED_CALLS} exact calls answered once settled (automining Anvil), one after the other:")
    print(f"  paid path in all   p50 {statistics.median(answered_settled) * ms:6.2f} ms   "
          f"p95 {percentile(answered_settled, 0.95) * ms:6.2f} ms")


def _answered_after_settlement(node, paid, headers) -> list[float]:
    """Seconds per call through the paid path with the node waiting on each call's settlement, a
    settler loop beside it (the node's own thread sleeps out the benchmark's hour-long window)."""
    import threading

    stop = threading.Event()
    settler = node.settler

    def settle_loop():
        while not stop.is_set():
            if not settler.settle_pending():
                time.sleep(0.001)

    node.settle_wait_s = 30.0
    worker = threading.Thread(target=settle_loop, daemon=True)
    worker.start()
    took = []
    try:
        for header in headers:
            started = time.perf_counter()
            _result, receipt, _response = paid(header)
            took.append(time.perf_counter() - started)
            assert receipt["settlement"]["state"] == "settled", receipt["settlement"]
    finally:
        stop.set()
        worker.join(timeout=30)
    return took


if __name__ == "__main__":
    main()
