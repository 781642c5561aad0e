"""Delegation from the terminal on the seeded devnet: delegate, rewards, undelegate, withdraw."""

from __future__ import annotations

import json

import pytest

from ogcli.devnet import accounts
from ogcli.protocol.params import OPG

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]


@pytest.fixture
def staker(seeded_profile, cli, monkeypatch):
    """Wallet `carol` (devnet delegator-1's key) on the seeded chain, inside a snapshot."""
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    with seeded_profile.snapshot():
        result = cli("wallet", "import", "carol", "--private-key", input=accounts.get("delegator-1").private_key.hex() + "\n")
        assert result.exit_code == 0, result.stderr
        assert cli("wallet", "use", "carol").exit_code == 0
        yield seeded_profile


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["data"]


def test_delegate_approves_then_delegates_the_exact_amount(staker, cli):
    staking = staker.protocol.staking.functions
    me, target = accounts.get("delegator-1").address, accounts.get("validator-3").address
    _shares, before = staking.delegationOf(target, me).call()
    data = _json(cli("--json", "--yes", "stake", "delegate", target, "100.5"))
    assert data["sent"] is True
    _shares, after = staking.delegationOf(target, me).call()
    assert after - before in (100_500_000_000_000_000_000, 100_500_000_000_000_000_000 - 1)  # share rounding


def test_delegating_to_the_jailed_validator_is_warned_and_refused(staker, cli):
    result = cli("--yes", "stake", "delegate", accounts.get("validator-7").address, "10")
    assert result.exit_code == 4
    assert "jailed" in result.stderr and "nothing was sent" in result.stderr


def test_big_delegation_warns_about_concentration(staker, cli):
    # validator-1 already holds over 20% of all stake; carol's allowance covers nothing yet, so the
    # dry run stops at the approval, after the warnings.
    result = cli("--dry-run", "stake", "delegate", accounts.get("validator-1").address, "100")
    assert result.exit_code == 0, result.stderr
    assert "concentration risk" in result.stderr


def test_rewards_undelegate_and_withdraw_after_unbonding(staker, cli):
    staking = staker.protocol.staking.functions
    me = accounts.get("delegator-1").address
    rewards = _json(cli("--json", "stake", "rewards"))
    assert int(rewards["total_wei"]) > 0  # delegator-1 has earned from seeded attestations
    claimed = _json(cli("--json", "--yes", "stake", "rewards", "--claim"))
    assert claimed["sent"] is True
    validator = accounts.get("validator-1").address
    _json(cli("--json", "--yes", "stake", "undelegate", validator, "--all"))
    assert staking.delegationOf(validator, me).call()[1] == 0
    early = cli("--yes", "stake", "withdraw")
    assert early.exit_code == 2 and "next matures" in early.stderr
    staker.advance(15 * 86_400)
    before = staker.protocol.token.functions.balanceOf(me).call()
    _json(cli("--json", "--yes", "stake", "withdraw"))
    assert staker.protocol.token.functions.balanceOf(me).call() > before


def test_bad_input_is_refused_before_anything_happens(staker, cli):
    assert cli("stake", "undelegate", accounts.get("validator-1").address).exit_code == 2
    assert cli("stake", "delegate", "0x1234", "1").exit_code == 2
    assert cli("stake", "delegate", accounts.get("validator-1").address, "-3").exit_code == 2
