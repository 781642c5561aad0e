"""Open attacks on the `exact` path (issue 16; found by the attacker review, still working: strict xfails): cheap ways to make an honest node pay (gas, or its bond's
capacity) for nothing.

- (Closed, its test kept here as a plain test:) one call that cannot settle (a payer cancels its
  authorization) sank the `settleBatch` it was in, and the settler then sent every other call of
  the batch in a transaction of its own: a transaction per call instead of per batch.
- A model publisher (anyone) prices a TEE model at nearly the node's free bond and buys one call:
  the whole fee, the publisher's price included, is reserved in the node's bond until the day after
  the record's 7-day window closes, and the node refuses every TEE call meanwhile
  (`node_bond_committed`). The price comes back to the attacker as publisher; what the attack
  costs is the protocol's cut (15% of the fee, 10 of them the validators', which an attacker
  running the first three attesting validators takes back).

The tests assert the honest outcome and fail while the attack works.
"""

from __future__ import annotations

import pytest
from eth_account import Account

from ogcli.core.pricing import quote
from tests.adversarial.exact_attack_support import (
    BODY,
    FEATURES,
    call,
    fund,
    new_payer,
    node,  # noqa: F401 (fixture)
    offer,
    pay,
    publish,
    send,
    settle_now,
)

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
# Works today: an open attack, listed in SECURITY.md (known limits, payments by `exact`). Strict:
# the test fails the suite the day it stops working, so that the fix moves it out of this file.
OPEN = pytest.mark.xfail(strict=True, reason="open attack on exact (SECURITY.md, known limits)")


def _cancel(chain, payer, header):
    from ogcli.core import typed_data
    from tests.adversarial.exact_attack_support import header_nonce

    nonce = header_nonce(header)
    signed = Account.sign_typed_data(
        payer.key, typed_data.token_domain(chain.w3.eth.chain_id, chain.protocol.token.address),
        {"CancelAuthorization": [{"name": "authorizer", "type": "address"}, {"name": "nonce", "type": "bytes32"}]},
        {"authorizer": payer.address, "nonce": nonce})
    send(chain, payer, chain.protocol.token.functions.cancelAuthorization(
        payer.address, nonce, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")))


def test_one_bad_call_does_not_make_the_node_settle_a_batch_one_transaction_per_call(node):
    """Closed since: the settler simulates each call of a refused batch alone and sends the good
    ones together again."""
    url, running, chain, _blobs = node
    requirement = offer(url)
    value = int(requirement.amount)
    honest = [new_payer(chain, value) for _ in range(8)]
    for payer in honest:
        assert call(url, pay(payer, requirement)).status_code == 200
    attacker = new_payer(chain, value)
    header = pay(attacker, requirement)
    assert call(url, header).status_code == 200
    _cancel(chain, attacker, header)
    running.settler.gas_used.clear()
    settle_now(running)
    sent = running.settler.gas_used
    print("settlement transactions (calls, gas):", sent, "outbox:", running.outbox.counts())
    assert running.outbox.counts().get("settled") == 8
    assert len(sent) <= 2, f"the node sent {len(sent)} transactions ({sum(g for _c, g in sent)} gas) for 8 good calls"


@OPEN
def test_one_call_does_not_lock_the_nodes_whole_bond_for_a_week(node):
    url, running, chain, blobs = node
    operator = running.settler.sender.address
    active, _unbonding, _release, reserved = chain.protocol.bonds.functions.bondOf(operator).call()
    free = active - reserved
    params = chain.protocol.settlement.functions.params().call()
    honest_value = int(offer(url).amount)
    low, high = 0, free  # the dearest price whose fee still fits the free bond: it leaves less than one call free
    while low < high:
        mid = (low + high + 1) // 2
        if quote(mid, running.node_fee_wei, params[0], params[1]) <= free:
            low = mid
        else:
            high = mid - 1
    price = low
    value = quote(price, running.node_fee_wei, params[0], params[1])
    assert free - value < honest_value
    attacker = new_payer(chain, 0)
    model_id = publish(chain, attacker, price, 2, blobs=blobs)
    chain.advance(1)
    fund(chain, attacker.address, value)
    body = {"model": model_id, "inputs": FEATURES}
    assert call(url, pay(attacker, offer(url, body)), body).status_code == 200
    settle_now(running)
    hub = chain.protocol.hub.functions
    cost = value - hub.earningsOf(attacker.address).call()
    running._bonded = None  # the node's bond read is a second old at most: read it now
    honest = new_payer(chain, 10**18)
    import httpx

    answer = httpx.post(f"{url}/v1/infer", json=BODY, timeout=30)  # an honest TEE call of a seeded model
    if answer.status_code == 402:
        answer = call(url, pay(honest, offer(url)))
    print("attack cost", cost / 1e18, "OPG of a", free / 1e18, "OPG free bond; honest call:", answer.status_code,
          answer.text[:160])
    assert answer.status_code == 200, (
        f"one call costing its buyer {cost / 1e18:.1f} OPG leaves the node unable to serve TEE calls: {answer.text[:120]}")
