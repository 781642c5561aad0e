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
from tests.chain.fixtures import revert_reason, send_as
from tests.chain.market import NODE_BOND, PRICE, Market

pytestmark = pytest.mark.chain

BAD_SIGNATURE, UNKNOWN_SIGNER, NOT_APPROVED = 1, 2, 3


@pytest.fixture
def market(fresh):
    return Market(fresh)  # node-operator bonded NODE_BOND


def _settle(market, record, node: str = "node-operator") -> tuple[int, tuple]:
    """Settles `record` from `node`; returns (record id, the settled call the contract stored)."""
    record_id = market.settle(record, market.payment(2 * PRICE), node=node)["recordId"]
    return record_id, market.settled_call(record_id, record)


def _balance(market, address: str) -> int:
    return market.p.token.functions.balanceOf(address).call()


def _dispute_producer(market, challenger: str, record_id: int, settled: tuple, ground: int):
    return market.sender(challenger).transact(market.p.settlement.functions.disputeProducer(record_id, settled, ground))


def test_a_node_that_settles_a_forged_record_pays_for_it(market):
    record_id, settled = _settle(market, market.record(tamper=True))
    _record, payer, node, fee = settled
    payer_before, challenger_before = _balance(market, payer), _balance(market, accounts.get("validator-2").address)
    treasury_before = _balance(market, market.p.settlement.functions.treasury().call())

    _dispute_producer(market, "validator-2", record_id, settled, BAD_SIGNATURE)

    slashed = NODE_BOND - market.bonded("node-operator")
    assert slashed > fee, "the node must lose more than the call earned it"
    assert _balance(market, payer) - payer_before == fee, "the payer is refunded what the call cost, to the wei"
    challenger_reward = (slashed - fee) * market.p.settlement.functions.params().call()[5] // 10_000
    assert _balance(market, accounts.get("validator-2").address) - challenger_before == challenger_reward
    assert challenger_reward > 0
    treasury = market.p.settlement.functions.treasury().call()
    assert _balance(market, treasury) - treasury_before == slashed - fee - challenger_reward
    registry = market.p.registry.functions
    assert registry.getEnclave(market.signer.address).call()[6] == market.chain.now(), "the enclave is disabled"
    market.chain.advance(2)
    assert registry.isActive(market.signer.address, market.chain.now()).call() is False

    with pytest.raises(RevertedError, match="ProducerAlreadyDisputed"):
        _dispute_producer(market, "validator-1", record_id, settled, BAD_SIGNATURE)


def test_an_honest_record_is_never_held_against_its_node(market):
    record_id, settled = _settle(market, market.record())
    for ground in (BAD_SIGNATURE, UNKNOWN_SIGNER, NOT_APPROVED):
        with pytest.raises(RevertedError, match="DisputeRejected"):
            _dispute_producer(market, "validator-2", record_id, settled, ground)
    assert market.bonded("node-operator") == NODE_BOND


def test_a_node_without_a_bond_cannot_settle_tee_records(market):
    record = market.record(tamper=True, key=market.enclave("rogue-node"))
    with pytest.raises(RevertedError, match="NodeNotBonded"):
        _settle(market, record, node="rogue-node")


def test_the_settled_call_cannot_be_rewritten_to_redirect_the_refund(market):
    """A challenger names itself as the payer (or another node as the producer): the stored hash
    binds the record to its payer, node and fee, so the dispute is refused."""
    market.bond("rogue-node", NODE_BOND)
    record_id, (record, payer, node, fee) = _settle(market, market.record(tamper=True))
    thief = accounts.get("validator-2").address
    for forged in ((record, thief, node, fee), (record, payer, accounts.get("rogue-node").address, fee),
                   (record, payer, node, fee * 10)):
        with pytest.raises(RevertedError, match="RecordMismatch"):
            _dispute_producer(market, "validator-2", record_id, forged, BAD_SIGNATURE)
    assert market.bonded("rogue-node") == NODE_BOND and market.bonded("node-operator") == NODE_BOND


def test_unbonding_cannot_outrun_a_dispute_still_in_time(market):
    """The node settles a forged record and starts unbonding everything at once: the record's fee
    stays reserved in the active bond, what is unbonding stays slashable until the record's window
    closes, and that is before the bond can be withdrawn."""
    record_id, settled = _settle(market, market.record(tamper=True))
    bonds = market.p.bonds.functions
    active, _unbonding, _release, reserved = bonds.bondOf(accounts.get("node-operator").address).call()
    assert reserved == settled[3], "the record's fee is reserved in the bond until its window closes"
    with pytest.raises(RevertedError, match="BondCommitted"):
        market.sender("node-operator").transact(bonds.unbond(active))
    market.sender("node-operator").transact(bonds.unbond(active - reserved))  # everything it can
    window = market.p.settlement.functions.params().call()[3]
    market.chain.advance(window - 5)  # the last seconds of the record's window
    with pytest.raises(RevertedError, match="BondStillUnbonding"):
        market.sender("node-operator").transact(bonds.withdraw())
    payer_before = _balance(market, settled[1])
    _dispute_producer(market, "validator-2", record_id, settled, BAD_SIGNATURE)
    assert _balance(market, settled[1]) - payer_before == settled[3]
    assert market.bonded("node-operator") < NODE_BOND


def test_governance_cannot_shorten_the_bond_delay_below_an_open_window(fresh):
    bonds, settlement = fresh.protocol.bonds, fresh.protocol.settlement
    params = list(bonds.functions.params().call())
    window = settlement.functions.params().call()[3]
    params[1] = window  # unbondingDelay == the challenge window: a dispute on its last second finds nothing
    with pytest.raises(Exception) as refused:
        send_as(fresh, fresh.protocol.timelock.address, bonds.functions.setParams(tuple(params)))
    assert "BadParams" in revert_reason(refused.value)


def test_a_forged_record_under_another_operators_enclave_does_not_settle(market):
    """A rogue node settles a forged record in the name of the honest node's enclave: refused (a
    TEE record settles only from its enclave's operator), so the honest node's bond and enclave
    are never at stake for it."""
    market.bond("rogue-node", NODE_BOND)
    with pytest.raises(RevertedError, match="NotSettlersEnclave"):
        _settle(market, market.record(tamper=True), node="rogue-node")
    assert market.bonded("node-operator") == NODE_BOND
    assert market.p.registry.functions.getEnclave(market.signer.address).call()[6] == 0  # not disabled


def test_a_node_that_disputes_its_own_forgery_loses_more_than_it_gains(market):
    """A rogue node settles a forged record of its own enclave, then disputes it itself: its bond
    pays more than the dispute earns it."""
    market.bond("rogue-node", NODE_BOND)
    record_id, settled = _settle(market, market.record(tamper=True, key=market.enclave("rogue-node")), node="rogue-node")
    rogue = accounts.get("rogue-node").address
    rogue_before = _balance(market, rogue)
    _dispute_producer(market, "rogue-node", record_id, settled, BAD_SIGNATURE)
    lost = NODE_BOND - market.bonded("rogue-node")
    gained = _balance(market, rogue) - rogue_before
    assert lost > 0 and gained < lost, "nobody profits from disputing its own forgery"
    assert market.bonded("node-operator") == NODE_BOND


def test_a_node_cannot_drain_its_bond_through_a_record_it_paid_for_itself(market):
    """Found by the attacker review: the node forges a record for a paying user, then pays itself
    a fee as large as its whole bond for a second forged record and disputes that one first: the
    "refund" hands the whole bond back to the node at once, and the user's dispute then slashes
    nothing and refunds nothing. The bond must still refund the user to the wei."""
    victim_id, victim = _settle(market, market.record(tamper=True))
    market.fund("node-operator", NODE_BOND)
    try:
        settlement = market.p.settlement.functions
        receipt = market.sender("node-operator").transact(
            settlement.settle(market.record(tamper=True), market.payment(NODE_BOND, payer="node-operator")))
        from web3.logs import DISCARD

        args = market.p.settlement.events.InferenceSettled().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]
        own_id, own = args["recordId"], (tuple(args["record"].values()), args["payer"], args["node"], args["fee"])
        _dispute_producer(market, "node-operator", own_id, own, BAD_SIGNATURE)
    except RevertedError:
        pass  # refused: the bond could not back this record on top of the user's
    payer_before = _balance(market, victim[1])
    _dispute_producer(market, "validator-2", victim_id, victim, BAD_SIGNATURE)
    assert _balance(market, victim[1]) - payer_before == victim[3], "the user is refunded what the call cost, to the wei"


def test_a_records_fee_is_reserved_until_its_window_closes_and_bounds_what_a_node_takes_on(market):
    """What a node's bond backs is what it can refund: each TEE record's fee is held in the bond
    until the record's window closes (then released), and a record whose fee the free bond cannot
    cover does not settle."""
    bonds = market.p.bonds.functions
    rogue = accounts.get("rogue-node").address
    minimum = bonds.minBond().call()
    market.bond("rogue-node", minimum)
    key = market.enclave("rogue-node")
    big = market.payment(minimum)  # a fee as large as the whole bond: reserved in full
    record_id = market.settle(market.record(key=key), big, node="rogue-node")["recordId"]
    assert bonds.reservedOf(rogue).call() == minimum
    with pytest.raises(RevertedError, match="BondCommitted"):
        market.settle(market.record(key=key), market.payment(2 * PRICE), node="rogue-node")
    until = market.p.settlement.functions.recordDisputableUntil(record_id).call()
    market.chain.advance(until - market.chain.now() + 86_400)  # past the window, into the next day
    assert bonds.reservedOf(rogue).call() == 0
    market.sender("rogue-node").transact(bonds.unbond(minimum))  # all of it is free again
