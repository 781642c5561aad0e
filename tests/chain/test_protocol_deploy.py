"""`ogcli protocol deploy` to a chain that is not the devnet: an Anvil started with Base Sepolia's
chain id (84532), reached through a profile made with `--preset base-sepolia`. The read commands
then work against the new deployment, writes link to the preset's explorer, and the DEV TEE
vendor is refused there."""

from __future__ import annotations

import json

import pytest

from ogcli.devnet import anvil
from ogcli.errors import ExitCode
from tests.chain.node_fixture import free_port
from tests.cli_results import data as _data

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets"), pytest.mark.timeout(300)]

BASE_SEPOLIA = 84532
ANVIL_KEY_0 = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # Anvil funds it on any chain id
ANVIL_ADDRESS_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def _start_anvil(tmp_path) -> tuple[str, object]:
    port = free_port()
    process = anvil.start(binary=anvil.find_binary(), host="127.0.0.1", port=port, state_file=None,
                          log_file=tmp_path / "anvil.log", chain_id=BASE_SEPOLIA)
    return f"http://127.0.0.1:{port}", process


def _place_base_predeploys(url: str) -> None:
    """Test doubles of what Base Sepolia already has: Multicall3 and the x402 batch-settlement
    contracts at their canonical addresses (our builds of them, placed with anvil_setCode)."""
    from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS, ERC3009_DEPOSIT_COLLECTOR_ADDRESS
    from ogcli.chain.multicall import MULTICALL3_ADDRESS
    from ogcli.chain.rpc import call as rpc
    from ogcli.protocol import artifacts

    for address, name in ((MULTICALL3_ADDRESS, "Multicall3"), (BATCH_SETTLEMENT_ADDRESS, "BatchSettlement"),
                          (ERC3009_DEPOSIT_COLLECTOR_ADDRESS, "ERC3009DepositCollector")):
        rpc(url, "anvil_setCode", [address, artifacts.load(name)["deployedBytecode"]])


@pytest.fixture
def base_sepolia(tmp_path, cli, monkeypatch):
    """A profile `bsep` from the base-sepolia preset, pointed at a local Anvil with that chain id,
    and Anvil's funded account 0 as its wallet."""
    url, process = _start_anvil(tmp_path)
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    try:
        added = cli("config", "profile", "add", "bsep", "--preset", "base-sepolia", "--rpc-url", url, "--use")
        assert added.exit_code == 0, added.stderr
        imported = cli("wallet", "import", "deployer", "--private-key", input=ANVIL_KEY_0 + "\n")
        assert imported.exit_code == 0, imported.stderr
        assert cli("wallet", "use", "deployer").exit_code == 0
        yield url
    finally:
        anvil.stop(process.pid)


def test_deploy_to_a_new_chain_then_read_it(base_sepolia, cli, tmp_path):
    from ogcli import config

    profile = config.load().profiles["bsep"]
    assert (profile.chain_id, profile.explorer_url) == (BASE_SEPOLIA, "https://sepolia.basescan.org")
    _place_base_predeploys(base_sepolia)
    out = tmp_path / "bsep.json"
    deployed = _data(cli("--json", "--yes", "protocol", "deploy", "--out", str(out)))
    assert deployed["sent"] is True and deployed["chain_id"] == BASE_SEPOLIA
    assert config.load().profiles["bsep"].deployment == str(out.resolve())
    assert json.loads(out.read_text())["contracts"] == deployed["contracts"]

    status = _data(cli("--json", "network", "status"))
    assert status["chain_id"] == BASE_SEPOLIA and status["contracts"] == deployed["contracts"]
    supply = _data(cli("--json", "token", "supply"))
    assert int(supply["total_wei"]) == 10**9 * 10**18
    for command in (("stake", "validators"), ("model", "list"), ("gov", "proposals"), ("gov", "whitelist")):
        result = cli(*command)
        assert result.exit_code == 0 and "Traceback" not in result.stderr, (command, result.stderr[-800:])
    whitelist = _data(cli("--json", "gov", "whitelist"))
    enabled = {v["name"] for v in whitelist["vendors"] if v["enabled"]}
    assert enabled == {"NITRO"} and whitelist["measurements"] == []

    # a write links to the preset's explorer
    sent = cli("--yes", "token", "transfer", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "1")
    assert sent.exit_code == 0, sent.stderr[-800:]
    assert "https://sepolia.basescan.org/tx/0x" in sent.stdout


def test_the_dev_vendor_is_refused_off_a_devnet(base_sepolia, cli, tmp_path):
    from eth_account import Account

    from ogcli.chain.network import open_protocol
    from ogcli.chain.sender import Sender
    from ogcli.errors import RevertedError
    from ogcli.protocol.params import VENDOR_ID

    _place_base_predeploys(base_sepolia)
    assert cli("--yes", "protocol", "deploy", "--out", str(tmp_path / "d.json")).exit_code == 0
    protocol = open_protocol()
    assert protocol.registry.functions.isVendorEnabled(VENDOR_ID["DEV"]).call() is False
    deployer = Sender(protocol.w3, Account.from_key(ANVIL_KEY_0))
    with pytest.raises(RevertedError, match="DevVendorNotAllowedOnChain"):  # the registry's first check
        deployer.transact(protocol.registry.functions.registerEnclave(VENDOR_ID["DEV"], b"", "http://node", b""))
    refused = cli("node", "run", "--dev-keys")
    assert refused.exit_code == ExitCode.USAGE and "--dev-keys is for the devnet" in refused.stderr


def test_a_chain_without_multicall3_is_refused_before_anything_is_sent(base_sepolia, cli, tmp_path):
    from ogcli.chain.session import connect

    w3 = connect(base_sepolia, BASE_SEPOLIA)
    nonce = w3.eth.get_transaction_count(ANVIL_ADDRESS_0)
    result = cli("--yes", "protocol", "deploy", "--out", str(tmp_path / "d.json"))
    assert result.exit_code == ExitCode.USAGE and "no Multicall3" in result.stderr
    assert w3.eth.get_transaction_count(ANVIL_ADDRESS_0) == nonce and not (tmp_path / "d.json").exists()


def test_deploy_dry_run_and_an_existing_file(base_sepolia, cli, tmp_path):
    from ogcli import config

    _place_base_predeploys(base_sepolia)
    dry = cli("--dry-run", "protocol", "deploy", "--out", str(tmp_path / "d.json"))
    assert dry.exit_code == 0 and "nothing was deployed" in dry.stdout and "deploy the protocol" in dry.stderr
    assert not (tmp_path / "d.json").exists() and config.load().profiles["bsep"].deployment == ""
    taken = tmp_path / "taken.json"
    taken.write_text("{}")
    again = cli("--yes", "protocol", "deploy", "--out", str(taken))
    assert again.exit_code == ExitCode.USAGE and "exists; nothing was deployed" in again.stderr


def test_preset_errors(cli):
    unknown = cli("config", "profile", "add", "x", "--preset", "mars")
    assert unknown.exit_code == ExitCode.USAGE and "unknown preset 'mars'" in unknown.stderr
    clash = cli("config", "profile", "add", "x", "--preset", "base", "--chain-id", "84532")
    assert clash.exit_code == ExitCode.USAGE and "not Base's chain id (8453)" in clash.stderr
    missing = cli("config", "profile", "add", "x", "--rpc-url", "http://127.0.0.1:1")
    assert missing.exit_code == ExitCode.USAGE and "--chain-id is required" in missing.stderr
