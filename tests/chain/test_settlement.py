"""InferenceSettlement: x402 payment split to the wei, replay refused, attest, dispute -> slash."""

from __future__ import annotations

import os

import pytest

from ogcli.core import records as records_lib
from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from ogcli.protocol.params import OPG
from tests.chain.market import PRICE, Market

pytestmark = pytest.mark.chain


@pytest.fixture
def market(fresh):
    return Market(fresh)


def test_fee_split_is_exact_to_the_wei(market):
    balance = market.p.token.functions.balanceOf
    treasury, node = market.chain.deployment.address("OGTimelock"), accounts.get("node-operator").address
    before = {who: balance(who).call() for who in (treasury, node, market.p.settlement.address)}
    fee = PRICE + OPG // 20 + 12_345
    event = market.settle(market.record(), market.payment(fee))
    params = market.p.settlement.functions.params().call()
    validator_cut = fee * params[0] // 10_000
    treasury_cut = fee * params[1] // 10_000
    per_attester = validator_cut // params[2]
    assert event["publisherCut"] == PRICE
    assert event["validatorCut"] == validator_cut
    assert event["nodeCut"] == fee - PRICE - validator_cut - treasury_cut
    assert balance(node).call() - before[node] == event["nodeCut"]
    assert balance(treasury).call() - before[treasury] == treasury_cut + (validator_cut - per_attester * params[2])
    assert balance(market.p.settlement.address).call() - before[market.p.settlement.address] == per_attester * params[2]
    assert market.p.hub.functions.earningsOf(accounts.get("publisher-1").address).call() == PRICE


def test_replayed_request_and_reused_payment_are_refused(market):
    record, payment = market.paid(market.record(), market.payment(PRICE * 2))
    market.settle(record, payment)
    with pytest.raises(RevertedError, match="RequestAlreadySettled"):
        market.settle(record, payment)
    with pytest.raises(RevertedError, match="RequestAlreadySettled"):  # the payment names the call: a new record too
        market.settle(market.record(), payment)
    with pytest.raises(RevertedError, match="RequestNotPaid"):  # its payment, under a request id of another
        market.settle(market.record(request_id=os.urandom(32)), market.payment(PRICE * 2))


def test_a_call_is_bound_to_its_payment_and_its_node(market):
    """ExactTills: the payment is to one node's till and names the record's request id; another
    node cannot settle it, under that record or a record of its own."""
    market.bond("rogue-node", 1_000 * OPG)
    record, payment = market.paid(market.record(mode=1), market.payment(PRICE * 2))
    rogue = market.sender("rogue-node")
    settle = market.p.settlement.functions.settle
    with pytest.raises(RevertedError, match="RequestNotPaid"):  # the record's id names node-operator's till
        rogue.transact(settle(record, payment))
    own = market.record(mode=1, request_id=records_lib.exact_request_id(market.till("rogue-node"), payment[0], payment[4]))
    with pytest.raises(RevertedError, match="ERC3009InvalidSignature"):  # the payer paid node-operator's till
        rogue.transact(settle(own, payment))
    market.settle(record, payment)  # its own node still can


def test_an_authorization_executed_straight_on_the_token_still_settles_from_the_till(market):
    """Anyone may execute a payer's authorization on the token: it pays the node's till, and the
    node's settlement takes it from there; nothing pays twice."""
    token = market.p.token.functions
    record, payment = market.paid(market.record(), market.payment(PRICE * 2))
    till = market.till()
    market.sender("challenger").transact(token.transferWithAuthorization(payment[0], till, *payment[1:]))
    assert token.balanceOf(till).call() == PRICE * 2
    event = market.settle(record, payment)
    assert event["fee"] == PRICE * 2 and token.balanceOf(till).call() == 0
    with pytest.raises(RevertedError, match="RequestAlreadySettled"):
        market.settle(record, payment)


def test_a_used_authorization_with_nothing_in_the_till_moves_nothing(market):
    """A node naming an authorization used elsewhere (cancelled by its payer) is refused: the
    till holds nothing for it."""
    token = market.p.token.functions
    record, payment = market.paid(market.record(), market.payment(PRICE * 2))
    market.sender("user").transact(_cancel(market, "user", payment[4]))
    before = token.balanceOf(payment[0]).call()
    with pytest.raises(RevertedError, match="RequestNotPaid"):
        market.settle(record, payment)
    assert token.balanceOf(payment[0]).call() == before


@pytest.mark.parametrize("used_by", ["cancel", "another authorization with the nonce"])
def test_a_used_authorization_never_takes_what_other_payers_paid_into_the_till(market, used_by):
    """The attacker review's till commingling (2026-12-08): another payer's payment sits in the
    till (executed straight on the token, as anyone may), and a payer's own authorization is used
    without paying the till (cancelled, or a second authorization of its with the same nonce paid
    elsewhere). Its record is refused (RequestNotPaid); the other payer's money stays for its own."""
    token = market.p.token.functions
    market.fund("delegator-2", PRICE * 2)
    other_record, other = market.paid(market.record(), market.payment(PRICE * 2, payer="delegator-2"))
    till = market.till()
    market.sender("challenger").transact(token.transferWithAuthorization(other[0], till, *other[1:]))
    record, payment = market.paid(market.record(), market.payment(PRICE * 2))
    if used_by == "cancel":
        market.sender("user").transact(_cancel(market, "user", payment[4]))
    else:  # the same nonce, signed again to the payer's own till for 1 wei, and executed
        elsewhere = market._authorization("user", "user", 1, payment[2], payment[3], bytes(payment[4]))
        market.sender("challenger").transact(token.transferWithAuthorization(elsewhere[0], market.till("user"),
                                                                             *elsewhere[1:]))
    assert token.authorizationState(payment[0], payment[4]).call()
    with pytest.raises(RevertedError, match="RequestNotPaid"):
        market.settle(record, payment)
    assert token.balanceOf(till).call() == PRICE * 2, "the other payer's money left the till"
    assert market.settle(other_record, other)["fee"] == PRICE * 2
    assert token.balanceOf(till).call() == 0


def _cancel(market, payer: str, nonce: bytes):
    """The payer's ERC-3009 cancelAuthorization of `nonce`."""
    from eth_account import Account

    from ogcli.core import typed_data

    account = accounts.get(payer)
    signed = Account.sign_typed_data(
        account.private_key, typed_data.token_domain(market.chain.w3.eth.chain_id, market.p.token.address),
        {"CancelAuthorization": [{"name": "authorizer", "type": "address"}, {"name": "nonce", "type": "bytes32"}]},
        {"authorizer": account.address, "nonce": nonce})
    return market.p.token.functions.cancelAuthorization(account.address, nonce, signed.v, signed.r.to_bytes(32, "big"),
                                                        signed.s.to_bytes(32, "big"))


def test_underpayment_is_refused_and_moves_nothing(market):
    user = accounts.get("user").address
    before = market.p.token.functions.balanceOf(user).call()
    with pytest.raises(RevertedError, match="Underpaid"):
        market.settle(market.record(), market.payment(PRICE))
    assert market.p.token.functions.balanceOf(user).call() == before


def test_only_active_validators_attest(market):
    market.settle(market.record(), market.payment(PRICE * 2))
    record_id = market.p.settlement.functions.recordCount().call()
    with pytest.raises(RevertedError, match="NotActiveValidator"):
        market.sender("user").transact(market.p.settlement.functions.attest(record_id, True))
    market.sender("validator-1").transact(market.p.settlement.functions.attest(record_id, True))
    with pytest.raises(RevertedError, match="AlreadyAttested"):
        market.sender("validator-1").transact(market.p.settlement.functions.attest(record_id, True))


def test_dispute_of_a_tampered_result_slashes_and_pays_the_challenger(market):
    settlement = market.p.settlement.functions
    honest, tampered = market.record(), market.record(tamper=True)
    market.settle(honest, market.payment(PRICE * 2))
    honest_id = settlement.recordCount().call()
    market.settle(tampered, market.payment(PRICE * 2))
    tampered_id = settlement.recordCount().call()
    v1 = accounts.get("validator-1").address
    market.sender("validator-1").transact(settlement.attest(honest_id, True))
    market.sender("validator-1").transact(settlement.attest(tampered_id, True))

    challenger = market.sender("challenger")
    with pytest.raises(RevertedError, match="DisputeRejected"):
        challenger.transact(settlement.dispute(honest_id, market.settled_call(honest_id, honest), v1, 1))
    with pytest.raises(RevertedError, match="RecordMismatch"):
        challenger.transact(settlement.dispute(tampered_id, market.settled_call(tampered_id, honest), v1, 1))

    stake_before = market.p.staking.functions.getValidator(v1).call()[1]
    challenger.transact(settlement.dispute(tampered_id, market.settled_call(tampered_id, tampered), v1, 1))
    params = settlement.params().call()
    slashed = stake_before * params[4] // 10_000
    view = market.p.staking.functions.getValidator(v1).call()
    assert view[1] == stake_before - slashed
    assert view[6] is True  # jailed
    reward = slashed * params[5] // 10_000
    assert market.p.token.functions.balanceOf(challenger.address).call() == reward
    with pytest.raises(RevertedError, match="AlreadyDisputed"):
        challenger.transact(settlement.dispute(tampered_id, market.settled_call(tampered_id, tampered), v1, 1))


def test_batch_settlement_stores_every_record_and_costs_less_per_call(market):
    settlement = market.p.settlement.functions
    single = market.sender("node-operator").transact(settlement.settle(*market.paid(market.record(), market.payment(PRICE * 2))))
    records, payments = zip(*(market.paid(market.record(), market.payment(PRICE * 2)) for _ in range(5)))
    records, payments = list(records), list(payments)
    first_id = settlement.recordCount().call() + 1
    receipt = market.sender("node-operator").transact(settlement.settleBatch(records, payments))
    assert settlement.recordCount().call() == first_id + 4
    user = accounts.get("user").address
    node = accounts.get("node-operator").address
    for offset, (record, payment) in enumerate(zip(records, payments)):
        stored = settlement.recordState(first_id + offset).call()[0]
        fields = dict(zip(("modelId", "inputHash", "outputHash", "requestId", "timestamp", "mode", "enclaveSigner",
                           "signature"), record))
        assert stored == records_lib.settled_hash(fields, user, node, payment[1])  # what the CLI checks receipts by
    assert receipt.gas_used / 5 < single.gas_used
    with pytest.raises(RevertedError, match="LengthMismatch"):
        market.sender("node-operator").transact(settlement.settleBatch(records[:2], payments[:1]))
