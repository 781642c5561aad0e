"""An attack on the `exact` quote (issue 16; found by the second attacker review, 2026-12-08,
failing on the code it reviewed): the node quoted an `exact` call at the price of a rise not yet
in force.

Node._publisher_price quotes ModelHub.priceAt(chain time + the committer's longest wait (30 s) +
60 s) for every call, channel or `exact`. But an `exact` call is settled before it is answered
(seconds), at the price of its settling block: for the last ~90 s before a rise applies, an exact
payer pays the new price, the publisher is credited the old one, and the difference goes to the
node as its cut (nodeCut = value - price - cuts). The payer is overcharged; the publisher is not
paid what its payer paid for the model.

The test asserts the honest outcome: what an exact payer pays for the model is what its publisher
is credited (the call's value is the quote at the price the settlement applies). Closed: an
exact call is quoted ModelHub's price in force now; a channel call, the price at its commit's
latest time.
"""

from __future__ import annotations

import pytest
from web3.logs import DISCARD

from ogcli.core.pricing import quote
from tests.adversarial.exact_attack_support import (
    BODY,
    new_payer,
    node,  # noqa: F401 (fixture)
    offer,
    pay,
    served_and_settled,
)
from tests.chain.fixtures import send_as

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]


def test_an_exact_call_is_not_quoted_a_rise_that_does_not_apply_to_it(node):
    url, running, chain, _blobs = node
    hub = chain.protocol.hub.functions
    model_id = BODY["model"]
    old = hub.callTerms(model_id, 2).call()[0]
    send_as(chain, hub.getModel(model_id).call()[1], hub.setPrice(model_id, 2 * old))
    chain.advance(hub.TERMS_DELAY().call() - 75)  # the rise applies in 75 s
    running._chain_time = None
    requirement = offer(url)
    value = int(requirement.amount)
    payer = new_payer(chain, value)
    answer = served_and_settled(running, url, pay(payer, requirement))
    assert answer.status_code == 200, answer.text
    receipt = chain.w3.eth.get_transaction_receipt(answer.json()["receipt"]["settlement"]["tx_hash"])
    event, = chain.protocol.settlement.events.InferenceSettled().process_receipt(receipt, errors=DISCARD)
    params = chain.protocol.settlement.functions.params().call()
    honest = quote(event["args"]["publisherCut"], running.node_fee_wei, params[0], params[1])
    print(f"paid {value}, publisher credited {event['args']['publisherCut']} (old price {old}), node cut "
          f"{event['args']['nodeCut']} (its fee {running.node_fee_wei}); honest quote {honest}")
    assert value == honest, (f"the payer paid {value - honest} wei more than the quote at the price the "
                             "settlement applied; the node kept it")
