"""Parameters that would let a lie go unpunished are refused (issue 14, found by the second attacker
review). Each would need a governance mistake, but a mistake made once breaks every stake:

- a challenge window at least as long as the unbonding period: a dispute inside the window could
  come after the stake behind the lie had left (Staking refuses the infraction as too old, and the
  false verdict is then paid);
- a zero jail duration: a validator slashed at second T could unjail and lie again in second T,
  where the lie counts as covered by the slash just taken.
"""

from __future__ import annotations

import pytest

from tests.chain.fixtures import revert_reason, send_as

pytestmark = pytest.mark.chain
STAKING_FIELDS = ["unbondingPeriod", "maxCommissionBps", "maxCommissionChangeBps", "commissionChangeDelay",
                  "minSelfStake", "jailDuration"]
BOND_FIELDS = ["minBond", "unbondingDelay", "slashFractionBps"]
SETTLEMENT_FIELDS = ["validatorFeeBps", "treasuryFeeBps", "rewardedAttesters", "challengeWindow", "slashFractionBps",
                     "challengerRewardBps"]


def _set(chain, contract, fields, **changes):
    params = list(contract.functions.params().call())
    for name, value in changes.items():
        params[fields.index(name)] = value
    return send_as(chain, chain.protocol.timelock.address, contract.functions.setParams(tuple(params)))


def _refused(call) -> str:
    with pytest.raises(Exception) as refused:
        call()
    return revert_reason(refused.value)


def test_the_challenge_window_stays_shorter_than_the_unbonding_period(fresh):
    staking, settlement = fresh.protocol.staking, fresh.protocol.settlement
    unbonding = staking.functions.params().call()[0]
    _set(fresh, fresh.protocol.bonds, BOND_FIELDS, unbondingDelay=unbonding)  # so only Staking's bound is tested here
    window = settlement.functions.params().call()[3]
    assert "BadParams" in _refused(lambda: _set(fresh, settlement, SETTLEMENT_FIELDS, challengeWindow=unbonding))
    assert "InvalidParams" in _refused(lambda: _set(fresh, staking, STAKING_FIELDS, unbondingPeriod=window))
    _set(fresh, settlement, SETTLEMENT_FIELDS, challengeWindow=unbonding - 1)  # just inside: fine
    _set(fresh, staking, STAKING_FIELDS, unbondingPeriod=unbonding + 1)


def test_a_slashed_validator_stays_jailed_for_at_least_a_second(fresh):
    assert "InvalidParams" in _refused(lambda: _set(fresh, fresh.protocol.staking, STAKING_FIELDS, jailDuration=0))


def test_shortening_the_unbonding_period_lets_no_open_verdict_escape(fresh):
    """Found by the invariant campaign (I2, after issue 15 changed its call sequence): a verdict keeps
    the challenge window it was given. Governance lowers the window, then the unbonding period to
    just above the new window, as the old check allowed: the false verdict's stored window still
    runs, but Staking already refuses its infraction as older than the unbonding period, and the
    lie is paid. The unbonding period must stay longer than every window still open."""
    from tests.chain.market import Market

    market = Market(fresh)
    staking, settlement = fresh.protocol.staking, fresh.protocol.settlement
    day = 86_400
    _set(fresh, fresh.protocol.bonds, BOND_FIELDS, unbondingDelay=12 * day)
    _set(fresh, settlement, SETTLEMENT_FIELDS, challengeWindow=10 * day)
    bad = market.record(tamper=True)
    record_id = market.settle_one(bad)
    market.attest("validator-1", record_id, True)  # its window: 10 days
    _set(fresh, settlement, SETTLEMENT_FIELDS, challengeWindow=1 * day)
    # The node bonds keep the same rule: the record's 10-day window is still open.
    assert "BadParams" in _refused(lambda: _set(fresh, fresh.protocol.bonds, BOND_FIELDS, unbondingDelay=2 * day))
    try:
        _set(fresh, staking, STAKING_FIELDS, unbondingPeriod=2 * day)
    except Exception as exc:
        assert "InvalidParams" in revert_reason(exc)  # refused while a longer window is open: the fix
        return
    fresh.advance(5 * day)  # inside the verdict's 10-day window, past the 2-day unbonding period
    stake = market.validator_tokens("validator-1")
    market.dispute("challenger", record_id, bad, "validator-1", 1)  # ground 1: the signature is not the enclave's
    assert market.validator_tokens("validator-1") < stake
