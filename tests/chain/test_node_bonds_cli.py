"""`ogcli node bond | unbond | withdraw | status`, and a false record disputed against the node that
settled it (`node disputes`, `node dispute --record ID`), on the seeded devnet as users type them."""

from __future__ import annotations

import pytest

from ogcli.devnet import accounts
from ogcli.devnet.seed import NODE_BOND, ROGUE_BOND
from ogcli.protocol.params import OPG
from tests.chain.fixtures import story_seeder
from tests.cli_results import data as _data, refused as _refused, use_devnet_wallet

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]


@pytest.fixture
def operator(seeded_profile, cli, monkeypatch):
    """The reference node's operator (bonded by the seed) is the active wallet."""
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    with seeded_profile.snapshot():
        use_devnet_wallet(cli, "op", "node-operator")
        yield seeded_profile


def test_an_operator_bonds_unbonds_and_withdraws(operator, cli):
    chain = operator
    me = accounts.get("node-operator").address
    status = _data(cli("--json", "node", "status"))
    assert status["operator"] == me and status["bonded"] is True
    assert int(status["active_wei"]) == NODE_BOND and status["enclaves"] == [accounts.get("enclave-signer").address]
    held = chain.protocol.token.functions.balanceOf(me).call()

    bonded = _data(cli("--json", "--yes", "node", "bond", "100"))
    assert bonded["sent"] is True
    assert int(_data(cli("--json", "node", "status"))["active_wei"]) == NODE_BOND + 100 * OPG

    unbonding = _data(cli("--json", "--yes", "node", "unbond", "4200"))
    assert any("stops settling TEE records" in w for w in unbonding["preview"]["warnings"])
    status = _data(cli("--json", "node", "status"))
    assert status["bonded"] is False and int(status["unbonding_wei"]) == 4_200 * OPG
    _refused(cli("--yes", "node", "withdraw"), "unbonding until")
    chain.advance(status["unbonding_delay_s"] + 1)
    _data(cli("--json", "--yes", "node", "withdraw"))
    assert chain.protocol.token.functions.balanceOf(me).call() == held - 100 * OPG + 4_200 * OPG
    _refused(cli("--yes", "node", "withdraw"), "nothing is unbonding")


def test_bad_bond_input_is_refused_and_sends_nothing(operator, cli):
    chain = operator
    me = accounts.get("node-operator").address
    before = chain.protocol.bonds.functions.bondOf(me).call()
    _refused(cli("--yes", "node", "bond", "0"))
    _refused(cli("--yes", "node", "bond", "1000000000"), "more than the")
    _refused(cli("--yes", "node", "unbond"), "AMOUNT or --all")
    _refused(cli("--yes", "node", "unbond", "1", "--all"), "AMOUNT or --all")
    _refused(cli("--yes", "node", "unbond", "99999999"), "more than your")
    _refused(cli("node", "status", "0x1234"))
    assert chain.protocol.bonds.functions.bondOf(me).call() == before


def test_another_operators_status_reads_without_a_wallet(seeded_profile, cli):
    rogue = accounts.get("rogue-node").address
    status = _data(cli("--json", "node", "status", rogue))
    assert status["operator"] == rogue
    assert 0 < int(status["active_wei"]) < ROGUE_BOND, "the seed's forged record was paid from the rogue's bond"
    assert status["enclaves"] == [accounts.get("rogue-enclave").address]


@pytest.fixture
def forged(seeded_profile, cli, monkeypatch):
    """The rogue node settles a forged record (and the reference node an honest one); the
    challenger's key is the active wallet."""
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    chain = seeded_profile
    with chain.snapshot():
        seeder = story_seeder(chain, 6_000)  # past the seeded story's request ids and other tests'
        model = chain.protocol.hub.functions.getModel(1).call()
        good, good_id = seeder.settle_call(model[0], model[5], accounts.get("delegator-15"), tampered=False)
        bad, bad_id = seeder.settle_call(model[0], model[5], accounts.get("delegator-16"), tampered=True)
        use_devnet_wallet(cli, "ch", "challenger")
        yield chain, (good_id, good), (bad_id, bad)


def test_a_false_record_costs_its_node_and_refunds_its_payer(forged, cli):
    chain, (good_id, _good), (bad_id, bad) = forged
    token, bonds = chain.protocol.token.functions, chain.protocol.bonds.functions
    _record, payer, node, fee = bad
    assert node == accounts.get("rogue-node").address
    listed = _data(cli("--json", "node", "disputes"))["records"]
    assert [(r["record_id"], r["node"], r["ground"]) for r in listed] == [(bad_id, node, 1)]
    assert int(listed[0]["fee_wei"]) == fee

    bond_before = sum(bonds.bondOf(node).call()[:2])
    payer_before = token.balanceOf(payer).call()
    _data(cli("--json", "--yes", "node", "dispute", "--record", str(bad_id)))
    assert token.balanceOf(payer).call() - payer_before == fee, "the payer is refunded to the wei"
    assert sum(bonds.bondOf(node).call()[:2]) < bond_before - fee
    assert _data(cli("--json", "node", "disputes"))["records"] == []

    verified = cli("--json", "infer", "verify", "0x" + bytes(bad[0][3]).hex())
    assert verified.exit_code == 1  # the record fails its checks ...
    bond = _data_any(verified)["bond"]
    assert bond["disputed"] is True and bond["ground"] == 1  # ... its node was made to pay for it, and why
    _refused(cli("--yes", "node", "dispute", "--record", str(bad_id)), "already")
    _refused(cli("--yes", "node", "dispute", "--record", str(good_id)), "holds up")
    _refused(cli("--yes", "node", "dispute", "--record", str(good_id), str(good_id), node), "not both")


def _data_any(result) -> dict:
    """The `data` of a `--json` run whatever its exit code (infer verify exits 1 on a failed check)."""
    import json

    return json.loads(result.stdout)["data"]
