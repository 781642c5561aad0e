"""Attacks on the `exact` path (issue 16; found by the attacker review, strict xfails until the
node answered only after its settlement): the node answered before the authorization was
executed, so whatever the payer (or anyone holding the authorization) did to it in between was
the node's loss. Now the answer leaves once the settlement is mined, and a settlement the attack
makes fail is a call refused (402 `transaction_failed`), with nothing charged and nothing served.

- the payer cancels its authorization (ERC-3009 `cancelAuthorization`, which OPGToken inherits)
  when it sees the node's settlement pending;
- the payer moves its balance away while the node settles (the node's balance rule checks the
  balance when it serves, not when it settles);
- (closed by ExactTills, its test kept here as a plain test:) a mempool watcher (no gain needed:
  griefing) executed the authorization itself with `transferWithAuthorization` straight into the
  settlement contract: the payer's money was stuck there with no record, and the node's
  settlement reverted. Now it lands in the node's till, and the node's settlement takes it from
  there.

Each test asserts the honest outcome (the node that served is paid; the payer's money does not
vanish) and fails while the attack works.
"""

from __future__ import annotations

import pytest
from eth_account import Account

from tests.adversarial.exact_attack_support import (
    answered,
    balance,
    call,
    cancel_call,
    decode_settlement,
    header_authorization,
    header_nonce,
    intercept,
    new_payer,
    node,  # noqa: F401 (fixture)
    offer,
    operator,
    pay,
    send,
    settle_now,
)

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
TIP = 50 * 10**9


def test_a_payer_cannot_cancel_its_authorization_once_served(node):
    url, running, chain, _blobs = node
    requirement = offer(url)
    value = int(requirement.amount)
    payer = new_payer(chain, value)
    header = pay(payer, requirement)
    operator_before = balance(chain, operator(running))

    def cancel(pending_tx):
        (_record, payment), = decode_settlement(chain, pending_tx)
        return send(chain, payer, cancel_call(chain, payer, bytes(payment[4])), priority_wei=TIP, wait=False)

    answer, = answered([running], [(url, header)], lambda: intercept(chain, running, cancel))
    print("outbox:", running.outbox.counts(), answer.status_code, answer.text[:200])
    assert answer.status_code != 200 or balance(chain, operator(running)) > operator_before, (
        "served, and the node that served the call was never paid")
    assert answer.status_code == 402 and answer.json()["error"] == "transaction_failed", answer.text
    # Cancelled, the authorization is used and paid nothing into the till: RequestNotPaid.
    assert "RequestNotPaid" in answer.json()["message"], answer.json()["message"]
    assert balance(chain, payer.address) == value, "refused, and charged all the same"
    assert running.outbox.counts() == {"failed": 1}


def test_a_payer_cannot_move_its_balance_away_once_served(node):
    url, running, chain, _blobs = node
    requirement = offer(url)
    value = int(requirement.amount)
    payer = new_payer(chain, value)
    elsewhere = Account.create()
    operator_before = balance(chain, operator(running))

    def move(_pending_tx):
        return send(chain, payer, chain.protocol.token.functions.transfer(elsewhere.address, value),
                    priority_wei=TIP, wait=False)

    answer, = answered([running], [(url, pay(payer, requirement))], lambda: intercept(chain, running, move))
    print("outbox:", running.outbox.counts(), answer.status_code, answer.text[:200])
    assert balance(chain, elsewhere.address) == value, "the payer's transfer went first"
    assert answer.status_code != 200 or balance(chain, operator(running)) > operator_before, (
        "served, the payer's balance moved away, and the node was never paid")
    assert answer.status_code == 402 and answer.json()["error"] == "transaction_failed", answer.text


def test_a_watcher_cannot_strand_a_payment_by_executing_it_first(node):
    url, running, chain, _blobs = node
    requirement = offer(url)
    value = int(requirement.amount)
    payer = new_payer(chain, value)
    header = pay(payer, requirement)
    watcher = new_payer(chain, 0)
    till = running.payments.till
    operator_before = balance(chain, operator(running))

    def strand(pending_tx):
        auth = header_authorization(header)
        return send(chain, watcher, chain.protocol.token.functions.transferWithAuthorization(
            auth["from"], auth["to"], int(auth["value"]), int(auth["validAfter"]), int(auth["validBefore"]),
            bytes.fromhex(auth["nonce"][2:]), bytes.fromhex(auth["signature"][2:])), priority_wei=TIP, wait=False)

    answer, = answered([running], [(url, header)], lambda: intercept(chain, running, strand))
    assert answer.status_code == 200, answer.text
    stranded = balance(chain, till)
    print("outbox:", running.outbox.counts(), "left in the node's till:", stranded)
    assert header_authorization(header)["to"].lower() == till.lower()
    assert chain.protocol.token.functions.authorizationState(payer.address, header_nonce(header)).call()
    assert stranded == 0, f"{stranded} wei of the payer's are held in the node's till under no record"
    assert running.outbox.counts().get("settled") == 1
    assert balance(chain, operator(running)) > operator_before, "the node that served the call was never paid"


def test_control_a_header_is_not_served_twice_by_one_node(node):
    """The defended case: the same header again, while its call waits and after it failed (its
    authorization cancelled), is refused by the node that took it (its outbox keeps the nonce)."""
    url, running, chain, _blobs = node
    requirement = offer(url)
    value = int(requirement.amount)
    payer = new_payer(chain, 2 * value)
    header = pay(payer, requirement)
    waiting_again = []

    def again_then_cancel():
        waiting_again.append(call(url, header))  # while the first call waits on its settlement
        send(chain, payer, cancel_call(chain, payer, header_nonce(header)))
        settle_now(running)

    first, = answered([running], [(url, header)], again_then_cancel)
    again, = waiting_again
    assert again.status_code == 402 and again.json()["error"] == "invalid_exact_evm_nonce_already_used"
    assert first.status_code == 402 and first.json()["error"] == "transaction_failed", first.text
    assert running.outbox.counts().get("failed") == 1
    after = call(url, header)
    assert after.status_code == 402, after.text
