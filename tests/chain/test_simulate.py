"""Devnet traffic: honest calls through a real node, tampered ones from a compromised node,
validators attesting; the dishonest validator's lies are then found by `node disputes`, and the
compromised node pays for each forgery from its bond."""

from __future__ import annotations

import json

import pytest

from ogcli.devnet import accounts
from ogcli.devnet.simulate import simulate
from tests.chain.node_fixture import running_node, use_local_storage

pytestmark = pytest.mark.chain


def test_simulated_traffic_feeds_records_attestations_and_disputes(seeded_profile, cli, tmp_path):

    chain = seeded_profile
    with chain.snapshot():
        use_local_storage(tmp_path / "blobs")
        records_before = chain.protocol.settlement.functions.recordCount().call()
        with running_node(tmp_path / "node", batch_window_s=0) as (url, _node):
            traffic = simulate(chain.protocol, chain.url, url, rate=20, duration_s=2.5, tamper=0.5, seed=1)
        assert traffic.failures == []
        assert traffic.calls >= 4 and 0 < traffic.tampered < traffic.calls  # seed 1: honest, tampered, honest, tampered, ...
        assert chain.protocol.settlement.functions.recordCount().call() == records_before + traffic.calls
        disputable = json.loads(cli("--json", "node", "disputes").stdout)["data"]["disputable"]
        liar = accounts.get("validator-6").address
        assert len(disputable) == traffic.tampered
        assert {d["validator"] for d in disputable} == {liar}
        # Each forged record was disputed against the compromised node: its bond paid for every one.
        assert traffic.node_disputes == traffic.tampered
        rogue = accounts.get("rogue-node").address
        bond = sum(chain.protocol.bonds.functions.bondOf(rogue).call()[:2])
        assert bond == traffic.rogue_bond_after_wei < traffic.rogue_bond_before_wei
        assert json.loads(cli("--json", "node", "disputes").stdout)["data"]["records"] == []


def test_simulate_needs_a_running_devnet(cli):
    result = cli("devnet", "simulate", "--duration", "1s")
    assert result.exit_code != 0 and "not running" in result.stderr
