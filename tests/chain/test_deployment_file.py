"""A deployment is recorded in a file that says where everything lives and which build it runs."""

from __future__ import annotations

import json

import pytest

from ogcli.errors import ConfigError
from ogcli.protocol import artifacts
from ogcli.protocol.deployment import load, save

pytestmark = pytest.mark.chain


def test_deployment_file_round_trips_and_matches_the_chain(chain, tmp_path):
    path = tmp_path / "base-sepolia.json"
    save(chain.deployment, path)
    loaded = load(path)
    assert loaded == chain.deployment
    assert loaded.chain_id == chain.w3.eth.chain_id
    assert loaded.block >= 1
    for name, address in loaded.contracts.items():
        assert chain.w3.eth.get_code(address) not in (b"", None), name
    assert loaded.artifacts == {name: artifacts.digest(name) for name in artifacts.PROTOCOL_CONTRACTS}
    json.loads(path.read_text())  # plain JSON, readable by any tool


def test_corrupted_deployment_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"network": "x", "chain_')
    with pytest.raises(ConfigError, match="corrupted"):
        load(path)
    with pytest.raises(ConfigError, match="no deployment file"):
        load(tmp_path / "missing.json")
