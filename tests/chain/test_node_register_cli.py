"""`ogcli node register`: an enclave registers from the document it issued, through the write
pipeline; bad input (truncated CBOR, a wrong COSE algorithm, a chain longer than the limit, a root
not pinned, an expired intermediate, a proof from another key) is a one-line error, exit 2, and
nothing is sent or registered."""

from __future__ import annotations

import pytest
from eth_account import Account

from ogcli.devnet import accounts
from ogcli.node.dev_attestation import dev_root, issue_document
from ogcli.node.enclave import registration_proof
from tests.cli_results import refused, use_devnet_wallet
from tests.nitro_cases import dev_cases

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]
BAD_INPUT = ("truncated CBOR", "COSE algorithm ES256", "a chain longer than the limit",
             "another root than the pinned one", "an expired intermediate")


@pytest.fixture
def operator(devnet_profile, cli, monkeypatch, tmp_path):
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    devnet_profile.rpc("anvil_setBalance", [accounts.get("node-operator").address, hex(10**21)])
    use_devnet_wallet(cli, "op", "node-operator")
    return devnet_profile


def _proof(chain, key, document: bytes) -> str:
    import hashlib

    return "0x" + registration_proof(key, chain.w3.eth.chain_id, chain.protocol.registry.address,
                                     accounts.get("node-operator").address, hashlib.sha256(document).digest()).hex()


def test_an_enclave_registers_from_its_document(operator, cli, tmp_path):
    key = Account.create()
    document = issue_document(dev_root(), image="v0.1", signer_address=key.address, at_time=operator.now() - 60)
    path = tmp_path / "attestation.cbor"
    path.write_bytes(document)
    result = cli("--yes", "node", "register", "--document", str(path), "--vendor", "dev",
                 "--proof", _proof(operator, key, document), "--endpoint", "http://127.0.0.1:8799")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    view = operator.protocol.registry.functions.getEnclave(key.address).call()
    assert view[1] == accounts.get("node-operator").address and view[7] == "http://127.0.0.1:8799"


@pytest.mark.parametrize("name", BAD_INPUT)
def test_bad_input_is_one_line_and_registers_nothing(operator, cli, tmp_path, name):
    case = next(c for c in dev_cases(operator.now()) if c.name == name)
    path = tmp_path / "attestation.cbor"
    path.write_bytes(case.document)
    registry = operator.protocol.registry.functions
    before, block = registry.enclaveCount().call(), operator.w3.eth.block_number
    result = cli("--yes", "node", "register", "--document", str(path), "--vendor", "dev", "--proof", "0x" + "11" * 65)
    refused(result, "the attestation document does not verify", "nothing was sent")
    assert registry.enclaveCount().call() == before and operator.w3.eth.block_number == block


def test_a_proof_from_another_key_is_refused_with_the_digest_to_sign(operator, cli, tmp_path):
    key, other = Account.create(), Account.create()
    document = issue_document(dev_root(), image="v0.1", signer_address=key.address, at_time=operator.now() - 60)
    path = tmp_path / "attestation.cbor"
    path.write_bytes(document)
    result = cli("--yes", "node", "register", "--document", str(path), "--vendor", "dev",
                 "--proof", _proof(operator, other, document))
    refused(result, f"not by the document's signer {key.address}", "the enclave key signs 0x")
    assert operator.protocol.registry.functions.isRegistered(key.address).call() is False
