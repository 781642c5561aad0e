"""A payer cannot spend one balance twice on `exact` (issue 16), against a real node on the devnet.

The attack: a payer whose OPG covers one call signs several `exact` payments, each for the whole
price, and sends them one after the other (or at once). The node checked each on its own
(signature, window, and a simulated transferWithAuthorization, which passes while nothing is
settled yet), answered them all, and queued them: when its settler ran, the first one settled and
the others reverted for want of balance. The node did the work and was paid once.

The rule now: the node serves an `exact` payment only while the payer's balance covers it on top
of every `exact` payment of that payer it has accepted and not yet settled. What was answered
settles.
"""

from __future__ import annotations

import os

import pytest
from eth_account import Account

from tests.adversarial.exact_attack_support import answered, call, fund, offer, pay, settle_now
from tests.chain.node_fixture import running_node, use_local_storage

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]

@pytest.fixture
def node(seeded_profile, tmp_path):
    """A node whose settler waits (an hour's window, batches of 16) for the test: what it took stays
    queued (and unanswered: the node answers a call once its settlement is mined)."""
    with seeded_profile.snapshot():
        use_local_storage(tmp_path / "blobs")
        with running_node(tmp_path / "node", batch_window_s=3600, batch_size=16) as (url, running):
            yield url, running, seeded_profile


def _payer_with(chain, amount_wei: int):
    """A new account holding `amount_wei` of OPG and nothing else (no gas: it sends nothing)."""
    payer = Account.from_key(os.urandom(32))
    fund(chain, payer.address, amount_wei, gas=False)
    return payer


def test_one_balance_pays_for_one_exact_call_however_many_payments_are_signed(node):
    url, running, chain = node
    token = chain.protocol.token.functions
    requirement = offer(url)
    price = int(requirement.amount)
    payer = _payer_with(chain, price + price // 2)  # one call and a half
    headers = [pay(payer, requirement) for _ in range(3)]

    later = []

    def the_others_then_settle():  # sent one after the other while the first waits on its settlement
        later.extend(call(url, header) for header in headers[1:])
        settle_now(running)

    answers = answered([running], [(url, headers[0])], the_others_then_settle) + later
    served = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 402]
    assert len(served) == 1, f"served {len(served)} calls on a balance that pays for one"
    assert len(refused) == 2
    assert {a.json()["error"] for a in refused} == {"invalid_exact_evm_insufficient_balance"}
    counts = running.outbox.counts()
    assert counts.get("failed", 0) == 0, f"an answered call did not settle: {counts}"
    assert counts.get("settled", 0) == 1
    assert token.balanceOf(payer.address).call() == price // 2


def test_payments_sent_at_once_never_overspend_the_balance(node):
    """The same payments sent together: each counts the others while they are checked, so at most
    one is served (maybe none, when all are checked at the same moment), and what was served settles."""
    url, running, chain = node
    token = chain.protocol.token.functions
    requirement = offer(url)
    price = int(requirement.amount)
    payer = _payer_with(chain, price + price // 2)
    headers = [pay(payer, requirement) for _ in range(4)]
    answers = answered([running], [(url, header) for header in headers], lambda: settle_now(running))
    served = sum(a.status_code == 200 for a in answers)
    assert served <= 1, f"served {served} calls on a balance that pays for one"
    assert all(a.status_code in (200, 402) for a in answers)
    assert running.outbox.counts().get("failed", 0) == 0
    assert token.balanceOf(payer.address).call() == price + price // 2 - served * price
