"""A call paid by `exact` cannot be lifted from the mempool (issue 16), on a real Anvil.

The attack: an honest node sends `settle(record, payment)` for a TEE call it served. Everything
in that transaction is public while it waits: the payer's ERC-3009 authorization names the
settlement contract, not the node, and the record is the node's enclave's signed result. A
competitor (any bonded node) copies the calldata and sends it first with a higher fee: the
contract took `msg.sender` for the node, so the copier was paid the node's cut, the payer's
authorization was spent, and the honest node's own settlement reverted. The honest node served the
call and was never paid.

The rules now: a TEE record settles only from the operator who registered its enclave signer;
and (ExactTills) the payer's authorization is made out to the serving node's till, with the
record's request id bound to it, so a copier is refused whatever record it sends: the call's own
(`NotSettlersEnclave`, `RequestNotPaid`), or one naming its own enclave or its own till (the
payer's signature is for another till). The honest node's settlement then goes through.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from web3.logs import DISCARD

from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from tests.chain.market import NODE_BOND, PRICE, Market

pytestmark = pytest.mark.chain


@pytest.fixture
def market(fresh):
    market = Market(fresh)  # node-operator bonded, its enclave registered
    market.bond("rogue-node", NODE_BOND)  # the copier: a bonded node of its own
    return market


def _balance(market, address: str) -> int:
    return market.p.token.functions.balanceOf(address).call()


def _send_raw(market, name: str, call, gas_price: int) -> bytes:
    """Signs and sends `call` from `name` without waiting for it to be mined."""
    account = accounts.get(name)
    w3 = market.chain.w3
    tx = call.build_transaction({"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                                 "gas": 1_500_000, "maxFeePerGas": gas_price, "maxPriorityFeePerGas": gas_price})
    return w3.eth.send_raw_transaction(Account.sign_transaction(tx, account.private_key).raw_transaction)


def _lift_pending(market, tx_hash: bytes, copier: str, gas_price: int) -> bytes:
    """What a mempool watcher does: reads the pending transaction and sends its calldata as its own,
    paying more to be mined first."""
    w3 = market.chain.w3
    pending = w3.eth.get_transaction(tx_hash)
    account = accounts.get(copier)
    tx = {"from": account.address, "to": pending["to"], "data": pending["input"], "chainId": w3.eth.chain_id,
          "nonce": w3.eth.get_transaction_count(account.address, "pending"), "gas": 1_500_000,
          "maxFeePerGas": gas_price, "maxPriorityFeePerGas": gas_price}
    return w3.eth.send_raw_transaction(Account.sign_transaction(tx, account.private_key).raw_transaction)


def test_a_competitor_cannot_lift_an_honest_nodes_tee_settlement_from_the_mempool(market):
    chain, w3 = market.chain, market.chain.w3
    # Honest: signed by the node's own enclave, under the request id of its payment.
    record, payment = market.paid(market.record(), market.payment(2 * PRICE))
    honest, rogue = accounts.get("node-operator").address, accounts.get("rogue-node").address
    market.sender("node-operator"), market.sender("rogue-node")  # both funded with gas
    honest_before, rogue_before = _balance(market, honest), _balance(market, rogue)
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]

    chain.rpc("evm_setAutomine", [False])
    try:
        honest_tx = _send_raw(market, "node-operator", market.p.settlement.functions.settle(record, payment), 2 * base_fee + 1)
        lifted_tx = _lift_pending(market, honest_tx, "rogue-node", 4 * base_fee + 1)
        chain.rpc("evm_mine")
    finally:
        chain.rpc("evm_setAutomine", [True])
    honest_receipt = w3.eth.get_transaction_receipt(honest_tx)
    lifted_receipt = w3.eth.get_transaction_receipt(lifted_tx)
    assert lifted_receipt["transactionIndex"] < honest_receipt["transactionIndex"], "the copier was mined first"

    assert lifted_receipt["status"] == 0, "the copied settlement must be refused"
    assert honest_receipt["status"] == 1, "the honest node's own settlement must go through"
    events = market.p.settlement.events.InferenceSettled().process_receipt(honest_receipt, errors=DISCARD)
    assert events[0]["args"]["node"] == honest
    assert _balance(market, honest) > honest_before, "the node that served the call is paid its cut"
    assert _balance(market, rogue) == rogue_before


def test_the_copied_record_is_refused_from_anyone_but_its_enclaves_operator(market):
    record = market.record()
    with pytest.raises(RevertedError, match="NotSettlersEnclave"):
        market.settle(record, market.payment(2 * PRICE), node="rogue-node")


def test_a_copier_that_names_its_own_enclave_or_till_is_refused(market):
    """What used to be the one copy left open: the rogue registers an enclave of its own and swaps
    its signer into the honest record (the honest node's settlement then found the authorization
    spent, and only a later dispute of the rogue's bond made it pay). Now the copy is refused
    before anything moves, whether it keeps the call's request id or binds the record to the
    rogue's own till; and the honest node still settles."""
    from ogcli.core import records
    from tests.chain.enclaves import register_dev_enclave

    rogue_key = Account.create()
    register_dev_enclave(market.chain, rogue_key, sender=market.sender("rogue-node"))
    market.chain.advance(1)
    honest, payment = market.paid(market.record(), market.payment(2 * PRICE))
    settle = market.p.settlement.functions.settle
    rogue = market.sender("rogue-node")
    copied = (*honest[:6], rogue_key.address, honest[7])
    with pytest.raises(RevertedError, match="RequestNotPaid"):
        rogue.transact(settle(copied, payment))
    own_id = records.exact_request_id(market.till("rogue-node"), payment[0], bytes(payment[4]))
    own = (honest[0], honest[1], honest[2], own_id, honest[4], honest[5], rogue_key.address,
           market.sign_result(honest[0], honest[1], honest[2], own_id, honest[4], key=rogue_key.key))
    with pytest.raises(RevertedError, match="ERC3009InvalidSignature"):
        rogue.transact(settle(own, payment))
    args = market.settle(honest, payment)
    assert args["node"] == accounts.get("node-operator").address
