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
    window = settlement.functions.params().call()[3]
    assert "BadParams" in _refused(lambda: _set(fresh, settlement, SETTLEMENT_FIELDS, challengeWindow=unbonding))
    assert "InvalidParams" in _refused(lambda: _set(fresh, staking, STAKING_FIELDS, unbondingPeriod=window))
    _set(fresh, settlement, SETTLEMENT_FIELDS, challengeWindow=unbonding - 1)  # just inside: fine
    _set(fresh, staking, STAKING_FIELDS, unbondingPeriod=unbonding + 1)


def test_a_slashed_validator_stays_jailed_for_at_least_a_second(fresh):
    assert "InvalidParams" in _refused(lambda: _set(fresh, fresh.protocol.staking, STAKING_FIELDS, jailDuration=0))
