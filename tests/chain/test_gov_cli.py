"""Governance from the terminal on the seeded devnet: delegate, propose, vote, queue, execute, and
the whitelist and enclaves that follow; plus the refusals and the IGovernor interface."""

from __future__ import annotations

import re
from functools import reduce
from pathlib import Path

import pytest

from ogcli.devnet import accounts
from ogcli.protocol.params import VENDOR_ID, GovernanceParams, dev_measurement
from tests.cli_results import data as _data, refused as _refused

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]

GOV = GovernanceParams()


@pytest.fixture
def holders(seeded_profile, cli, monkeypatch):
    """holder-1, holder-2 and user (OPG, never delegated) imported as wallets h1, h2, u (h1
    active), in a snapshot."""
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    with seeded_profile.snapshot():
        for wallet, name in (("u", "user"), ("h2", "holder-2"), ("h1", "holder-1")):
            key = accounts.get(name).private_key.hex()
            assert cli("wallet", "import", wallet, "--private-key", input=key + "\n").exit_code == 0
        assert cli("wallet", "use", "h1").exit_code == 0
        yield seeded_profile


def _pass(chain, cli, proposal_id: str, voters=("h1", "h2", "u")) -> None:
    chain.advance(GOV.voting_delay_s + 1)
    for voter in voters:
        _data(cli("--json", "--yes", "--account", voter, "gov", "vote", proposal_id, "for", "--reason", "tested"))
    chain.advance(GOV.voting_period_s + 1)
    _data(cli("--json", "--yes", "gov", "queue", proposal_id))
    chain.advance(GOV.timelock_delay_s + 1)
    _data(cli("--json", "--yes", "gov", "execute", proposal_id))


def test_approve_then_revoke_a_measurement_end_to_end(holders, cli):
    chain = holders
    registry = chain.protocol.registry.functions
    # user holds OPG but never delegated: no votes until it does.
    assert _data(cli("--json", "token", "votes", accounts.get("user").address))["votes_wei"] == "0"
    _data(cli("--json", "--yes", "--account", "u", "gov", "delegate", "self"))

    v3 = dev_measurement("v0.3")
    measured = _data(cli("--json", "gov", "measurement", "--vendor", "dev", "--image", "v0.3"))
    assert measured["measurement"] == "0x" + v3.hex()
    created = _data(cli("--json", "--yes", "gov", "propose", "tee-approve", "--vendor", "dev",
                        "--measurement", measured["measurement"], "--label", "ogcli-node dev enclave v0.3",
                        "--description", "Nodes upgrade to v0.3."))
    pid = created["proposal_id"]
    assert created["whitelist_diff"] == [f"+ DEV 0x{v3.hex()[:16]}… \"ogcli-node dev enclave v0.3\" approved"]
    shown = _data(cli("--json", "gov", "show", pid[:12]))
    assert shown["state"] == "Pending" and shown["next"].startswith("voting opens in")
    assert _data(cli("--json", "gov", "show", "latest"))["id"] == pid  # the newest proposal, by name
    assert shown["actions"][0]["function"] == "approveMeasurement"

    _pass(chain, cli, pid)
    shown = _data(cli("--json", "gov", "show", pid, "--votes"))
    assert shown["state"] == "Executed" and shown["quorum_reached"] is True
    assert {b["voter"] for b in shown["ballots"]} == {accounts.get(n).address for n in ("holder-1", "holder-2", "user")}
    row = next(m for m in _data(cli("--json", "gov", "whitelist"))["measurements"] if m["measurement"] == "0x" + v3.hex())
    assert row["approved"] is True and row["approved_by"] == pid and row["label"] == "ogcli-node dev enclave v0.3"

    # Revoking v0.1 takes the devnet's enclave out for everything after, not before.
    signer = accounts.get("enclave-signer").address
    before = chain.now()
    assert registry.isActive(signer, before).call() is True
    revoke = _data(cli("--json", "--yes", "gov", "propose", "tee-revoke", "--vendor", "dev",
                       "--measurement", "0x" + dev_measurement("v0.1").hex()))
    assert revoke["whitelist_diff"][0].startswith("- DEV") and "revoked" in revoke["whitelist_diff"][0]
    _pass(chain, cli, revoke["proposal_id"])
    assert registry.isActive(signer, chain.now() + 1).call() is False  # dated after the revocation
    assert registry.isActive(signer, before).call() is True
    row = next(m for m in _data(cli("--json", "gov", "whitelist"))["measurements"] if m["label"].endswith("v0.1"))
    assert row["approved"] is False and row["revoked_at"] is not None


def test_a_proposal_short_of_quorum_is_defeated_and_every_misstep_is_refused(holders, cli):
    chain = holders
    me = accounts.get("holder-1").address
    created = _data(cli("--json", "--yes", "gov", "propose", "param", "settlement", "slash_fraction", "12.5%"))
    pid = created["proposal_id"]
    nonce = chain.w3.eth.get_transaction_count(me)
    _refused(cli("--yes", "gov", "vote", pid, "for"), "Pending", "voting opens")
    _refused(cli("--yes", "gov", "queue", pid), "only a Succeeded")
    _refused(cli("--yes", "gov", "vote", pid, "maybe"), "for, against or abstain")
    _refused(cli("--yes", "gov", "vote", "999999999", "for"), "no proposal")
    assert chain.w3.eth.get_transaction_count(me) == nonce

    chain.advance(GOV.voting_delay_s + 1)
    _data(cli("--json", "--yes", "--account", "h2", "gov", "vote", pid, "for"))  # 22M of the 40M quorum
    _refused(cli("--yes", "--account", "h2", "gov", "vote", pid, "against"), "already")
    chain.advance(GOV.voting_period_s + 1)
    shown = _data(cli("--json", "gov", "show", pid))
    assert shown["state"] == "Defeated" and shown["quorum_reached"] is False
    _refused(cli("--yes", "gov", "vote", pid, "for"), "Defeated", "closed")
    _refused(cli("--yes", "gov", "execute", pid), "only a Queued")
    assert chain.w3.eth.get_transaction_count(me) == nonce
    assert [p["id"] for p in _data(cli("--json", "gov", "proposals", "--state", "defeated"))["proposals"]].count(pid) == 1


def test_execute_waits_for_the_timelock_and_cancel_is_the_proposers(holders, cli):
    chain = holders
    created = _data(cli("--json", "--yes", "gov", "propose", "vendor", "--vendor", "tdx", "--enable",
                        "--root", "0x" + "ab" * 32))
    pid = created["proposal_id"]
    assert created["whitelist_diff"] == ["+ vendor TDX enabled"]
    _refused(cli("--yes", "--account", "h2", "gov", "cancel", pid), "only its proposer")
    chain.advance(GOV.voting_delay_s + 1)
    for voter in ("h1", "h2"):
        _data(cli("--json", "--yes", "--account", voter, "gov", "vote", pid, "for"))
    chain.advance(GOV.voting_period_s + 1)
    _data(cli("--json", "--yes", "gov", "queue", pid))
    _refused(cli("--yes", "gov", "execute", pid), "timelock holds")
    _refused(cli("--yes", "gov", "cancel", pid), "only before voting starts")

    other = _data(cli("--json", "--yes", "gov", "propose", "tee-approve", "--vendor", "dev",
                      "--measurement", "0x" + "cd" * 32, "--label", "to be withdrawn"))["proposal_id"]
    _data(cli("--json", "--yes", "gov", "cancel", other))
    assert _data(cli("--json", "gov", "show", other))["state"] == "Canceled"


def test_bad_proposals_are_refused(holders, cli):
    _refused(cli("--yes", "gov", "propose", "tee-approve", "--vendor", "sgx", "--measurement", "0x" + "00" * 32, "--label", "x"), "--vendor")
    _refused(cli("--yes", "gov", "propose", "tee-approve", "--vendor", "dev", "--measurement", "0x1234", "--label", "x"), "32 bytes")
    _refused(cli("--yes", "gov", "propose", "param", "staking", "block_size", "1"), "no parameter")
    _refused(cli("--yes", "gov", "propose", "param", "settlement", "slash_fraction", "10%"), "already")
    # user never delegated: reminded where it looks at proposals, and below the proposal threshold.
    reminded = cli("--account", "u", "gov", "proposals")
    assert reminded.exit_code == 0 and "no voting power" in reminded.stderr and "gov delegate self" in reminded.stderr
    assert "no voting power" not in cli("gov", "proposals").stderr
    _refused(cli("--yes", "--account", "u", "gov", "propose", "tee-revoke", "--vendor", "dev",
                 "--measurement", "0x" + dev_measurement("v0.1").hex()), "threshold", "gov delegate self")
    _refused(cli("gov", "measurement", "--vendor", "nitro", "--pcr0", "ab" * 48), "missing")


def test_governor_answers_the_igovernor_interface(seeded):
    """Third-party governance tools probe ERC-165 for IGovernor: the id is the XOR of the selectors
    of the functions OpenZeppelin's IGovernor.sol declares (read from the installed source)."""
    from eth_utils import function_signature_to_4byte_selector

    from ogcli.chain.abi import abi_type

    source = (Path(__file__).resolve().parents[2] / "node_modules/@openzeppelin/contracts/governance/IGovernor.sol").read_text()
    names = re.findall(r"^\s*function (\w+)\(", source, flags=re.MULTILINE)
    governor = seeded.protocol.governor
    selectors = []
    for name in names:
        candidates = [f for f in governor.abi if f.get("type") == "function" and f["name"] == name]
        if name in ("queue", "execute", "cancel"):  # IGovernor's are the four-argument forms
            candidates = [f for f in candidates if len(f["inputs"]) == 4]
        [item] = candidates
        signature = f"{name}({','.join(abi_type(p) for p in item['inputs'])})"
        selectors.append(int.from_bytes(function_signature_to_4byte_selector(signature), "big"))
    assert len(names) >= 25
    interface_id = reduce(lambda a, b: a ^ b, selectors).to_bytes(4, "big")
    supports = governor.functions.supportsInterface
    assert supports(interface_id).call() is True
    assert supports(bytes.fromhex("01ffc9a7")).call() is True  # ERC-165 itself
    assert supports(bytes.fromhex("ffffffff")).call() is False
    assert VENDOR_ID["DEV"] == 4  # the registry's DEV id the proposals above use


def test_a_vendor_root_is_pinned_from_its_certificate(holders, cli, tmp_path):
    """`--root-cert FILE` pins the sha-256 of a root the chain accepts (DER or PEM); a leaf, or a
    file that is no certificate, is refused with one line and nothing proposed."""
    import base64

    from ogcli.core.attestation import parse_document
    from ogcli.protocol.params import AWS_NITRO_ROOT_SHA256
    from tests.nitro_cases import GENUINE

    document = parse_document(GENUINE)
    der, pem = tmp_path / "root.der", tmp_path / "root.pem"
    der.write_bytes(document.cabundle[0])
    pem.write_text("-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(document.cabundle[0]).decode()
                   + "-----END CERTIFICATE-----\n")
    for path in (der, pem):
        shown = _data(cli("--json", "--dry-run", "gov", "propose", "vendor", "--vendor", "nitro", "--enable",
                          "--root-cert", str(path)))
        assert "0x" + AWS_NITRO_ROOT_SHA256.hex() in str(shown), shown
    leaf, junk = tmp_path / "leaf.der", tmp_path / "junk.der"
    leaf.write_bytes(document.certificate)
    junk.write_bytes(b"not a certificate")
    _refused(cli("--yes", "gov", "propose", "vendor", "--vendor", "nitro", "--enable", "--root-cert", str(leaf)), "not a CA")
    _refused(cli("--yes", "gov", "propose", "vendor", "--vendor", "nitro", "--enable", "--root-cert", str(junk)),
             "not a DER certificate")
    _refused(cli("--yes", "gov", "propose", "vendor", "--vendor", "nitro", "--enable", "--root-cert", str(der),
                 "--root", "0x" + "ab" * 32), "not both")


def test_node_bond_parameters_are_proposed_like_the_others(holders, cli):
    created = _data(cli("--json", "--yes", "gov", "propose", "param", "bonds", "min_bond", "2500"))
    assert "Set bonds min_bond to 2,500 OPG (from 1,000 OPG)" in str(created), created
    _refused(cli("--yes", "gov", "propose", "param", "bonds", "unbonding_delay", "10d"), "already")
    _refused(cli("--yes", "gov", "propose", "param", "vault", "x", "1"), "staking, settlement, bonds")
