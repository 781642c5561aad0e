"""Attestation documents verified in the EVM (contracts/NitroVerifier.sol, through TEERegistry), on
an Anvil that is not a devnet: chain id 84532 (Base Sepolia's), the Osaka gas schedule with EIP-7825's
2^24 gas per transaction enforced, its clock started at the genuine AWS document's own time, the
NITRO vendor pinned to the AWS Nitro root.

- The genuine AWS document verifies on chain, and is refused an hour after its leaf expired, with
  a flipped signature byte, and under another root.
- The Python verifier and the contract agree on every case of tests/nitro_cases.py, and the
  contract refuses each broken one with the named error the case expects.
- The attack "register an arbitrary key as NITRO" is refused, and nothing is registered.
- Every step of a registration fits one transaction's 2^24 gas (EIP-7825).
"""

from __future__ import annotations

import hashlib
import re

import cbor2
import pytest
from eth_account import Account
from eth_utils import keccak

from ogcli.chain.certificates import cache_chain, chain_of
from ogcli.chain.contracts import Protocol
from ogcli.chain.sender import TX_GAS_CAP, Sender
from ogcli.chain.session import connect
from ogcli.core.attestation import AttestationError, verify_nitro_document
from ogcli.devnet import accounts, anvil
from ogcli.node.dev_attestation import dev_root, issue_document
from ogcli.node.enclave import registration_proof
from ogcli.protocol.deploy import deploy_protocol
from ogcli.protocol.params import VENDOR_ID, GenesisParams, TeeMeasurement
from tests.chain.enclaves import operator_sender
from tests.chain.fixtures import Chain, _free_port, revert_reason
from tests.nitro_cases import (
    AWS_NITRO_ROOT_SHA256,
    GENUINE,
    GENUINE_ISSUED_AT,
    dev_cases,
    genuine_cases,
    genuine_leaf_not_after,
)
from tests.nitro_forge import cose_parts

pytestmark = pytest.mark.chain

BASE_SEPOLIA = 84532
NITRO = VENDOR_ID["NITRO"]
DEV = VENDOR_ID["DEV"]


def _genuine_measurement() -> bytes:
    pcrs = cbor2.loads(cose_parts(GENUINE)[2])["pcrs"]
    return hashlib.sha256(pcrs[0] + pcrs[1] + pcrs[2]).digest()


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The protocol on chain 84532 at the genuine document's time: NITRO pinned to the AWS root
    with the genuine document's measurement approved; DEV pinned too (and refused by chain id)."""
    from ogcli.devnet.genesis import DEV_ROOT_HASH

    workdir = tmp_path_factory.mktemp("base-sepolia")
    port = _free_port()
    process = anvil.start(binary=anvil.find_binary(), host="127.0.0.1", port=port, state_file=None,
                          log_file=workdir / "anvil.log", genesis_timestamp=GENUINE_ISSUED_AT, chain_id=BASE_SEPOLIA,
                          hardfork="osaka")
    try:
        url = f"http://127.0.0.1:{port}"
        deployer = accounts.get("deployer")
        anvil.rpc(url, "anvil_setBalance", [deployer.address, hex(10**24)])
        w3 = connect(url, BASE_SEPOLIA)
        genesis = GenesisParams(
            community_recipient=deployer.address,
            tee_vendors=(("NITRO", AWS_NITRO_ROOT_SHA256), ("DEV", DEV_ROOT_HASH)),
            tee_measurements=(TeeMeasurement("NITRO", _genuine_measurement(), "the og-evm test enclave"),),
        )
        deployment = deploy_protocol(Sender(w3, deployer.local_account), genesis, network="base-sepolia-fork",
                                     expected_chain_id=BASE_SEPOLIA)
        yield Chain(url=url, protocol=Protocol(w3, deployment), deployment=deployment)
    finally:
        anvil.stop(process.pid)


@pytest.fixture
def on_base(base):
    with base.snapshot():
        yield base


def _contract_verdict(chain, sender, document: bytes, root_sha256: bytes) -> str | None:
    """The named revert the chain gives `document` (None: it verifies): its certificates cached
    first, as a registering node does (when the document parses at all)."""
    from ogcli.errors import RevertedError

    try:
        certificates = chain_of(document)
    except AttestationError:
        certificates = None
    if certificates is not None:
        try:
            cache_chain(chain.protocol, sender, document)
        except RevertedError as exc:
            return _error_name(str(exc))
    try:
        chain.protocol.attestation_verifier.functions.verifyDocument(document, root_sha256).call()
    except Exception as exc:  # a revert, decoded to the custom error's name
        return _error_name(revert_reason(exc))
    return None


def _error_name(text: str) -> str:
    """`CertificateNotValidAt(...)` -> `CertificateNotValidAt`, from a revert description."""
    names = re.findall(r"\b([A-Z][A-Za-z0-9]+)\(", text)
    return names[-1] if names else text


def _python_verdict(document: bytes, root_sha256: bytes, at: int) -> str | None:
    try:
        verify_nitro_document(document, root_sha256=root_sha256, at_time=at)
    except AttestationError as exc:
        return str(exc)
    return None


def test_python_and_the_contract_agree_on_every_case(on_base):
    sender = operator_sender(on_base)
    cases = genuine_cases() + dev_cases(on_base.now())
    disagreements = []
    for case in cases:
        contract = _contract_verdict(on_base, sender, case.document, case.root_sha256)
        python = _python_verdict(case.document, case.root_sha256, on_base.now())
        if contract != case.contract_error or (python is None) != (case.contract_error is None):
            disagreements.append(f"{case.name}: expected {case.contract_error}, contract {contract}, python {python}")
    assert not disagreements, "\n".join(disagreements)
    assert len(cases) >= 25


def test_the_genuine_document_verifies_on_chain_with_its_claims(on_base):
    cache_chain(on_base.protocol, operator_sender(on_base), GENUINE)
    claims = on_base.protocol.attestation_verifier.functions.verifyDocument(GENUINE, AWS_NITRO_ROOT_SHA256).call()
    measurement, document_hash, leaf_hash, timestamp_ms, has_user_data, user_data = claims
    python = verify_nitro_document(GENUINE, root_sha256=AWS_NITRO_ROOT_SHA256, at_time=on_base.now())
    assert measurement == python.measurement == _genuine_measurement()  # `gov measurement` computes the same
    assert timestamp_ms == python.timestamp_ms and has_user_data and user_data == python.user_data
    assert leaf_hash == keccak(chain_of(GENUINE)[-1])
    assert document_hash == hashlib.sha256(GENUINE).digest()


def test_the_genuine_document_is_refused_an_hour_after_its_leaf_expired(on_base):
    sender = operator_sender(on_base)
    cache_chain(on_base.protocol, sender, GENUINE)
    an_hour_after = genuine_leaf_not_after() + 3600
    on_base.rpc("evm_setNextBlockTimestamp", [an_hour_after])
    on_base.rpc("evm_mine")
    assert _contract_verdict(on_base, sender, GENUINE, AWS_NITRO_ROOT_SHA256) == "CertificateNotValidAt"
    assert "not at" in _python_verdict(GENUINE, AWS_NITRO_ROOT_SHA256, on_base.now())


def test_an_arbitrary_key_cannot_register_as_nitro_off_a_devnet(on_base):
    """The attack the registry used to allow: a plain key claiming "NITRO, approved measurement".
    Its own root is not AWS's; the DEV vendor is refused by chain id; the genuine AWS document,
    which does verify, binds no Ethereum signer. Nothing is registered."""
    from ogcli.errors import RevertedError

    sender = operator_sender(on_base)
    registry = on_base.protocol.registry
    attacker = Account.create()
    forged = issue_document(dev_root(), image="v0.1", signer_address=attacker.address, at_time=on_base.now() - 60)
    cache_chain(on_base.protocol, sender, forged)
    attempts = {
        "NITRO with the attacker's own root": (NITRO, forged, attacker),
        "DEV on chain 84532": (DEV, forged, attacker),
        "the genuine document as NITRO": (NITRO, GENUINE, attacker),
    }
    cache_chain(on_base.protocol, sender, GENUINE)
    refusals = {}
    for name, (vendor, document, key) in attempts.items():
        proof = registration_proof(key, BASE_SEPOLIA, registry.address, sender.address, hashlib.sha256(document).digest())
        with pytest.raises(RevertedError) as caught:
            sender.transact(registry.functions.registerEnclave(vendor, document, "http://attacker", proof))
        refusals[name] = _error_name(str(caught.value))
    assert refusals == {
        "NITRO with the attacker's own root": "RootNotPinned",
        "DEV on chain 84532": "DevVendorNotAllowedOnChain",
        "the genuine document as NITRO": "UserDataNotASigner",
    }
    assert registry.functions.enclaveCount().call() == 0
    assert registry.functions.isRegistered(attacker.address).call() is False


def test_every_registration_step_fits_a_transaction(on_base):
    """Each certificate is its own transaction; the document's check is one P-384 verification."""
    sender = operator_sender(on_base)
    receipts = cache_chain(on_base.protocol, sender, GENUINE)
    assert len(receipts) == 5  # the root admitted, three intermediates and the leaf verified
    assert all(r.gas_used < TX_GAS_CAP for r in receipts), [r.gas_used for r in receipts]
    check = on_base.protocol.attestation_verifier.functions.verifyDocument(GENUINE, AWS_NITRO_ROOT_SHA256)
    assert check.estimate_gas() < TX_GAS_CAP
    # A second registration under the same chain verifies only what is new: nothing here.
    assert cache_chain(on_base.protocol, sender, GENUINE) == []
