"""Stake that stood behind a false vouch cannot leave without paying for it (issue 14, found by the
attacker review of the lazy-slashing contracts).

- Redelegating away from the validator and undelegating at the destination at once used to escape
  the source's later slash entirely: the redelegation's cut was capped at what was still bonded
  at the destination (nothing), and the unbonding entry there was the destination's, which the
  source's slashes never reach. A validator could take its whole self-stake out this way.
- Evidence of an earlier infraction "covered" by a slash for a later one used to leave the stake
  that exited between the two untouched: a validator that vouched falsely could exit, vouch for a
  bogus record of its own, dispute itself, and the honest dispute of the first lie found nothing
  more to take.
"""

from __future__ import annotations

import pytest
from web3.logs import DISCARD

from ogcli.devnet import accounts
from ogcli.protocol.params import DAY, OPG
from tests.chain.market import Market

pytestmark = pytest.mark.chain
BAD_SIGNATURE = 1


@pytest.fixture
def market(fresh):
    return Market(fresh)


def _address(name: str) -> str:
    return accounts.get(name).address


def _delegate(market, name: str, validator: str, amount: int) -> None:
    market.fund(name, amount)
    market.sender(name).transact(market.p.token.functions.approve(market.p.staking.address, 2**255))
    market.sender(name).transact(market.p.staking.functions.delegate(_address(validator), amount))


def _withdrawn(market, name: str) -> int:
    token = market.p.token.functions
    before = token.balanceOf(_address(name)).call()
    market.sender(name).transact(market.p.staking.functions.withdraw())
    return token.balanceOf(_address(name)).call() - before


def _lie(market, validator: str):
    """`validator` attests a tampered record valid; returns (record id, record)."""
    bad = market.record(tamper=True)
    record_id = market.settle_one(bad)
    market.attest(validator, record_id, True)
    return record_id, bad


def test_redelegating_and_undelegating_at_the_destination_still_pays_the_sources_slash(market):
    staking = market.p.staking.functions
    for name in ("delegator-1", "delegator-2"):
        _delegate(market, name, "validator-1", 10_000 * OPG)
    record_id, bad = _lie(market, "validator-1")
    market.chain.advance(60)
    market.sender("delegator-1").transact(staking.undelegate(_address("validator-1"), 10_000 * OPG))  # the direct way out
    market.sender("delegator-2").transact(staking.redelegate(_address("validator-1"), _address("validator-2"), 10_000 * OPG))
    market.sender("delegator-2").transact(staking.undelegate(_address("validator-2"), 10_000 * OPG))  # two hops
    market.chain.advance(60)
    market.dispute("challenger", record_id, bad, "validator-1", BAD_SIGNATURE)
    market.chain.advance(15 * DAY)
    assert _withdrawn(market, "delegator-1") == 9_000 * OPG
    assert _withdrawn(market, "delegator-2") == 9_000 * OPG  # the same 10%: two hops change nothing


def test_a_validator_cannot_take_its_self_stake_out_through_a_redelegation(market):
    staking = market.p.staking.functions
    record_id, bad = _lie(market, "validator-2")  # with its 20,000 OPG self-stake behind the lie
    market.sender("validator-2").transact(staking.redelegate(_address("validator-2"), _address("validator-1"), 20_000 * OPG))
    market.sender("validator-2").transact(staking.undelegate(_address("validator-1"), 20_000 * OPG))
    market.dispute("challenger", record_id, bad, "validator-2", BAD_SIGNATURE)
    market.chain.advance(15 * DAY)
    assert _withdrawn(market, "validator-2") == 18_000 * OPG


def test_the_slash_collected_from_an_unbonding_entry_is_the_same_whoever_triggers_it(market):
    """The cut a redelegation owes reaches its owner's unbonding entries at the destination through
    `applyRedelegationSlash` (anyone) as well as through the owner's own withdrawal."""
    staking, token = market.p.staking.functions, market.p.token.functions
    _delegate(market, "delegator-1", "validator-1", 10_000 * OPG)
    record_id, bad = _lie(market, "validator-1")
    receipt = market.sender("delegator-1").transact(
        staking.redelegate(_address("validator-1"), _address("validator-2"), 10_000 * OPG))
    entry_id = market.p.staking.events.Redelegated().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]["entryId"]
    market.sender("delegator-1").transact(staking.undelegate(_address("validator-2"), 9_500 * OPG))
    market.dispute("challenger", record_id, bad, "validator-1", BAD_SIGNATURE)
    treasury = market.p.timelock.address
    before = token.balanceOf(treasury).call()
    market.sender("challenger").transact(staking.applyRedelegationSlash(entry_id))
    assert token.balanceOf(treasury).call() - before == 1_000 * OPG  # 10% of the 10,000 moved
    market.chain.advance(15 * DAY)
    # 500 still bonded at validator-2 and 9,500 unbonding there: the cut takes the bonded 500 first,
    # then 500 from the unbonding entry.
    assert staking.delegationOf(_address("validator-2"), _address("delegator-1")).call()[1] == 0
    assert _withdrawn(market, "delegator-1") == 9_000 * OPG


def test_a_later_self_made_infraction_does_not_shield_stake_that_left_after_the_first(market):
    staking = market.p.staking.functions
    _delegate(market, "delegator-3", "validator-2", 50_000 * OPG)
    first_id, first = _lie(market, "validator-2")  # the infraction the exits below must pay for
    market.chain.advance(30)
    market.sender("validator-2").transact(staking.undelegate(_address("validator-2"), 10_000 * OPG))  # keeps the minimum
    market.sender("delegator-3").transact(staking.undelegate(_address("validator-2"), 50_000 * OPG))
    market.chain.advance(30)
    own_id, own = _lie(market, "validator-2")
    market.dispute("validator-2", own_id, own, "validator-2", BAD_SIGNATURE)  # disputes itself: infraction after the exits
    # `stake exposure`'s rule predicts what the covered evidence still takes from the exit.
    from ogcli.chain.positions import read_positions

    lie_time = market.p.settlement.functions.attestationOf(first_id, _address("validator-2")).call()[0]
    fraction = market.p.settlement.functions.params().call()[4]
    predicted = read_positions(market.p, _address("delegator-3")).slash_loss(_address("validator-2"), fraction, lie_time)
    assert predicted.bonded_wei == 0 and predicted.unbonding_wei == 5_000 * OPG
    receipt = market.dispute("challenger", first_id, first, "validator-2", BAD_SIGNATURE)
    assert market.p.staking.events.SlashCovered().process_receipt(receipt.raw, errors=DISCARD)  # one slash per window
    market.chain.advance(15 * DAY)
    assert _withdrawn(market, "validator-2") == 9_000 * OPG
    assert _withdrawn(market, "delegator-3") == 45_000 * OPG


def test_a_redelegation_cut_that_takes_a_validators_self_stake_below_the_minimum_jails_it(market):
    """Found by the second attacker review: collecting a redelegation's cut from the destination
    burned the owner's shares there without the self-stake rule, so a validator that redelegated
    into its own pool could be left active with no self-stake at risk (and a dispute against its
    next lie then paid the challenger nothing)."""
    staking = market.p.staking.functions
    market.fund("validator-2", 100_000 * OPG)
    market.sender("validator-2").transact(staking.delegate(_address("validator-1"), 100_000 * OPG))
    _delegate(market, "delegator-2", "validator-2", 50_000 * OPG)  # an honest delegator keeps the pool alive
    record_id, bad = _lie(market, "validator-1")
    receipt = market.sender("validator-2").transact(
        staking.redelegate(_address("validator-1"), _address("validator-2"), 100_000 * OPG))  # into its own pool
    entry_id = market.p.staking.events.Redelegated().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]["entryId"]
    minimum = staking.params().call()[4]
    held = staking.delegationOf(_address("validator-2"), _address("validator-2")).call()[1]
    market.sender("validator-2").transact(staking.undelegate(_address("validator-2"), held - minimum))  # exactly the minimum left
    market.dispute("challenger", record_id, bad, "validator-1", BAD_SIGNATURE)
    market.sender("challenger").transact(staking.applyRedelegationSlash(entry_id))
    self_stake = staking.delegationOf(_address("validator-2"), _address("validator-2")).call()[1]
    assert self_stake < minimum
    assert staking.isActive(_address("validator-2")).call() is False  # jailed: it cannot attest below the minimum


def test_an_entry_that_paid_a_redelegations_cut_loses_only_the_fraction_of_what_it_still_holds(market):
    """Found by the invariant suite (I4): an unbonding entry at a redelegation's destination that
    paid the source's cut was then cut by the destination's own slash on its initial balance, so
    the owner lost 5,000 of the 45,000 it still had there (11.1%) for one 10% infraction."""
    staking = market.p.staking.functions
    _delegate(market, "delegator-1", "validator-1", 50_000 * OPG)
    bad = market.record(tamper=True)
    record_id = market.settle_one(bad)
    market.attest("validator-1", record_id, True)
    market.attest("validator-2", record_id, True)  # both vouch for the same lie
    receipt = market.sender("delegator-1").transact(
        staking.redelegate(_address("validator-1"), _address("validator-2"), 50_000 * OPG))
    entry_id = market.p.staking.events.Redelegated().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]["entryId"]
    market.sender("delegator-1").transact(staking.undelegate(_address("validator-2"), 50_000 * OPG))
    market.dispute("challenger", record_id, bad, "validator-1", BAD_SIGNATURE)
    market.sender("challenger").transact(staking.applyRedelegationSlash(entry_id))  # 5,000 from the entry
    market.dispute("challenger", record_id, bad, "validator-2", BAD_SIGNATURE)  # 10% of the 45,000 left
    market.chain.advance(15 * DAY)
    assert _withdrawn(market, "delegator-1") == 40_500 * OPG
