"""`ogcli token transfer` end to end: wallet unlock, simulate, preview, confirm, send."""

from __future__ import annotations

import json

import pytest

from ogcli.devnet import accounts
from ogcli.protocol.params import OPG

pytestmark = pytest.mark.chain

PASSWORD = "correct horse battery staple"


@pytest.fixture
def funded_wallet(devnet_profile, cli, monkeypatch):
    """A wallet `alice` holding the devnet 'user' key, with 100 OPG and gas."""
    from ogcli.chain.sender import Sender

    user = accounts.get("user")
    monkeypatch.setenv("OGCLI_PASSWORD", PASSWORD)
    result = cli("wallet", "import", "alice", "--private-key", input=user.private_key.hex() + "\n")
    assert result.exit_code == 0, result.stderr
    chain = devnet_profile
    chain.rpc("anvil_setBalance", [user.address, hex(10**20)])
    chain.rpc("anvil_setBalance", [accounts.get("deployer").address, hex(10**20)])
    Sender(chain.w3, accounts.get("deployer").local_account).transact(
        chain.protocol.token.functions.transfer(user.address, 100 * OPG)
    )
    return chain


def test_transfer_moves_exact_wei_and_reports_the_receipt(funded_wallet, cli):
    token = funded_wallet.protocol.token.functions
    to = accounts.get("holder-5").address
    before = token.balanceOf(to).call()
    result = cli("--account", "alice", "--json", "--yes", "token", "transfer", to, "12.000000000000000001")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    assert data["sent"] is True and data["tx_hash"].startswith("0x") and data["gas_used"] > 21_000
    assert token.balanceOf(to).call() - before == 12 * OPG + 1
    assert data["preview"]["balance_changes"][0]["before"] == str(100 * OPG)


def test_without_a_terminal_and_without_yes_nothing_is_sent(funded_wallet, cli):
    token = funded_wallet.protocol.token.functions
    before = token.balanceOf(accounts.get("user").address).call()
    result = cli("--account", "alice", "token", "transfer", accounts.get("holder-5").address, "1")
    assert result.exit_code == 5
    assert result.stdout == ""
    assert "--yes" in result.stderr
    assert token.balanceOf(accounts.get("user").address).call() == before


def test_dry_run_previews_and_sends_nothing(funded_wallet, cli):
    token = funded_wallet.protocol.token.functions
    before = token.balanceOf(accounts.get("user").address).call()
    result = cli("--account", "alice", "--dry-run", "token", "transfer", accounts.get("holder-5").address, "1")
    assert result.exit_code == 0
    assert "dry run" in result.stdout
    assert "transfer 1 OPG" in result.stderr and "chain id 31337" in result.stderr
    assert token.balanceOf(accounts.get("user").address).call() == before


def test_a_refused_simulation_is_explained_and_sends_nothing(funded_wallet, cli):
    nonce_before = funded_wallet.w3.eth.get_transaction_count(accounts.get("user").address)
    result = cli("--account", "alice", "--yes", "token", "transfer", accounts.get("holder-5").address, "1000")
    assert result.exit_code == 4
    assert "ERC20InsufficientBalance" in result.stderr and "nothing was sent" in result.stderr
    assert funded_wallet.w3.eth.get_transaction_count(accounts.get("user").address) == nonce_before


@pytest.mark.parametrize("amount", ["-1", "1e3", "0.0000000000000000001", "nan", ""])
def test_bad_amounts_are_usage_errors(funded_wallet, cli, amount):
    result = cli("--account", "alice", "--yes", "token", "transfer", accounts.get("holder-5").address, amount)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_delegate_votes_to_self_activates_voting_power(funded_wallet, cli):
    result = cli("--account", "alice", "--yes", "--json", "token", "delegate-votes", "self")
    assert result.exit_code == 0, result.stderr
    votes = funded_wallet.protocol.token.functions.getVotes(accounts.get("user").address).call()
    assert votes == 100 * OPG
