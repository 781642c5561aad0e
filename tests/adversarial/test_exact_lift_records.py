"""The `exact` path under attack (issue 16; found by the attacker review, strict xfails until
ExactTills): a payer's authorization seen in the node's pending settlement, spent by someone else
under a record of their own.

The authorization used to be a TransferWithAuthorization to the settlement contract: it named no
node and no record, and `settle` took `msg.sender` as the node. `NotSettlersEnclave` stopped a
copier who kept the honest TEE record, nothing else:

- a vanilla call's settlement was copied as it stood, and the copier paid the node's cut;
- any call's authorization (a TEE call's too) settled a vanilla record of the watcher's own, for a
  model of its own priced to swallow the whole payment: the watcher took the price as publisher;
- a competitor with a genuine enclave of its own settled the authorization with a record that
  enclave really signed: no dispute ground held, so its bond paid nothing.

Now the authorization is made out to the serving node's till and a record's request id must be
its payment's: the watcher's settlement is refused whether its record keeps the call's request id
(`RequestNotPaid`) or names the watcher's own till (the payer's signature is for another till).
The tests assert the honest outcome.
"""

from __future__ import annotations

import os

import pytest
from eth_account import Account

from ogcli.devnet import accounts
from tests.adversarial.exact_attack_support import (
    BODY,
    MODE_TEE,
    answered,
    balance,
    decode_settlement,
    fund,
    intercept,
    new_payer,
    node,  # noqa: F401 (fixture)
    offer,
    operator,
    pay,
    publish,
    send,
    vanilla_record,
)

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]
TIP = 50 * 10**9  # the watcher outbids the node's tip


def _own_request_id(chain, settler: str, payment) -> bytes:
    """The request id `payment` would give a call settled by `settler` (the watcher's best try:
    ExactTills checks the id against the payment and the settler's till)."""
    from ogcli.chain.tills import node_till
    from ogcli.core.records import exact_request_id

    return exact_request_id(node_till(chain.protocol, settler), payment[0], bytes(payment[4]))


def _paying(url, chain, body=BODY):
    """(payer, value, its payment header) for one call of `body`."""
    requirement = offer(url, body)
    value = int(requirement.amount)
    payer = new_payer(chain, value)
    return payer, value, pay(payer, requirement)


def _served_while(chain, running, url, header, lift, body=BODY) -> None:
    """The call, answered once the node's settlement is mined, with `lift` sent at it meanwhile."""
    answer, = answered([running], [(url, header, body)], lambda: intercept(chain, running, lift))
    assert answer.status_code == 200, answer.text


def _copy_as(chain, watcher):
    """What a mempool watcher does: the node's pending calldata, sent as its own with a higher tip."""

    def copy(pending_tx):
        w3 = chain.w3
        tx = {"from": watcher.address, "to": pending_tx["to"], "data": pending_tx["input"], "chainId": w3.eth.chain_id,
              "nonce": w3.eth.get_transaction_count(watcher.address, "pending"), "gas": 3_000_000,
              "maxFeePerGas": 4 * w3.eth.get_block("latest")["baseFeePerGas"] + TIP, "maxPriorityFeePerGas": TIP}
        return w3.eth.send_raw_transaction(Account.sign_transaction(tx, watcher.key).raw_transaction)

    return copy


def test_control_a_tee_settlement_copied_as_it_stands_is_refused(node):
    """The defended case (issue 16's NotSettlersEnclave), on a real node: the copy reverts, the
    honest node's settlement lands."""
    url, running, chain, _blobs = node
    payer, value, header = _paying(url, chain)
    watcher = new_payer(chain, 0)
    operator_before = balance(chain, operator(running))
    _served_while(chain, running, url, header, _copy_as(chain, watcher))
    print("outbox:", running.outbox.counts())
    assert balance(chain, watcher.address) == 0
    assert balance(chain, operator(running)) > operator_before
    assert balance(chain, payer.address) == 0


def test_a_vanilla_settlement_cannot_be_copied_from_the_mempool(node):
    url, running, chain, _blobs = node
    body = {**BODY, "mode": "vanilla"}
    payer, value, header = _paying(url, chain, body)
    watcher = new_payer(chain, 0)
    operator_before = balance(chain, operator(running))
    _served_while(chain, running, url, header, _copy_as(chain, watcher), body)
    print("outbox:", running.outbox.counts(), "watcher took", balance(chain, watcher.address))
    assert balance(chain, watcher.address) == 0, "the copier was paid the node's cut of a call it never served"
    assert balance(chain, operator(running)) > operator_before, "the node that served the call was never paid"


def test_a_seen_authorization_cannot_pay_a_record_of_the_watchers_own_model(node):
    """Against a TEE call: the watcher needs no enclave and no bond, and takes the whole price."""
    url, running, chain, _blobs = node
    payer, value, header = _paying(url, chain)  # TEE mode
    watcher = new_payer(chain, 0)
    params = chain.protocol.settlement.functions.params().call()
    swallow = value - value * params[0] // 10_000 - value * params[1] // 10_000  # leaves the node's cut at 0
    greedy_model = publish(chain, watcher, swallow, 1)
    operator_before = balance(chain, operator(running))

    def spend(pending_tx):
        (_record, payment), = decode_settlement(chain, pending_tx)
        own = vanilla_record(chain, greedy_model, _own_request_id(chain, watcher.address, payment))
        return send(chain, watcher, chain.protocol.settlement.functions.settle(own, payment), priority_wei=TIP, wait=False)

    _served_while(chain, running, url, header, spend)
    hub = chain.protocol.hub.functions
    taken = hub.earningsOf(watcher.address).call()
    print("outbox:", running.outbox.counts(), "watcher's earnings:", taken, "of", value)
    assert taken == 0, f"the watcher took {taken} of the payer's {value} wei as the 'publisher' of a call nobody ran"
    assert balance(chain, operator(running)) > operator_before, "the node that served the call was never paid"


def test_a_competitor_with_its_own_enclave_cannot_take_a_tee_call_and_keep_its_bond(node):
    from ogcli.chain.sender import Sender
    from tests.chain.enclaves import register_dev_enclave
    from tests.chain.market import Market

    url, running, chain, _blobs = node
    rogue = accounts.get("rogue-node").local_account  # bonded on the seeded devnet
    chain.rpc("anvil_setBalance", [rogue.address, hex(10**20)])
    fund(chain, rogue.address, 0)
    enclave_key = Account.from_key(os.urandom(32))
    register_dev_enclave(chain, enclave_key, sender=Sender(chain.w3, rogue))
    chain.advance(1)
    payer, value, header = _paying(url, chain)
    bonds = chain.protocol.bonds.functions
    rogue_bond_before = bonds.bondOf(rogue.address).call()
    rogue_before, operator_before = balance(chain, rogue.address), balance(chain, operator(running))
    settlement = chain.protocol.settlement
    copies = []

    def take(pending_tx):
        (record, payment), = decode_settlement(chain, pending_tx)
        # A genuine result of the rogue's own enclave (any input it chose to run), dated now.
        helper = Market.__new__(Market)
        helper.chain, helper.p = chain, chain.protocol
        when = chain.now()
        input_hash, output_hash = os.urandom(32), os.urandom(32)
        request_id = _own_request_id(chain, rogue.address, payment)
        signature = helper.sign_result(record[0], input_hash, output_hash, request_id, when, MODE_TEE,
                                       key=enclave_key.key)
        own = (record[0], input_hash, output_hash, request_id, when, MODE_TEE, enclave_key.address, signature)
        copies.append(own)
        return send(chain, rogue, settlement.functions.settle(own, payment), priority_wei=TIP, wait=False)

    _served_while(chain, running, url, header, take)
    taken = balance(chain, rogue.address) - rogue_before
    print("outbox:", running.outbox.counts(), "rogue took", taken)
    if copies and settlement.functions.recordIdByRequest(copies[0][3]).call():
        grounds = [settlement.functions.checkGround(copies[0], g).call() for g in (1, 2, 3)]
        print("dispute grounds that hold against the rogue's record:", grounds,
              "bond before/after:", rogue_bond_before[0], bonds.bondOf(rogue.address).call()[0])
    assert taken == 0, f"the competitor was paid {taken} wei for a call the honest node served"
    assert balance(chain, operator(running)) > operator_before, "the node that served the call was never paid"
