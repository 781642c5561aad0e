"""`ogcli token` and `ogcli network` against the real protocol on the session chain."""

from __future__ import annotations

import json

import pytest

from ogcli.devnet import accounts
from ogcli.protocol.params import OPG

pytestmark = pytest.mark.chain


def test_supply_adds_up_and_shows_the_cliff(devnet_profile, cli):
    result = cli("--json", "token", "supply")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    total, treasury = int(data["total_wei"]), int(data["treasury_wei"])
    locked, circulating = int(data["locked_wei"]), int(data["circulating_wei"])
    assert total == 1_000_000_000 * OPG
    assert treasury == 300_000_000 * OPG
    assert locked == 250_000_000 * OPG  # before the cliff nothing has vested
    assert circulating == total - treasury - locked
    assert data["next_unlock"] == data["wallets"][0]["cliff"] > data["now"]


def test_balance_of_an_address_and_the_delegation_reminder(devnet_profile, cli):
    deployer = accounts.get("deployer").address
    result = cli("--json", "token", "balance", deployer)
    assert result.exit_code == 0
    data = json.loads(result.stdout)["data"]
    assert int(data["opg_wei"]) == 450_000_000 * OPG and int(data["votes_wei"]) == 0
    human = cli("token", "balance", deployer)
    assert "450,000,000" in human.stdout
    assert "never delegated" in human.stderr


def test_bad_address_is_a_usage_error(devnet_profile, cli):
    result = cli("token", "balance", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226")
    assert result.exit_code == 2 and result.stdout == ""
    checksum = cli("--json", "token", "balance", "0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266")
    assert checksum.exit_code == 2
    assert "checksum" in json.loads(checksum.stdout)["error"]["message"]


def test_network_status_lists_contracts_and_probes_nodes(devnet_profile, cli):
    result = cli("--json", "network", "status")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    assert data["chain_id"] == 31337 and data["block_number"] > 0
    assert set(data["contracts"]) == set(devnet_profile.deployment.contracts)
    assert data["nodes"] == []  # no enclave registered on a bare deployment


def test_wrong_chain_id_in_the_profile_is_refused(devnet_profile, cli):
    from ogcli import config

    profile = config.load().profiles["test"]
    config.put_profile("test", config.Profile(**{**profile.__dict__, "chain_id": 8453}), activate=True)
    result = cli("token", "supply")
    assert result.exit_code == 3
    assert "serves chain id 31337, expected 8453" in result.stderr
    assert result.stdout == ""


def test_unreachable_endpoint_is_a_network_error(devnet_profile, cli):
    result = cli("--rpc-url", "http://127.0.0.1:9", "--json", "token", "supply")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["error"]["code"] == "network"


def test_votes_shows_voting_power_after_delegation(devnet_profile, cli):
    from ogcli.chain.sender import Sender

    holder = accounts.get("holder-2")
    devnet_profile.rpc("anvil_setBalance", [accounts.get("deployer").address, hex(10**20)])
    devnet_profile.rpc("anvil_setBalance", [holder.address, hex(10**20)])
    token = devnet_profile.protocol.token
    Sender(devnet_profile.w3, accounts.get("deployer").local_account).transact(
        token.functions.transfer(holder.address, 7 * OPG)
    )
    Sender(devnet_profile.w3, holder.local_account).transact(token.functions.delegate(holder.address))
    result = cli("--json", "token", "votes", holder.address)
    data = json.loads(result.stdout)["data"]
    assert int(data["votes_wei"]) == 7 * OPG and data["delegate"] == holder.address
