"""`ogcli devnet` refuses bad situations with one line, a non-zero exit and nothing written."""

from __future__ import annotations

import json
import socket

import pytest

from ogcli import locations


def _files():
    root = locations.devnet_dir()
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_missing_anvil_binary(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("OGCLI_ANVIL", str(tmp_path / "no-such-anvil"))
    result = cli("devnet", "up")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "is not an executable file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert [f for f in _files() if f != ".lock"] == []


def test_port_in_use(cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("--json", "devnet", "up", "--port", str(port))
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document == {"ok": False, "error": {"code": "devnet", "message": document["error"]["message"]}}
    assert f"port {port}" in document["error"]["message"] and "in use" in document["error"]["message"]
    assert [f for f in _files() if f != ".lock"] == []


def test_corrupted_state_file(cli):
    root = locations.devnet_dir()
    root.mkdir(parents=True)
    (root / "deployment.json").write_text("{}")
    (root / "chain-state.json").write_text('{"accounts": {"0x00": trunc')
    before = {p.name: p.read_bytes() for p in root.iterdir()}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli("devnet", "up", "--port", str(port))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "corrupted" in result.stderr and "devnet reset" in result.stderr
    after = {p.name: p.read_bytes() for p in root.iterdir() if p.name != ".lock"}
    assert after == {k: v for k, v in before.items() if k != ".lock"}


def test_advance_needs_a_running_devnet(cli):
    result = cli("devnet", "advance", "--days", "1")
    assert result.exit_code == 1
    assert "not running" in result.stderr


@pytest.mark.parametrize("value", ["-1", "abc", "nan", "inf"])
def test_advance_rejects_bad_durations(cli, value):
    result = cli("devnet", "advance", "--days", value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--days" in result.stderr


def test_reset_without_a_terminal_needs_yes(cli):
    result = cli("devnet", "reset")
    assert result.exit_code == 5
    assert "--yes" in result.stderr


def test_status_when_nothing_exists(cli):
    result = cli("--json", "devnet", "status")
    assert result.exit_code == 0
    data = json.loads(result.stdout)["data"]
    assert data["running"] is False and data["deployed"] is False


def test_fund_needs_a_running_devnet(cli):
    result = cli("devnet", "fund", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
    assert result.exit_code == 1
    assert "not running" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["0x1234"], "not an address"),
        (["0x70997970c51812dc3A010C7d01b50e0d17dc79C8"], "checksum"),
        (["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--opg", "-5"], "negative"),
        (["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--eth", "1e3"], "exponents"),
    ],
)
def test_fund_rejects_bad_input_before_touching_anything(cli, args, message):
    result = cli("--json", "devnet", "fund", *args)
    assert result.exit_code == 2
    assert message in json.loads(result.stdout)["error"]["message"]


def test_a_devnet_built_by_another_version_is_flagged(tmp_path):
    from ogcli.devnet import control
    from ogcli.protocol import artifacts

    p = control.paths()
    p.root.mkdir(parents=True, exist_ok=True)
    digests = {name: artifacts.digest(name) for name in artifacts.PROTOCOL_CONTRACTS}
    p.deployment.write_text(json.dumps({"artifacts": digests}))
    assert control._outdated(p) == ()
    p.deployment.write_text(json.dumps({"artifacts": {**digests, "Staking": "00" * 32}}))
    assert control._outdated(p) == ("Staking",)
