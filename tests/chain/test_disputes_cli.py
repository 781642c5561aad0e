"""A validator vouches for a tampered result; `node disputes` finds it, `node dispute` slashes it
through the contract, and everything the staker sees follows. Bad evidence is refused."""

from __future__ import annotations


import pytest

from ogcli.devnet import accounts
from tests.cli_results import data as _data, refused as _refused, use_devnet_wallet
from tests.chain.fixtures import story_seeder

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]
BPS = 10_000


@pytest.fixture
def story(seeded_profile, cli, monkeypatch):
    """validator-2 vouches for a tampered record (and honestly for a good one); the challenger's
    key is the active wallet."""
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    chain = seeded_profile
    with chain.snapshot():
        seeder = story_seeder(chain, 4_000)  # past the seeded story's request ids
        model = chain.protocol.hub.functions.getModel(1).call()
        _, good = seeder.settle_call(model[0], model[5], accounts.get("delegator-13"), tampered=False)
        _, bad = seeder.settle_call(model[0], model[5], accounts.get("delegator-14"), tampered=True)
        attest = chain.protocol.settlement.functions.attest
        seeder.tx("validator-2", attest(good, True), "attest")
        seeder.tx("validator-2", attest(bad, True), "attest")  # the lie
        use_devnet_wallet(cli, "ch", "challenger")
        yield chain, good, bad


def test_the_dishonest_validator_is_caught_and_slashed(story, cli):
    chain, good, bad = story
    cheat = accounts.get("validator-2").address
    staking, settlement = chain.protocol.staking.functions, chain.protocol.settlement.functions
    listed = _data(cli("--json", "node", "disputes"))["disputable"]
    assert [(r["record_id"], r["validator"], r["ground"]) for r in listed] == [(bad, cheat, 1)]

    before = _data(cli("--json", "stake", "validator", cheat, "--window", "30d"))
    tokens, total_shares = staking.getValidator(cheat).call()[1:3]
    holders = [accounts.get(f"delegator-{i}").address for i in range(1, 21)] + [cheat]
    shares = {h: staking.delegationOf(cheat, h).call()[0] for h in holders}
    fraction = settlement.params().call()[4]
    _data(cli("--json", "--yes", "node", "dispute", str(bad), cheat))

    after_tokens = tokens - tokens * fraction // BPS
    assert staking.getValidator(cheat).call()[1] == after_tokens
    for holder, held in shares.items():
        if held:
            assert staking.delegationOf(cheat, holder).call()[1] == held * after_tokens // total_shares
    after = _data(cli("--json", "stake", "validator", cheat, "--window", "30d"))
    assert after["status"] == "jailed"
    assert after["slash_history"][-1]["record_id"] == bad
    assert "forged signature" in after["slash_history"][-1]["reason"]
    assert after["score"] < before["score"]
    assert _data(cli("--json", "node", "disputes"))["disputable"] == []


def test_bad_evidence_is_refused_and_slashes_nobody(story, cli):
    chain, good, bad = story
    cheat = accounts.get("validator-2").address
    stake = chain.protocol.staking.functions.getValidator(cheat).call()[1]
    _refused(cli("--yes", "node", "dispute", str(good), cheat), "holds up")
    _refused(cli("--yes", "node", "dispute", str(bad), accounts.get("validator-8").address), "gave no checkable verdict")
    _refused(cli("--yes", "node", "dispute", "99999", cheat), "no settled record")
    # An unfunded challenger: a fresh wallet with no ETH for gas.
    assert cli("wallet", "new", "broke").exit_code == 0
    broke = cli("--yes", "--account", "broke", "node", "dispute", str(bad), cheat)
    assert broke.exit_code != 0 and len(broke.stderr.strip().splitlines()) == 1, broke.stderr
    chain.advance(chain.protocol.settlement.functions.params().call()[3] + 1)
    _refused(cli("--yes", "node", "dispute", str(bad), cheat), "window", "closed")
    assert chain.protocol.staking.functions.getValidator(cheat).call()[1] == stake
