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
    record = market.record()
    nonce = os.urandom(32)
    market.settle(record, market.payment(PRICE * 2, nonce=nonce))
    with pytest.raises(RevertedError, match="RequestAlreadySettled"):
        market.settle(record, market.payment(PRICE * 2))
    with pytest.raises(RevertedError, match="ERC3009UsedAuthorization"):
        market.settle(market.record(), market.payment(PRICE * 2, nonce=nonce))


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
    single = market.sender("node-operator").transact(settlement.settle(market.record(), market.payment(PRICE * 2)))
    records = [market.record() for _ in range(5)]
    payments = [market.payment(PRICE * 2) for _ in range(5)]
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
