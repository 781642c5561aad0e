"""The producer of a false result pays (issue 15, part 2), on a real Anvil.

The attack: a node settles TEE records its enclave never signed, or from an enclave it has no
right to, and keeps its cut of the fee. Before issue 15 only the validators who vouched for such a
record could be slashed; the node kept the fee, the payer had paid for a lie, and a node with no
stake at all could settle TEE records. Now a node bonds OPG before it settles TEE records, and a
record proven false on any record ground slashes the bond, refunds the payer to the wei, pays the
challenger, and disables the enclave; an honest record can never be held against its node, and
unbonding cannot outrun a dispute still in time.
"""

from __future__ import annotations

import pytest

from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from ogcli.protocol.params import OPG
from tests.chain.fixtures import revert_reason, send_as
from tests.chain.market import Market

pytestmark = pytest.mark.chain

BAD_SIGNATURE, UNKNOWN_SIGNER, NOT_APPROVED = 1, 2, 3
BOND = 1_000 * OPG


@pytest.fixture
def market(fresh):
    return Market(fresh)


def _bond(market, name: str, amount: int) -> None:
    bonds = market.p.bonds
    market.fund(name, amount)
    market.sender(name).transact(market.p.token.functions.approve(bonds.address, amount))
    market.sender(name).transact(bonds.functions.bond(amount))


def _settle(market, record, node: str = "node-operator") -> tuple[int, tuple]:
    """Settles `record` from `node`; returns (record id, the settled call the contract stored)."""
    from web3.logs import DISCARD

    settlement = market.p.settlement
    receipt = market.sender(node).transact(settlement.functions.settle(record, market.payment(2 * market_price(market))))
    args = settlement.events.InferenceSettled().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]
    return args["recordId"], (record, args["payer"], args["node"], args["fee"])


def market_price(market) -> int:
    return market.p.hub.functions.getModel(market.model_id).call()[5]


def _balance(market, address: str) -> int:
    return market.p.token.functions.balanceOf(address).call()


def _bonded(market, name: str) -> int:
    view = market.p.bonds.functions.bondOf(accounts.get(name).address).call()
    return view[0] + view[1]  # active + unbonding


def _dispute_producer(market, challenger: str, record_id: int, settled: tuple, ground: int):
    return market.sender(challenger).transact(market.p.settlement.functions.disputeProducer(record_id, settled, ground))


def test_a_node_that_settles_a_forged_record_pays_for_it(market):
    _bond(market, "node-operator", BOND)
    record_id, settled = _settle(market, market.record(tamper=True))
    _record, payer, node, fee = settled
    payer_before, challenger_before = _balance(market, payer), _balance(market, accounts.get("validator-2").address)
    treasury_before = _balance(market, market.p.settlement.functions.treasury().call())

    _dispute_producer(market, "validator-2", record_id, settled, BAD_SIGNATURE)

    slashed = BOND - _bonded(market, "node-operator")
    assert slashed > fee, "the node must lose more than the call earned it"
    assert _balance(market, payer) - payer_before == fee, "the payer is refunded what the call cost, to the wei"
    challenger_reward = (slashed - fee) * market.p.settlement.functions.params().call()[5] // 10_000
    assert _balance(market, accounts.get("validator-2").address) - challenger_before == challenger_reward
    assert challenger_reward > 0
    treasury = market.p.settlement.functions.treasury().call()
    assert _balance(market, treasury) - treasury_before == slashed - fee - challenger_reward
    registry = market.p.registry.functions
    assert registry.getEnclave(market.signer.address).call()[8] is False, "the enclave is disabled"
    market.chain.advance(2)
    assert registry.isActive(market.signer.address, market.chain.now()).call() is False

    with pytest.raises(RevertedError, match="ProducerAlreadyDisputed"):
        _dispute_producer(market, "validator-1", record_id, settled, BAD_SIGNATURE)


def test_an_honest_record_is_never_held_against_its_node(market):
    _bond(market, "node-operator", BOND)
    record_id, settled = _settle(market, market.record())
    for ground in (BAD_SIGNATURE, UNKNOWN_SIGNER, NOT_APPROVED):
        with pytest.raises(RevertedError, match="DisputeRejected"):
            _dispute_producer(market, "validator-2", record_id, settled, ground)
    assert _bonded(market, "node-operator") == BOND


def test_a_node_without_a_bond_cannot_settle_tee_records(market):
    record = market.record(tamper=True)
    with pytest.raises(RevertedError, match="NodeNotBonded"):
        _settle(market, record, node="rogue-node")


def test_the_settled_call_cannot_be_rewritten_to_redirect_the_refund(market):
    """A challenger names itself as the payer (or another node as the producer): the stored hash
    binds the record to its payer, node and fee, so the dispute is refused."""
    _bond(market, "node-operator", BOND)
    _bond(market, "rogue-node", BOND)
    record_id, (record, payer, node, fee) = _settle(market, market.record(tamper=True))
    thief = accounts.get("validator-2").address
    for forged in ((record, thief, node, fee), (record, payer, accounts.get("rogue-node").address, fee),
                   (record, payer, node, fee * 10)):
        with pytest.raises(RevertedError, match="RecordMismatch"):
            _dispute_producer(market, "validator-2", record_id, forged, BAD_SIGNATURE)
    assert _bonded(market, "rogue-node") == BOND and _bonded(market, "node-operator") == BOND


def test_unbonding_cannot_outrun_a_dispute_still_in_time(market):
    """The node settles a forged record and starts unbonding everything at once: its bond stays
    slashable until the record's window closes, which is before the bond can be withdrawn."""
    _bond(market, "node-operator", BOND)
    record_id, settled = _settle(market, market.record(tamper=True))
    bonds = market.p.bonds.functions
    market.sender("node-operator").transact(bonds.unbond(BOND))
    window = market.p.settlement.functions.params().call()[3]
    market.chain.advance(window - 5)  # the last seconds of the record's window
    with pytest.raises(RevertedError, match="BondStillUnbonding"):
        market.sender("node-operator").transact(bonds.withdraw())
    payer_before = _balance(market, settled[1])
    _dispute_producer(market, "validator-2", record_id, settled, BAD_SIGNATURE)
    assert _balance(market, settled[1]) - payer_before == settled[3]
    assert _bonded(market, "node-operator") < BOND


def test_governance_cannot_shorten_the_bond_delay_below_an_open_window(fresh):
    bonds, settlement = fresh.protocol.bonds, fresh.protocol.settlement
    params = list(bonds.functions.params().call())
    window = settlement.functions.params().call()[3]
    params[1] = window  # unbondingDelay == the challenge window: a dispute on its last second finds nothing
    with pytest.raises(Exception) as refused:
        send_as(fresh, fresh.protocol.timelock.address, bonds.functions.setParams(tuple(params)))
    assert "BadParams" in revert_reason(refused.value)
