"""Offline signing as a cold-wallet user does it: `--unsigned FILE` on the online machine (no key,
no password), `ogcli tx sign` with no network, `ogcli tx send` from anywhere; the chain id checked
at each step. `carol` (tests/chain/fixtures.py) is delegator-1's wallet, in a snapshot."""

from __future__ import annotations

import json

import pytest

from ogcli.devnet import accounts
from ogcli.errors import ExitCode
from tests.cli_results import data as _data

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets"), pytest.mark.timeout(120)]

OPG = 10**18
DEAD_RPC = "http://127.0.0.1:9"  # nothing listens: the signing machine has no network


def _balance(chain, who: str) -> int:
    return chain.protocol.token.functions.balanceOf(who).call()


def test_prepare_sign_offline_and_send_a_transfer(carol, cli, monkeypatch, tmp_path):
    chain, me, receiver = carol, accounts.get("delegator-1").address, accounts.get("delegator-2").address
    before, nonce = _balance(chain, receiver), chain.w3.eth.get_transaction_count(me)
    unsigned, signed = tmp_path / "transfer.json", tmp_path / "transfer.signed.json"
    monkeypatch.delenv("OGCLI_PASSWORD")  # the online machine never asks for it
    prepared = cli("--unsigned", str(unsigned), "token", "transfer", receiver, "2")
    assert prepared.exit_code == 0, prepared.stderr
    assert f"ogcli tx sign {unsigned}" in prepared.stdout and "transfer 2 OPG" in prepared.stderr
    document = json.loads(unsigned.read_text())
    assert document["from"] == me and document["transaction"]["nonce"] == nonce and document["chain_id"] == 31337
    assert chain.w3.eth.get_transaction_count(me, "pending") == nonce  # nothing sent

    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    offline = cli("--yes", "--rpc-url", DEAD_RPC, "--json", "tx", "sign", str(unsigned))
    assert offline.exit_code == 0, offline.stderr
    assert json.loads(offline.stdout)["data"]["signed"] == str(signed)

    sent = _data(cli("--json", "--yes", "tx", "send", str(signed)))
    assert sent["status"] == "success" and sent["tx_hash"] == json.loads(signed.read_text())["hash"]
    assert _balance(chain, receiver) == before + 2 * OPG


def test_the_chain_id_is_checked_at_each_step(carol, cli, tmp_path):
    from ogcli import config

    receiver = accounts.get("delegator-2").address
    unsigned = tmp_path / "t.json"
    assert cli("--unsigned", str(unsigned), "token", "transfer", receiver, "1").exit_code == 0
    # signing: a file for another chain than the profile's
    forged = tmp_path / "other-chain.json"
    document = json.loads(unsigned.read_text())
    forged.write_text(json.dumps({**document, "chain_id": 8453, "transaction": {**document["transaction"], "chainId": 8453}}))
    refused = cli("--yes", "tx", "sign", str(forged))
    assert refused.exit_code != 0 and "for chain id 8453" in refused.stderr and not (tmp_path / "other-chain.signed.json").exists()
    # sending: an endpoint that serves another chain than the profile names
    assert cli("--yes", "tx", "sign", str(unsigned)).exit_code == 0
    signed = tmp_path / "t.signed.json"
    seeded = config.load().profiles["seeded"]
    config.put_profile("claims-base", config.Profile(rpc_url=seeded.rpc_url, chain_id=8453, deployment=seeded.deployment),
                       activate=False)
    mismatch = cli("--yes", "--profile", "claims-base", "tx", "send", str(signed))
    assert mismatch.exit_code != 0 and "chain id" in mismatch.stderr
    # sending: a file whose chain id was edited after signing
    edited = tmp_path / "edited.signed.json"
    edited.write_text(json.dumps({**json.loads(signed.read_text()), "chain_id": 8453}))
    tampered = cli("--yes", "--profile", "claims-base", "tx", "send", str(edited))
    assert tampered.exit_code == ExitCode.USAGE and "its signed bytes are for chain id 31337" in tampered.stderr


def test_a_command_that_signs_here_refuses_unsigned(carol, cli, tmp_path):
    refused = cli("--unsigned", str(tmp_path / "x.json"), "infer", "chat", "hi")
    assert refused.exit_code == ExitCode.USAGE and "this command signs here" in refused.stderr
    assert not (tmp_path / "x.json").exists()


def test_unsigned_and_signed_files_are_never_overwritten(carol, cli, tmp_path):
    taken = tmp_path / "taken.json"
    taken.write_text("mine\n")
    result = cli("--unsigned", str(taken), "token", "transfer", accounts.get("delegator-2").address, "1")
    assert result.exit_code == ExitCode.USAGE and "exists; nothing was written" in result.stderr
    assert taken.read_text() == "mine\n"
