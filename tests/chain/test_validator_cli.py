"""The operator side (`ogcli validator`) and `ogcli stake validator ADDR` on the seeded devnet."""

from __future__ import annotations


import pytest

from ogcli.devnet import accounts
from ogcli.devnet.seed import Seeder
from ogcli.protocol.params import VENDOR_ID, dev_measurement
from tests.chain.conftest import send_as
from tests.cli_results import data as _data, refused as _refused

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]


@pytest.fixture
def wallet_of(seeded_profile, cli, monkeypatch):
    """Imports devnet accounts as wallets; the last one imported is active. Inside a snapshot."""
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    with seeded_profile.snapshot():

        def use(devnet_name: str) -> str:
            key = accounts.get(devnet_name).private_key.hex()
            assert cli("wallet", "import", devnet_name, "--private-key", input=key + "\n").exit_code == 0
            assert cli("wallet", "use", devnet_name).exit_code == 0
            return accounts.get(devnet_name).address

        yield use


def test_register_then_update_commission_and_metadata(wallet_of, seeded_profile, cli):
    me = wallet_of("holder-2")
    token = seeded_profile.protocol.token.functions
    _refused(cli("--yes", "validator", "register", "--self-stake", "20000", "--commission", "25%", "--name", "Opal"), "cap of 20%")
    _refused(cli("--yes", "validator", "register", "--self-stake", "5000", "--commission", "5%", "--name", "Opal"), "minimum")
    before = token.balanceOf(me).call()
    _data(cli("--json", "--yes", "validator", "register", "--self-stake", "20000", "--commission", "5%",
              "--name", "Opal", "--contact", "sec@opal.example"))
    assert token.balanceOf(me).call() == before - 20_000 * 10**18
    status = _data(cli("--json", "validator", "status"))
    assert status["status"] == "active" and status["commission_bps"] == 500
    assert status["self_stake_wei"] == str(20_000 * 10**18)
    assert status["metadata"] == {"name": "Opal", "security_contact": "sec@opal.example"}
    _refused(cli("--yes", "validator", "register", "--self-stake", "20000", "--commission", "5%", "--name", "Opal"), "already")

    # Registration counts as a change: the next waits the delay, and moves at most 2 points.
    _refused(cli("--yes", "validator", "update", "--commission", "6%"), "too recent")
    seeded_profile.advance(86_400 + 1)
    _refused(cli("--yes", "validator", "update", "--commission", "8%"), "more than the 2 allowed")
    _data(cli("--json", "--yes", "validator", "update", "--commission", "6.5%", "--website", "https://opal.example"))
    status = _data(cli("--json", "validator", "status"))
    assert status["commission_bps"] == 650
    assert status["metadata"] == {"name": "Opal", "website": "https://opal.example", "security_contact": "sec@opal.example"}
    row = next(r for r in _data(cli("--json", "stake", "validators"))["validators"] if r["address"] == me)
    assert row["moniker"] == "Opal" and row["commission_bps"] == 650


def test_unjail_waits_for_the_jail_period(wallet_of, seeded_profile, cli):
    me = wallet_of("validator-3")
    _refused(cli("--yes", "validator", "unjail"), "not jailed")
    settlement = seeded_profile.protocol.settlement.address
    send_as(seeded_profile, settlement, seeded_profile.protocol.staking.functions.jail(me, "downtime"))
    _refused(cli("--yes", "validator", "unjail"), "still jailed until")
    assert _data(cli("--json", "validator", "status"))["can_unjail"] is False
    seeded_profile.advance(seeded_profile.protocol.staking.functions.params().call()[5] + 1)
    assert _data(cli("--json", "validator", "status"))["can_unjail"] is True
    _data(cli("--json", "--yes", "validator", "unjail"))
    assert _data(cli("--json", "validator", "status"))["status"] == "active"


def test_validator_detail_shows_the_dispute_and_a_revocation_threat(wallet_of, seeded_profile, cli):
    jailed = accounts.get("validator-7").address
    detail = _data(cli("--json", "stake", "validator", jailed, "--window", "30d"))
    assert detail["status"] == "jailed" and detail["rank"] == detail["of"] == 8
    [slash] = detail["slash_history"]
    assert slash["fraction_bps"] == 1_000 and "dispute of record" in slash["reason"]
    assert slash["challenger"] == accounts.get("challenger").address
    assert detail["breakdown"]["correctness"]["metrics"]["disputes_lost"] == 1
    assert [c["to_bps"] for c in detail["commission_history"]] == [1_900]
    [tee] = detail["tee"]
    assert tee["vendor"] == "DEV" and tee["attestations"] > 0 and tee["revocation_proposals"] == []
    assert detail["breakdown"]["risk"]["metrics"]["exposed_attestations"] == 0

    # A holder proposes revoking the DEV enclave's measurement: every validator relying on it is exposed.
    seeder = Seeder(seeded_profile.protocol, seeded_profile.url, 0, lambda _m: None)
    proposal = seeder.propose(
        "holder-1", [("TEERegistry", "revokeMeasurement", [VENDOR_ID["DEV"], dev_measurement("v0.1")])], "Revoke v0.1"
    )
    detail = _data(cli("--json", "stake", "validator", accounts.get("validator-1").address, "--window", "30d"))
    assert detail["tee"][0]["revocation_proposals"] == [str(proposal)]
    assert detail["breakdown"]["risk"]["metrics"]["exposed_attestations"] == detail["tee"][0]["attestations"] > 0
    human = cli("stake", "validator", accounts.get("validator-1").address)
    assert human.exit_code == 0 and "open: proposal" in human.stdout


def test_bad_input_gets_one_line_and_sends_nothing(wallet_of, seeded_profile, cli):
    me = wallet_of("delegator-1")
    staking = seeded_profile.protocol.staking.functions
    v1, v3 = accounts.get("validator-1").address, accounts.get("validator-3").address
    stranger = accounts.get("holder-5").address
    nonce = seeded_profile.w3.eth.get_transaction_count(me)
    _refused(cli("stake", "validator", stranger), "not a registered validator")
    _refused(cli("--yes", "stake", "delegate", stranger, "10"), "not a registered validator")
    _refused(cli("--yes", "stake", "delegate", v1, "1000000000"), "more than the")
    _refused(cli("--yes", "stake", "delegate", v1, "1.0000000000000000001"), "decimals")
    held = staking.delegationOf(v1, me).call()[1]
    _refused(cli("--yes", "stake", "undelegate", v1, str(held // 10**18 + 1)), "more than your")
    _refused(cli("--yes", "stake", "undelegate", stranger, "1"), "not a registered validator")
    _refused(cli("--yes", "stake", "redelegate", v1, v1, "1"), "to itself")
    _refused(cli("--yes", "stake", "redelegate", v3, v1, "1"), "more than your")
    _refused(cli("stake", "exposure", "--fraction", "150%"), "outside")
    _refused(cli("stake", "validators", "--window", "1y"), "--window")
    assert seeded_profile.w3.eth.get_transaction_count(me) == nonce  # nothing was sent


def test_a_validator_is_named_as_the_table_shows_it(seeded_profile, cli):
    """As the issue found it: the table shows `Name 0x57FB313C…`, and `stake validator 0x57FB313C`
    was refused. The shortened address, or the name, now names it; nothing is guessed."""
    rows = _data(cli("--json", "stake", "validators"))["validators"]
    row = rows[0]
    full = _data(cli("--json", "stake", "validator", row["address"]))
    short = _data(cli("--json", "stake", "validator", row["address"][:10]))
    named = _data(cli("--json", "stake", "validator", row["moniker"].upper()))
    assert short["address"] == named["address"] == full["address"] == row["address"]
    _refused(cli("stake", "validator", row["address"][:6]), "too short")
    _refused(cli("stake", "validator", "no such validator"), "no validator is named")
