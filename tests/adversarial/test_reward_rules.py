"""Attestation rewards under attack (issue 14, found by the attacker review).

- A reward is paid or forfeited, once: governance lengthening the challenge window used to reopen
  a claimed verdict to dispute, and the dispute forfeited its reward to the treasury a second
  time, out of other records' money, until `sweepUnusedRewards` could no longer pay.
- Only verdicts the contract can check earn: a blind "valid" on a vanilla record (no signature,
  nothing to dispute: `dispute` refuses the mode) used to take a reward slot and be paid.
"""

from __future__ import annotations

import pytest
from web3.logs import DISCARD

from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from tests.chain.fixtures import revert_reason, send_as
from tests.chain.market import Market

pytestmark = pytest.mark.chain
BAD_SIGNATURE = 1
MODE_VANILLA = 1


@pytest.fixture
def market(fresh):
    return Market(fresh)


def test_a_claimed_reward_is_never_forfeited_again(market):
    settlement = market.p.settlement.functions
    validator = accounts.get("validator-1").address
    bad = market.record(tamper=True)
    record_id = market.settle_one(bad)
    market.attest("validator-1", record_id, True)  # one of the three reward slots
    window = settlement.params().call()[3]
    market.chain.advance(window + 1)
    market.sender("validator-1").transact(settlement.claimAttestationRewards(validator, [record_id]))
    longer = list(settlement.params().call())
    # Lengthened, as far as the unbonding periods allow (Staking's and the node bonds').
    longer[3] = min(market.p.staking.functions.params().call()[0], market.p.bonds.functions.unbondingDelay().call()) - 1
    send_as(market.chain, market.p.timelock.address, settlement.setParams(tuple(longer)))

    # The verdict keeps the window it was given under: claimed, it is past disputing for good
    # (on the old code the dispute went through and forfeited the reward a second time).
    with pytest.raises(RevertedError, match="ChallengeWindowClosed"):
        market.dispute("challenger", record_id, bad, "validator-1", BAD_SIGNATURE)
    # The two unused slots are still covered: the sweep pays them.
    market.chain.advance(longer[3] + 1)
    per_slot = settlement.recordState(record_id).call()[3]
    treasury = market.p.token.functions.balanceOf(market.p.timelock.address).call()
    market.sender("challenger").transact(settlement.sweepUnusedRewards([record_id]))
    assert market.p.token.functions.balanceOf(market.p.timelock.address).call() - treasury == 2 * per_slot


def test_a_blind_valid_on_a_record_the_contract_cannot_check_earns_nothing(market):
    settlement, token = market.p.settlement.functions, market.p.token.functions
    treasury = market.p.timelock.address
    junk = market.record(tamper=True, mode=MODE_VANILLA, signature=b"")
    before = token.balanceOf(treasury).call()
    settled = market.settle(junk, market.payment(2 * 10**17))
    # The validator fee of a record nobody can check goes to the treasury with its own cut.
    assert token.balanceOf(treasury).call() - before == settled["validatorCut"] + settled["treasuryCut"]
    record_id = settled["recordId"]
    receipt = market.attest("validator-2", record_id, True)
    [attested] = market.p.settlement.events.Attested().process_receipt(receipt.raw, errors=DISCARD)
    assert attested["args"]["reward"] == 0
    with pytest.raises(RevertedError, match="UnsupportedMode"):
        market.dispute("challenger", record_id, junk, "validator-2", BAD_SIGNATURE)
    market.chain.advance(settlement.params().call()[3] + 1)
    with pytest.raises(RevertedError, match="NothingToClaim"):
        market.sender("validator-2").transact(settlement.claimAttestationRewards(accounts.get("validator-2").address, [record_id]))


@pytest.mark.parametrize("field, value", [(4, 0), (3, 0)])  # slashFractionBps, challengeWindow
def test_governance_cannot_switch_disputes_off_by_parameter(market, field, value):
    """A zero slash fraction (Staking refuses it: every dispute reverts) or a zero challenge window
    (nothing disputable) would make false vouching free; the contract refuses both."""
    settlement = market.p.settlement.functions
    params = list(settlement.params().call())
    params[field] = value
    with pytest.raises(Exception) as refused:
        send_as(market.chain, market.p.timelock.address, settlement.setParams(tuple(params)))
    assert "BadParams" in revert_reason(refused.value)
    with pytest.raises(Exception) as refused:
        send_as(market.chain, market.p.timelock.address, settlement.setTreasury("0x" + "00" * 20))
    assert "BadParams" in revert_reason(refused.value)


def test_a_verdicts_challenge_window_is_the_one_in_force_when_it_was_given(market):
    """Found by the second attacker review: lengthening the unbonding period and then the window
    reopened old verdicts whose stake had left under the old, shorter unbonding (an entry matured
    before the new window closed is out of any slash's reach), so a late dispute slashed the pool
    while the stake that stood behind the verdict walked away. A verdict's window is now fixed when
    it is given; later changes apply to later verdicts."""
    from ogcli.protocol.params import OPG

    staking, settlement = market.p.staking.functions, market.p.settlement.functions
    bad = market.record(tamper=True)
    record_id = market.settle_one(bad)
    market.attest("validator-1", record_id, True)
    window = settlement.params().call()[3]
    longer_unbonding = list(staking.params().call())
    longer_unbonding[0] *= 2
    send_as(market.chain, market.p.timelock.address, staking.setParams(tuple(longer_unbonding)))
    longer_bond_delay = list(market.p.bonds.functions.params().call())
    longer_bond_delay[1] = longer_unbonding[0]
    send_as(market.chain, market.p.timelock.address, market.p.bonds.functions.setParams(tuple(longer_bond_delay)))
    longer_window = list(settlement.params().call())
    longer_window[3] = window * 2
    send_as(market.chain, market.p.timelock.address, settlement.setParams(tuple(longer_window)))
    market.chain.advance(window + 1)  # past the verdict's own window, inside the new one
    with pytest.raises(RevertedError, match="ChallengeWindowClosed"):
        market.dispute("challenger", record_id, bad, "validator-1", BAD_SIGNATURE)
    assert market.validator_tokens("validator-1") == 20_000 * OPG  # nothing slashed
    # The record itself keeps the window it settled under, against its node too.
    with pytest.raises(RevertedError, match="RecordWindowClosed"):
        market.dispute_producer("challenger", record_id, bad, BAD_SIGNATURE)
