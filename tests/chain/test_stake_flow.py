"""The whole delegation cycle through the CLI on the seeded devnet, to the wei:
delegate, redelegate, undelegate, advance past unbonding, withdraw, claim."""

from __future__ import annotations


import pytest

from ogcli.devnet import accounts
from tests.cli_results import data as _data

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]

E18 = 10**18


class Books:
    """Reads the chain the way the contract computes it, for exact expectations."""

    def __init__(self, chain, me):
        self.staking = chain.protocol.staking.functions
        self.token = chain.protocol.token.functions
        self.me = me

    def wallet(self) -> int:
        return self.token.balanceOf(self.me).call()

    def pool(self, validator) -> tuple[int, int]:
        view = self.staking.getValidator(validator).call()
        return view[1], view[2]

    def shares(self, validator) -> int:
        return self.staking.delegationOf(validator, self.me).call()[0]

    def value(self, validator) -> int:
        return self.staking.delegationOf(validator, self.me).call()[1]


def test_delegate_redelegate_undelegate_withdraw_claim_to_the_wei(carol, cli):
    me = accounts.get("delegator-1").address
    v3, v4 = accounts.get("validator-3").address, accounts.get("validator-4").address
    books = Books(carol, me)

    # delegate 1000.5 OPG: the wallet pays exactly that; shares are minted at the pool's price
    wallet, (tokens, total) = books.wallet(), books.pool(v3)
    amount = 1_000_500_000_000_000_000_000
    _data(cli("--json", "--yes", "stake", "delegate", v3, "1000.5"))
    minted = amount * total // tokens
    assert books.wallet() == wallet - amount
    assert books.shares(v3) == minted
    assert books.value(v3) == minted * (tokens + amount) // (total + minted)

    # redelegate 400 to validator-4: nothing leaves the staking contract
    wallet = books.wallet()
    (t3, s3), (t4, s4) = books.pool(v3), books.pool(v4)
    moved = 400 * E18
    held3 = books.shares(v3)
    _data(cli("--json", "--yes", "stake", "redelegate", v3, v4, "400"))
    burned = -(-moved * s3 // t3)  # rounded up, in the pool's favour
    assert books.wallet() == wallet
    assert books.shares(v3) == held3 - burned
    assert books.shares(v4) == moved * s4 // t4
    positions = _data(cli("--json", "stake", "positions"))
    assert [(r["from"], r["to"], r["amount_wei"]) for r in positions["redelegations"]] == [(v3, v4, str(moved))]

    # undelegate 300 from validator-4: an unbonding entry of exactly that, maturing in 14 days
    _data(cli("--json", "--yes", "stake", "undelegate", v4, "300"))
    entries = _data(cli("--json", "stake", "positions"))["unbonding"]
    assert [(e["validator"], e["balance_wei"], e["matured"]) for e in entries] == [(v4, str(300 * E18), False)]
    assert 14 * 86_400 - 60 <= entries[0]["seconds_left"] <= 14 * 86_400

    # advance past unbonding: withdraw pays the entry, to the wei
    carol.advance(14 * 86_400 + 1)
    assert _data(cli("--json", "stake", "positions"))["totals"]["withdrawable_wei"] == str(300 * E18)
    wallet = books.wallet()
    _data(cli("--json", "--yes", "stake", "withdraw"))
    assert books.wallet() == wallet + 300 * E18
    assert _data(cli("--json", "stake", "positions"))["unbonding"] == []

    # claim: the wallet grows by exactly what `stake rewards` reported
    pending = int(_data(cli("--json", "stake", "rewards"))["total_wei"])
    assert pending > 0
    wallet = books.wallet()
    _data(cli("--json", "--yes", "stake", "rewards", "--claim"))
    assert books.wallet() == wallet + pending
    assert _data(cli("--json", "stake", "rewards"))["total_wei"] == "0"


def test_positions_agree_with_the_chain(carol, cli):
    me = accounts.get("delegator-1").address
    books = Books(carol, me)
    data = _data(cli("--json", "stake", "positions"))
    assert data["address"] == me
    for d in data["delegations"]:
        assert int(d["value_wei"]) == books.value(d["validator"])
        assert int(d["pending_rewards_wei"]) == books.staking.pendingRewards(d["validator"], me).call()
    assert int(data["totals"]["delegated_wei"]) == sum(int(d["value_wei"]) for d in data["delegations"])
