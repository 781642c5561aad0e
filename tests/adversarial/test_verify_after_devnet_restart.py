"""A call settled before `ogcli devnet down` / `up` still verifies afterwards. Anvil's saved state
keeps every block and log but no historical state, so nothing a check needs may be read "as of
an old block": the settlement parameters and the model price in force at the call come from the
events that set them."""

from __future__ import annotations

import time

import pytest

from ogcli.chain import abi
from ogcli.devnet import anvil
from ogcli.errors import NetworkError
from tests.adversarial.test_verify_states import by_name, paid_call, report
from tests.chain.node_fixture import free_port, running_node
from tests.cli_results import data as _data, use_devnet_wallet

pytestmark = [pytest.mark.chain, pytest.mark.slow, pytest.mark.usefixtures("fast_wallets"), pytest.mark.timeout(240)]


def _up(cli, port: int) -> dict:
    deadline = time.monotonic() + 5.0  # the kernel may release the stopped anvil's port a moment late
    while not anvil.port_is_free("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _data(cli("--json", "devnet", "up", "--port", str(port)))


def _params_at(rpc_url: str, settlement, block: int):
    call = {"to": settlement.address, "data": "0x" + abi.encode_call(settlement, "params", ()).hex()}
    return anvil.rpc(rpc_url, "eth_call", [call, hex(block)])


def test_a_call_settled_before_a_devnet_restart_verifies_after_it(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    port = free_port()
    up = _up(cli, port)
    try:
        use_devnet_wallet(cli, "carol", "delegator-1")
        with running_node(tmp_path / "node") as (url, node):
            call = paid_call(cli, url)
            settlement = node.protocol.settlement
            settled_block = node.protocol.w3.eth.get_transaction(call["transaction_hash"])["blockNumber"]
        for _ in range(2):  # the chain moves on: the call's block is history (a loaded state is the head's)
            anvil.rpc(up["rpc_url"], "evm_mine", [])
        assert _data(cli("--json", "devnet", "down"))["stopped"] is True
        _up(cli, port)
        with pytest.raises(NetworkError, match="BlockOutOfRange"):  # the premise: no state as of that block
            _params_at(up["rpc_url"], settlement, settled_block)

        with running_node(tmp_path / "node") as (url, _node):
            result = cli("--json", "infer", "verify", call["request_id"], "--node", url)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        data = report(result)
        assert data["state"] == "verified"
        assert by_name(data)["payment split"]["status"] == "pass"
    finally:
        cli("devnet", "down")
