"""Open attacks on the `exact` path (issue 16; found by the attacker review, still working: strict xfails): the model's publisher changes the terms between the answer and
the settlement.

`settle` reads the model's price and whether it takes calls from ModelHub at settlement, and the
publisher changes either at once (`setPrice`, `deprecate`). A publisher who sees a node's
settlement pending raises its price (or deprecates the model) first: every call of the model the
node answered and has not settled reverts `Underpaid` (`ModelNotCallable`), which the settler
marks failed for good. The node did the work; its payers are never charged (the publisher among
them, when it called its own model: it sets the price back afterwards and has been served free).

The tests assert the honest outcome and fail while the attack works.
"""

from __future__ import annotations

import pytest

from ogcli.devnet import accounts
from tests.adversarial.exact_attack_support import (
    BODY,
    balance,
    call,
    intercept,
    new_payer,
    node,  # noqa: F401 (fixture)
    offer,
    operator,
    pay,
    send,
)

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
# Works today: an open attack, listed in SECURITY.md (known limits, payments by `exact`). Strict:
# the test fails the suite the day it stops working, so that the fix moves it out of this file.
OPEN = pytest.mark.xfail(strict=True, reason="open attack on exact (SECURITY.md, known limits)")
TIP = 50 * 10**9


def _publisher_of(chain, model_id: int):
    address = chain.protocol.hub.functions.getModel(model_id).call()[1]
    for name, account in accounts.roster().items():
        if account.address == address:
            return account.local_account
    raise AssertionError(f"no devnet account publishes model {model_id}")


@OPEN
@pytest.mark.parametrize("change", ["raise the price", "deprecate"])
def test_a_publisher_cannot_void_the_calls_a_node_answered(node, change):
    url, running, chain, _blobs = node
    hub = chain.protocol.hub.functions
    model_id = BODY["model"]
    publisher = _publisher_of(chain, model_id)
    chain.rpc("anvil_setBalance", [publisher.address, hex(10**20)])
    requirement = offer(url)
    value = int(requirement.amount)
    payers = [new_payer(chain, value) for _ in range(2)]
    for payer in payers:
        assert call(url, pay(payer, requirement)).status_code == 200
    operator_before = balance(chain, operator(running))

    def void(_pending_tx):
        fn = hub.setPrice(model_id, value) if change == "raise the price" else hub.deprecate(model_id)
        return send(chain, publisher, fn, priority_wei=TIP, wait=False)

    intercept(chain, running, void)
    print("outbox:", running.outbox.counts(), {c.error[:70] for c in running.outbox.in_state("failed") if c.error})
    unpaid = [p.address for p in payers if balance(chain, p.address) == value]
    assert not unpaid, f"{len(unpaid)} of {len(payers)} answered calls were never charged"
    assert balance(chain, operator(running)) > operator_before, "the node that served the calls was never paid"
