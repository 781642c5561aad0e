"""Attestation rewards from the validator's side: `ogcli validator rewards` shows what its verdicts
earned (in the challenge window, claimable, claimed, forfeited), `--claim` pays it into the pool,
`validator status` shows it, and the node's verifier role claims on its own."""

from __future__ import annotations

import pytest

from ogcli.chain import attester_rewards as ar
from ogcli.devnet import accounts
from tests.cli_results import data as _data, refused as _refused, use_devnet_wallet
from tests.chain.fixtures import story_seeder

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]


@pytest.fixture
def verdicts(seeded_profile, cli, monkeypatch):
    """validator-2 gives the first (rewarded) verdict on two new honest records and vouches for a
    tampered third; its key is the active wallet."""
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    chain = seeded_profile
    with chain.snapshot():
        seeder = story_seeder(chain, 5_000)  # past the seeded story's request ids
        model = chain.protocol.hub.functions.getModel(1).call()
        good = [seeder.settle_call(model[0], model[5], accounts.get(f"delegator-{i}"), tampered=False)[1] for i in (15, 16)]
        record, bad = seeder.settle_call(model[0], model[5], accounts.get("delegator-17"), tampered=True)
        attest = chain.protocol.settlement.functions.attest
        for record_id in (*good, bad):
            seeder.tx("validator-2", attest(record_id, True), "attest")
        use_devnet_wallet(cli, "v2", "validator-2")
        yield chain, seeder, good, (bad, record)


def _line(found, record_id):
    return next(line for line in found["records"] if line["record_id"] == record_id)


def test_verdicts_are_paid_after_the_window_and_only_when_claimed(verdicts, cli):
    chain, seeder, good, (bad, bad_record) = verdicts
    me = accounts.get("validator-2").address
    settlement, staking = chain.protocol.settlement.functions, chain.protocol.staking.functions

    shown = _data(cli("--json", "validator", "rewards"))
    per_verdict = settlement.recordState(good[0]).call()[3]
    assert per_verdict > 0
    assert {_line(shown, r)["state"] for r in (*good, bad)} == {ar.MATURING}
    assert int(shown["maturing_wei"]) >= 3 * per_verdict
    _refused(cli("--yes", "validator", "rewards", "--claim"), "nothing to claim now; the next becomes claimable at")

    # The lie is disputed inside its window: its reward goes to the treasury.
    seeder.tx("challenger", settlement.dispute(bad, bad_record, me, 1), "dispute")
    window = settlement.params().call()[3]
    chain.advance(window + 1)

    status = _data(cli("--json", "validator", "status"))
    shown = _data(cli("--json", "validator", "rewards"))
    assert _line(shown, bad)["state"] == ar.FORFEITED
    assert [_line(shown, r)["state"] for r in good] == [ar.CLAIMABLE, ar.CLAIMABLE]
    claimable = int(shown["claimable_wei"])
    assert claimable >= 2 * per_verdict and status["attestation_rewards_claimable_wei"] == str(claimable)

    pool_before = staking.getValidator(me).call()
    pending_before = staking.pendingRewards(me, me).call()
    _data(cli("--json", "--yes", "validator", "rewards", "--claim"))
    after = _data(cli("--json", "validator", "rewards"))
    assert after["claimable_wei"] == "0" and int(after["claimed_wei"]) >= claimable
    assert [_line(after, r)["state"] for r in good] == [ar.CLAIMED, ar.CLAIMED]
    # Paid into the pool: the validator's own pending rewards (commission and its share) grew.
    assert staking.pendingRewards(me, me).call() > pending_before
    assert staking.getValidator(me).call()[1] == pool_before[1]  # rewards are not stake
    _refused(cli("--yes", "validator", "rewards", "--claim"), "nothing to claim now")
    text = cli("validator", "rewards")
    assert text.exit_code == 0 and "forfeited" in text.stdout and "claimed" in text.stdout


def test_rewards_of_a_non_validator_are_refused(verdicts, cli):
    _refused(cli("validator", "rewards", "--address", accounts.get("delegator-1").address), "not a registered validator")
    _refused(cli("validator", "rewards", "--address", "0x1234"), "address")
