"""The devnet as a new user meets it: `ogcli devnet up`, look around, down, up again, advance."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from ogcli.chain.contracts import Protocol
from ogcli.chain.session import connect
from ogcli.devnet import accounts
from ogcli.protocol.deployment import load as load_deployment

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROPOSAL_STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ogcli(*args: str) -> tuple[int, dict, str]:
    result = subprocess.run(
        [sys.executable, "-m", "ogcli", "--json", *args], capture_output=True, text=True, env=os.environ.copy(), timeout=300
    )
    return result.returncode, json.loads(result.stdout), result.stderr


def test_devnet_up_seeds_a_living_network_that_survives_a_restart():
    port = str(_free_port())
    code, up, err = _ogcli("devnet", "up", "--port", port)
    assert code == 0, err
    try:
        data = up["data"]
        assert data["fresh"] is True and data["already_running"] is False
        url = data["rpc_url"]

        code, again, _ = _ogcli("devnet", "up", "--port", port)
        assert code == 0 and again["data"]["already_running"] is True and again["data"]["pid"] == data["pid"]

        code, status, _ = _ogcli("devnet", "status")
        assert status["data"]["running"] is True and status["data"]["chain_id"] == 31337
        assert set(status["data"]["contracts"]) >= {"OPGToken", "Staking", "OGGovernor", "InferenceSettlement"}

        deployment = load_deployment(__import__("pathlib").Path(data["deployment"]))
        protocol = Protocol(connect(url, 31337), deployment)
        staking = protocol.staking.functions
        validators = staking.validators().call()
        assert len(validators) >= 8
        views = {v: staking.getValidator(v).call() for v in validators}
        jailed = [v for v, view in views.items() if view[6]]
        slashed = [v for v, view in views.items() if view[9] > 0]
        assert accounts.get("validator-7").address in jailed
        assert accounts.get("validator-6").address in slashed and accounts.get("validator-6").address not in jailed
        delegators = {d for d in (accounts.get(f"delegator-{i}").address for i in range(1, 21))
                      if staking.delegatorValidators(d).call()}
        assert len(delegators) == 20
        seed = json.loads((__import__("pathlib").Path(data["deployment"]).parent / "seed.json").read_text())
        governor = protocol.governor.functions
        states = {name: PROPOSAL_STATES[governor.state(int(pid)).call()] for name, pid in seed["proposals"].items()}
        assert states == {"approve": "Executed", "tdx": "Defeated", "slash": "Active"}
        assert protocol.settlement.functions.recordCount().call() >= 30
        assert deployment.vesting_wallets and len(deployment.vesting_wallets) == 2
        head_before = protocol.w3.eth.block_number

        code, down, _ = _ogcli("devnet", "down")
        assert code == 0 and down["data"]["stopped"] is True
        code, _, _ = _ogcli("devnet", "advance", "--days", "1")
        assert code == 1  # not running

        code, resumed, err = _ogcli("devnet", "up", "--port", port)
        assert code == 0, err
        assert resumed["data"]["fresh"] is False and resumed["data"]["outdated_contracts"] == []
        w3 = connect(url, 31337)
        assert w3.eth.block_number >= head_before
        assert len(Protocol(w3, deployment).staking.functions.validators().call()) == len(validators)

        newcomer = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        code, funded, err = _ogcli("devnet", "fund", newcomer, "--opg", "1234.5", "--eth", "2")
        assert code == 0, err
        token = Protocol(w3, deployment).token.functions
        assert token.balanceOf(newcomer).call() == 1_234_500_000_000_000_000_000
        assert w3.eth.get_balance(newcomer) >= 2 * 10**18

        before = w3.eth.get_block("latest")["timestamp"]
        code, advanced, _ = _ogcli("devnet", "advance", "--days", "2")
        assert code == 0
        assert advanced["data"]["block_timestamp"] >= before + 2 * 86_400

        code, refused, _ = _ogcli("devnet", "reset", "--port", port)
        assert code == 5  # no terminal, no --yes: nothing is thrown away
        code, reset, err = _ogcli("devnet", "reset", "--yes", "--port", port)
        assert code == 0, err
        assert reset["data"]["fresh"] is True and reset["data"]["pid"] != resumed["data"]["pid"]
        w3 = connect(url, 31337)
        assert w3.eth.get_block("latest")["timestamp"] < before + 86_400  # the advanced clock is gone
    finally:
        _ogcli("devnet", "down")
