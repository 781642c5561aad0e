"""A validator is slashed through a won dispute; every position drops by the contract's rule, and
`stake exposure` predicted it (and `stake positions` reports it) to the wei."""

from __future__ import annotations


import pytest

from ogcli.devnet import accounts
from ogcli.devnet.seed import GROUND_BAD_SIGNATURE
from tests.cli_results import data as _data
from tests.chain.fixtures import story_seeder

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]

E18 = 10**18
BPS = 10_000


def test_slash_through_a_dispute_matches_exposure_and_positions(carol, cli):
    chain = carol
    staking, settlement = chain.protocol.staking.functions, chain.protocol.settlement.functions
    me = accounts.get("delegator-1").address
    v1, v3 = accounts.get("validator-1").address, accounts.get("validator-3").address

    # An unbonding entry made before the fault: out of the slash's reach.
    _data(cli("--json", "--yes", "stake", "undelegate", v1, "1000"))
    chain.advance(3_600)

    # The fault: validator-1 vouches for a result its enclave never signed.
    seeder = story_seeder(chain, 1_000)  # past the seeded story's request ids
    model = chain.protocol.hub.functions.getModel(1).call()
    record, record_id = seeder.settle_call(model[0], model[5], accounts.get("delegator-20"), tampered=True)
    seeder.tx("validator-1", settlement.attest(record_id, True), "attest")
    infraction = settlement.attestationOf(record_id, v1).call()[0]
    chain.advance(3_600)

    # After the fault: an unbonding entry and a redelegation, both within reach.
    _data(cli("--json", "--yes", "stake", "undelegate", v1, "2000"))
    _data(cli("--json", "--yes", "stake", "redelegate", v1, v3, "500"))

    fraction = settlement.params().call()[4]
    age = chain.now() - infraction
    predicted = _data(
        cli("--json", "stake", "exposure", "--validator", v1, "--fraction", f"{fraction / 100}%", "--infraction-age", f"{age}s")
    )
    assert predicted["infraction_time"] == infraction and predicted["fraction_bps"] == fraction
    [loss] = predicted["validators"]
    before = _data(cli("--json", "stake", "positions"))
    entries_before = {e["id"]: e for e in before["unbonding"]}
    early_id, late_id = sorted(entries_before)

    # Every delegator of validator-1, for the pro-rata check.
    tokens, total_shares = staking.getValidator(v1).call()[1:3]
    holders = [accounts.get(f"delegator-{i}").address for i in range(1, 21)] + [v1]
    shares = {h: staking.delegationOf(v1, h).call()[0] for h in holders}

    seeder.tx("challenger", settlement.dispute(record_id, record, v1, GROUND_BAD_SIGNATURE), "dispute")
    # The redelegation pays its cut lazily; anyone may collect it (its owner's next move out would).
    for entry in staking.redelegationEntries(me).call():
        seeder.tx("challenger", staking.applyRedelegationSlash(entry[0]), "applyRedelegationSlash")

    # The pool fell by the fraction and every holder's value with it, rounded down.
    slashed_tokens = tokens - tokens * fraction // BPS
    assert staking.getValidator(v1).call()[1] == slashed_tokens
    for holder, held in shares.items():
        if held:
            assert staking.delegationOf(v1, holder).call()[1] == held * slashed_tokens // total_shares

    after = _data(cli("--json", "stake", "positions"))
    entries_after = {e["id"]: e for e in after["unbonding"]}
    value = {d["validator"]: int(d["value_wei"]) for d in after["delegations"]}
    value_before = {d["validator"]: int(d["value_wei"]) for d in before["delegations"]}

    # The early entry is untouched; the late one lost fraction x initial, as predicted.
    assert entries_after[early_id]["balance_wei"] == entries_before[early_id]["balance_wei"] == str(1_000 * E18)
    late_cut = 2_000 * E18 * fraction // BPS
    assert int(entries_after[late_id]["balance_wei"]) == 2_000 * E18 - late_cut
    assert loss["unbonding_entries"] == [{"id": late_id, "loss_wei": str(late_cut)}]
    # Bonded and redelegated losses: prediction == chain, to the wei.
    assert value_before[v1] - value[v1] == int(loss["bonded_loss_wei"])
    assert value_before[v3] - value[v3] == int(loss["redelegation_loss_wei"]) == 500 * E18 * fraction // BPS
    # And positions reports what the chain holds.
    for validator, reported in value.items():
        assert reported == staking.delegationOf(validator, me).call()[1]
    assert int(loss["total_loss_wei"]) == int(loss["bonded_loss_wei"]) + late_cut + 500 * E18 * fraction // BPS
