"""A call paid by `exact` cannot be lifted from the mempool (issue 16), on a real Anvil.

The attack: an honest node sends `settle(record, payment)` for a TEE call it served. Everything
in that transaction is public while it waits: the payer's ERC-3009 authorization names the
settlement contract, not the node, and the record is the node's enclave's signed result. A
competitor (any bonded node) copies the calldata and sends it first with a higher fee: the
contract took `msg.sender` for the node, so the copier was paid the node's cut, the payer's
authorization was spent, and the honest node's own settlement reverted. The honest node served the
call and was never paid.

The rule now: a TEE record settles only from the operator who registered its enclave signer. A
copier that keeps the record is refused; one that names its own enclave instead settles a record
whose signature is not its enclave's, which any challenger disputes against its bond for more
than the call paid it.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from web3.logs import DISCARD

from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from tests.chain.market import NODE_BOND, PRICE, Market

pytestmark = pytest.mark.chain

BAD_SIGNATURE = 1


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
    record = market.record()  # honest: signed by the node's own enclave
    payment = market.payment(2 * PRICE)
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


def test_a_copier_that_names_its_own_enclave_loses_more_than_the_call_paid_it(market):
    """The one copy left open: the rogue registers an enclave of its own and swaps its signer into
    the honest record. The honest node's settlement then finds the authorization spent; but the
    record's signature is not the rogue's enclave's, so a challenger slashes the rogue's bond for
    the fee (back to the payer) and more."""
    from tests.chain.enclaves import register_dev_enclave

    rogue_key = Account.create()
    register_dev_enclave(market.chain, rogue_key, sender=market.sender("rogue-node"))
    market.chain.advance(1)
    honest = market.record()
    copied = (*honest[:6], rogue_key.address, honest[7])
    rogue = accounts.get("rogue-node").address
    rogue_before = _balance(market, rogue)
    args = market.settle(copied, market.payment(2 * PRICE), node="rogue-node")
    payer_before = _balance(market, args["payer"])
    market.dispute_producer("validator-2", args["recordId"], copied, BAD_SIGNATURE)
    taken = _balance(market, rogue) - rogue_before
    lost = NODE_BOND - market.bonded("rogue-node")
    assert lost > taken > 0, "the copy costs its sender more than the call paid it"
    assert _balance(market, args["payer"]) - payer_before == args["fee"], "the payer is refunded to the wei"
