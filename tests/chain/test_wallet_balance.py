"""`ogcli wallet balance` against the protocol on the session chain: exact ETH and OPG amounts."""

from __future__ import annotations

import io
import json

import pytest

from ogcli import config
from ogcli.devnet import accounts
from ogcli.protocol import deployment as deployment_file
from ogcli.protocol.params import OPG
from ogcli.wallet import keystore
from tests.chain.conftest import send_as

pytestmark = pytest.mark.chain

EMPTY = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture(autouse=True)
def wallet_cli(monkeypatch):
    """Fast scrypt and a known password for these tests."""
    monkeypatch.setattr(keystore, "SCRYPT_N", 2**4)
    for variable in ("OGCLI_PASSWORD_FILE", "OGCLI_ACCOUNT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("OGCLI_PASSWORD", "balance-test-pw")
    yield


@pytest.fixture
def profile(fresh, tmp_path):
    """An active profile on the session chain whose account is the wallet 'deployer'."""
    path = tmp_path / "deployment.json"
    deployment_file.save(fresh.deployment, path)
    config.put_profile(
        "chain", config.Profile(rpc_url=fresh.url, chain_id=31337, deployment=str(path), account="deployer"), activate=True
    )
    return fresh


@pytest.fixture
def deployer_wallet(cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(accounts.get("deployer").private_key.hex()))
    assert cli("wallet", "import", "deployer", "--private-key").exit_code == 0
    return accounts.get("deployer").address


def test_balance_of_the_default_wallet(profile, deployer_wallet, cli):
    result = cli("wallet", "balance", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    assert data["wallet"] == "deployer" and data["address"] == deployer_wallet
    assert int(data["opg_wei"]) == 450_000_000 * OPG
    assert int(data["eth_wei"]) == profile.w3.eth.get_balance(deployer_wallet) > 0
    assert (data["profile"], data["chain_id"]) == ("chain", 31337)


def test_balance_by_name_in_human_form(profile, deployer_wallet, cli):
    result = cli("wallet", "balance", "deployer")
    assert result.exit_code == 0, result.stderr
    assert "450,000,000" in result.stdout and deployer_wallet in result.stdout


def test_balance_of_an_address_is_exact_to_the_wei(profile, cli):
    deployer = accounts.get("deployer").address
    send_as(profile, deployer, profile.protocol.token.functions.transfer(EMPTY, 1 * OPG + 1))
    result = cli("wallet", "balance", EMPTY)
    assert result.exit_code == 0, result.stderr
    opg_line = next(line for line in result.stdout.splitlines() if line.startswith("OPG"))
    assert opg_line.split()[-1] == "1.000000000000000001"
    data = json.loads(cli("wallet", "balance", EMPTY, "--json").stdout)["data"]
    assert data["opg_wei"] == str(OPG + 1) and data["wallet"] is None


def test_balance_of_an_unknown_wallet(profile, cli):
    result = cli("wallet", "balance", "ghost")
    assert result.exit_code == 1 and result.stdout == ""
    assert "no wallet named 'ghost'" in result.stderr


def test_balance_on_the_wrong_chain_is_refused(profile, cli, tmp_path):
    current = config.load().profiles["chain"]
    config.put_profile("chain", config.Profile(rpc_url=current.rpc_url, chain_id=8453, deployment=current.deployment), activate=True)
    result = cli("wallet", "balance", EMPTY, "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["error"]["code"] == "chain_mismatch"
