"""Staking's accounting against the Python model, over random histories (hypothesis).

Each example runs inside an EVM snapshot of the session chain: a few validators, delegators that
delegate, undelegate and redelegate over time, then a slash of one validator for an infraction
at a random moment of that history.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.logs import DISCARD

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.protocol.params import OPG

from .conftest import send_as
from .staking_model import Model

pytestmark = pytest.mark.chain

VALIDATORS = ["validator-1", "validator-2", "validator-3"]
DELEGATORS = ["delegator-1", "delegator-2", "delegator-3", "delegator-4"]
SELF_STAKE = 20_000 * OPG
WALLET = 1_000_000 * OPG


@dataclass(frozen=True)
class Op:
    kind: str  # delegate | undelegate | redelegate
    delegator: int
    validator: int
    other: int
    permille: int  # of the wallet (delegate) or of the position (undelegate, redelegate)
    wait_s: int


ops = st.lists(
    st.builds(
        Op,
        kind=st.sampled_from(["delegate", "delegate", "undelegate", "redelegate"]),
        delegator=st.integers(0, len(DELEGATORS) - 1),
        validator=st.integers(0, len(VALIDATORS) - 1),
        other=st.integers(0, len(VALIDATORS) - 1),
        permille=st.integers(1, 900),
        wait_s=st.sampled_from([0, 0, 1, 60, 3_600, 86_400, 3 * 86_400]),
    ),
    min_size=2,
    max_size=10,
)


class World:
    def __init__(self, chain) -> None:
        self.chain = chain
        self.protocol = chain.protocol
        self.staking = chain.protocol.staking
        self.token = chain.protocol.token
        self.senders = {}
        params = self.staking.functions.params().call()
        self.model = Model(unbonding_period=params[0])
        deployer = self.sender("deployer")
        for name in VALIDATORS + DELEGATORS:
            deployer.transact(self.token.functions.transfer(self.address(name), WALLET))
            self.sender(name).transact(self.token.functions.approve(self.staking.address, 2**255))
        for name in VALIDATORS:
            self.sender(name).transact(self.staking.functions.registerValidator(500, "", SELF_STAKE))
            self.model.delegate(self.address(name), self.address(name), SELF_STAKE)
        # Every delegator starts with a position everywhere, so undelegations and redelegations
        # drawn by hypothesis act on real stake instead of being skipped.
        for index, name in enumerate(DELEGATORS):
            for validator in VALIDATORS:
                amount = (index + 1) * 1_000 * OPG
                self.sender(name).transact(self.staking.functions.delegate(self.address(validator), amount))
                self.model.delegate(self.address(validator), self.address(name), amount)
        self.initial_model = copy.deepcopy(self.model)

    def sender(self, name: str) -> Sender:
        if name not in self.senders:
            account = accounts.get(name)
            self.chain.rpc("anvil_setBalance", [account.address, hex(10**21)])
            self.senders[name] = Sender(self.chain.w3, account.local_account)
        return self.senders[name]

    @staticmethod
    def address(name: str) -> str:
        return accounts.get(name).address

    def position(self, validator: str, delegator: str) -> int:
        return self.staking.functions.delegationOf(validator, delegator).call()[1]

    def apply(self, op: Op) -> bool:
        """Applies `op` on chain and in the model; False when the op makes no sense (skipped)."""
        if op.wait_s:
            self.chain.advance(op.wait_s)
        name = DELEGATORS[op.delegator]
        delegator, validator = self.address(name), self.address(VALIDATORS[op.validator])
        other = self.address(VALIDATORS[op.other])
        staking = self.staking.functions
        if op.kind == "delegate":
            amount = self.token.functions.balanceOf(delegator).call() * op.permille // 1000
            if amount == 0:
                return False
            self.sender(name).transact(staking.delegate(validator, amount))
            self.model.delegate(validator, delegator, amount)
            return True
        held = self.position(validator, delegator)
        amount = held * op.permille // 1000
        if amount == 0:
            return False
        if op.kind == "undelegate":
            if len([e for e in self.staking.functions.unbondingEntries(delegator).call() if e[1] == validator]) >= 7:
                return False
            receipt = self.sender(name).transact(staking.undelegate(validator, amount))
            [event] = self.staking.events.Undelegated().process_receipt(receipt.raw, errors=DISCARD)
            self.model.undelegate(validator, delegator, amount, self.chain.now(), event["args"]["entryId"])
            return True
        if other == validator:
            return False
        try:
            receipt = self.sender(name).transact(staking.redelegate(validator, other, amount))
        except Exception as exc:  # transitive redelegation is refused by design; skip that op
            if "Redelegat" in str(exc):
                return False
            raise
        [event] = self.staking.events.Redelegated().process_receipt(receipt.raw, errors=DISCARD)
        self.model.redelegate(validator, other, delegator, amount, self.chain.now(), event["args"]["entryId"])
        return True


def _staking_balance(world: World) -> int:
    return world.token.functions.balanceOf(world.staking.address).call()


def _wallets(world: World) -> int:
    names = VALIDATORS + DELEGATORS
    return sum(world.token.functions.balanceOf(world.address(n)).call() for n in names)


@pytest.fixture(scope="module")
def world(chain):
    """Validators and delegators set up once; each example starts from this state."""
    with chain.snapshot():
        yield World(chain)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=ops, victim=st.integers(0, len(VALIDATORS) - 1), infraction_at=st.integers(0, 10), fraction_bps=st.integers(1, 10_000))
def test_slash_accounting_matches_the_model(chain, world, history, victim, infraction_at, fraction_bps):
    fresh = chain
    with fresh.snapshot():
        world.model = copy.deepcopy(world.initial_model)
        for sender in world.senders.values():
            sender.resync()  # the previous example's nonces were reverted away
        total_before = _staking_balance(world) + _wallets(world)
        times = [fresh.now()]
        applied = 0
        for op in history:
            applied += world.apply(op)
            times.append(fresh.now())
        fresh.advance(1)
        # The contract slashes only infractions inside the unbonding period (InfractionTooOld
        # otherwise); a history with long waits moves the older choices into the slashable range.
        oldest_slashable = fresh.now() - world.model.unbonding_period + 60
        infraction = max(times[min(infraction_at, len(times) - 1)], oldest_slashable)
        validator = world.address(VALIDATORS[victim])
        staking = world.staking.functions

        entries_before = {}
        for d in DELEGATORS:
            for entry in staking.unbondingEntries(world.address(d)).call():
                entries_before[entry[0]] = entry
        positions_before = {d: world.position(validator, world.address(d)) for d in DELEGATORS}

        settlement = fresh.deployment.address("InferenceSettlement")
        treasury = fresh.deployment.address("OGTimelock")
        treasury_before = world.token.functions.balanceOf(treasury).call()
        send_as(fresh, settlement, staking.slash(validator, infraction, fraction_bps, "property test"))
        model_slashed = world.model.slash(validator, infraction, fraction_bps, fresh.now())
        # Redelegations pay their cut lazily: collect each now (anyone may), to the treasury.
        collector = world.sender(VALIDATORS[0])
        for d in DELEGATORS:
            for entry in staking.redelegationEntries(world.address(d)).call():
                collector.transact(staking.applyRedelegationSlash(entry[0]))

        slack = 4 * (applied + 4)
        # 1. Conservation: every token is in a wallet, in Staking (unbonding entries keep their cut
        # until withdrawn), with the slasher (the bonded cut), or with the treasury (redelegations).
        slashed_to_settlement = world.token.functions.balanceOf(settlement).call()
        collected = world.token.functions.balanceOf(treasury).call() - treasury_before
        assert _staking_balance(world) + _wallets(world) + slashed_to_settlement + collected == total_before
        # The victim's entries keep their cut in Staking until withdrawn (lazy); the cuts taken from
        # entries at a redelegation's destination went to the treasury with `collected`.
        unbonding_cuts = 0
        for d in DELEGATORS:
            for entry in staking.unbondingEntries(world.address(d)).call():
                if entry[1] == validator:
                    unbonding_cuts += entries_before[entry[0]][3] - entry[3]
        assert abs(slashed_to_settlement + collected + unbonding_cuts - model_slashed) <= slack

        # 2. Each delegator of the victim loses the slash fraction of its position (pro rata).
        for d in DELEGATORS:
            before = positions_before[d]
            after = world.position(validator, world.address(d))
            expected_loss = before * fraction_bps // 10_000
            assert abs((before - after) - expected_loss) <= slack, (d, before, after)

        # 3. Every unbonding entry holds what the model says: the victim's lose the fraction when
        # created at or after the infraction; a destination's pay what the redelegation before
        # them could not pay from bonded stake; the rest are untouched.
        model_balances = {e.id: e.balance for e in world.model.entries}
        for d in DELEGATORS:
            for entry in staking.unbondingEntries(world.address(d)).call():
                assert abs(entry[3] - model_balances[entry[0]]) <= slack, (entry, model_balances[entry[0]])

        # 4. The victim is jailed.
        assert staking.getValidator(validator).call()[6] is True
