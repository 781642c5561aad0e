"""Attacks on the wait of an `exact` call on its settlement (issue 16; found by the second
attacker review, 2026-12-08).

Every call that waits on its settlement held one of the HTTP server's worker threads (starlette's
run_in_threadpool: anyio's default limiter of 40) for up to its settle wait. Forty paid calls
waiting at once (a slow block, a stuck settlement, a settler busy with its fallback) and the node
answered nothing else: not /health, not a free 402 offer.

The test asserts the honest outcome and failed while the attack worked (a strict xfail first).
Closed: a handler takes the call in the server's worker threads and waits on its settlement in
threads of its own (as many as the node's connections).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.adversarial.exact_attack_support import (
    call,
    new_payer,
    node,  # noqa: F401 (fixture)
    offer,
    pay,
    request_id_of,
    settle_now,
)

pytestmark = [pytest.mark.chain, pytest.mark.timeout(300)]


WORKERS = 40  # anyio's default thread limiter, which starlette's run_in_threadpool uses


def test_calls_waiting_on_their_settlement_do_not_starve_everyone_else(node):
    url, running, chain, _blobs = node
    requirement = offer(url)
    value = int(requirement.amount)
    payers = [new_payer(chain, value) for _ in range(WORKERS)]
    headers = [pay(p, requirement) for p in payers]
    ids = ["0x" + request_id_of(p.address, h).hex() for p, h in zip(payers, headers)]

    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(call, url, h) for h in headers]
        deadline = time.monotonic() + 60
        while not all(running.outbox.get(i) for i in ids):
            assert time.monotonic() < deadline, "the calls never reached the outbox"
            time.sleep(0.05)
        # Forty paid calls wait on their settlement. Someone else asks the node anything:
        started = time.monotonic()
        try:
            health = httpx.get(f"{url}/health", timeout=10).status_code
        except httpx.TimeoutException:
            health = None
        try:
            quote = httpx.post(f"{url}/v1/infer", json={"model": 2, "inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}},
                               timeout=10).status_code
        except httpx.TimeoutException:
            quote = None
        took = time.monotonic() - started
        settle_now(running)
        results = [f.result(timeout=90) for f in futures]
    print("health:", health, "offer:", quote, f"in {took:.1f}s;", "paid calls:", {r.status_code for r in results})
    assert health == 200, "the node answered no /health while 40 paid calls waited on their settlement"
    assert quote == 402, "the node made no offer to a new caller while 40 paid calls waited on their settlement"
